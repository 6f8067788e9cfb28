// The C emitter's threads operators (prefix 0xfe): atomic loads, stores, read-modify-write and
// cmpxchg of every width, atomic.fence, memory.atomic.wait32/wait64 and memory.atomic.notify.
// Every access is sequentially consistent and lock-free: cc (tier 1) gets GCC's __atomic
// builtins, libtcc (tier 0, which has none) the same x86-64 instructions as inline assembly
// (lock xadd, xchg, lock cmpxchg, mfence; plain moves for loads, which x86-64 orders with the
// xchg stores). An access first checks that its effective address is a multiple of its size
// (else the "unaligned atomic" trap), then goes through the memory's guard pages like any load.
// Wait and notify call the runtime (wisp_rt->atomic_wait/notify) on a shared memory; on one that
// is not shared, wait traps ("expected shared memory") and notify returns 0, after the same
// alignment and bounds checks (a read of the word).
#include <string>

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_prelude.hpp"

namespace wisp::detail::emit {

using front::Op;
using front::Operator;

namespace {

// The helpers of modules that use threads (prelude_common adds them).
const char* const kAtomicsHelpers = R"C(/* threads (c_atomics.cpp) */
static void wisp_unaligned(void) { wasm_rt_trap((wasm_rt_trap_t)WISP_TRAP_UNALIGNED_ATOMIC); }
static inline u8* wisp_aea(u8* b, u64 ea, u64 mask) {
  if (ea & mask) wisp_unaligned();
  return b + ea;
}
static inline u8* wisp_aea64(u8* b, u64 a, u64 off, u64 mask) {
  if ((a + off) & mask) wisp_unaligned();
  if ((a | off) >> 32) TRAP(OOB);
  return b + a + off;
}
#ifdef __TINYC__
#ifndef __x86_64__
#error "wisp's tier-0 atomics are x86-64 assembly"
#endif
#define WISP_ALD(n, t) static inline t wisp_ald##n(u8* p) { return *(volatile t*)p; }
#define WISP_AXCHG(n, t, s, r) static inline t wisp_axchg##n(u8* p, t v) { \
  __asm__ __volatile__("xchg" s " %0, %1" : "+" r(v), "+m"(*(t*)p) :: "memory"); return v; }
#define WISP_AADD(n, t, s, r) static inline t wisp_aadd##n(u8* p, t v) { \
  __asm__ __volatile__("lock xadd" s " %0, %1" : "+" r(v), "+m"(*(t*)p) :: "memory"); return v; }
#define WISP_ACAS(n, t, s, r) static inline t wisp_acas##n(u8* p, t e, t v) { \
  __asm__ __volatile__("lock cmpxchg" s " %2, %1" : "+a"(e), "+m"(*(t*)p) : r(v) : "memory"); \
  return e; }
#define WISP_ARMW(n, t, name, op) static inline t wisp_a##name##n(u8* p, t v) { \
  t old = *(volatile t*)p, seen; \
  while ((seen = wisp_acas##n(p, old, (t)(old op v))) != old) old = seen; \
  return old; }
#define WISP_ATOMICS(n, t, s, r) WISP_ALD(n, t) WISP_AXCHG(n, t, s, r) WISP_AADD(n, t, s, r) \
  WISP_ACAS(n, t, s, r) WISP_ARMW(n, t, and, &) WISP_ARMW(n, t, or, |) WISP_ARMW(n, t, xor, ^) \
  static inline t wisp_asub##n(u8* p, t v) { return wisp_aadd##n(p, (t)(0 - v)); } \
  static inline void wisp_ast##n(u8* p, t v) { wisp_axchg##n(p, v); }
static inline void wisp_afence(void) { __asm__ __volatile__("mfence" ::: "memory"); }
WISP_ATOMICS(8, u8, "b", "q")
WISP_ATOMICS(16, u16, "w", "r")
WISP_ATOMICS(32, u32, "l", "r")
WISP_ATOMICS(64, u64, "q", "r")
#else
#define WISP_S __ATOMIC_SEQ_CST
#define WISP_ARMW(n, t, name) static inline t wisp_a##name##n(u8* p, t v) { \
  return __atomic_fetch_##name((t*)p, v, WISP_S); }
#define WISP_ATOMICS(n, t) \
  static inline t wisp_ald##n(u8* p) { return __atomic_load_n((t*)p, WISP_S); } \
  static inline void wisp_ast##n(u8* p, t v) { __atomic_store_n((t*)p, v, WISP_S); } \
  static inline t wisp_axchg##n(u8* p, t v) { return __atomic_exchange_n((t*)p, v, WISP_S); } \
  static inline t wisp_acas##n(u8* p, t e, t v) { \
    __atomic_compare_exchange_n((t*)p, &e, v, 0, WISP_S, WISP_S); return e; } \
  WISP_ARMW(n, t, add) WISP_ARMW(n, t, sub) WISP_ARMW(n, t, and) WISP_ARMW(n, t, or) \
  WISP_ARMW(n, t, xor)
static inline void wisp_afence(void) { __atomic_thread_fence(WISP_S); }
WISP_ATOMICS(8, u8)
WISP_ATOMICS(16, u16)
WISP_ATOMICS(32, u32)
WISP_ATOMICS(64, u64)
#endif
uint32_t wisp_atomic_wait(void* p, uint64_t expected, int64_t timeout_ns, uint32_t size);
uint32_t wisp_atomic_notify(void* p, uint32_t count);
static u32 wisp_await32(u8* p, u32 e, s64 t) { wisp_ald32(p); return wisp_atomic_wait(p, e, t, 4); }
static u32 wisp_await64(u8* p, u64 e, s64 t) { wisp_ald64(p); return wisp_atomic_wait(p, e, t, 8); }
static u32 wisp_await_unshared(u8* p, u32 size) {
  if (size == 8) wisp_ald64(p); else wisp_ald32(p);
  wasm_rt_trap((wasm_rt_trap_t)WISP_TRAP_EXPECTED_SHARED);
  return 0;
}
static u32 wisp_anotify(u8* p, u32 n) { wisp_ald32(p); return wisp_atomic_notify(p, n); }
static u32 wisp_anotify_unshared(u8* p) { wisp_ald32(p); return 0; }
)C";

// The helper's operation for an access or read-modify-write sub-opcode; "" if none.
const char* rmw_name(uint32_t sub) {
  if (sub >= 0x10 && sub <= 0x16) return "ld";
  if (sub >= 0x17 && sub <= 0x1d) return "st";
  static const char* const kRmw[] = {"add", "sub", "and", "or", "xor", "xchg", "cas"};
  if (sub >= 0x1e && sub <= 0x4e) return kRmw[(sub - 0x1e) / 7];
  return "";
}

}  // namespace

const char* atomics_helpers() {
  return kAtomicsHelpers;
}

bool CEmitter::atomic_op(const Operator& op) {
  if ((op.code >> 16) != 0xfe) return false;
  const uint32_t sub = op.code & 0xffff;
  if (op.code == Op::AtomicFence) {
    settle();
    body_ += "wisp_afence();\n";
    return true;
  }
  // Operands: the address, then the values; the signature's letters before '>'.
  const char* sig = op.info->sig;
  uint32_t nargs = 0;
  while (sig[nargs] != '>') ++nargs;
  const char result = sig[nargs + 1];
  const uint32_t bytes = op.info->bytes;
  const uint32_t addr_h = n_ - nargs;
  std::string ptr;
  const std::string mask = std::to_string(bytes - 1) + "u";
  if (decl_.memories[op.index].limits.is64) {
    ptr = "wisp_aea64(" + mem_base(op.index) + ", " + text(addr_h) + ", " + num(op.value) +
          "ull, " + mask + ")";
  } else {
    ptr = "wisp_aea(" + mem_base(op.index) + ", (u64)(" + text(addr_h) + ") + " + num(op.value) +
          "ull, " + mask + ")";
  }
  std::string args;
  for (uint32_t h = addr_h + 1; h < n_; ++h) args += ", " + text(h);
  pop(nargs);
  const bool shared = decl_.memories[op.index].limits.shared;
  std::string call;
  if (op.code == Op::MemoryAtomicNotify) {
    call = shared ? "wisp_anotify(" + ptr + args + ")" : "wisp_anotify_unshared(" + ptr + ")";
  } else if (op.code == Op::MemoryAtomicWait32 || op.code == Op::MemoryAtomicWait64) {
    const char* w = op.code == Op::MemoryAtomicWait32 ? "32(" : "64(";
    call = shared ? "wisp_await" + std::string(w) + ptr + args + ")"
                  : "wisp_await_unshared(" + ptr + ", " + num(bytes) + "u)";
  } else {
    const char* name = rmw_name(sub);
    if (!*name) return false;
    call = std::string("wisp_a") + name + std::to_string(bytes * 8) + "(" + ptr + args + ")";
  }
  if (result == '\0') {
    settle();
    body_ += call + ";\n";
  } else if (result == 'i') {
    push_stmt(ValType::i32, "(u32)" + call);
  } else {
    push_stmt(ValType::i64, "(u64)" + call);
  }
  return true;
}

}  // namespace wisp::detail::emit
