// Bilinear RGBA8 resize guest: a fixed 1024x768 image scaled to 256x192; returns a checksum.
// Built with RESIZE_SIMD, a pixel's four channels are computed as one 4-lane float vector (the
// same operations in the same order, so the checksum is the scalar one): WebAssembly SIMD with
// -msimd128, SSE4.1 natively; the rest is the same C.
#include "guest.h"

#ifdef RESIZE_SIMD
#ifdef __wasm__
#include <wasm_simd128.h>
typedef v128_t vec;
// A pixel's 4 bytes as 4 float lanes: each byte in the low mantissa bits of 2^23, minus 2^23
// (exact; clang scalarises f32x4.convert of a zero-extended byte vector).
static inline vec load_px(const uint8_t* p) {
  v128_t i = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
  return wasm_f32x4_sub(wasm_v128_or(i, wasm_i32x4_splat(0x4b000000)),
                        wasm_f32x4_splat(8388608.0f));
}
static inline vec splat(float f) {
  return wasm_f32x4_splat(f);
}
static inline vec add(vec a, vec b) {
  return wasm_f32x4_add(a, b);
}
static inline vec mul(vec a, vec b) {
  return wasm_f32x4_mul(a, b);
}
static inline vec min255(vec v) {
  return wasm_f32x4_min(v, wasm_f32x4_splat(255.0f));
}
// Truncates 4 lanes in [0, 255] to bytes and stores them.
static inline void store_px(uint8_t* o, vec v) {
  v128_t i = wasm_i32x4_trunc_sat_f32x4(v);
  v128_t b = wasm_u8x16_narrow_i16x8(wasm_u16x8_narrow_i32x4(i, i), i);
  wasm_v128_store32_lane(o, b, 0);
}
#else
#include <smmintrin.h>
#include <string.h>
typedef __m128 vec;
static inline vec load_px(const uint8_t* p) {
  int32_t w;
  memcpy(&w, p, 4);
  return _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(w)));
}
static inline vec splat(float f) {
  return _mm_set1_ps(f);
}
static inline vec add(vec a, vec b) {
  return _mm_add_ps(a, b);
}
static inline vec mul(vec a, vec b) {
  return _mm_mul_ps(a, b);
}
static inline vec min255(vec v) {
  return _mm_min_ps(v, _mm_set1_ps(255.0f));
}
static inline void store_px(uint8_t* o, vec v) {
  __m128i i = _mm_cvttps_epi32(v);
  __m128i b = _mm_packus_epi16(_mm_packus_epi32(i, i), i);
  int32_t w = _mm_cvtsi128_si32(b);
  memcpy(o, &w, 4);
}
#endif
#endif

#define SW 1024
#define SH 768
#define DW 256
#define DH 192

static uint8_t src[SW * SH * 4];
static uint8_t dst[DW * DH * 4];

// Fills the source image with a fixed pattern (gradients plus xorshift noise); returns its size.
int32_t GUEST_EXPORT(resize_init)(void) {
  uint32_t x = 0x9e3779b9u;
  for (uint32_t y = 0; y < SH; ++y) {
    for (uint32_t c = 0; c < SW; ++c) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      uint8_t* p = &src[(y * SW + c) * 4];
      p[0] = (uint8_t)(c / 4 + (x & 15));
      p[1] = (uint8_t)(y / 3 + ((x >> 8) & 15));
      p[2] = (uint8_t)((c ^ y) + (x >> 28));
      p[3] = (uint8_t)(255 - ((x >> 16) & 63));
    }
  }
  return SW * SH * 4;
}

static uint32_t clampi(int32_t v, int32_t hi) {
  return v < 0 ? 0 : v > hi ? (uint32_t)hi : (uint32_t)v;
}

// Resizes src into dst (pixel-centre sampling, float weights).
void GUEST_EXPORT(resize_frame)(void) {
  const float sx = (float)SW / DW, sy = (float)SH / DH;
  for (int32_t y = 0; y < DH; ++y) {
    float fy = ((float)y + 0.5f) * sy - 0.5f;
    if (fy < 0) fy = 0;
    uint32_t y0 = clampi((int32_t)fy, SH - 1), y1 = clampi((int32_t)y0 + 1, SH - 1);
    float wy = fy - (float)y0;
    for (int32_t x = 0; x < DW; ++x) {
      float fx = ((float)x + 0.5f) * sx - 0.5f;
      if (fx < 0) fx = 0;
      uint32_t x0 = clampi((int32_t)fx, SW - 1), x1 = clampi((int32_t)x0 + 1, SW - 1);
      float wx = fx - (float)x0;
      const uint8_t* a = &src[(y0 * SW + x0) * 4];
      const uint8_t* b = &src[(y0 * SW + x1) * 4];
      const uint8_t* c = &src[(y1 * SW + x0) * 4];
      const uint8_t* d = &src[(y1 * SW + x1) * 4];
      uint8_t* o = &dst[(y * DW + x) * 4];
#ifdef RESIZE_SIMD
      const vec wx1 = splat(1.0f - wx), wxv = splat(wx), wy1 = splat(1.0f - wy), wyv = splat(wy);
      vec top = add(mul(load_px(a), wx1), mul(load_px(b), wxv));
      vec bot = add(mul(load_px(c), wx1), mul(load_px(d), wxv));
      store_px(o, min255(add(add(mul(top, wy1), mul(bot, wyv)), splat(0.5f))));
#else
      for (int k = 0; k < 4; ++k) {
        float top = (float)a[k] * (1.0f - wx) + (float)b[k] * wx;
        float bot = (float)c[k] * (1.0f - wx) + (float)d[k] * wx;
        float v = top * (1.0f - wy) + bot * wy + 0.5f;
        o[k] = (uint8_t)(v > 255.0f ? 255.0f : v);
      }
#endif
    }
  }
}

// Resizes src into dst; returns an FNV-1a hash of dst.
int32_t GUEST_EXPORT(resize_run)(void) {
  GUEST_EXPORT(resize_frame)();
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < DW * DH * 4; ++i) h = (h ^ dst[i]) * 16777619u;
  return (int32_t)h;
}
