// Bilinear RGBA8 resize guest: a fixed 1024x768 image scaled to 256x192; returns a checksum.
#include "guest.h"

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

// Resizes src into dst (pixel-centre sampling, float weights); returns an FNV-1a hash of dst.
int32_t GUEST_EXPORT(resize_run)(void) {
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
      for (int k = 0; k < 4; ++k) {
        float top = (float)a[k] * (1.0f - wx) + (float)b[k] * wx;
        float bot = (float)c[k] * (1.0f - wx) + (float)d[k] * wx;
        float v = top * (1.0f - wy) + bot * wy + 0.5f;
        o[k] = (uint8_t)(v > 255.0f ? 255.0f : v);
      }
    }
  }
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < DW * DH * 4; ++i) h = (h ^ dst[i]) * 16777619u;
  return (int32_t)h;
}
