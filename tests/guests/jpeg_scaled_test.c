// Checks the thumbnail guest's DCT-domain JPEG decoder (examples/guests/jpeg_scaled.h), built
// natively: each reduced image against stb_image's full decode averaged over the same k x k
// cells, for JPEGs of sizes that do and do not fill whole blocks, written by stb_image_write
// (4:4:4, 4:2:0) and by libjpeg (grey; 4:2:2, 4:4:0 and 4:1:1 chroma; restart intervals; one
// scan per component; RGB marked by Adobe's segment); progressive JPEGs are left to stb_image;
// damaged files never crash it. Exits 1 on a failure.
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

#include <jpeglib.h>

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
static unsigned char* make_pixels(int w, int h, int comp, int texture) {
  unsigned char* px = malloc((size_t)w * h * comp);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < comp; ++c) {
        double v = 128 + 70 * sin(x * 0.031 * (c + 1) + y * 0.017) * cos(y * 0.023 - c) +
                   (texture ? 20 * sin(x * 0.9 + y * 0.45 * (c + 1)) : 0);
        px[((size_t)y * w + x) * comp + c] = (unsigned char)lround(v);
      }
  return px;
}

// stb_image_write's JPEG: three components (it writes grey as YCbCr too), 4:2:0 at quality <= 90.
static struct Bytes make_jpeg(int w, int h, int quality, int texture) {
  unsigned char* px = make_pixels(w, h, 3, texture);
  struct Bytes out = {0, 0};
  stbi_write_jpg_to_func(append, &out, w, h, 3, px, quality);
  free(px);
  return out;
}

// libjpeg's JPEG, with what stb_image_write cannot write. `comp` 1 is grey; with 3, luma is
// sampled h0 x v0 times as densely as the chroma (4:2:2 is 2 x 1), or `rgb` keeps R, G and B
// (Adobe's segment says so); `restart`: a restart marker after every that many MCUs; `separate`:
// one baseline scan per component; `progressive`: a progressive file.
struct LibjpegOptions {
  int comp, h0, v0, rgb, restart, separate, progressive;
};

static struct Bytes make_libjpeg(int w, int h, int quality, int texture, struct LibjpegOptions o) {
  unsigned char* px = make_pixels(w, h, o.comp, texture);
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = NULL;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = o.comp;
  c.in_color_space = o.comp == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  if (o.rgb) jpeg_set_colorspace(&c, JCS_RGB);
  if (o.comp == 3) {
    c.comp_info[0].h_samp_factor = o.rgb ? 1 : o.h0;
    c.comp_info[0].v_samp_factor = o.rgb ? 1 : o.v0;
    for (int i = 1; i < 3; ++i) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
  }
  c.restart_interval = (unsigned)o.restart;
  static jpeg_scan_info scans[3];
  if (o.separate) {
    for (int i = 0; i < 3; ++i) {
      scans[i].comps_in_scan = 1;
      scans[i].component_index[0] = i;
      scans[i].Ss = 0;
      scans[i].Se = 63;
      scans[i].Ah = scans[i].Al = 0;
    }
    c.scan_info = scans;
    c.num_scans = 3;
  }
  if (o.progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = px + (size_t)c.next_scanline * w * o.comp;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  free(px);
  struct Bytes out = {malloc(size), (int)size};
  memcpy(out.data, buf, size);
  free(buf);
  return out;
}

// The reduced decode of `jpg` (w x h pixels) against stb_image's full decode averaged over the
// same k x k cells. Cells that lie wholly inside the image are compared (edge cells also average
// the encoder's padding); `max_diff` bounds each sample's difference (-1: not checked),
// `min_psnr` the whole comparison. Frees `jpg`.
static void check_jpeg(const char* what, struct Bytes jpg, int w, int h, int k, int max_diff,
                       double min_psnr) {
  int rw = 0, rh = 0, rc = 0, unsupported, fw, fh, comp = 0;
  unsigned char* r = jpeg_load_scaled(jpg.data, jpg.size, k, &rw, &rh, &rc, &unsupported);
  CHECK(r, "%s, %dx%d, 1/%d: not decoded (%s)", what, w, h, k,
        unsupported ? "unsupported" : stbi_failure_reason());
  unsigned char* f = stbi_load_from_memory(jpg.data, jpg.size, &fw, &fh, &comp, 0);
  CHECK(f, "%s: stb_image failed (%s)", what, stbi_failure_reason());
  CHECK(!r || !f || (rw == (w + k - 1) / k && rh == (h + k - 1) / k && rc == comp),
        "%s, %dx%d, 1/%d: got %dx%dx%d", what, w, h, k, rw, rh, rc);
  if (r && f && rc == comp) {
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
          double d = r[((size_t)y * rw + x) * comp + c] - (double)sum / (k * k);
          if (fabs(d) > worst) worst = (int)ceil(fabs(d) - 1e-9);
          sq += d * d;
          ++n;
        }
    double psnr = 10 * log10(255.0 * 255.0 / (sq / n + 1e-12));
    CHECK(max_diff < 0 || worst <= max_diff, "%s, %dx%d, 1/%d: a sample %d off (at most %d)", what,
          w, h, k, worst, max_diff);
    CHECK(psnr >= min_psnr, "%s, %dx%d, 1/%d: PSNR %.1f dB (at least %.1f)", what, w, h, k, psnr,
          min_psnr);
    printf("%-36s %4dx%-4d 1/%d: %d channel(s), max diff %d, PSNR %.1f dB\n", what, w, h, k, comp,
           worst, psnr);
  }
  free(r);
  stbi_image_free(f);
  free(jpg.data);
}

// Progressive JPEGs are left to stb_image: a real one (libjpeg's), and a baseline file marked
// progressive (SOF0 -> SOF2), refused from the header alone.
static void check_progressive_refused(void) {
  struct Bytes real = make_libjpeg(64, 48, 85, 1, (struct LibjpegOptions){3, 2, 2, 0, 0, 0, 1});
  struct Bytes marked = make_jpeg(64, 48, 85, 1);
  int found = 0;
  for (int i = 0; i + 1 < marked.size && !found; ++i)
    if (marked.data[i] == 0xff && marked.data[i + 1] == 0xc0) {
      marked.data[i + 1] = 0xc2;
      found = 1;
    }
  CHECK(found, "no SOF0 marker in stb_image_write's JPEG");
  struct Bytes both[2] = {real, marked};
  for (int i = 0; i < 2; ++i) {
    int w, h, c, unsupported = 0;
    unsigned char* r = jpeg_load_scaled(both[i].data, both[i].size, 2, &w, &h, &c, &unsupported);
    CHECK(!r && unsupported, "progressive JPEG %d was not left to stb_image", i);
    free(r);
    free(both[i].data);
  }
}

// Truncated and damaged files: a clear failure or an image of the stated size, never a crash
// (the sanitizer builds check the memory accesses).
static void check_damaged(void) {
  struct Bytes jpg = make_jpeg(200, 120, 85, 1);
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
  // stb_image_write's 4:4:4 (quality > 90): the means agree up to rounding in either decoder.
  check_jpeg("stb 4:4:4", make_jpeg(240, 176, 95, 1), 240, 176, 4, 3, 42);
  check_jpeg("stb 4:4:4", make_jpeg(131, 97, 95, 1), 131, 97, 2, 3, 42);
  check_jpeg("stb 4:4:4", make_jpeg(131, 97, 95, 1), 131, 97, 8, 3, 42);
  // 4:2:0: the chroma is upsampled at the reduced size here, at the full size there; without
  // fine texture the two agree closely (a chroma grid shifted by half a sample would not).
  check_jpeg("stb 4:2:0, smooth", make_jpeg(333, 251, 85, 0), 333, 251, 2, -1, 46);
  check_jpeg("stb 4:2:0, smooth", make_jpeg(1024, 768, 85, 0), 1024, 768, 4, -1, 40);
  check_jpeg("stb 4:2:0, texture", make_jpeg(1024, 768, 85, 1), 1024, 768, 4, -1, 33);
  check_jpeg("stb 4:2:0, texture", make_jpeg(333, 251, 85, 1), 333, 251, 2, -1, 33);
  check_jpeg("stb 4:2:0, texture", make_jpeg(333, 251, 85, 1), 333, 251, 8, -1, 30);
  // libjpeg's files: one channel; other chroma samplings; restart markers; separate scans; RGB.
  const struct LibjpegOptions grey = {1, 1, 1, 0, 0, 0, 0}, s422 = {3, 2, 1, 0, 0, 0, 0},
                              s440 = {3, 1, 2, 0, 0, 0, 0}, s411 = {3, 4, 1, 0, 0, 0, 0},
                              s420_restart = {3, 2, 2, 0, 3, 0, 0},
                              separate = {3, 1, 1, 0, 0, 1, 0},
                              separate_restart = {3, 1, 1, 0, 5, 1, 0}, rgb = {3, 1, 1, 1, 0, 0, 0};
  check_jpeg("libjpeg grey", make_libjpeg(203, 157, 80, 1, grey), 203, 157, 2, 2, 45);
  check_jpeg("libjpeg grey", make_libjpeg(203, 157, 80, 1, grey), 203, 157, 4, 2, 45);
  check_jpeg("libjpeg grey", make_libjpeg(203, 157, 80, 1, grey), 203, 157, 8, 2, 45);
  check_jpeg("libjpeg 4:2:2, smooth", make_libjpeg(333, 251, 85, 0, s422), 333, 251, 2, -1, 46);
  check_jpeg("libjpeg 4:4:0, smooth", make_libjpeg(333, 251, 85, 0, s440), 333, 251, 4, -1, 46);
  check_jpeg("libjpeg 4:1:1, smooth", make_libjpeg(333, 251, 85, 0, s411), 333, 251, 2, -1, 36);
  check_jpeg("libjpeg 4:2:0, restart every 3 MCUs", make_libjpeg(333, 251, 85, 0, s420_restart),
             333, 251, 4, -1, 40);
  check_jpeg("libjpeg 4:4:4, a scan per component", make_libjpeg(203, 157, 90, 1, separate), 203,
             157, 2, 3, 42);
  check_jpeg("libjpeg 4:4:4, scans and restarts", make_libjpeg(203, 157, 90, 1, separate_restart),
             203, 157, 4, 3, 42);
  check_jpeg("libjpeg RGB (Adobe)", make_libjpeg(203, 157, 90, 1, rgb), 203, 157, 4, 3, 42);
  check_progressive_refused();
  check_damaged();
  if (failures) fprintf(stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
