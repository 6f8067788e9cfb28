// The prelude of the emitted C: the fixed helpers every function may use (traps, unaligned memory
// access, bit reinterpretation, integer and float operators with wasm's exact semantics, bulk
// memory and table helpers), then the module's own declarations (multi-value structs, function
// pointer types, the instance struct, prototypes). Every translation unit starts with it.
#include "compile/emit/c_prelude.hpp"

#include <algorithm>
#include <csetjmp>
#include <set>

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_simd.hpp"
#include "compile/emit/glue_text.hpp"

namespace wisp::detail::emit {

namespace {

// What the code needs from the C library, for libtcc: wisp's own declarations instead of the
// system headers. Preprocessing <stdlib.h>, <string.h>, <setjmp.h> and the rest for every unit
// was 5 of the 6 ms a small lazy batch took in libtcc. cc (tier 1) gets the system headers. The
// definitions assume LP64, as the static_assert below checks for the host libtcc compiles for.
const char* const kTccLibc = R"C(typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long int64_t;
typedef unsigned long uint64_t;
typedef long intptr_t;
typedef unsigned long uintptr_t;
typedef unsigned long size_t;
typedef long ptrdiff_t;
#define UINTPTR_MAX 0xffffffffffffffffUL
#define NULL ((void*)0)
#define bool _Bool
#define true 1
#define false 0
#define offsetof(t, m) ((size_t)&((t*)0)->m)
void* memcpy(void*, const void*, size_t);
void* memmove(void*, const void*, size_t);
void* memset(void*, int, size_t);
void* malloc(size_t);
void free(void*);
void abort(void);
)C";

const char* const kSystemHeaders = R"C(#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
)C";

// What the code needs from <math.h>, declared here: that header is half of libtcc's time on a
// small module.
const char* const kMath = R"C(float ceilf(float);
float floorf(float);
float truncf(float);
float nearbyintf(float);
float sqrtf(float);
double ceil(double);
double floor(double);
double trunc(double);
double nearbyint(double);
double sqrt(double);
)C";

const char* const kTypes = R"C(typedef uint8_t u8;
typedef int8_t s8;
typedef uint16_t u16;
typedef int16_t s16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
typedef float f32;
typedef double f64;
#ifdef WISP_SPLIT
#define WISP_FN
#define WISP_SHARED extern
#else
#define WISP_FN static
#define WISP_SHARED static
#endif
#define TRAP(x) wasm_rt_trap(WASM_RT_TRAP_##x)
/* Unaligned access: libtcc dereferences (x86-64 allows it, and tcc would not inline memcpy);
   cc gets types of alignment 1. */
#ifdef __TINYC__
#define WISP_UNALIGNED(t, n) typedef t n;
#else
#define WISP_UNALIGNED(t, n) typedef t __attribute__((aligned(1), may_alias)) n;
#endif
WISP_UNALIGNED(u8, u8u)
WISP_UNALIGNED(s8, s8u)
WISP_UNALIGNED(u16, u16u)
WISP_UNALIGNED(s16, s16u)
WISP_UNALIGNED(u32, u32u)
WISP_UNALIGNED(s32, s32u)
WISP_UNALIGNED(u64, u64u)
WISP_UNALIGNED(f32, f32u)
WISP_UNALIGNED(f64, f64u)
#define ST(t, p, v) (*(t##u*)(p) = (v))
/* Loads: cc must not drop one whose value is unused (its trap is the effect), so the value is
   handed to an empty asm statement (wasm2c does the same). */
#ifdef __TINYC__
#define LD(t, p) (*(const t##u*)(p))
#else
#if defined(__x86_64__)
#define WISP_FREG "x"
#else
#define WISP_FREG "w"
#endif
#define WISP_KEEP_u8 "r"
#define WISP_KEEP_s8 "r"
#define WISP_KEEP_u16 "r"
#define WISP_KEEP_s16 "r"
#define WISP_KEEP_u32 "r"
#define WISP_KEEP_s32 "r"
#define WISP_KEEP_u64 "r"
#define WISP_KEEP_f32 WISP_FREG
#define WISP_KEEP_f64 WISP_FREG
#define LD(t, p) ({ t v_ = *(const t##u*)(p); __asm__("" ::WISP_KEEP_##t(v_)); v_; })
#endif
typedef union { u32 u; f32 f; } wisp_w32;
typedef union { u64 u; f64 f; } wisp_w64;
#define F32_BITS(x) (((wisp_w32){.f = (x)}).u)
#define BITS_F32(x) (((wisp_w32){.u = (x)}).f)
#define F64_BITS(x) (((wisp_w64){.f = (x)}).u)
#define BITS_F64(x) (((wisp_w64){.u = (x)}).f)
/* abs and neg change the sign bit alone, NaNs included: libtcc on the bits (its unary minus
   would quiet a NaN), cc with its own abs and minus (andps, xorps: bit operations). */
#ifdef __TINYC__
#define wisp_fabsf(x) BITS_F32(F32_BITS(x) & 0x7fffffffu)
#define wisp_fnegf(x) BITS_F32(F32_BITS(x) ^ 0x80000000u)
#define wisp_fabs(x) BITS_F64(F64_BITS(x) & 0x7fffffffffffffffull)
#define wisp_fneg(x) BITS_F64(F64_BITS(x) ^ 0x8000000000000000ull)
#else
#define wisp_fabsf(x) __builtin_fabsf(x)
#define wisp_fnegf(x) (-(x))
#define wisp_fabs(x) __builtin_fabs(x)
#define wisp_fneg(x) (-(x))
#endif
static inline u32 wisp_popcnt32(u32 x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0fu;
  return (x * 0x01010101u) >> 24;
}
static inline u64 wisp_popcnt64(u64 x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (x * 0x0101010101010101ull) >> 56;
}
#ifdef __TINYC__
static u32 wisp_clz32(u32 x) {
  u32 n = 0;
  if (!x) return 32;
  if (!(x & 0xffff0000u)) { n += 16; x <<= 16; }
  if (!(x & 0xff000000u)) { n += 8; x <<= 8; }
  if (!(x & 0xf0000000u)) { n += 4; x <<= 4; }
  if (!(x & 0xc0000000u)) { n += 2; x <<= 2; }
  if (!(x & 0x80000000u)) n += 1;
  return n;
}
static u64 wisp_clz64(u64 x) { return (x >> 32) ? wisp_clz32((u32)(x >> 32)) : 32 + wisp_clz32((u32)x); }
static u32 wisp_ctz32(u32 x) { return x ? wisp_popcnt32((x & -x) - 1) : 32; }
static u64 wisp_ctz64(u64 x) { return x ? wisp_popcnt64((x & -x) - 1) : 64; }
#else
static inline u32 wisp_clz32(u32 x) { return x ? (u32)__builtin_clz(x) : 32; }
static inline u64 wisp_clz64(u64 x) { return x ? (u64)__builtin_clzll(x) : 64; }
static inline u32 wisp_ctz32(u32 x) { return x ? (u32)__builtin_ctz(x) : 32; }
static inline u64 wisp_ctz64(u64 x) { return x ? (u64)__builtin_ctzll(x) : 64; }
#endif
static inline u32 wisp_rotl32(u32 x, u32 y) { y &= 31; return (x << y) | (x >> ((32 - y) & 31)); }
static inline u32 wisp_rotr32(u32 x, u32 y) { y &= 31; return (x >> y) | (x << ((32 - y) & 31)); }
static inline u64 wisp_rotl64(u64 x, u64 y) { y &= 63; return (x << y) | (x >> ((64 - y) & 63)); }
static inline u64 wisp_rotr64(u64 x, u64 y) { y &= 63; return (x >> y) | (x << ((64 - y) & 63)); }
static inline u32 wisp_div_s32(u32 a, u32 b) {
  if (b == 0) TRAP(DIV_BY_ZERO);
  if (a == 0x80000000u && b == 0xffffffffu) TRAP(INT_OVERFLOW);
  return (u32)((s32)a / (s32)b);
}
static inline u32 wisp_rem_s32(u32 a, u32 b) {
  if (b == 0) TRAP(DIV_BY_ZERO);
  if (b == 0xffffffffu) return 0;
  return (u32)((s32)a % (s32)b);
}
static inline u32 wisp_div_u32(u32 a, u32 b) { if (b == 0) TRAP(DIV_BY_ZERO); return a / b; }
static inline u32 wisp_rem_u32(u32 a, u32 b) { if (b == 0) TRAP(DIV_BY_ZERO); return a % b; }
static inline u64 wisp_div_s64(u64 a, u64 b) {
  if (b == 0) TRAP(DIV_BY_ZERO);
  if (a == 0x8000000000000000ull && b == 0xffffffffffffffffull) TRAP(INT_OVERFLOW);
  return (u64)((s64)a / (s64)b);
}
static inline u64 wisp_rem_s64(u64 a, u64 b) {
  if (b == 0) TRAP(DIV_BY_ZERO);
  if (b == 0xffffffffffffffffull) return 0;
  return (u64)((s64)a % (s64)b);
}
static inline u64 wisp_div_u64(u64 a, u64 b) { if (b == 0) TRAP(DIV_BY_ZERO); return a / b; }
static inline u64 wisp_rem_u64(u64 a, u64 b) { if (b == 0) TRAP(DIV_BY_ZERO); return a % b; }
/* cc predicts `x != x` as true; the NaN paths are the rare ones. */
#ifdef __TINYC__
#define WISP_UNLIKELY(c) (c)
#else
#define WISP_UNLIKELY(c) __builtin_expect(!!(c), 0)
#endif
/* min/max: a NaN operand gives a NaN (a + b quiets it); -0 is below +0. */
static inline f32 wisp_fminf(f32 a, f32 b) {
  if (WISP_UNLIKELY(a != a || b != b)) return a + b;
  if (a == b) return BITS_F32(F32_BITS(a) | F32_BITS(b));
  return a < b ? a : b;
}
static inline f32 wisp_fmaxf(f32 a, f32 b) {
  if (WISP_UNLIKELY(a != a || b != b)) return a + b;
  if (a == b) return BITS_F32(F32_BITS(a) & F32_BITS(b));
  return a > b ? a : b;
}
static inline f64 wisp_fmin(f64 a, f64 b) {
  if (WISP_UNLIKELY(a != a || b != b)) return a + b;
  if (a == b) return BITS_F64(F64_BITS(a) | F64_BITS(b));
  return a < b ? a : b;
}
static inline f64 wisp_fmax(f64 a, f64 b) {
  if (WISP_UNLIKELY(a != a || b != b)) return a + b;
  if (a == b) return BITS_F64(F64_BITS(a) & F64_BITS(b));
  return a > b ? a : b;
}
/* min/max against a constant k that is not a NaN (the emitter checks; min: k is not -0, max: k
   is not +0): on x86-64 one minss/maxss (k first: when x is a NaN or equal to k the instruction
   returns x, its second operand, so min(-0, +0) is -0 and max(+0, -0) is +0), times 1 to quiet a
   signalling NaN. max(x, +0) (ReLU) adds +0 instead, which also turns max(-0, +0) into +0; no
   other result can be -0 there. No branch: in float-heavy loops the general helper's compares
   compete with the arithmetic for the same ports. */
#if defined(__x86_64__) && !defined(__TINYC__)
static inline f32 wisp_fminf_k(f32 x, f32 k) { __asm__("minss %1, %0" : "+x"(k) : "x"(x)); return k * 1.0f; }
static inline f32 wisp_fmaxf_k(f32 x, f32 k) { __asm__("maxss %1, %0" : "+x"(k) : "x"(x)); return k * 1.0f; }
static inline f64 wisp_fmin_k(f64 x, f64 k) { __asm__("minsd %1, %0" : "+x"(k) : "x"(x)); return k * 1.0; }
static inline f64 wisp_fmax_k(f64 x, f64 k) { __asm__("maxsd %1, %0" : "+x"(k) : "x"(x)); return k * 1.0; }
static inline f32 wisp_fmaxf_z(f32 x, f32 k) { __asm__("maxss %1, %0" : "+x"(k) : "x"(x)); return k + 0.0f; }
static inline f64 wisp_fmax_z(f64 x, f64 k) { __asm__("maxsd %1, %0" : "+x"(k) : "x"(x)); return k + 0.0; }
#else
#define wisp_fminf_k wisp_fminf
#define wisp_fmaxf_k wisp_fmaxf
#define wisp_fmin_k wisp_fmin
#define wisp_fmax_k wisp_fmax
#define wisp_fmaxf_z wisp_fmaxf
#define wisp_fmax_z wisp_fmax
#endif
/* promote/demote: cc would fold (f32)(f64)x into x, keeping a signalling NaN; the conversion
   instructions quiet NaNs, and libtcc keeps them. */
#ifdef __TINYC__
#define wisp_promote(x) ((f64)(x))
#define wisp_demote(x) ((f32)(x))
#else
static inline f64 wisp_promote(f32 x) {
  return x != x ? (f64)BITS_F32(F32_BITS(x) | 0x00400000u) : (f64)x;
}
static inline f32 wisp_demote(f64 x) {
  return x != x ? (f32)BITS_F64(F64_BITS(x) | 0x0008000000000000ull) : (f32)x;
}
#endif
/* Rounding: NaNs come back quiet with their payload. */
static inline f32 wisp_ceilf(f32 x) { return x != x ? x + x : ceilf(x); }
static inline f32 wisp_floorf(f32 x) { return x != x ? x + x : floorf(x); }
static inline f32 wisp_truncf(f32 x) { return x != x ? x + x : truncf(x); }
static inline f32 wisp_nearestf(f32 x) { return x != x ? x + x : nearbyintf(x); }
static inline f32 wisp_sqrtf(f32 x) { return x != x ? x + x : sqrtf(x); }
static inline f64 wisp_ceil(f64 x) { return x != x ? x + x : ceil(x); }
static inline f64 wisp_floor(f64 x) { return x != x ? x + x : floor(x); }
static inline f64 wisp_trunc(f64 x) { return x != x ? x + x : trunc(x); }
static inline f64 wisp_nearest(f64 x) { return x != x ? x + x : nearbyint(x); }
static inline f64 wisp_sqrt(f64 x) { return x != x ? x + x : sqrt(x); }
/* Float to int, trapping: NaN, then the range (bounds exclusive where the limit is not exact). */
#ifdef __TINYC__
#define WISP_COLD
#else
#define WISP_COLD __attribute__((cold, noinline))
#endif
WASM_RT_NO_RETURN WISP_COLD static inline void wisp_trunc_trap(int nan) {
  if (nan) TRAP(INVALID_CONVERSION);
  TRAP(INT_OVERFLOW);
}
#define WISP_TRUNC(name, rt, ft, lo_ok, hi, conv) \
  static inline rt name(ft x) { \
    if (WISP_UNLIKELY(!(lo_ok && x < hi))) wisp_trunc_trap(x != x); \
    return conv; \
  }
#if defined(__x86_64__) && !defined(__TINYC__)
/* x86-64: cvttss2si/cvttsd2si to 64 bits give INT64_MIN for a NaN and for what does not fit, so
   one integer test covers NaN and range of a 32-bit result (two float compares fewer). */
static inline s64 wisp_cvt64_f32(f32 x) { s64 r; __asm__("cvttss2si %1, %0" : "=r"(r) : "x"(x)); return r; }
static inline s64 wisp_cvt64_f64(f64 x) { s64 r; __asm__("cvttsd2si %1, %0" : "=r"(r) : "x"(x)); return r; }
#define WISP_TRUNC32(name, ft, cvt, bad) \
  static inline u32 name(ft x) { \
    s64 r = cvt(x); \
    if (WISP_UNLIKELY(bad)) wisp_trunc_trap(x != x); \
    return (u32)r; \
  }
WISP_TRUNC32(wisp_trunc_s32_f32, f32, wisp_cvt64_f32, (s64)(s32)r != r)
WISP_TRUNC32(wisp_trunc_u32_f32, f32, wisp_cvt64_f32, ((u64)r >> 32) != 0)
WISP_TRUNC32(wisp_trunc_s32_f64, f64, wisp_cvt64_f64, (s64)(s32)r != r)
WISP_TRUNC32(wisp_trunc_u32_f64, f64, wisp_cvt64_f64, ((u64)r >> 32) != 0)
#else
WISP_TRUNC(wisp_trunc_s32_f32, u32, f32, x >= -2147483648.0f, 2147483648.0f, (u32)(s32)x)
WISP_TRUNC(wisp_trunc_u32_f32, u32, f32, x > -1.0f, 4294967296.0f, (u32)(s64)x)
WISP_TRUNC(wisp_trunc_s32_f64, u32, f64, x > -2147483649.0, 2147483648.0, (u32)(s32)x)
WISP_TRUNC(wisp_trunc_u32_f64, u32, f64, x > -1.0, 4294967296.0, (u32)(s64)x)
#endif
WISP_TRUNC(wisp_trunc_s64_f32, u64, f32, x >= -9223372036854775808.0f, 9223372036854775808.0f, (u64)(s64)x)
WISP_TRUNC(wisp_trunc_u64_f32, u64, f32, x > -1.0f, 18446744073709551616.0f, (u64)x)
WISP_TRUNC(wisp_trunc_s64_f64, u64, f64, x >= -9223372036854775808.0, 9223372036854775808.0, (u64)(s64)x)
WISP_TRUNC(wisp_trunc_u64_f64, u64, f64, x > -1.0, 18446744073709551616.0, (u64)x)
/* clang's guarded casts, (int)x: x if |x| < 2^31 (2^63), else the "integer indefinite" -2^31
   (-2^63), NaN included (c_guarded_trunc.cpp): one cvttss2si/cvttsd2si on x86-64. */
#if defined(__x86_64__) && !defined(__TINYC__)
static inline u32 wisp_cvtt_s32_f32(f32 x) { s32 r; __asm__("cvttss2si %1, %0" : "=r"(r) : "x"(x)); return (u32)r; }
static inline u32 wisp_cvtt_s32_f64(f64 x) { s32 r; __asm__("cvttsd2si %1, %0" : "=r"(r) : "x"(x)); return (u32)r; }
static inline u64 wisp_cvtt_s64_f32(f32 x) { s64 r; __asm__("cvttss2si %1, %0" : "=r"(r) : "x"(x)); return (u64)r; }
static inline u64 wisp_cvtt_s64_f64(f64 x) { s64 r; __asm__("cvttsd2si %1, %0" : "=r"(r) : "x"(x)); return (u64)r; }
#else
static inline u32 wisp_cvtt_s32_f32(f32 x) { return wisp_fabsf(x) < 0x1p+31f ? (u32)(s32)x : 0x80000000u; }
static inline u32 wisp_cvtt_s32_f64(f64 x) { return wisp_fabs(x) < 0x1p+31 ? (u32)(s32)x : 0x80000000u; }
static inline u64 wisp_cvtt_s64_f32(f32 x) { return wisp_fabsf(x) < 0x1p+63f ? (u64)(s64)x : 0x8000000000000000ull; }
static inline u64 wisp_cvtt_s64_f64(f64 x) { return wisp_fabs(x) < 0x1p+63 ? (u64)(s64)x : 0x8000000000000000ull; }
#endif
/* Float to int, saturating: NaN is 0, out of range is the nearest limit. */
#define WISP_SAT(name, rt, ft, lo_ok, lo, hi, hi_v, conv) \
  static inline rt name(ft x) { \
    if (x != x) return 0; \
    if (!(lo_ok)) return lo; \
    if (!(x < hi)) return hi_v; \
    return conv; \
  }
WISP_SAT(wisp_sat_s32_f32, u32, f32, x >= -2147483648.0f, 0x80000000u, 2147483648.0f, 0x7fffffffu, (u32)(s32)x)
WISP_SAT(wisp_sat_u32_f32, u32, f32, x > -1.0f, 0, 4294967296.0f, 0xffffffffu, (u32)(s64)x)
WISP_SAT(wisp_sat_s32_f64, u32, f64, x > -2147483649.0, 0x80000000u, 2147483648.0, 0x7fffffffu, (u32)(s32)x)
WISP_SAT(wisp_sat_u32_f64, u32, f64, x > -1.0, 0, 4294967296.0, 0xffffffffu, (u32)(s64)x)
WISP_SAT(wisp_sat_s64_f32, u64, f32, x >= -9223372036854775808.0f, 0x8000000000000000ull, 9223372036854775808.0f, 0x7fffffffffffffffull, (u64)(s64)x)
WISP_SAT(wisp_sat_u64_f32, u64, f32, x > -1.0f, 0, 18446744073709551616.0f, 0xffffffffffffffffull, (u64)x)
WISP_SAT(wisp_sat_s64_f64, u64, f64, x >= -9223372036854775808.0, 0x8000000000000000ull, 9223372036854775808.0, 0x7fffffffffffffffull, (u64)(s64)x)
WISP_SAT(wisp_sat_u64_f64, u64, f64, x > -1.0, 0, 18446744073709551616.0, 0xffffffffffffffffull, (u64)x)
/* Bulk memory (bounds from the page count: `size` cannot hold 4 GiB). */
static inline u64 wisp_msize(const wasm_rt_memory_t* m) { return (u64)m->pages << 16; }
static inline void wisp_mfill(wasm_rt_memory_t* m, u32 d, u32 v, u32 n) {
  if ((u64)d + n > wisp_msize(m)) TRAP(OOB);
  memset(m->data + d, (int)(u8)v, n);
}
static inline void wisp_mcopy(wasm_rt_memory_t* dm, const wasm_rt_memory_t* sm, u32 d, u32 s, u32 n) {
  if ((u64)d + n > wisp_msize(dm) || (u64)s + n > wisp_msize(sm)) TRAP(OOB);
  memmove(dm->data + d, sm->data + s, n);
}
/* memory64: a 64-bit memory has at most 65536 pages (wisp's limit), so an access whose address
   or offset reaches 4 GiB is out of bounds; below that the guard pages catch the rest, as for
   32-bit memories (address + offset < 8 GiB). */
static inline u64 wisp_ea64(u64 a, u64 off) {
  if ((a | off) >> 32) TRAP(OOB);
  return a + off;
}
/* libtcc does not inline: a statement expression instead of the call. */
#ifdef __TINYC__
#define WISP_EA64(a, off) ({ u64 wisp_a_ = (a); if ((wisp_a_ | (off)) >> 32) TRAP(OOB); wisp_a_ + (off); })
#else
#define WISP_EA64(a, off) wisp_ea64(a, off)
#endif
static inline int wisp_out64(const wasm_rt_memory_t* m, u64 at, u64 n) {
  return n > wisp_msize(m) || at > wisp_msize(m) - n;
}
static inline void wisp_mfill64(wasm_rt_memory_t* m, u64 d, u32 v, u64 n) {
  if (wisp_out64(m, d, n)) TRAP(OOB);
  memset(m->data + d, (int)(u8)v, n);
}
static inline void wisp_mcopy64(wasm_rt_memory_t* dm, const wasm_rt_memory_t* sm, u64 d, u64 s, u64 n) {
  if (wisp_out64(dm, d, n) || wisp_out64(sm, s, n)) TRAP(OOB);
  memmove(dm->data + d, sm->data + s, n);
}
static inline u64 wisp_grow64(wasm_rt_memory_t* m, u64 delta) {
  u32 r;
  if (delta > 65536) return ~0ull;
  r = wasm_rt_grow_memory(m, (u32)delta);
  return r == 0xffffffffu ? ~0ull : r;
}
/* Tables. */
static inline const wasm_rt_funcref_t* wisp_ci(const wasm_rt_funcref_table_t* t, u32 i, u32 type) {
  const wasm_rt_funcref_t* f;
  if (i >= t->size) TRAP(CALL_INDIRECT);
  f = &t->data[i];
  if (!f->func || f->func_type != type) TRAP(CALL_INDIRECT);
  return f;
}
#define WISP_TABLE_OPS(k, T, TT) \
  static inline T wisp_tget_##k(const TT* t, u32 i) { \
    if (i >= t->size) TRAP(OOB); \
    return t->data[i]; \
  } \
  static inline void wisp_tset_##k(TT* t, u32 i, T v) { \
    if (i >= t->size) TRAP(OOB); \
    t->data[i] = v; \
  } \
  static inline void wisp_tfill_##k(TT* t, u32 d, T v, u32 n) { \
    u32 i; \
    if ((u64)d + n > t->size) TRAP(OOB); \
    for (i = 0; i < n; ++i) t->data[d + i] = v; \
  } \
  static inline void wisp_tcopy_##k(TT* dt, const TT* st, u32 d, u32 s, u32 n) { \
    if ((u64)d + n > dt->size || (u64)s + n > st->size) TRAP(OOB); \
    memmove(dt->data + d, st->data + s, (size_t)n * sizeof(T)); \
  }
WISP_TABLE_OPS(f, wasm_rt_funcref_t, wasm_rt_funcref_table_t)
WISP_TABLE_OPS(x, wasm_rt_externref_t, wasm_rt_externref_table_t)
)C";

// The C library and runtime declarations every unit starts with (see kTccLibc).
const std::string& c_library_head() {
  static_assert(sizeof(long) == 8 && sizeof(void*) == 8 && sizeof(size_t) == 8,
                "kTccLibc's declarations assume LP64");
  static const std::string head = [] {
    std::string s = "/* Generated by wisp's C emitter. */\n#ifdef __TINYC__\n";
    s += kTccLibc;
    // Only pointers to it cross the ABI (wasm_rt_get/set_unwind_target): the size is the host's.
    s += "typedef struct { long long wisp_jb[" + num((sizeof(std::jmp_buf) + 7) / 8) +
         "]; } jmp_buf[1];\n#else\n";
    s += kSystemHeaders;
    s += "#endif\n";
    s += kWasmRtHeaderText;  // wabt's wasm-rt.h without its #include lines
    s += kMath;
    return s;
  }();
  return head;
}

}  // namespace

std::string instance_struct(const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  std::string s = "typedef struct M {\n";
  if (shape.has_import_env) s += "  void* env; /* at offset 0: points to the instance itself */\n";
  if (shape.consume_fuel) s += "  s64 fuel;\n";
  for (ValType t : kAllCTypes) {
    const CType& c = ctype(t);
    if (shape.num_global_values[c.index])
      s += std::string("  ") + c.c + " " + c.garr + "[" + num(shape.num_global_values[c.index]) +
           "];\n";
  }
  if (shape.num_global_ptrs) s += "  void* gp[" + num(shape.num_global_ptrs) + "];\n";
  for (uint32_t m = 0; m < d.memories.size(); ++m) {
    s += std::string("  wasm_rt_memory_t") + (shape.memory_indirect(m) ? "* m" : " m") + num(m) +
         ";\n";
    if (shape.memory_indirect(m) && !shape.memory_imported(m))
      s += "  wasm_rt_memory_t ms" + num(m) + "; /* own storage of shared memory m" + num(m) +
           " */\n";
  }
  for (uint32_t t = 0; t < d.tables.size(); ++t) {
    s += d.tables[t].elem == ValType::funcref ? "  wasm_rt_funcref_table_t"
                                              : "  wasm_rt_externref_table_t";
    s += (shape.table_imported(t) ? "* t" : " t") + num(t) + ";\n";
  }
  if (!d.tags.empty()) s += "  u32 tg[" + num(d.tags.size()) + "]; /* tag ids (runtime) */\n";
  if (!d.datas.empty()) s += "  u8 dd[" + num(d.datas.size()) + "];\n";
  if (!d.elems.empty()) s += "  u8 ed[" + num(d.elems.size()) + "];\n";
  if (shape.tail_calls) {
    s +=
        "  wisp_raw_t tcbuf[" + num(shape.tc_slots) + "]; /* a tail call's arguments, results */\n";
    s += "  void (*tcnext)(struct M*); /* the tail variant a return_call goes on with */\n";
  }
  if (s.back() == '{' || s.ends_with("{\n")) s += "  u8 unused;\n";
  s += "} M;\n";
  return s;
}

std::string prelude_common(const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  std::string s = c_library_head();
  s += kAbiHeaderText;  // wisp_raw_t (wide calls) and the runtime's ABI
  s += kTypes;
  // v128 and its operators, only where they are used (a few thousand lines for the compiler).
  if (d.features.has(front::Feature::simd) || d.features.has(front::Feature::relaxed_simd)) {
    s += kSimdHelpers;
    s += kSimdFloatMemHelpers;
  }
  if (d.features.has(front::Feature::threads)) s += atomics_helpers();
  // Multi-value result structs (wasm2c's layout, so modules compiled either way agree).
  std::set<std::string> multis;
  for (const front::FuncType& ft : d.types) {
    if (ft.results.size() < 2) continue;
    std::string name = c_multi_name(ft);
    if (!multis.insert(name).second) continue;
    s += name + " {";
    bool floats = false, others = false;
    for (size_t k = 0; k < ft.results.size(); ++k) {
      const CType& t = ctype(ft.results[k]);
      s += std::string(" ") + t.c + " " + t.multi + num(k) + ";";
      (ft.results[k] == ValType::f32 || ft.results[k] == ValType::f64 ? floats : others) = true;
    }
    // A struct of at most 16 bytes that mixes float and integer members is returned in a float
    // and an integer register by cc (x86-64 SysV), but in integer registers by libtcc: tier-0
    // and tier-1 code calling each other (one instance importing another's function) would read
    // garbage. Past 16 bytes both return it through memory.
    if (floats && others) s += " char wisp_returned_in_memory[16];";
    s += " };\n";
  }
  // Function pointer types, by type index: wisp_t3 is `R (*)(void* instance, params...)`.
  for (size_t i = 0; i < d.types.size(); ++i) {
    const front::FuncType& ft = d.types[i];
    s += "typedef " + c_return_type(ft) + " (*wisp_t" + num(i) + ")(void*" + c_params(ft, nullptr) +
         ");\n";
  }
  s += instance_struct(shape);
  if (shape.lazy) s += "extern char wisp_stubs[]; /* lazy tier 0's stubs */\n";
  s += "WISP_SHARED u32 wisp_ft[" + num(d.types.empty() ? 1 : d.types.size()) +
       "]; /* runtime type ids */\n";
  if (!d.tags.empty() || d.features.has(front::Feature::exceptions) ||
      d.features.has(front::Feature::exnref)) {
    // Exceptions (emit_exceptions.cpp): a caught exception, saved for rethrow, holds as many
    // values as the module's largest tag.
    size_t most = 1;
    for (const front::TagType& t : d.tags)
      most = std::max(most, d.types[t.type_index].params.size());
    // refs: which values are exnrefs (the runtime counts the references they hold).
    s += "typedef struct { u32 tag, size; u64 refs; wisp_raw_t v[" + num(most) +
         "]; } wisp_exn_t;\n";
    s += "void wisp_load_exception_refs(u32, u32, const void*, u64);\n"
         "u64 wisp_exception_refs(void);\n"
         "static void wisp_rethrow(u32 tag, u32 size, u64 refs, const void* v, u32 cap) {\n"
         "  if (size > cap) wasm_rt_trap((wasm_rt_trap_t)WISP_TRAP_EXCEPTION_TOO_LARGE);\n"
         "  wisp_load_exception_refs(tag, size, v, refs);\n  wasm_rt_throw();\n}\n"
         "#ifdef __TINYC__\nint _setjmp(void*);\n#endif\n#define WISP_SETJMP(b) _setjmp(b)\n"
         "void* wisp_capture_exception(void);\n"
         "static void wisp_throw_ref(void* p) {\n"
         "  const wisp_exnref_t* e = (const wisp_exnref_t*)p;\n"
         "  if (!e) wasm_rt_trap((wasm_rt_trap_t)WISP_TRAP_NULL_EXNREF);\n"
         "  wisp_load_exception_refs(e->tag, e->size, e + 1, ((const u64*)p)[-1]);\n"
         "  wasm_rt_throw();\n}\n";
  }
  if (d.features.has(front::Feature::exnref)) {
    // exnref globals and tables: every store goes through the runtime, which counts references
    // (runtime/exnref_objects.cpp); a load keeps the value valid for the rest of the call.
    s += R"C(void* wisp_exn_load(void* const* s);
void wisp_exn_fill(void** s, void* v, u32 n);
void wisp_exn_copy(void** d, void* const* s, u32 n);
void wisp_exn_release(void** s, size_t n);
static inline void* wisp_tget_n(const wasm_rt_externref_table_t* t, u32 i) {
  if (i >= t->size) TRAP(OOB);
  return wisp_exn_load((void* const*)&t->data[i]);
}
static inline void wisp_tset_n(wasm_rt_externref_table_t* t, u32 i, void* v) {
  if (i >= t->size) TRAP(OOB);
  wisp_exn_fill((void**)&t->data[i], v, 1);
}
static inline void wisp_tfill_n(wasm_rt_externref_table_t* t, u32 d, void* v, u32 n) {
  if ((u64)d + n > t->size) TRAP(OOB);
  wisp_exn_fill((void**)t->data + d, v, n);
}
static inline void wisp_tcopy_n(wasm_rt_externref_table_t* dt, const wasm_rt_externref_table_t* st, u32 d, u32 s, u32 n) {
  if ((u64)d + n > dt->size || (u64)s + n > st->size) TRAP(OOB);
  wisp_exn_copy((void**)dt->data + d, (void* const*)st->data + s, n);
}
static inline u32 wisp_tgrow_n(wasm_rt_externref_table_t* t, void* v, u32 n) {
  u32 r = wasm_rt_grow_externref_table(t, n, NULL);
  if (r != 0xffffffffu && v) wisp_exn_fill((void**)t->data + r, v, n);
  return r;
}
)C";
  }
  if (shape.consume_fuel) {
    s += "static void wisp_out_of_fuel(M* I, s64 fuel) { I->fuel = fuel; TRAP(UNREACHABLE); }\n"
         "#define FUEL(n) if ((fuel -= (n)) < 0) wisp_out_of_fuel(I, fuel)\n";
  }
  return s;
}

std::string segment_prototypes(const ModuleShape& shape) {
  std::string s;
  if (!shape.decl->datas.empty())
    s += "WISP_FN void wisp_minit(M*, u32, wasm_rt_memory_t*, u32, u32, u32);\n"
         "WISP_FN void wisp_minit64(M*, u32, wasm_rt_memory_t*, u64, u32, u32);\n";
  if (!shape.decl->elems.empty()) s += "WISP_FN void wisp_tinit(M*, u32, void*, u32, u32, u32);\n";
  return s;
}

std::string import_prototype(const ModuleShape& shape, uint32_t f) {
  const front::FuncType& ft = shape.decl->func_type(f);
  return "WISP_FN " + c_return_type(ft) + " wisp_imp" + num(f) + "(void*" + c_params(ft, nullptr) +
         ");\n";
}

std::string prelude(const ModuleShape& shape) {
  const front::ModuleDecl& d = *shape.decl;
  std::string s = prelude_common(shape);
  // Import shims and the module's own functions.
  for (uint32_t f = 0; f < d.num_imported_funcs; ++f) s += import_prototype(shape, f);
  if (!shape.lazy) {  // lazy: the base unit only takes addresses, of the stubs (func_address)
    for (uint32_t f = d.num_imported_funcs; f < d.funcs.size(); ++f)
      s += CEmitter::prototype(shape, f, false) + ";\n";
  }
  if (shape.tail_calls) {
    s += "typedef void (*wisp_tc_t)(M*);\n";
    for (uint32_t f = d.num_imported_funcs; f < d.funcs.size(); ++f)
      s += CEmitter::tail_prototype(f, false) + ";\n";
    // Runs tail variants until one returns without a tail call; its results are in I->tcbuf.
    s += "static void wisp_tc_run(M* I) {\n  wisp_tc_t fn;\n"
         "  while ((fn = I->tcnext) != 0) {\n    I->tcnext = 0;\n    fn(I);\n  }\n}\n";
    // The tail variant of a function of this module (by its address), or 0.
    s += "WISP_FN wisp_tc_t wisp_tc_find(wasm_rt_function_ptr_t f);\n";
  }
  s += segment_prototypes(shape);
  return s;
}

}  // namespace wisp::detail::emit
