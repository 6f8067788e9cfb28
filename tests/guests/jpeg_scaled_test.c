// Checks the thumbnail guest's DCT-domain JPEG decoder (examples/guests/jpeg_scaled.h), built
// natively: each reduced image against stb_image's full decode averaged over the same k x k
// cells, for grey, 4:4:4 and 4:2:0 JPEGs of sizes that do and do not fill whole blocks; a
// progressive JPEG is left to stb_image; damaged files never crash it. Exits 1 on a failure.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

#include "jpeg_scaled.h"

static int failures = 0;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      ++failures;                                          \
    }                                                      \
  } while (0)

struct Bytes {
  unsigned char* data;
  int size;
};

static void append(void* ctx, void* data, int size) {
  struct Bytes* b = ctx;
  b->data = realloc(b->data, (size_t)(b->size + size));
  memcpy(b->data + b->size, data, (size_t)size);
  b->size += size;
}

// A picture with smooth areas and, with `texture`, fine texture, every value within 16..240 (no
// clipping in the inverse DCT, where averaging before and after clipping would differ).
static struct Bytes make_jpeg(int w, int h, int comp, int quality, int texture) {
  unsigned char* px = malloc((size_t)w * h * comp);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < comp; ++c) {
        double v = 128 + 70 * sin(x * 0.031 * (c + 1) + y * 0.017) * cos(y * 0.023 - c) +
                   (texture ? 20 * sin(x * 0.9 + y * 0.45 * (c + 1)) : 0);
        px[((size_t)y * w + x) * comp + c] = (unsigned char)lround(v);
      }
  struct Bytes out = {0, 0};
  stbi_write_jpg_to_func(append, &out, w, h, comp, px, quality);
  free(px);
  return out;
}

// The reduced decode against the full decode's k x k means. Cells that lie wholly inside the
// image are compared (edge cells also average the encoder's padding); `max_diff` bounds each
// sample's difference (-1: not checked), `min_psnr` the whole comparison.
static void check_case(int w, int h, int comp, int quality, int k, int max_diff, double min_psnr,
                       int texture) {
  struct Bytes jpg = make_jpeg(w, h, comp, quality, texture);
  int rw, rh, rc, unsupported, fw, fh, fc;
  unsigned char* r = jpeg_load_scaled(jpg.data, jpg.size, k, &rw, &rh, &rc, &unsupported);
  unsigned char* f = stbi_load_from_memory(jpg.data, jpg.size, &fw, &fh, &fc, 0);
  comp = fc;  // stb_image_write writes grey as YCbCr
  CHECK(r && f, "%dx%d comp %d q%d k %d: decode failed (%s)", w, h, comp, quality, k,
        stbi_failure_reason());
  if (!r || !f) return;
  CHECK(rw == (w + k - 1) / k && rh == (h + k - 1) / k && rc == comp, "%dx%d k %d: got %dx%dx%d", w,
        h, k, rw, rh, rc);
  int worst = 0;
  double sq = 0;
  long n = 0;
  for (int y = 0; y + 1 <= h / k; ++y)
    for (int x = 0; x + 1 <= w / k; ++x)
      for (int c = 0; c < comp; ++c) {
        int sum = 0;
        for (int dy = 0; dy < k; ++dy)
          for (int dx = 0; dx < k; ++dx)
            sum += f[((size_t)(y * k + dy) * w + x * k + dx) * comp + c];
        double mean = (double)sum / (k * k);
        double d = r[((size_t)y * rw + x) * comp + c] - mean;
        if (fabs(d) > worst) worst = (int)ceil(fabs(d) - 1e-9);
        sq += d * d;
        ++n;
      }
  double psnr = 10 * log10(255.0 * 255.0 / (sq / n + 1e-12));
  CHECK(max_diff < 0 || worst <= max_diff, "%dx%d comp %d q%d k %d: a sample %d off (at most %d)",
        w, h, comp, quality, k, worst, max_diff);
  CHECK(psnr >= min_psnr, "%dx%d comp %d q%d k %d: PSNR %.1f dB (at least %.1f)", w, h, comp,
        quality, k, psnr, min_psnr);
  printf("%4dx%-4d comp %d q%-3d 1/%d: max diff %d, PSNR %.1f dB\n", w, h, comp, quality, k, worst,
         psnr);
  free(r);
  stbi_image_free(f);
  free(jpg.data);
}

// A baseline file marked progressive (SOF0 -> SOF2) is left to stb_image.
static void check_progressive_refused(void) {
  struct Bytes jpg = make_jpeg(64, 48, 3, 85, 1);
  int marked = 0;
  for (int i = 0; i + 1 < jpg.size; ++i)
    if (jpg.data[i] == 0xff && jpg.data[i + 1] == 0xc0) {
      jpg.data[i + 1] = 0xc2;
      marked = 1;
      break;
    }
  CHECK(marked, "no SOF0 marker in stb_image_write's JPEG");
  int w, h, c, unsupported = 0;
  unsigned char* r = jpeg_load_scaled(jpg.data, jpg.size, 2, &w, &h, &c, &unsupported);
  CHECK(!r && unsupported, "a progressive JPEG was not refused as unsupported");
  free(r);
  free(jpg.data);
}

// Truncated and damaged files: a clear failure or an image of the stated size, never a crash
// (the sanitizer builds check the memory accesses).
static void check_damaged(void) {
  struct Bytes jpg = make_jpeg(200, 120, 3, 85, 1);
  unsigned char* copy = malloc((size_t)jpg.size);
  uint32_t seed = 12345;
  int decoded = 0, refused = 0;
  for (int round = 0; round < 400; ++round) {
    memcpy(copy, jpg.data, (size_t)jpg.size);
    int size = jpg.size;
    if (round % 2 == 0) {
      size = 2 + (int)((uint64_t)round * 7919 % (uint64_t)(jpg.size - 2));
    } else {
      for (int flips = 0; flips < 1 + round % 5; ++flips) {
        seed = seed * 1103515245u + 12345u;
        copy[(seed >> 8) % (uint32_t)jpg.size] ^= (unsigned char)(1u << (seed >> 28) % 8);
      }
    }
    int w, h, c, unsupported;
    unsigned char* r = jpeg_load_scaled(copy, size, 4, &w, &h, &c, &unsupported);
    if (r) {
      ++decoded;
      CHECK(w > 0 && h > 0 && w <= 1 << 14 && h <= 1 << 14 && (c == 1 || c == 3),
            "a damaged file decoded as %dx%dx%d", w, h, c);
    } else {
      ++refused;
      CHECK(unsupported || (stbi_failure_reason() && *stbi_failure_reason()),
            "a damaged file failed without a reason");
    }
    free(r);
  }
  CHECK(refused > 0, "no damaged file was refused");
  printf("damaged files: %d decoded, %d refused\n", decoded, refused);
  free(copy);
  free(jpg.data);
}

// jpeg_scaled_upsample (any subsampling) against stb_image's own upsamplers of 2 x 1 and 2 x 2
// (the 3/4 + 1/4 "fancy" filter), which the decoder uses for 2 x 2 chroma: the same bytes. (stb's
// 2 x 1 upsampler weights its second-to-last output the wrong way round, 3/4 of the sample
// before; that one is not compared.)
static void check_upsample_matches_stb(void) {
  enum { SW = 37, SH = 23 };
  static unsigned char src[SH][SW], mine[2 * SH * 2 * SW], row[2 * SW + 16];
  uint32_t seed = 99;
  for (int y = 0; y < SH; ++y)
    for (int x = 0; x < SW; ++x) {
      seed = seed * 1103515245u + 12345u;
      src[y][x] = (unsigned char)(seed >> 24);
    }
  for (int vs = 1; vs <= 2; ++vs) {
    int w = 2 * SW - 1, h = vs * SH - (vs - 1);  // odd sizes: the last sample's right half unused
    CHECK(jpeg_scaled_upsample(&src[0][0], SW, SH, SW, 2, vs, mine, w, h), "no memory");
    int diffs = 0;
    for (int y = 0; y < h; ++y) {
      int near = vs == 2 ? y >> 1 : y, far = vs == 2 ? (y & 1 ? near + 1 : near - 1) : y;
      far = far < 0 ? 0 : far >= SH ? SH - 1 : far;
      stbi_uc* theirs = vs == 2 ? stbi__resample_row_hv_2(row, src[near], src[far], SW, 2)
                                : stbi__resample_row_h_2(row, src[y], src[y], SW, 2);
      for (int x = 0; x < (vs == 2 ? w : w - 1); ++x) diffs += mine[y * w + x] != theirs[x];
    }
    CHECK(diffs == 0, "2 x %d upsampling: %d samples differ from stb_image's", vs, diffs);
  }
}

int main(void) {
  check_upsample_matches_stb();
  // Grey and 4:4:4 (stb_image_write subsamples the chroma only at quality <= 90): the means are
  // the same up to rounding in either decoder.
  check_case(256, 256, 1, 90, 4, 2, 45, 1);
  check_case(203, 157, 1, 75, 2, 2, 45, 1);
  check_case(203, 157, 1, 75, 8, 2, 45, 1);
  check_case(240, 176, 3, 95, 4, 3, 42, 1);
  check_case(131, 97, 3, 95, 2, 3, 42, 1);
  // 4:2:0: the chroma is upsampled at the reduced size here, at the full size there; without
  // fine texture the two agree closely (a chroma grid shifted by half a sample would not).
  check_case(333, 251, 3, 85, 2, -1, 46, 0);
  check_case(1024, 768, 3, 85, 4, -1, 40, 0);
  check_case(1024, 768, 3, 85, 4, -1, 33, 1);
  check_case(333, 251, 3, 85, 2, -1, 33, 1);
  check_case(333, 251, 3, 85, 8, -1, 30, 1);
  check_progressive_refused();
  check_damaged();
  if (failures) fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
