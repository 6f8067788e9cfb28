// The C of WebAssembly's SIMD and relaxed-SIMD operators: one static inline function per operator
// (wisp_ + its name with '.' as '_'), appended to the prelude of modules that use v128. libtcc
// (tier 0) gets plain loops over the lanes of wisp_v128_t's integer arrays; cc (tier 1, where
// wisp_abi.h defines WISP_HAS_VEC and the compiler is GCC) gets GCC vector code for the common
// operators, with SSE2 builtins on x86-64 where the generic form would be slow. Both tiers give the
// same bits for every input, NaN results aside (any quiet NaN, canonical where the spec asks for
// it). This file: types, constants, lanes, bitwise operators, compares, integer arithmetic;
// c_simd_float_mem.cpp the rest.
#include "compile/emit/c_simd.hpp"

namespace wisp::detail::emit {

const char* const kSimdHelpers =
    // Types, stamps, constants, lanes, bitwise operators, compares.
    R"C(typedef wisp_v128_t v128;
/* SIMD: one static inline function per operator (c_simd.cpp). Relaxed SIMD is deterministic: the
   same on both tiers, each result one of those the proposal allows:
     i8x16.relaxed_swizzle                = i8x16.swizzle (an index >= 16 selects 0)
     i32x4.relaxed_trunc_f32x4_s/_u,
     i32x4.relaxed_trunc_f64x2_s/u_zero   = the trunc_sat operators (NaN is 0, others saturate)
     f32x4/f64x2.relaxed_madd             = a * b + c, not fused (two roundings)
     f32x4/f64x2.relaxed_nmadd            = -(a * b) + c, not fused (two roundings)
     i8x16/i16x8/i32x4/i64x2.relaxed_laneselect = v128.bitselect (every bit of the mask selects)
     f32x4/f64x2.relaxed_min/max          = f32x4/f64x2.min/max (a NaN wins, -0 < +0)
     i16x8.relaxed_q15mulr_s              = i16x8.q15mulr_sat_s (-32768 * -32768 gives 32767)
     i16x8.relaxed_dot_i8x16_i7x16_s      = both operands' bytes signed; each pair of products
                                            summed with 16-bit wrap-around (only -128 * -128
                                            twice wraps, to -32768, the unsigned reading's value)
     i32x4.relaxed_dot_i8x16_i7x16_add_s  = those 16-bit sums sign-extended, added in pairs,
                                            plus c (32-bit wrap-around) */
/* GCC's vector code (clang, also a __GNUC__, has other builtins: it gets the lane loops). */
#if defined(WISP_HAS_VEC) && !defined(__clang__)
#define WISP_SIMD_VEC 1
#endif
#define WISP_L1(name, t, n, e) \
  static inline v128 name(v128 a) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { t x = a.t##x##n[i]; r.t##x##n[i] = (t)(e); } \
    return r; \
  }
#define WISP_L2(name, t, n, e) \
  static inline v128 name(v128 a, v128 b) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { t x = a.t##x##n[i], y = b.t##x##n[i]; r.t##x##n[i] = (t)(e); } \
    return r; \
  }
/* Float lanes (w bits, n lanes) through their bits. */
#define WISP_LF1(name, w, n, e) \
  static inline v128 name(v128 a) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { \
      f##w x = BITS_F##w(a.u##w##x##n[i]); \
      r.u##w##x##n[i] = F##w##_BITS(e); \
    } \
    return r; \
  }
#define WISP_LF2(name, w, n, e) \
  static inline v128 name(v128 a, v128 b) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { \
      f##w x = BITS_F##w(a.u##w##x##n[i]), y = BITS_F##w(b.u##w##x##n[i]); \
      r.u##w##x##n[i] = F##w##_BITS(e); \
    } \
    return r; \
  }
#ifdef WISP_SIMD_VEC
typedef u8 wisp_u8v __attribute__((vector_size(16)));
typedef s8 wisp_s8v __attribute__((vector_size(16)));
typedef u16 wisp_u16v __attribute__((vector_size(16)));
typedef s16 wisp_s16v __attribute__((vector_size(16)));
typedef u32 wisp_u32v __attribute__((vector_size(16)));
typedef s32 wisp_s32v __attribute__((vector_size(16)));
typedef u64 wisp_u64v __attribute__((vector_size(16)));
typedef s64 wisp_s64v __attribute__((vector_size(16)));
typedef f32 wisp_f32v __attribute__((vector_size(16)));
typedef f64 wisp_f64v __attribute__((vector_size(16)));
typedef char wisp_c8v __attribute__((vector_size(16))); /* the SSE builtins' bytes */
#if defined(__SSE2__)
#define WISP_SSE2 1
#endif
/* a's lanes as wisp_<t>v; a vector expression as v128; m ? x : y, lane-wise, for a mask m. */
#define WISP_AS(t, a) ((wisp_##t##v)(a).vec)
#define WISP_VR(e) wisp_vr((wisp_vec_t)(e))
#define WISP_SEL(m, x, y) (((x) & (m)) | ((y) & ~(m)))
static inline v128 wisp_vr(wisp_vec_t x) { v128 r; r.vec = x; return r; }
#define WISP_V1(name, t, e) \
  static inline v128 name(v128 a) { wisp_##t##v x = WISP_AS(t, a); return WISP_VR(e); }
#define WISP_V2(name, t, e) \
  static inline v128 name(v128 a, v128 b) { \
    wisp_##t##v x = WISP_AS(t, a), y = WISP_AS(t, b); \
    return WISP_VR(e); \
  }
/* Operators with a vector form ve for cc and a lane form se for libtcc (x, y: the lanes). */
#define WISP_I1(name, t, n, ve, se) WISP_V1(name, t, ve)
#define WISP_I2(name, t, n, ve, se) WISP_V2(name, t, ve)
#define WISP_F2(name, w, n, ve, se) WISP_V2(name, f##w, ve)
#define WISP_FCMP(name, w, n, op) WISP_V2(name, f##w, x op y)
/* Loads whose value is unused still happen (their trap is the effect), as LD's do. */
#define WISP_KEEPV(v) __asm__("" ::WISP_FREG((v).vec))
#else
#define WISP_I1(name, t, n, ve, se) WISP_L1(name, t, n, se)
#define WISP_I2(name, t, n, ve, se) WISP_L2(name, t, n, se)
#define WISP_F2(name, w, n, ve, se) WISP_LF2(name, w, n, se)
#define WISP_FCMP(name, w, n, op) \
  static inline v128 name(v128 a, v128 b) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) \
      r.u##w##x##n[i] = (u##w)0 - (BITS_F##w(a.u##w##x##n[i]) op BITS_F##w(b.u##w##x##n[i])); \
    return r; \
  }
#define WISP_KEEPV(v) ((void)0)
#endif

#ifdef WISP_SIMD_VEC
/* A vector literal: cc keeps the constant in memory and uses it as an operand. */
static inline v128 wisp_v128_const(u64 lo, u64 hi) { return WISP_VR(((wisp_u64v){lo, hi})); }
/* The same for four equal 32-bit lanes (the emitter's short form: a splat constant). */
static inline v128 wisp_k32x4(u32 x) { return WISP_VR(((wisp_u32v){x, x, x, x})); }
#else
static inline v128 wisp_v128_const(u64 lo, u64 hi) {
  v128 r;
  r.u64x2[0] = lo;
  r.u64x2[1] = hi;
  return r;
}
static inline v128 wisp_k32x4(u32 x) { return wisp_v128_const(x | (u64)x << 32, x | (u64)x << 32); }
#endif
#ifdef WISP_SIMD_VEC
#define WISP_SPLAT(name, T, t, n) \
  static inline v128 name(T x) { return WISP_VR((wisp_##t##v){0} + (t)x); }
#else
#define WISP_SPLAT(name, T, t, n) \
  static inline v128 name(T x) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) r.t##x##n[i] = (t)x; \
    return r; \
  }
#endif
WISP_SPLAT(wisp_i8x16_splat, u32, u8, 16)
WISP_SPLAT(wisp_i16x8_splat, u32, u16, 8)
WISP_SPLAT(wisp_i32x4_splat, u32, u32, 4)
WISP_SPLAT(wisp_i64x2_splat, u64, u64, 2)
static inline v128 wisp_f32x4_splat(f32 x) { return wisp_i32x4_splat(F32_BITS(x)); }
static inline v128 wisp_f64x2_splat(f64 x) { return wisp_i64x2_splat(F64_BITS(x)); }
static inline u32 wisp_i8x16_extract_lane_s(v128 a, int l) { return (u32)(s32)a.s8x16[l]; }
static inline u32 wisp_i8x16_extract_lane_u(v128 a, int l) { return a.u8x16[l]; }
static inline u32 wisp_i16x8_extract_lane_s(v128 a, int l) { return (u32)(s32)a.s16x8[l]; }
static inline u32 wisp_i16x8_extract_lane_u(v128 a, int l) { return a.u16x8[l]; }
static inline u32 wisp_i32x4_extract_lane(v128 a, int l) { return a.u32x4[l]; }
static inline u64 wisp_i64x2_extract_lane(v128 a, int l) { return a.u64x2[l]; }
static inline f32 wisp_f32x4_extract_lane(v128 a, int l) { return BITS_F32(a.u32x4[l]); }
static inline f64 wisp_f64x2_extract_lane(v128 a, int l) { return BITS_F64(a.u64x2[l]); }
static inline v128 wisp_i8x16_replace_lane(v128 a, u32 x, int l) { a.u8x16[l] = (u8)x; return a; }
static inline v128 wisp_i16x8_replace_lane(v128 a, u32 x, int l) { a.u16x8[l] = (u16)x; return a; }
static inline v128 wisp_i32x4_replace_lane(v128 a, u32 x, int l) { a.u32x4[l] = x; return a; }
static inline v128 wisp_i64x2_replace_lane(v128 a, u64 x, int l) { a.u64x2[l] = x; return a; }
static inline v128 wisp_f32x4_replace_lane(v128 a, f32 x, int l) {
  a.u32x4[l] = F32_BITS(x);
  return a;
}
static inline v128 wisp_f64x2_replace_lane(v128 a, f64 x, int l) {
  a.u64x2[l] = F64_BITS(x);
  return a;
}

/* Bitwise. */
WISP_I1(wisp_v128_not, u64, 2, ~x, ~x)
WISP_I2(wisp_v128_and, u64, 2, x & y, x & y)
WISP_I2(wisp_v128_andnot, u64, 2, x & ~y, x & ~y)
WISP_I2(wisp_v128_or, u64, 2, x | y, x | y)
WISP_I2(wisp_v128_xor, u64, 2, x ^ y, x ^ y)
static inline v128 wisp_v128_bitselect(v128 a, v128 b, v128 m) {
#ifdef WISP_SIMD_VEC
  return WISP_VR((a.vec & m.vec) | (b.vec & ~m.vec));
#else
  v128 r;
  r.u64x2[0] = (a.u64x2[0] & m.u64x2[0]) | (b.u64x2[0] & ~m.u64x2[0]);
  r.u64x2[1] = (a.u64x2[1] & m.u64x2[1]) | (b.u64x2[1] & ~m.u64x2[1]);
  return r;
#endif
}
static inline u32 wisp_v128_any_true(v128 a) { return (a.u64x2[0] | a.u64x2[1]) != 0; }

/* Compares: all-ones lanes where true (vector compares give -1, the lane forms negate 1). */
#define WISP_CMP(name, t, n, op) WISP_I2(name, t, n, x op y, -(x op y))
#define WISP_CMPS(p, s, u, n) \
  WISP_CMP(wisp_##p##_eq, u, n, ==) WISP_CMP(wisp_##p##_ne, u, n, !=) \
  WISP_CMP(wisp_##p##_lt_s, s, n, <) WISP_CMP(wisp_##p##_gt_s, s, n, >) \
  WISP_CMP(wisp_##p##_le_s, s, n, <=) WISP_CMP(wisp_##p##_ge_s, s, n, >=)
#define WISP_CMPU(p, u, n) \
  WISP_CMP(wisp_##p##_lt_u, u, n, <) WISP_CMP(wisp_##p##_gt_u, u, n, >) \
  WISP_CMP(wisp_##p##_le_u, u, n, <=) WISP_CMP(wisp_##p##_ge_u, u, n, >=)
WISP_CMPS(i8x16, s8, u8, 16)
WISP_CMPU(i8x16, u8, 16)
WISP_CMPS(i16x8, s16, u16, 8)
WISP_CMPU(i16x8, u16, 8)
WISP_CMPS(i32x4, s32, u32, 4)
WISP_CMPU(i32x4, u32, 4)
WISP_CMPS(i64x2, s64, u64, 2)
#define WISP_FCMPS(p, w, n) \
  WISP_FCMP(wisp_##p##_eq, w, n, ==) WISP_FCMP(wisp_##p##_ne, w, n, !=) \
  WISP_FCMP(wisp_##p##_lt, w, n, <) WISP_FCMP(wisp_##p##_gt, w, n, >) \
  WISP_FCMP(wisp_##p##_le, w, n, <=) WISP_FCMP(wisp_##p##_ge, w, n, >=)
WISP_FCMPS(f32x4, 32, 4)
WISP_FCMPS(f64x2, 64, 2)
)C"
    // Integer arithmetic.
    R"C(
/* Wrapping arithmetic on unsigned lanes (the lane forms compute in int and truncate). */
#define WISP_ADDSUB(p, t, n) \
  WISP_I2(wisp_##p##_add, t, n, x + y, x + y) \
  WISP_I2(wisp_##p##_sub, t, n, x - y, x - y) \
  WISP_I1(wisp_##p##_neg, t, n, -x, -x)
WISP_ADDSUB(i8x16, u8, 16)
WISP_ADDSUB(i16x8, u16, 8)
WISP_ADDSUB(i32x4, u32, 4)
WISP_ADDSUB(i64x2, u64, 2)
WISP_I2(wisp_i16x8_mul, u16, 8, x * y, (u32)x * y)
WISP_I2(wisp_i32x4_mul, u32, 4, x * y, x * y)
WISP_I2(wisp_i64x2_mul, u64, 2, x * y, x * y)
/* abs: (x ^ s) - s with s the sign (all ones or 0); the minimum stays itself. */
#define WISP_ABS(name, w, n) \
  WISP_I1(name, s##w, n, (wisp_u##w##v)(x ^ (x >> (w - 1))) - (wisp_u##w##v)(x >> (w - 1)), \
          x < 0 ? (u##w)0 - (u##w)x : (u##w)x)
WISP_ABS(wisp_i8x16_abs, 8, 16)
WISP_ABS(wisp_i16x8_abs, 16, 8)
WISP_ABS(wisp_i32x4_abs, 32, 4)
WISP_ABS(wisp_i64x2_abs, 64, 2)
#define WISP_MINMAX(p, s, u, n) \
  WISP_I2(wisp_##p##_min_s, s, n, WISP_SEL(x < y, x, y), x < y ? x : y) \
  WISP_I2(wisp_##p##_min_u, u, n, WISP_SEL(x < y, x, y), x < y ? x : y) \
  WISP_I2(wisp_##p##_max_s, s, n, WISP_SEL(x > y, x, y), x > y ? x : y) \
  WISP_I2(wisp_##p##_max_u, u, n, WISP_SEL(x > y, x, y), x > y ? x : y)
WISP_MINMAX(i8x16, s8, u8, 16)
WISP_MINMAX(i16x8, s16, u16, 8)
WISP_MINMAX(i32x4, s32, u32, 4)
/* Shifts: the count modulo the lane width. Bytes on cc: 16-bit shifts, then the bits that came
   from the neighbouring byte masked off (shr_s: sign-extended back by xor and subtract). */
#ifdef WISP_SIMD_VEC
#define WISP_SHIFT(name, t, n, w, op) \
  static inline v128 name(v128 a, u32 s) { return WISP_VR(WISP_AS(t, a) op (int)(s & (w - 1))); }
static inline v128 wisp_i8x16_shl(v128 a, u32 s) {
  s &= 7;
  return WISP_VR((wisp_u8v)(WISP_AS(u16, a) << s) & (u8)(0xff << s));
}
static inline v128 wisp_i8x16_shr_u(v128 a, u32 s) {
  s &= 7;
  return WISP_VR((wisp_u8v)(WISP_AS(u16, a) >> s) & (u8)(0xff >> s));
}
static inline v128 wisp_i8x16_shr_s(v128 a, u32 s) {
  u8 m;
  s &= 7;
  m = (u8)(0x80 >> s);
  return WISP_VR((((wisp_u8v)(WISP_AS(u16, a) >> s) & (u8)(0xff >> s)) ^ m) - m);
}
#else
#define WISP_SHIFT(name, t, n, w, op) \
  static inline v128 name(v128 a, u32 s) { \
    v128 r; int i; \
    s &= w - 1; \
    for (i = 0; i < n; ++i) r.t##x##n[i] = (t)(a.t##x##n[i] op s); \
    return r; \
  }
WISP_SHIFT(wisp_i8x16_shl, u8, 16, 8, <<)
WISP_SHIFT(wisp_i8x16_shr_s, s8, 16, 8, >>)
WISP_SHIFT(wisp_i8x16_shr_u, u8, 16, 8, >>)
#endif
WISP_SHIFT(wisp_i16x8_shl, u16, 8, 16, <<)
WISP_SHIFT(wisp_i16x8_shr_s, s16, 8, 16, >>)
WISP_SHIFT(wisp_i16x8_shr_u, u16, 8, 16, >>)
WISP_SHIFT(wisp_i32x4_shl, u32, 4, 32, <<)
WISP_SHIFT(wisp_i32x4_shr_s, s32, 4, 32, >>)
WISP_SHIFT(wisp_i32x4_shr_u, u32, 4, 32, >>)
WISP_SHIFT(wisp_i64x2_shl, u64, 2, 64, <<)
WISP_SHIFT(wisp_i64x2_shr_s, s64, 2, 64, >>)
WISP_SHIFT(wisp_i64x2_shr_u, u64, 2, 64, >>)
/* Saturating add and subtract, rounding average: SSE2 has them; elsewhere lane by lane. */
#ifdef WISP_SSE2
#define WISP_BUILTIN2(name, t, builtin) \
  static inline v128 name(v128 a, v128 b) { return WISP_VR(builtin(WISP_AS(t, a), WISP_AS(t, b))); }
#else
#define WISP_BUILTIN2(name, t, builtin)
#endif
#define WISP_SATS(p, t, bw) \
  WISP_BUILTIN2(wisp_##p##_add_sat_s, t, __builtin_ia32_padds##bw##128) \
  WISP_BUILTIN2(wisp_##p##_add_sat_u, t, __builtin_ia32_paddus##bw##128) \
  WISP_BUILTIN2(wisp_##p##_sub_sat_s, t, __builtin_ia32_psubs##bw##128) \
  WISP_BUILTIN2(wisp_##p##_sub_sat_u, t, __builtin_ia32_psubus##bw##128) \
  WISP_BUILTIN2(wisp_##p##_avgr_u, t, __builtin_ia32_pavg##bw##128)
#define WISP_SATL(p, s, u, n, lo, hi) \
  WISP_L2(wisp_##p##_add_sat_s, s, n, x + y < lo ? lo : x + y > hi ? hi : x + y) \
  WISP_L2(wisp_##p##_add_sat_u, u, n, x + y > (u)-1 ? (u)-1 : x + y) \
  WISP_L2(wisp_##p##_sub_sat_s, s, n, x - y < lo ? lo : x - y > hi ? hi : x - y) \
  WISP_L2(wisp_##p##_sub_sat_u, u, n, x > y ? x - y : 0) \
  WISP_L2(wisp_##p##_avgr_u, u, n, (x + y + 1) >> 1)
#ifdef WISP_SSE2
WISP_SATS(i8x16, c8, b) /* the byte builtins take char vectors, the word ones short */
WISP_SATS(i16x8, s16, w)
#else
WISP_SATL(i8x16, s8, u8, 16, -128, 127)
WISP_SATL(i16x8, s16, u16, 8, -32768, 32767)
#endif
)C"
    // Integer arithmetic, continued.
    R"C(
/* Q15 multiplication, rounding and saturating: the only overflow is -32768 * -32768. On SSE2,
   from the product's high (pmulhw) and low halves: (p + 0x4000) >> 15 is hi * 2 plus the
   rounded top two bits of lo; the overflow wraps to 0x8000, which no other input gives. */
static inline v128 wisp_i16x8_q15mulr_sat_s(v128 a, v128 b) {
#ifdef WISP_SSE2
  wisp_s16v x = WISP_AS(s16, a), y = WISP_AS(s16, b);
  wisp_u16v hi = (wisp_u16v)__builtin_ia32_pmulhw128(x, y), lo = (wisp_u16v)x * (wisp_u16v)y;
  wisp_u16v r = (hi << 1) + (((lo >> 14) + 1) >> 1);
  return WISP_VR(r ^ (wisp_u16v)(r == 0x8000));
#else
  v128 r;
  int i;
  for (i = 0; i < 8; ++i) {
    s32 p = ((s32)a.s16x8[i] * b.s16x8[i] + 0x4000) >> 15;
    r.s16x8[i] = (s16)(p > 32767 ? 32767 : p);
  }
  return r;
#endif
}
/* dot: adjacent 16-bit products summed, wrapping (only 2 * -32768 * -32768 does). */
static inline v128 wisp_i32x4_dot_i16x8_s(v128 a, v128 b) {
#ifdef WISP_SSE2
  return WISP_VR(__builtin_ia32_pmaddwd128(WISP_AS(s16, a), WISP_AS(s16, b)));
#else
  v128 r;
  int i;
  for (i = 0; i < 4; ++i)
    r.u32x4[i] = (u32)((s32)a.s16x8[2 * i] * b.s16x8[2 * i]) +
                 (u32)((s32)a.s16x8[2 * i + 1] * b.s16x8[2 * i + 1]);
  return r;
#endif
}
/* Pairwise sums of the lanes (of half the width) of a: on cc each wide lane's halves. */
#ifdef WISP_SIMD_VEC
#define WISP_PAIRS(name, t, n, f, N, ve) WISP_V1(name, t, ve)
#else
#define WISP_PAIRS(name, t, n, f, N, ve) \
  static inline v128 name(v128 a) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) r.t##x##n[i] = (t)(a.f##x##N[2 * i] + a.f##x##N[2 * i + 1]); \
    return r; \
  }
#endif
WISP_PAIRS(wisp_i16x8_extadd_pairwise_i8x16_s, s16, 8, s8, 16,
           ((wisp_s16v)((wisp_u16v)x << 8) >> 8) + (x >> 8))
WISP_PAIRS(wisp_i16x8_extadd_pairwise_i8x16_u, u16, 8, u8, 16, (x & 0xff) + (x >> 8))
WISP_PAIRS(wisp_i32x4_extadd_pairwise_i16x8_s, s32, 4, s16, 8,
           ((wisp_s32v)((wisp_u32v)x << 16) >> 16) + (x >> 16))
WISP_PAIRS(wisp_i32x4_extadd_pairwise_i16x8_u, u32, 4, u16, 8, (x & 0xffff) + (x >> 16))
/* Extend the low or high half. cc interleaves the half with itself (signed: the copy is then
   shifted out arithmetically) or with zeros. */
#ifdef WISP_SIMD_VEC
static inline wisp_u8v wisp_zip8(wisp_u8v x, wisp_u8v y, int h) {
  return h ? __builtin_shuffle(x, y, (wisp_u8v){8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14,
                                                30, 15, 31})
           : __builtin_shuffle(x, y, (wisp_u8v){0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22,
                                                7, 23});
}
static inline wisp_u16v wisp_zip16(wisp_u16v x, wisp_u16v y, int h) {
  return h ? __builtin_shuffle(x, y, (wisp_u16v){4, 12, 5, 13, 6, 14, 7, 15})
           : __builtin_shuffle(x, y, (wisp_u16v){0, 8, 1, 9, 2, 10, 3, 11});
}
static inline wisp_u32v wisp_zip32(wisp_u32v x, wisp_u32v y, int h) {
  return h ? __builtin_shuffle(x, y, (wisp_u32v){2, 6, 3, 7})
           : __builtin_shuffle(x, y, (wisp_u32v){0, 4, 1, 5});
}
#define WISP_EXT1(name, w, W, n, N, h, sgn) \
  static inline v128 name(v128 a) { \
    wisp_u##w##v x = WISP_AS(u##w, a); \
    return sgn ? WISP_VR((wisp_s##W##v)wisp_zip##w(x, x, h) >> w) \
               : WISP_VR(wisp_zip##w(x, (wisp_u##w##v){0}, h)); \
  }
#else
#define WISP_EXT1(name, w, W, n, N, h, sgn) \
  static inline v128 name(v128 a) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) \
      r.u##W##x##n[i] = sgn ? (u##W)a.s##w##x##N[i + h * n] : (u##W)a.u##w##x##N[i + h * n]; \
    return r; \
  }
#endif
#define WISP_EXTEND(p, q, w, W, n, N) \
  WISP_EXT1(wisp_##p##_extend_low_##q##_s, w, W, n, N, 0, 1) \
  WISP_EXT1(wisp_##p##_extend_high_##q##_s, w, W, n, N, 1, 1) \
  WISP_EXT1(wisp_##p##_extend_low_##q##_u, w, W, n, N, 0, 0) \
  WISP_EXT1(wisp_##p##_extend_high_##q##_u, w, W, n, N, 1, 0) \
  static inline v128 wisp_##p##_extmul_low_##q##_s(v128 a, v128 b) { \
    return wisp_##p##_mul(wisp_##p##_extend_low_##q##_s(a), wisp_##p##_extend_low_##q##_s(b)); \
  } \
  static inline v128 wisp_##p##_extmul_high_##q##_s(v128 a, v128 b) { \
    return wisp_##p##_mul(wisp_##p##_extend_high_##q##_s(a), wisp_##p##_extend_high_##q##_s(b)); \
  } \
  static inline v128 wisp_##p##_extmul_low_##q##_u(v128 a, v128 b) { \
    return wisp_##p##_mul(wisp_##p##_extend_low_##q##_u(a), wisp_##p##_extend_low_##q##_u(b)); \
  } \
  static inline v128 wisp_##p##_extmul_high_##q##_u(v128 a, v128 b) { \
    return wisp_##p##_mul(wisp_##p##_extend_high_##q##_u(a), wisp_##p##_extend_high_##q##_u(b)); \
  }
WISP_EXTEND(i16x8, i8x16, 8, 16, 8, 16)
WISP_EXTEND(i32x4, i16x8, 16, 32, 4, 8)
WISP_EXTEND(i64x2, i32x4, 32, 64, 2, 4)
/* Narrow: a's lanes then b's, each saturated (signed) to the target's range. SSE2 packs; its
   missing 32-to-unsigned-16 pack is the signed one on lanes biased by -32768 after clamping. */
#ifdef WISP_SSE2
static inline v128 wisp_i8x16_narrow_i16x8_s(v128 a, v128 b) {
  return WISP_VR(__builtin_ia32_packsswb128(WISP_AS(s16, a), WISP_AS(s16, b)));
}
static inline v128 wisp_i8x16_narrow_i16x8_u(v128 a, v128 b) {
  return WISP_VR(__builtin_ia32_packuswb128(WISP_AS(s16, a), WISP_AS(s16, b)));
}
static inline v128 wisp_i16x8_narrow_i32x4_s(v128 a, v128 b) {
  return WISP_VR(__builtin_ia32_packssdw128(WISP_AS(s32, a), WISP_AS(s32, b)));
}
#ifdef __SSE4_1__
static inline v128 wisp_i16x8_narrow_i32x4_u(v128 a, v128 b) {
  return WISP_VR(__builtin_ia32_packusdw128(WISP_AS(s32, a), WISP_AS(s32, b)));
}
#else
static inline wisp_s32v wisp_clamp_u16(wisp_s32v x) {
  return WISP_SEL(x < 0, 0, WISP_SEL(x > 65535, 65535, x)) - 32768;
}
static inline v128 wisp_i16x8_narrow_i32x4_u(v128 a, v128 b) {
  wisp_s32v x = wisp_clamp_u16(WISP_AS(s32, a)), y = wisp_clamp_u16(WISP_AS(s32, b));
  return WISP_VR((wisp_u16v)__builtin_ia32_packssdw128(x, y) ^ 0x8000);
}
#endif
#else
#define WISP_NARROW(name, t, n, f, N, lo, hi) \
  static inline v128 name(v128 a, v128 b) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { \
      s32 x = i < N ? a.f##x##N[i] : b.f##x##N[i - N]; \
      r.t##x##n[i] = (t)(x < lo ? lo : x > hi ? hi : x); \
    } \
    return r; \
  }
WISP_NARROW(wisp_i8x16_narrow_i16x8_s, s8, 16, s16, 8, -128, 127)
WISP_NARROW(wisp_i8x16_narrow_i16x8_u, u8, 16, s16, 8, 0, 255)
WISP_NARROW(wisp_i16x8_narrow_i32x4_s, s16, 8, s32, 4, -32768, 32767)
WISP_NARROW(wisp_i16x8_narrow_i32x4_u, u16, 8, s32, 4, 0, 65535)
#endif
/* popcnt: the classic bit-sliced count, per byte of each half (on cc, both halves at once). */
#define WISP_POPCNT8(x) \
  (x = x - ((x >> 1) & 0x5555555555555555ull), \
   x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull), \
   (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full)
static inline v128 wisp_i8x16_popcnt(v128 a) {
#ifdef WISP_SIMD_VEC
  wisp_vec_t x = a.vec;
  return WISP_VR(WISP_POPCNT8(x));
#else
  u64 x = a.u64x2[0], y = a.u64x2[1];
  return wisp_v128_const(WISP_POPCNT8(x), WISP_POPCNT8(y));
#endif
}
/* all_true: no lane is 0 (cc: compare with 0, then any_true of that). */
#ifdef WISP_SIMD_VEC
#define WISP_ALL_TRUE(name, t, n) \
  static inline u32 name(v128 a) { return !wisp_v128_any_true(WISP_VR(WISP_AS(t, a) == 0)); }
#else
#define WISP_ALL_TRUE(name, t, n) \
  static inline u32 name(v128 a) { \
    int i; \
    for (i = 0; i < n; ++i) \
      if (!a.t##x##n[i]) return 0; \
    return 1; \
  }
#endif
WISP_ALL_TRUE(wisp_i8x16_all_true, u8, 16)
WISP_ALL_TRUE(wisp_i16x8_all_true, u16, 8)
WISP_ALL_TRUE(wisp_i32x4_all_true, u32, 4)
WISP_ALL_TRUE(wisp_i64x2_all_true, u64, 2)
/* bitmask: the lanes' top bits. The top bits of a half's bytes (words) are gathered into its
   top byte (nibble) by one multiplication: the partial products never overlap. */
static inline u32 wisp_i8x16_bitmask(v128 a) {
#ifdef WISP_SSE2
  return (u32)__builtin_ia32_pmovmskb128((wisp_c8v)a.vec);
#else
  u64 lo = ((a.u64x2[0] >> 7) & 0x0101010101010101ull) * 0x0102040810204080ull;
  u64 hi = ((a.u64x2[1] >> 7) & 0x0101010101010101ull) * 0x0102040810204080ull;
  return (u32)(lo >> 56) | (u32)(hi >> 56) << 8;
#endif
}
static inline u32 wisp_i16x8_bitmask(v128 a) {
  u64 lo = ((a.u64x2[0] >> 15) & 0x0001000100010001ull) * 0x1000200040008000ull;
  u64 hi = ((a.u64x2[1] >> 15) & 0x0001000100010001ull) * 0x1000200040008000ull;
  return (u32)(lo >> 60) | (u32)(hi >> 60) << 4;
}
static inline u32 wisp_i32x4_bitmask(v128 a) {
#ifdef WISP_SSE2
  return (u32)__builtin_ia32_movmskps(WISP_AS(f32, a));
#else
  u64 lo = a.u64x2[0], hi = a.u64x2[1];
  return (u32)(((lo >> 31) & 1) | ((lo >> 62) & 2) | ((hi >> 29) & 4) | ((hi >> 60) & 8));
#endif
}
static inline u32 wisp_i64x2_bitmask(v128 a) {
  return (u32)(a.u64x2[0] >> 63) | (u32)(a.u64x2[1] >> 63) << 1;
}
)C";

}  // namespace wisp::detail::emit
