/* wisp_abi.h — the C ABI between generated module code (the C of wisp's emitter, which keeps
 * wasm2c's wasm-rt.h types and names) and the wisp runtime. Generated code is compiled by libtcc
 * (tier 0) or cc (tier 1); it defines the wasm_rt_* functions it calls as thin forwarders into
 * the table below, so a module's native code never depends on symbols exported by the host
 * process. This header is embedded as text into the glue (C, compiled by tcc and cc) and
 * included by the runtime (C++). */
#ifndef WISP_ABI_H_
#define WISP_ABI_H_

#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WISP_ABI_VERSION 7

/* A v128 value (SIMD): 16 bytes, 8-byte aligned, viewed as lanes of any integer width (float
 * lanes are read through their bits). The C of cc (tier 1) also sees it as a GCC vector, aligned
 * to 8 like the rest so that the instance struct, wisp_raw_t and the runtime's C++ agree on every
 * offset; with only integer members it is passed and returned in two integer registers by cc and
 * libtcc alike (x86-64 SysV), so tier-0 and tier-1 code can call each other with v128 values. */
#if defined(__GNUC__) && !defined(__TINYC__) && !defined(__cplusplus)
#define WISP_HAS_VEC 1
typedef uint64_t wisp_vec_t __attribute__((vector_size(16), aligned(8)));
#endif
typedef union wisp_v128 {
  uint8_t u8x16[16];
  int8_t s8x16[16];
  uint16_t u16x8[8];
  int16_t s16x8[8];
  uint32_t u32x4[4];
  int32_t s32x4[4];
  uint64_t u64x2[2];
  int64_t s64x2[2];
#ifdef WISP_HAS_VEC
  wisp_vec_t vec;
#endif
} wisp_v128_t;

/* Trap codes of generated code beyond wasm-rt.h's, within wasm_rt_trap_t's range of values
 * (0..15; wasm-rt.h's go up to 8, and a value past the range is undefined behaviour, which UBSan
 * reports): a catch_all rethrew an exception with more values than the module's largest tag (its
 * save area's size); throw_ref of a null exnref; threads: an atomic access at an address that is
 * not a multiple of its size; memory.atomic.wait on a memory that is not shared. */
#define WISP_TRAP_UNALIGNED_ATOMIC 12
#define WISP_TRAP_EXPECTED_SHARED 13
#define WISP_TRAP_EXCEPTION_TOO_LARGE 14
#define WISP_TRAP_NULL_EXNREF 15

/* An exnref (final exception handling) points to one of these, followed by `size` bytes of
 * values (wisp_raw_t each): a reference-counted copy of a caught exception, made by the runtime
 * (wisp_rt_api_t::capture_exception; runtime/exnref_objects.cpp has the lifetime model). The
 * 8 bytes just below it hold a uint64_t mask of the values that are exnrefs (bit i: value i).
 * Generated code never writes an exnref into a global or a table itself: it goes through
 * exnref_fill and its kin (one store is a fill of 1), which count the references. */
typedef struct wisp_exnref {
  uint32_t tag;
  uint32_t size;
} wisp_exnref_t;

/* The value type id of exnref in function types (after v128's, within wasm_rt_type_t's range). */
#define WISP_RT_EXNREF 7

/* The value type id of v128 in function types (wasm-rt.h's wasm_rt_type_t has none): the value
 * after WASM_RT_EXTERNREF, so that it is within the enum's range of values (0..7; a larger one
 * held in a wasm_rt_type_t is undefined behaviour, which UBSan reports). */
#define WISP_RT_V128 6

/* One value crossing the boundary (arguments and results of trampolines and host calls). */
typedef union wisp_raw {
  wisp_v128_t v128;
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  wasm_rt_externref_t externref;
  wasm_rt_funcref_t funcref;
} wisp_raw_t;

/* One resolved import of an instance. Function imports: either `code`+`instance` (a wasm
 * function of another instance, called directly) or `host` (a host function, called through
 * the runtime's host_call). Memory, table and global imports: `ptr` to the storage. */
typedef struct wisp_binding {
  wasm_rt_function_ptr_t code;
  void* instance;
  void* host;
  void* ptr;
} wisp_binding_t;

typedef struct wisp_rt_api {
  uint32_t abi_version;
  void (*trap)(wasm_rt_trap_t);
  uint32_t (*register_func_type)(uint32_t params, uint32_t results, const wasm_rt_type_t* types);
  uint32_t (*register_tag)(uint32_t size);
  void (*load_exception)(uint32_t tag, uint32_t size, const void* values);
  void (*throw_exception)(void);
  WASM_RT_UNWIND_TARGET* (*get_unwind_target)(void);
  void (*set_unwind_target)(WASM_RT_UNWIND_TARGET*);
  uint32_t (*exception_tag)(void);
  uint32_t (*exception_size)(void);
  void* (*exception)(void);
  /* A new exnref holding the active exception (see wisp_exnref_t). */
  void* (*capture_exception)(void);
  void (*allocate_memory)(wasm_rt_memory_t*, uint32_t initial, uint32_t max);
  uint32_t (*grow_memory)(wasm_rt_memory_t*, uint32_t delta);
  void (*free_memory)(wasm_rt_memory_t*);
  void (*allocate_funcref_table)(wasm_rt_funcref_table_t*, uint32_t elements, uint32_t max);
  void (*free_funcref_table)(wasm_rt_funcref_table_t*);
  uint32_t (*grow_funcref_table)(wasm_rt_funcref_table_t*, uint32_t delta, wasm_rt_funcref_t init);
  void (*allocate_externref_table)(wasm_rt_externref_table_t*, uint32_t elements, uint32_t max);
  void (*free_externref_table)(wasm_rt_externref_table_t*);
  uint32_t (*grow_externref_table)(wasm_rt_externref_table_t*, uint32_t delta,
                                   wasm_rt_externref_t init);
  /* Calls the host function of `b`; traps (never returns) if it fails. */
  void (*host_call)(wisp_binding_t* b, const wisp_raw_t* args, wisp_raw_t* results);
  /* Threads: memory.atomic.wait32/wait64 on the (aligned, in-bounds) word at `p` of a shared
   * memory, `size` 4 or 8 bytes: 0 woken, 1 not equal to `expected`, 2 timed out (`timeout_ns`
   * < 0: never); traps on the call's interruption. notify wakes up to `count` waiters on `p` and
   * returns how many it woke. */
  uint32_t (*atomic_wait)(void* p, uint64_t expected, int64_t timeout_ns, uint32_t size);
  uint32_t (*atomic_notify)(void* p, uint32_t count);
  /* Exceptions carrying exnrefs: load_exception with the mask of the values that are exnrefs
   * (bit i: value i; a tag with one past value 63 is refused), and the active one's mask. */
  void (*load_exception_refs)(uint32_t tag, uint32_t size, const void* values, uint64_t refs);
  uint64_t (*exception_refs)(void);
  /* exnref globals and table elements (the caller checks bounds): a load keeps the value valid
   * until the thread's outermost call returns; a store (fill: n slots, copy: memmove semantics)
   * counts the new value and releases the old one (traps past the runtime's limit on what
   * slots keep); release nulls n slots (instance teardown). */
  void* (*exnref_load)(void* const* slot);
  void (*exnref_fill)(void** slots, void* value, uint32_t n);
  void (*exnref_copy)(void** dst, void* const* src, uint32_t n);
  void (*exnref_release)(void** slots, size_t n);
} wisp_rt_api_t;

/* The generated instance struct is allocated WISP_VM_HEADER bytes into a block whose first word
 * is the instance's wisp_binding_t array. wabt 1.0.32 builds a funcref to an imported function
 * with module_instance = &instance->Z_w_instance (the field's address, not its value), so the
 * glue passes that same address as the import-module instance and shims find the bindings from
 * it through this header. */
#define WISP_VM_HEADER 16

/* Export kinds, as in the binary format. */
enum {
  WISP_EXPORT_FUNC = 0,
  WISP_EXPORT_TABLE = 1,
  WISP_EXPORT_MEMORY = 2,
  WISP_EXPORT_GLOBAL = 3,
  WISP_EXPORT_TAG = 4
};

typedef void (*wisp_trampoline_t)(wasm_rt_function_ptr_t fn, void* instance, const wisp_raw_t* args,
                                  wisp_raw_t* results);

typedef struct wisp_export_desc {
  uint32_t kind;
  /* Functions: the C entry point `R fn(void* instance, params...)`, and a trampoline that
   * calls any function of this signature with raw arguments. */
  wasm_rt_function_ptr_t fn;
  wisp_trampoline_t trampoline;
  /* Tables, memories, globals: returns a pointer to the storage inside an instance. */
  void* (*get)(void* instance);
} wisp_export_desc_t;

typedef struct wisp_module_desc {
  uint32_t abi_version;
  size_t instance_size;
  void (*bind_runtime)(const wisp_rt_api_t* api);
  void (*init_module)(void);
  /* Runs the generated instantiate (globals, tables + element segments). `bindings` is the
   * instance's wisp_binding_t array (one per import, in import order). */
  void (*instantiate)(void* instance, wisp_binding_t* bindings);
  void (*free_instance)(void* instance);
  uint32_t num_exports;
  const wisp_export_desc_t* exports;
  /* Offsets inside the instance struct of the module's own memories and tables. */
  uint32_t num_memories;
  const size_t* memory_offsets;
  uint32_t num_tables;
  const size_t* table_offsets;
  const uint8_t* table_is_funcref;
  /* Offsets of the pointers to imported memories/tables (in import order among those kinds). */
  uint32_t num_imported_memories;
  const size_t* imported_memory_offsets;
  uint32_t num_imported_tables;
  const size_t* imported_table_offsets;
  /* Snapshots: offsets of the reference-typed globals (they hold pointers that are relocated or
   * re-created per instance), and of the import-instance field (a pointer to itself, or
   * (size_t)-1 when the module imports no function). */
  uint32_t num_funcref_globals;
  const size_t* funcref_global_offsets;
  uint32_t num_externref_globals;
  const size_t* externref_global_offsets;
  size_t import_instance_offset;
  /* Fuel metering (EngineConfig::consume_fuel): offset of the fuel counter, an int64_t the code
   * decrements and traps (unreachable) on when it goes negative; (size_t)-1 without metering. */
  size_t fuel_offset;
  /* Per own memory (as memory_offsets): the offset of the pointer the code reaches it through,
   * or (size_t)-1 when the code uses the wasm_rt_memory_t at memory_offsets directly. A shared
   * memory is reached through a pointer: the generated instantiate points it at the own storage
   * and allocates that, unless the runtime set it before, to the shared memory of another
   * instance of the module (the threads strategy's instances share one); then the own storage
   * stays empty (null data) and free_instance leaves the bound memory alone. */
  const size_t* memory_ptr_offsets;
} wisp_module_desc_t;

#define WISP_DESCRIBE_SYMBOL "wisp_module_describe"
typedef const wisp_module_desc_t* (*wisp_describe_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* WISP_ABI_H_ */
