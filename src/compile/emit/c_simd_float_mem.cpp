// The C of WebAssembly's SIMD operators, second part (see c_simd.cpp for the scheme): shuffles,
// floating point (arithmetic, min/max, rounding, compares), conversions, memory accesses and
// relaxed SIMD. Appended to the prelude after kSimdHelpers, whose definitions it uses.
#include "compile/emit/c_simd.hpp"

namespace wisp::detail::emit {

const char* const kSimdFloatMemHelpers =
    // Shuffles, floating point, conversions.
    R"C(
/* shuffle: lane indices 0..31 (16..31 pick from b), packed little-endian in lo and hi, always
   constants: cc inlines this to see a constant shuffle. */
#ifdef WISP_SIMD_VEC
static inline __attribute__((always_inline)) v128 wisp_i8x16_shuffle(v128 a, v128 b, u64 lo,
                                                                     u64 hi) {
  wisp_vec_t m = {lo, hi};
  return WISP_VR(__builtin_shuffle(WISP_AS(u8, a), WISP_AS(u8, b), (wisp_u8v)m));
}
#else
static inline v128 wisp_i8x16_shuffle(v128 a, v128 b, u64 lo, u64 hi) {
  v128 r;
  int i;
  for (i = 0; i < 16; ++i) {
    u32 k = (u32)((i < 8 ? lo >> 8 * i : hi >> 8 * (i - 8)) & 31);
    r.u8x16[i] = k < 16 ? a.u8x16[k] : b.u8x16[k - 16];
  }
  return r;
}
#endif
/* swizzle: an index of 16 or more selects 0. SSSE3's pshufb gives 0 for an index with its top
   bit set: a saturating add of 112 sets it for 16..255 and keeps the low 4 bits of 0..15. */
static inline v128 wisp_i8x16_swizzle(v128 a, v128 s) {
#if defined(WISP_SSE2) && defined(__SSSE3__)
  wisp_c8v k = __builtin_ia32_paddusb128((wisp_c8v)s.vec, (wisp_c8v){0} + 112);
  return WISP_VR(__builtin_ia32_pshufb128((wisp_c8v)a.vec, k));
#else
  v128 r;
  int i;
  for (i = 0; i < 16; ++i) r.u8x16[i] = s.u8x16[i] < 16 ? a.u8x16[s.u8x16[i]] : 0;
  return r;
#endif
}

/* Float arithmetic. NaN results are quiet (x86 gives the first NaN operand, quieted). */
#define WISP_FARITH(p, w, n) \
  WISP_F2(wisp_##p##_add, w, n, x + y, x + y) \
  WISP_F2(wisp_##p##_sub, w, n, x - y, x - y) \
  WISP_F2(wisp_##p##_mul, w, n, x * y, x * y) \
  WISP_F2(wisp_##p##_div, w, n, x / y, x / y)
WISP_FARITH(f32x4, 32, 4)
WISP_FARITH(f64x2, 64, 2)
/* abs, neg: the sign bit only (a NaN keeps its payload). */
WISP_I1(wisp_f32x4_abs, u32, 4, x & 0x7fffffffu, x & 0x7fffffffu)
WISP_I1(wisp_f32x4_neg, u32, 4, x ^ 0x80000000u, x ^ 0x80000000u)
WISP_I1(wisp_f64x2_abs, u64, 2, x & 0x7fffffffffffffffull, x & 0x7fffffffffffffffull)
WISP_I1(wisp_f64x2_neg, u64, 2, x ^ 0x8000000000000000ull, x ^ 0x8000000000000000ull)
#ifdef WISP_SSE2
static inline v128 wisp_f32x4_sqrt(v128 a) {
  return WISP_VR(__builtin_ia32_sqrtps(WISP_AS(f32, a)));
}
static inline v128 wisp_f64x2_sqrt(v128 a) {
  return WISP_VR(__builtin_ia32_sqrtpd(WISP_AS(f64, a)));
}
#else
WISP_LF1(wisp_f32x4_sqrt, 32, 4, wisp_sqrtf(x))
WISP_LF1(wisp_f64x2_sqrt, 64, 2, wisp_sqrt(x))
#endif
/* Rounding: SSE4.1's roundps/roundpd (mode | 8: no precision exception), else the scalar
   helpers (NaNs come back quiet either way). */
#if defined(WISP_SSE2) && defined(__SSE4_1__)
#define WISP_ROUND(name, w, n, helper, builtin, mode) \
  static inline v128 name(v128 a) { return WISP_VR(builtin(WISP_AS(f##w, a), mode | 8)); }
#else
#define WISP_ROUND(name, w, n, helper, builtin, mode) WISP_LF1(name, w, n, helper(x))
#endif
WISP_ROUND(wisp_f32x4_ceil, 32, 4, wisp_ceilf, __builtin_ia32_roundps, 2)
WISP_ROUND(wisp_f32x4_floor, 32, 4, wisp_floorf, __builtin_ia32_roundps, 1)
WISP_ROUND(wisp_f32x4_trunc, 32, 4, wisp_truncf, __builtin_ia32_roundps, 3)
WISP_ROUND(wisp_f32x4_nearest, 32, 4, wisp_nearestf, __builtin_ia32_roundps, 0)
WISP_ROUND(wisp_f64x2_ceil, 64, 2, wisp_ceil, __builtin_ia32_roundpd, 2)
WISP_ROUND(wisp_f64x2_floor, 64, 2, wisp_floor, __builtin_ia32_roundpd, 1)
WISP_ROUND(wisp_f64x2_trunc, 64, 2, wisp_trunc, __builtin_ia32_roundpd, 3)
WISP_ROUND(wisp_f64x2_nearest, 64, 2, wisp_nearest, __builtin_ia32_roundpd, 0)
)C"
    R"C(
/* min/max: a NaN operand gives a NaN (x + y, quiet), -0 is below +0 (equal lanes: the bits
   or-ed for min, and-ed for max). pmin/pmax: b < a ? b : a and a < b ? b : a, bits unchanged. */
#ifdef WISP_SIMD_VEC
#define WISP_FMINMAX(name, w, op, eqop) \
  static inline v128 name(v128 a, v128 b) { \
    wisp_f##w##v x = WISP_AS(f##w, a), y = WISP_AS(f##w, b); \
    wisp_s##w##v xi = (wisp_s##w##v)x, yi = (wisp_s##w##v)y, ni = (wisp_s##w##v)(x + y); \
    wisp_s##w##v xw = x op y, yw = y op x, eq = x == y, un = ~(xw | yw | eq); \
    return WISP_VR((xw & xi) | (yw & yi) | (eq & (xi eqop yi)) | (un & ni)); \
  }
#define WISP_PMINMAX(name, w, n, c) \
  static inline v128 name(v128 a, v128 b) { \
    wisp_f##w##v x = WISP_AS(f##w, a), y = WISP_AS(f##w, b); \
    return WISP_VR(WISP_SEL(c, WISP_AS(s##w, b), WISP_AS(s##w, a))); \
  }
#ifdef WISP_SSE2
/* x86: minps/maxps both ways (each returns its second operand on a NaN or equal lanes), the two
   or-ed (min: -0 wins) or and-ed (max: +0 wins); lanes where either operand is a NaN give the
   canonical NaN. Six instructions instead of the generic form's fifteen. When b is a constant
   (GCC folds the tests), one minps/maxps with b first can do, since it returns a when a lane of
   either is a NaN or the two are equal: for min when b has no NaN and no -0 lane (a clamp:
   min(v, 255.0); min(-0, +0) is a, -0), for max when b has no NaN and no +0 lane; its result
   times 1 quiets a signalling NaN (the result's NaN is a's, made quiet: canonical when a's was).
   max(v, +0.0) in every lane (ReLU) adds +0 instead, which also makes max(-0, +0) +0: no other
   lane can be -0 there. */
#define WISP_KNOWN(y, n, ok) wisp_known_##n(y, ok)
/* Whether every lane of y is a compile-time constant that is not a NaN and whose kind `ok`
   accepts: 0 no zero of sign bit 1 (min), 1 no zero of sign bit 0 (max), 2 only +0 (ReLU). */
#define WISP_LANE_OK(v, ok) \
  (__builtin_constant_p(v) && (v) == (v) && \
   ((ok) == 2 ? (v) == 0 && !__builtin_signbit(v) \
              : (v) != 0 || !!__builtin_signbit(v) == ((ok) == 1)))
static inline __attribute__((always_inline)) int wisp_known_4(wisp_f32v y, int ok) {
  return WISP_LANE_OK(y[0], ok) && WISP_LANE_OK(y[1], ok) && WISP_LANE_OK(y[2], ok) &&
         WISP_LANE_OK(y[3], ok);
}
static inline __attribute__((always_inline)) int wisp_known_2(wisp_f64v y, int ok) {
  return WISP_LANE_OK(y[0], ok) && WISP_LANE_OK(y[1], ok);
}
#define WISP_FMINMAX_SSE(name, w, n, ps, eqop, qnan, kind) \
  static inline __attribute__((always_inline)) v128 name(v128 a, v128 b) { \
    wisp_f##w##v x = WISP_AS(f##w, a), y = WISP_AS(f##w, b); \
    if (kind == 1 && WISP_KNOWN(y, n, 2)) return WISP_VR(ps(y, x) + (f##w)0); \
    if (WISP_KNOWN(y, n, kind)) return WISP_VR(ps(y, x) * (f##w)1); \
    wisp_s##w##v m = (wisp_s##w##v)ps(x, y) eqop(wisp_s##w##v) ps(y, x); \
    wisp_s##w##v u = (x != x) | (y != y); \
    return WISP_VR((m & ~u) | (u & (s##w)qnan)); \
  }
WISP_FMINMAX_SSE(wisp_f32x4_min, 32, 4, __builtin_ia32_minps, |, 0x7fc00000, 0)
WISP_FMINMAX_SSE(wisp_f32x4_max, 32, 4, __builtin_ia32_maxps, &, 0x7fc00000, 1)
WISP_FMINMAX_SSE(wisp_f64x2_min, 64, 2, __builtin_ia32_minpd, |, 0x7ff8000000000000ll, 0)
WISP_FMINMAX_SSE(wisp_f64x2_max, 64, 2, __builtin_ia32_maxpd, &, 0x7ff8000000000000ll, 1)
#else
WISP_FMINMAX(wisp_f32x4_min, 32, <, |)
WISP_FMINMAX(wisp_f32x4_max, 32, >, &)
WISP_FMINMAX(wisp_f64x2_min, 64, <, |)
WISP_FMINMAX(wisp_f64x2_max, 64, >, &)
#endif
#else
#define WISP_PMINMAX(name, w, n, c) \
  static inline v128 name(v128 a, v128 b) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { \
      f##w x = BITS_F##w(a.u##w##x##n[i]), y = BITS_F##w(b.u##w##x##n[i]); \
      r.u##w##x##n[i] = (c) ? b.u##w##x##n[i] : a.u##w##x##n[i]; \
    } \
    return r; \
  }
WISP_LF2(wisp_f32x4_min, 32, 4, wisp_fminf(x, y))
WISP_LF2(wisp_f32x4_max, 32, 4, wisp_fmaxf(x, y))
WISP_LF2(wisp_f64x2_min, 64, 2, wisp_fmin(x, y))
WISP_LF2(wisp_f64x2_max, 64, 2, wisp_fmax(x, y))
#endif
WISP_PMINMAX(wisp_f32x4_pmin, 32, 4, y < x)
WISP_PMINMAX(wisp_f32x4_pmax, 32, 4, x < y)
WISP_PMINMAX(wisp_f64x2_pmin, 64, 2, y < x)
WISP_PMINMAX(wisp_f64x2_pmax, 64, 2, x < y)
/* Conversions. int -> float rounds to nearest like the scalar casts (cc's unsigned form is
   exact halves added once); trunc_sat: NaN is 0, out of range the nearest limit (cc: lanes out
   of range or NaN are zeroed before the conversion, their results or-ed in after it). */
#ifdef WISP_SIMD_VEC
static inline v128 wisp_f32x4_convert_i32x4_s(v128 a) {
  return WISP_VR(__builtin_convertvector(WISP_AS(s32, a), wisp_f32v));
}
static inline v128 wisp_f32x4_convert_i32x4_u(v128 a) {
  return WISP_VR(__builtin_convertvector(WISP_AS(u32, a), wisp_f32v));
}
static inline v128 wisp_f64x2_convert_low_i32x4_s(v128 a) {
  wisp_s32v x = WISP_AS(s32, a);
  return WISP_VR(((wisp_f64v){(f64)x[0], (f64)x[1]}));
}
/* Unsigned: the lanes less 2^31 as signed, then plus 2^31 (all exact in f64). */
static inline v128 wisp_f64x2_convert_low_i32x4_u(v128 a) {
  wisp_s32v x = (wisp_s32v)(WISP_AS(u32, a) ^ 0x80000000u);
  return WISP_VR(((wisp_f64v){(f64)x[0], (f64)x[1]}) + 2147483648.0);
}
#ifdef WISP_SSE2
/* x86: NaN lanes zeroed, cvttps2dq (out of range gives 0x80000000), lanes >= 2^31 flipped to
   0x7fffffff. */
static inline v128 wisp_i32x4_trunc_sat_f32x4_s(v128 a) {
  wisp_f32v x = WISP_AS(f32, a);
  wisp_f32v n = (wisp_f32v)((wisp_s32v)x & (x == x));
  return WISP_VR(__builtin_ia32_cvttps2dq(n) ^ (n >= 2147483648.0f));
}
#else
static inline v128 wisp_i32x4_trunc_sat_f32x4_s(v128 a) {
  wisp_f32v x = WISP_AS(f32, a);
  wisp_s32v lo = x < -2147483648.0f, hi = x >= 2147483648.0f;
  wisp_s32v ok = (x >= -2147483648.0f) & (x < 2147483648.0f);
  wisp_s32v r = __builtin_convertvector((wisp_f32v)((wisp_s32v)x & ok), wisp_s32v);
  return WISP_VR(r | (lo & (s32)0x80000000u) | (hi & 0x7fffffff));
}
#endif
static inline v128 wisp_i32x4_trunc_sat_f32x4_u(v128 a) {
  wisp_f32v x = WISP_AS(f32, a);
  wisp_s32v ok = (x > -1.0f) & (x < 4294967296.0f), big = x >= 2147483648.0f;
  wisp_s32v hi = x >= 4294967296.0f, two31 = (wisp_s32v){0} + (s32)0x4f000000; /* 2^31 */
  wisp_f32v xs = x - (wisp_f32v)(two31 & big); /* exact: x and 2^31 are multiples of x's ulp */
  wisp_s32v r = __builtin_convertvector((wisp_f32v)((wisp_s32v)xs & ok), wisp_s32v);
  return WISP_VR(r | (big & (s32)0x80000000u) | hi);
}
#else
static inline v128 wisp_f32x4_convert_i32x4_s(v128 a) {
  v128 r; int i;
  for (i = 0; i < 4; ++i) r.u32x4[i] = F32_BITS((f32)a.s32x4[i]);
  return r;
}
static inline v128 wisp_f32x4_convert_i32x4_u(v128 a) {
  v128 r; int i;
  for (i = 0; i < 4; ++i) r.u32x4[i] = F32_BITS((f32)a.u32x4[i]);
  return r;
}
static inline v128 wisp_f64x2_convert_low_i32x4_s(v128 a) {
  return wisp_v128_const(F64_BITS((f64)a.s32x4[0]), F64_BITS((f64)a.s32x4[1]));
}
static inline v128 wisp_f64x2_convert_low_i32x4_u(v128 a) {
  return wisp_v128_const(F64_BITS((f64)a.u32x4[0]), F64_BITS((f64)a.u32x4[1]));
}
static inline v128 wisp_i32x4_trunc_sat_f32x4_s(v128 a) {
  v128 r; int i;
  for (i = 0; i < 4; ++i) r.u32x4[i] = wisp_sat_s32_f32(BITS_F32(a.u32x4[i]));
  return r;
}
static inline v128 wisp_i32x4_trunc_sat_f32x4_u(v128 a) {
  v128 r; int i;
  for (i = 0; i < 4; ++i) r.u32x4[i] = wisp_sat_u32_f32(BITS_F32(a.u32x4[i]));
  return r;
}
#endif
static inline v128 wisp_i32x4_trunc_sat_f64x2_s_zero(v128 a) {
  u64 lo = wisp_sat_s32_f64(BITS_F64(a.u64x2[0])), hi = wisp_sat_s32_f64(BITS_F64(a.u64x2[1]));
  return wisp_v128_const(lo | hi << 32, 0);
}
static inline v128 wisp_i32x4_trunc_sat_f64x2_u_zero(v128 a) {
  u64 lo = wisp_sat_u32_f64(BITS_F64(a.u64x2[0])), hi = wisp_sat_u32_f64(BITS_F64(a.u64x2[1]));
  return wisp_v128_const(lo | hi << 32, 0);
}
static inline v128 wisp_f32x4_demote_f64x2_zero(v128 a) {
  u64 lo = F32_BITS(wisp_demote(BITS_F64(a.u64x2[0])));
  u64 hi = F32_BITS(wisp_demote(BITS_F64(a.u64x2[1])));
  return wisp_v128_const(lo | hi << 32, 0);
}
static inline v128 wisp_f64x2_promote_low_f32x4(v128 a) {
  return wisp_v128_const(F64_BITS(wisp_promote(BITS_F32(a.u32x4[0]))),
                         F64_BITS(wisp_promote(BITS_F32(a.u32x4[1]))));
}
)C"
    // Memory, relaxed SIMD.
    R"C(
/* Memory, unaligned: LD/ST (the prelude's) for lanes; v128.store is one 16-byte copy, so that a
   store running past the end of memory faults before writing anything. */
static inline v128 wisp_v128_load(const void* p) {
  v128 r;
#ifdef WISP_SIMD_VEC
  memcpy(&r, p, 16);
  WISP_KEEPV(r);
#else
  r.u64x2[0] = LD(u64, p);
  r.u64x2[1] = LD(u64, (const u8*)p + 8);
#endif
  return r;
}
static inline void wisp_v128_store(void* p, v128 v) { memcpy(p, &v, 16); }
#define WISP_LOAD_EXT(w, q) \
  static inline v128 wisp_v128_load##w##_s(const void* p) { \
    return wisp_##q##_s(wisp_v128_const(LD(u64, p), 0)); \
  } \
  static inline v128 wisp_v128_load##w##_u(const void* p) { \
    return wisp_##q##_u(wisp_v128_const(LD(u64, p), 0)); \
  }
WISP_LOAD_EXT(8x8, i16x8_extend_low_i8x16)
WISP_LOAD_EXT(16x4, i32x4_extend_low_i16x8)
WISP_LOAD_EXT(32x2, i64x2_extend_low_i32x4)
static inline v128 wisp_v128_load8_splat(const void* p) { return wisp_i8x16_splat(LD(u8, p)); }
static inline v128 wisp_v128_load16_splat(const void* p) { return wisp_i16x8_splat(LD(u16, p)); }
static inline v128 wisp_v128_load32_splat(const void* p) { return wisp_i32x4_splat(LD(u32, p)); }
static inline v128 wisp_v128_load64_splat(const void* p) { return wisp_i64x2_splat(LD(u64, p)); }
#ifdef WISP_SIMD_VEC
static inline v128 wisp_v128_load32_zero(const void* p) {
  return WISP_VR(((wisp_u32v){LD(u32, p), 0, 0, 0}));
}
static inline v128 wisp_v128_load64_zero(const void* p) {
  return WISP_VR(((wisp_u64v){LD(u64, p), 0}));
}
#else
static inline v128 wisp_v128_load32_zero(const void* p) { return wisp_v128_const(LD(u32, p), 0); }
static inline v128 wisp_v128_load64_zero(const void* p) { return wisp_v128_const(LD(u64, p), 0); }
#endif
#define WISP_LANE_MEM(w, n) \
  static inline v128 wisp_v128_load##w##_lane(const void* p, v128 v, int l) { \
    v.u##w##x##n[l] = LD(u##w, p); \
    return v; \
  } \
  static inline void wisp_v128_store##w##_lane(void* p, v128 v, int l) { \
    ST(u##w, p, v.u##w##x##n[l]); \
  }
WISP_LANE_MEM(8, 16)
WISP_LANE_MEM(16, 8)
WISP_LANE_MEM(32, 4)
WISP_LANE_MEM(64, 2)

/* Relaxed SIMD (the choices are listed at the top). madd: cc must not fuse the multiplication
   with the addition (FMA), so the product passes through an empty asm. */
#define WISP_ALIAS1(name, f) \
  static inline v128 name(v128 a) { return f(a); }
#define WISP_ALIAS2(name, f) \
  static inline v128 name(v128 a, v128 b) { return f(a, b); }
#define WISP_ALIAS3(name, f) \
  static inline v128 name(v128 a, v128 b, v128 c) { return f(a, b, c); }
WISP_ALIAS2(wisp_i8x16_relaxed_swizzle, wisp_i8x16_swizzle)
WISP_ALIAS1(wisp_i32x4_relaxed_trunc_f32x4_s, wisp_i32x4_trunc_sat_f32x4_s)
WISP_ALIAS1(wisp_i32x4_relaxed_trunc_f32x4_u, wisp_i32x4_trunc_sat_f32x4_u)
WISP_ALIAS1(wisp_i32x4_relaxed_trunc_f64x2_s_zero, wisp_i32x4_trunc_sat_f64x2_s_zero)
WISP_ALIAS1(wisp_i32x4_relaxed_trunc_f64x2_u_zero, wisp_i32x4_trunc_sat_f64x2_u_zero)
WISP_ALIAS3(wisp_i8x16_relaxed_laneselect, wisp_v128_bitselect)
WISP_ALIAS3(wisp_i16x8_relaxed_laneselect, wisp_v128_bitselect)
WISP_ALIAS3(wisp_i32x4_relaxed_laneselect, wisp_v128_bitselect)
WISP_ALIAS3(wisp_i64x2_relaxed_laneselect, wisp_v128_bitselect)
WISP_ALIAS2(wisp_f32x4_relaxed_min, wisp_f32x4_min)
WISP_ALIAS2(wisp_f32x4_relaxed_max, wisp_f32x4_max)
WISP_ALIAS2(wisp_f64x2_relaxed_min, wisp_f64x2_min)
WISP_ALIAS2(wisp_f64x2_relaxed_max, wisp_f64x2_max)
WISP_ALIAS2(wisp_i16x8_relaxed_q15mulr_s, wisp_i16x8_q15mulr_sat_s)
#ifdef WISP_SIMD_VEC
#define WISP_MADD(name, w, n, e) \
  static inline v128 name(v128 a, v128 b, v128 c) { \
    wisp_f##w##v p = WISP_AS(f##w, a) * WISP_AS(f##w, b), z = WISP_AS(f##w, c); \
    __asm__("" : "+" WISP_FREG(p)); \
    return WISP_VR(e); \
  }
#else
#define WISP_MADD(name, w, n, e) \
  static inline v128 name(v128 a, v128 b, v128 c) { \
    v128 r; int i; \
    for (i = 0; i < n; ++i) { \
      f##w p = BITS_F##w(a.u##w##x##n[i]) * BITS_F##w(b.u##w##x##n[i]); \
      f##w z = BITS_F##w(c.u##w##x##n[i]); \
      r.u##w##x##n[i] = F##w##_BITS(e); \
    } \
    return r; \
  }
#endif
WISP_MADD(wisp_f32x4_relaxed_madd, 32, 4, p + z)
WISP_MADD(wisp_f32x4_relaxed_nmadd, 32, 4, z - p)
WISP_MADD(wisp_f64x2_relaxed_madd, 64, 2, p + z)
WISP_MADD(wisp_f64x2_relaxed_nmadd, 64, 2, z - p)
/* The products of sign-extended bytes fit 16 bits (at most 128 * 128); their sum wraps. */
static inline v128 wisp_i16x8_relaxed_dot_i8x16_i7x16_s(v128 a, v128 b) {
#ifdef WISP_SIMD_VEC
  wisp_s16v x = WISP_AS(s16, a), y = WISP_AS(s16, b);
  wisp_s16v xe = (wisp_s16v)((wisp_u16v)x << 8) >> 8;
  wisp_s16v ye = (wisp_s16v)((wisp_u16v)y << 8) >> 8;
  return WISP_VR((wisp_u16v)(xe * ye) + (wisp_u16v)((x >> 8) * (y >> 8)));
#else
  v128 r;
  int i;
  for (i = 0; i < 8; ++i)
    r.u16x8[i] =
        (u16)(a.s8x16[2 * i] * b.s8x16[2 * i] + a.s8x16[2 * i + 1] * b.s8x16[2 * i + 1]);
  return r;
#endif
}
static inline v128 wisp_i32x4_relaxed_dot_i8x16_i7x16_add_s(v128 a, v128 b, v128 c) {
  v128 d = wisp_i16x8_relaxed_dot_i8x16_i7x16_s(a, b);
  return wisp_i32x4_add(wisp_i32x4_extadd_pairwise_i16x8_s(d), c);
}
/* Fused forms the emitter writes for common pairs (emit_simd.cpp): bytes to 32-bit lanes in one
   extension (i32x4.extend_low_i16x8 of i16x8.extend_low_i8x16), and that of 4 bytes loaded by
   v128.load32_zero. SSE4.1: one pmov{z,s}xbd, its load folded in (it reads the same 4 bytes). */
#if defined(WISP_SSE2) && defined(__SSE4_1__)
static inline v128 wisp_x_extend_i8_i32_u(v128 a) {
  return WISP_VR(__builtin_ia32_pmovzxbd128((wisp_c8v)a.vec));
}
static inline v128 wisp_x_extend_i8_i32_s(v128 a) {
  return WISP_VR(__builtin_ia32_pmovsxbd128((wisp_c8v)a.vec));
}
#define WISP_LOAD8X4(sgn, op) \
  static inline v128 wisp_x_load8x4_##sgn(const void* p) { \
    v128 r = WISP_VR(op((wisp_c8v)(wisp_u32v){*(const u32u*)p, 0, 0, 0})); \
    WISP_KEEPV(r); \
    return r; \
  }
WISP_LOAD8X4(u, __builtin_ia32_pmovzxbd128)
WISP_LOAD8X4(s, __builtin_ia32_pmovsxbd128)
#else
static inline v128 wisp_x_extend_i8_i32_u(v128 a) {
  return wisp_i32x4_extend_low_i16x8_u(wisp_i16x8_extend_low_i8x16_u(a));
}
static inline v128 wisp_x_extend_i8_i32_s(v128 a) {
  return wisp_i32x4_extend_low_i16x8_s(wisp_i16x8_extend_low_i8x16_s(a));
}
static inline v128 wisp_x_load8x4_u(const void* p) {
  return wisp_x_extend_i8_i32_u(wisp_v128_load32_zero(p));
}
static inline v128 wisp_x_load8x4_s(const void* p) {
  return wisp_x_extend_i8_i32_s(wisp_v128_load32_zero(p));
}
#endif
/* i32x4.trunc_sat_f32x4_s of f32x4.min(a, k) with k a v128.const (emit_simd.cpp: clang's
   (uint8_t)fminf(v, 255) on 4 lanes). When every lane of k is known, not a NaN and below 2^31,
   the min is one minps with k first (a NaN lane of a comes through as itself; quiet or not, the
   conversion makes it 0, so the min's quieting ×1 goes), and no lane can overflow: only NaN lanes
   need zeroing before cvttps2dq (below -2^31 it gives -2^31, the saturated value). */
#ifdef WISP_SSE2
#define WISP_BELOW_2P31(v) (__builtin_constant_p(v) && (v) == (v) && (v) < 2147483648.0f)
static inline __attribute__((always_inline)) v128 wisp_x_trunc_sat_min_k(v128 a, v128 b) {
  wisp_f32v x = WISP_AS(f32, a), k = WISP_AS(f32, b);
  if (WISP_BELOW_2P31(k[0]) && WISP_BELOW_2P31(k[1]) && WISP_BELOW_2P31(k[2]) &&
      WISP_BELOW_2P31(k[3])) {
    wisp_f32v m = __builtin_ia32_minps(k, x);
    return WISP_VR(__builtin_ia32_cvttps2dq((wisp_f32v)((wisp_s32v)m & (m == m))));
  }
  return wisp_i32x4_trunc_sat_f32x4_s(wisp_f32x4_min(a, b));
}
#else
static inline v128 wisp_x_trunc_sat_min_k(v128 a, v128 b) {
  return wisp_i32x4_trunc_sat_f32x4_s(wisp_f32x4_min(a, b));
}
#endif
)C";

}  // namespace wisp::detail::emit
