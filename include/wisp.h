/* wisp.h — wisp's additions to the standard C API (wasm.h): engine settings, limits, snapshot
 * reset, interrupts and fuel for instances, WASI, and the sharing strategies with their leases.
 * Everything here works on the objects of wasm.h. Errors come back as traps (wasm_trap_t, with a
 * message) or as NULL / false, as in wasm.h. */
#ifndef WISP_H
#define WISP_H

#include "wasm.h"

#define own

#ifdef __cplusplus
extern "C" {
#endif

/* The value kind of v128 (SIMD) in the types of wasm.h (wasm_valtype_kind of a v128 parameter,
 * result or global). wasm_val_t cannot hold 16 bytes: wasm_func_call of a function that takes or
 * returns a v128 fails with a trap naming the type, wasm_global_set of a v128 global fails, and
 * wasm_global_get of one gives only its low 64 bits (of.i64, kind WISP_V128). The C++ API
 * (wisp::Value::v128) carries whole v128 values. */
#define WISP_V128 ((wasm_valkind_t)4)

/* ---- engine settings (before wasm_engine_new_with_config) ----------------------------------- */

/* Build tier 1 (cc -O2, in the background, cached) at all; default true. Without it every
 * instance runs tier 0 (libtcc). */
WASM_API_EXTERN void wisp_config_set_tier1(wasm_config_t*, bool enable);
/* Fuel metering (default false): instances then count executed instructions and trap when their
 * fuel (wisp_limits_t.fuel, wisp_instance_set_fuel) is used up. */
WASM_API_EXTERN void wisp_config_consume_fuel(wasm_config_t*, bool enable);

/* Waits until the module's tier 1 is ready (instances made after it run it). False if tier 1 is
 * off or failed, or if `timeout_ms` passed first. */
WASM_API_EXTERN bool wisp_module_wait_tier1(const wasm_module_t*, uint64_t timeout_ms);

/* ---- limits (per store: applied to the instances wasm_instance_new makes after the call) ------
 */

typedef struct wisp_limits_t {
  uint32_t max_memory_pages;   /* linear memory growth stops here (default 65536) */
  uint32_t max_table_elements; /* default 10,000,000 */
  uint64_t call_timeout_ms;    /* a call running longer traps (0: none, the default) */
  uint64_t fuel;               /* with wisp_config_consume_fuel: fuel at instantiation */
} wisp_limits_t;
WASM_API_EXTERN void wisp_limits_default(wisp_limits_t* out);
WASM_API_EXTERN void wisp_store_set_limits(wasm_store_t*, const wisp_limits_t*);

/* ---- instances ---------------------------------------------------------------------------- */

/* Restores the instance to the state it had right after instantiation (memory, globals, tables)
 * from a snapshot: cost grows with the pages written since, not with the memory's size. NULL on
 * success, else a trap saying why not (for example: the module imports a memory, table or
 * mutable global, whose state lives outside the instance). */
WASM_API_EXTERN own wasm_trap_t* wisp_instance_reset(wasm_instance_t*);
/* Ends the call running on the instance now (it returns a trap). Safe from any thread. */
WASM_API_EXTERN bool wisp_instance_interrupt(const wasm_instance_t*);
WASM_API_EXTERN void wisp_instance_set_fuel(wasm_instance_t*, uint64_t fuel);
WASM_API_EXTERN uint64_t wisp_instance_fuel_remaining(const wasm_instance_t*);

/* ---- WASI preview 1 ----------------------------------------------------------------------- */

typedef struct wisp_wasi_config_t wisp_wasi_config_t;
WASM_API_EXTERN own wisp_wasi_config_t* wisp_wasi_config_new(void);
WASM_API_EXTERN void wisp_wasi_config_delete(own wisp_wasi_config_t*);
/* argv, argv[0] included, one at a time. */
WASM_API_EXTERN void wisp_wasi_config_arg(wisp_wasi_config_t*, const char* arg);
WASM_API_EXTERN void wisp_wasi_config_env(wisp_wasi_config_t*, const char* key, const char* value);
/* Gives the guest the host directory `host_path` as `guest_path`; nothing else is reachable. */
WASM_API_EXTERN void wisp_wasi_config_preopen_dir(wisp_wasi_config_t*, const char* host_path,
                                                  const char* guest_path, bool read_only);
/* stdin reads these bytes, and stdout and stderr are kept in memory (wisp_wasi_stdout / stderr)
 * instead of going to the process's own descriptors. */
WASM_API_EXTERN void wisp_wasi_config_capture_stdio(wisp_wasi_config_t*, const byte_t* stdin_data,
                                                    size_t stdin_size);

/* Instantiates a module whose imports from "wasi_snapshot_preview1" are served by WASI with
 * `config`; its other imports come from `imports`, in the module's order of those imports. */
WASM_API_EXTERN own wasm_instance_t* wisp_instance_new_wasi(wasm_store_t*, const wasm_module_t*,
                                                            const wisp_wasi_config_t* config,
                                                            const wasm_extern_vec_t* imports,
                                                            own wasm_trap_t** trap);
/* Runs the command's `_start`: its exit code (0 when it returns), or -1 with `*trap` set. */
WASM_API_EXTERN int wisp_wasi_run(wasm_instance_t*, own wasm_trap_t** trap);
/* What the guest wrote, with wisp_wasi_config_capture_stdio (empty otherwise). */
WASM_API_EXTERN void wisp_wasi_stdout(const wasm_instance_t*, own wasm_byte_vec_t* out);
WASM_API_EXTERN void wisp_wasi_stderr(const wasm_instance_t*, own wasm_byte_vec_t* out);

/* ---- sharing strategies and leases ------------------------------------------------------------
 */

typedef uint8_t wisp_strategy_kind_t;
enum wisp_strategy_kind_enum {
  WISP_STRATEGY_FRESH,      /* a new instance per lease (from the snapshot: microseconds) */
  WISP_STRATEGY_SHARED,     /* one instance, one lease at a time; state carries over */
  WISP_STRATEGY_POOL,       /* up to max_instances, reset (or kept) between leases */
  WISP_STRATEGY_PER_THREAD, /* one instance per calling thread */
  WISP_STRATEGY_CONTEXTS,   /* isolated contexts inside one instance */
  WISP_STRATEGY_THREADS,    /* N instances over the shared memory the module imports, at once */
};
typedef uint8_t wisp_release_action_t;
enum wisp_release_action_enum {
  WISP_RELEASE_DEFAULT, /* the strategy's own default */
  WISP_RELEASE_KEEP,    /* state carries over to the next lease */
  WISP_RELEASE_RESET,   /* the snapshot is restored */
  WISP_RELEASE_RECYCLE, /* the instance is dropped and a new one made when needed */
};
typedef struct wisp_policy_t {
  uint32_t max_instances; /* pool: 0 = 2 x hardware threads; fresh: concurrent leases (0: any) */
  uint32_t min_warm;      /* pool: instances made up front */
  wisp_release_action_t on_release;
  uint64_t recycle_after_uses; /* 0: never */
} wisp_policy_t;

/* A strategy serves instances of one module, made from a snapshot; thread-safe: lease from any
 * thread. The module may import only WASI (given `wasi`, NULL for none) and, for
 * WISP_STRATEGY_THREADS, the shared memory every instance works on (made here). */
typedef struct wisp_strategy_t wisp_strategy_t;
typedef struct wisp_lease_t wisp_lease_t;
WASM_API_EXTERN own wisp_strategy_t* wisp_strategy_new(const wasm_module_t*,
                                                       wisp_strategy_kind_t kind,
                                                       const wisp_policy_t* policy /* or NULL */,
                                                       const wisp_wasi_config_t* wasi /* or NULL */,
                                                       const wisp_limits_t* limits /* or NULL */,
                                                       own wasm_trap_t** error);
WASM_API_EXTERN void wisp_strategy_delete(own wisp_strategy_t*);
/* Waits at most `timeout_ms` for an instance; NULL with `*error` set when none came. */
WASM_API_EXTERN own wisp_lease_t* wisp_strategy_acquire(wisp_strategy_t*, uint64_t timeout_ms,
                                                        own wasm_trap_t** error);
/* Calls an export of the leased instance; numeric arguments and results only. */
WASM_API_EXTERN own wasm_trap_t* wisp_lease_call(wisp_lease_t*, const char* export_name,
                                                 const wasm_val_vec_t* args,
                                                 wasm_val_vec_t* results);
/* Gives the instance back (as the policy says) and frees the lease. */
WASM_API_EXTERN void wisp_lease_release(own wisp_lease_t*);
/* Gives it back to be dropped, whatever the policy (its state is not to be trusted). */
WASM_API_EXTERN void wisp_lease_discard(own wisp_lease_t*);

typedef struct wisp_strategy_stats_t {
  uint64_t leases;   /* leases handed out */
  uint64_t creates;  /* instances made */
  uint64_t resets;   /* snapshot resets between leases */
  uint64_t discards; /* instances dropped (trapped, recycled, ...) */
  uint64_t live;     /* instances alive now */
} wisp_strategy_stats_t;
WASM_API_EXTERN void wisp_strategy_stats(const wisp_strategy_t*, wisp_strategy_stats_t* out);

#ifdef __cplusplus
}
#endif

#undef own

#endif /* WISP_H */
