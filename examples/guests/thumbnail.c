// A thumbnail service for `wisp serve`'s WASI routes (the seed's image-resizing example): a JPEG
// or PNG arrives on stdin, QUERY_STRING says w, h (1..4096, default 256), fit (contain: the whole
// image inside w x h; cover: w x h filled, the rest cropped; default contain), format (jpeg or
// png, default jpeg) and quality (1..100, default 85). It answers a CGI response (RFC 3875):
// Content-Type and the image, or a Status of 4xx and the reason. Decoding, resizing and encoding
// are Debian's stb (stb_image, stb_image_resize, stb_image_write).
//
// Shrink-on-load, as vipsthumbnail does. A baseline JPEG whose (cropped) source is at least twice
// the output in both directions is decoded at 1/2, 1/4 or 1/8 of its size in the DCT domain
// (jpeg_scaled.h: each pixel the mean of a 2 x 2, 4 x 4 or 8 x 8 cell, without making the full
// image), the largest reduction that leaves it at least the output's size; the decode then costs
// little more than stb_image's entropy decoding. Otherwise (PNG, progressive JPEG), when the
// source is at least twice the output, the full decode is reduced by an integer factor f with a
// box average (each pixel the mean of an f x f block; the blocks at the right and bottom edges
// may be partial), f the largest that keeps it at least twice the output in both directions.
// stb_image_resize then does the final filtered resize, unless the image already has the
// output's size. The box average is cheap (one add per source byte) and the filter then reads
// 1/f^2 of the pixels; keeping 2x the output leaves the filter enough pixels.
//
// SIMD: stb_image's SSE2 paths (IDCT, YCbCr to RGB, chroma upsampling) are x86-only. Built for
// WebAssembly with -msimd128, this file defines STBI_SSE2 itself and compiles those paths against
// SIMDe (Debian's libsimde-dev: <simde/x86/sse2.h> with native aliases, whose SSE2 intrinsics are
// WebAssembly SIMD ones); built natively on x86-64, stb uses the real SSE2 as it always does.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__wasm_simd128__) && !defined(THUMBNAIL_NO_SIMDE)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/sse2.h>
#include <wasm_simd128.h>
// Two that SIMDe (0.7) writes as a loop over lanes in memory for WebAssembly, each one operator
// or three: the high halves of the 16-bit products, and the pairwise sums of the 32-bit products.
#undef _mm_mulhi_epi16
#define _mm_mulhi_epi16(a, b)                                                                     \
  wasm_i16x8_shuffle(wasm_i32x4_extmul_low_i16x8(a, b), wasm_i32x4_extmul_high_i16x8(a, b), 1, 3, \
                     5, 7, 9, 11, 13, 15)
#undef _mm_madd_epi16
#define _mm_madd_epi16(a, b) wasm_i32x4_dot_i16x8(a, b)
// What stb_image.h defines next to its own #include <emmintrin.h>, which only x86 targets reach.
#define STBI_SSE2
#define STBI_SIMD_ALIGN(type, name) type name __attribute__((aligned(16)))
static int stbi__sse2_available(void) {
  return 1;
}
#endif

#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

#include "jpeg_scaled.h"

// Decompression bombs: an image may claim any size in a few bytes; beyond this many pixels it is
// refused before decoding (16 Mpx, 64 MiB as RGBA).
#define MAX_PIXELS (16u << 20)
#define MAX_SIDE 4096

static int fail(int status, const char* reason, const char* detail) {
  printf("Status: %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s%s%s\n", status, reason,
         reason, detail ? ": " : "", detail ? detail : "");
  return 0;
}

// The integer value of `key` in the query string, or `fallback`; -1 if it is not a number.
static long query_int(const char* query, const char* key, long fallback) {
  char buf[32];
  size_t n = strlen(key);
  for (const char* p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
    if (strncmp(p, key, n) != 0 || p[n] != '=') continue;
    const char* v = p + n + 1;
    size_t len = strcspn(v, "&");
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    char* end;
    long x = strtol(buf, &end, 10);
    return *end ? -1 : x;
  }
  return fallback;
}

// Whether `key` is `value` in the query string (`fallback_match` if the key is absent).
static int query_is(const char* query, const char* key, const char* value, int fallback_match) {
  size_t n = strlen(key);
  for (const char* p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
    if (strncmp(p, key, n) != 0 || p[n] != '=') continue;
    const char* v = p + n + 1;
    return strncmp(v, value, strlen(value)) == 0 && (v[strlen(value)] == '&' || !v[strlen(value)]);
  }
  return fallback_match;
}

struct Buffer {
  unsigned char* data;
  size_t size, capacity;
};

// Room for `n` more bytes (the capacity doubled as often as needed, 64 KiB at least); 0 without
// memory.
static int reserve(struct Buffer* b, size_t n) {
  if (b->size + n <= b->capacity) return 1;
  size_t cap = b->capacity ? b->capacity * 2 : 1 << 16;
  while (cap < b->size + n) cap *= 2;
  unsigned char* p = realloc(b->data, cap);
  if (!p) return 0;
  b->data = p;
  b->capacity = cap;
  return 1;
}

static int append(struct Buffer* b, const void* data, size_t n) {
  if (!reserve(b, n)) return 0;
  memcpy(b->data + b->size, data, n);
  b->size += n;
  return 1;
}

static void write_to_buffer(void* ctx, void* data, int size) {
  append((struct Buffer*)ctx, data, (size_t)size);
}

// The wasm guest is built with -fno-vectorize -fno-slp-vectorize (stb_image_resize's loops as
// clang vectorizes them run slower on wisp's tier 1 than as scalar code); the column sums of
// box_shrink are vectorized on request.
#if defined(__clang__)
#define VECTORIZE _Pragma("clang loop vectorize(enable) interleave(enable)")
#else
#define VECTORIZE
#endif

// One row of 2 x 2 blocks for box_shrink: `full` blocks from the column sums `acc` (of 2 rows, so
// each block sums 4 values), `comp` sums a pixel, the first `out_comp` of each written to `d`.
// Inlined with constant counts so that the loop's body is straight-line code.
static inline __attribute__((always_inline)) void shrink_row_2x2(const uint32_t* acc, int full,
                                                                 int comp, int out_comp,
                                                                 unsigned char* d) {
  for (int bx = 0; bx < full; ++bx, acc += 2 * comp, d += out_comp)
    for (int c = 0; c < out_comp; ++c) d[c] = (unsigned char)((acc[c] + acc[comp + c] + 2) >> 2);
}

// Shrinks the cw x ch pixels at `src` (rows `stride` bytes apart, `comp` bytes a pixel) by `f`
// in both directions into `dst` (ceil(cw / f) x ceil(ch / f), packed, the first `out_comp` of each
// pixel's bytes: 3 of RGBA drops the alpha): each byte the rounded mean of its f x f block, fewer
// at the right and bottom edges. Each block row's f source rows are first summed column by column
// into `acc` (cw * comp sums; this vectorizes), then each block's columns. `dst` may be `src`'s
// buffer at or before `src`: output row y is written after source rows y*f .. y*f+f-1 are read,
// and ends before source row (y+1)*f begins.
static void box_shrink(const unsigned char* src, int cw, int ch, size_t stride, int comp,
                       int out_comp, int f, unsigned char* dst, uint32_t* acc) {
  int bw = (cw + f - 1) / f, bh = (ch + f - 1) / f, full = cw / f;
  size_t n_in = (size_t)cw * (size_t)comp;
  for (int by = 0; by < bh; ++by) {
    int rows = ch - by * f < f ? ch - by * f : f;
    const unsigned char* s = src + (size_t)by * (size_t)f * stride;
    VECTORIZE for (size_t i = 0; i < n_in; ++i) acc[i] = s[i];
    for (int r = 1; r < rows; ++r) {
      s += stride;
      VECTORIZE for (size_t i = 0; i < n_in; ++i) acc[i] += s[i];
    }
    unsigned char* d = dst + (size_t)by * (size_t)bw * (size_t)out_comp;
    int bx = 0;
    if (f == 2 && rows == 2) {  // the common case
      if (comp == 4 && out_comp == 3)
        shrink_row_2x2(acc, full, 4, 3, d);
      else if (comp == 3 && out_comp == 3)
        shrink_row_2x2(acc, full, 3, 3, d);
      else
        shrink_row_2x2(acc, full, comp, out_comp, d);
      bx = full;
    }
    for (; bx < bw; ++bx) {
      int cols = cw - bx * f < f ? cw - bx * f : f;
      uint32_t n = (uint32_t)rows * (uint32_t)cols;
      // (x + n/2) / n as a multiply: exact while 256 n^2 < 2^32 (f up to 63), else a division.
      uint64_t m = ((uint64_t)1 << 32) / n + 1;
      const uint32_t* a = acc + (size_t)bx * (size_t)f * (size_t)comp;
      unsigned char* o = d + (size_t)bx * (size_t)out_comp;
      for (int c = 0; c < out_comp; ++c) {
        uint32_t sum = n / 2;
        for (int k = 0; k < cols; ++k) sum += a[k * comp + c];
        o[c] = (unsigned char)(n < 4096 ? (uint32_t)((sum * m) >> 32) : sum / n);
      }
    }
  }
}

int main(void) {
  const char* query = getenv("QUERY_STRING");
  if (!query) query = "";
  long w = query_int(query, "w", 256), h = query_int(query, "h", 256);
  long quality = query_int(query, "quality", 85);
  int cover = query_is(query, "fit", "cover", 0);
  int png = query_is(query, "format", "png", 0);
  if (w < 1 || w > MAX_SIDE || h < 1 || h > MAX_SIDE)
    return fail(400, "Bad Request", "w and h must be whole numbers from 1 to 4096");
  if (quality < 1 || quality > 100)
    return fail(400, "Bad Request", "quality must be a whole number from 1 to 100");
  if (!query_is(query, "fit", "cover", 1) && !query_is(query, "fit", "contain", 1))
    return fail(400, "Bad Request", "fit must be cover or contain");
  if (!query_is(query, "format", "png", 1) && !query_is(query, "format", "jpeg", 1))
    return fail(400, "Bad Request", "format must be jpeg or png");

  // The body, read straight into a buffer with room for CONTENT_LENGTH bytes (CGI's; one byte
  // more to see the end), grown if the body is longer.
  struct Buffer in = {0, 0, 0};
  const char* content_length = getenv("CONTENT_LENGTH");
  long long announced = content_length ? atoll(content_length) : 0;
  if (!reserve(&in, announced > 0 && announced <= (64LL << 20) ? (size_t)announced + 1 : 1))
    return fail(413, "Payload Too Large", "out of memory");
  for (;;) {
    if (!reserve(&in, 1)) return fail(413, "Payload Too Large", "out of memory");
    size_t got = fread(in.data + in.size, 1, in.capacity - in.size, stdin);
    if (got == 0) break;
    in.size += got;
  }
  if (in.size == 0) return fail(400, "Bad Request", "send a JPEG or PNG image as the body");
  int sw, sh, comp;
  int is_png = in.size >= 24 && memcmp(in.data, "\x89PNG\r\n\x1a\n", 8) == 0;
  int is_jpeg = in.size >= 3 && memcmp(in.data, "\xff\xd8\xff", 3) == 0;
  if (!is_png && !is_jpeg)
    return fail(415, "Unsupported Media Type", "the body is not a JPEG or PNG image");
  if (!stbi_info_from_memory(in.data, (int)in.size, &sw, &sh, &comp)) {
    // stb refuses headers past its own size limits too: a PNG's size is in its IHDR chunk.
    const unsigned char* d = in.data;
    uint64_t pw = is_png ? (uint64_t)d[16] << 24 | d[17] << 16 | d[18] << 8 | d[19] : 0;
    uint64_t ph = is_png ? (uint64_t)d[20] << 24 | d[21] << 16 | d[22] << 8 | d[23] : 0;
    if (pw * ph > MAX_PIXELS)
      return fail(413, "Payload Too Large", "the image has more than 16 megapixels");
    return fail(422, "Unprocessable Entity", "the image's header is corrupt");
  }
  if (sw <= 0 || sh <= 0 || (uint64_t)sw * (uint64_t)sh > MAX_PIXELS)
    return fail(413, "Payload Too Large", "the image has more than 16 megapixels");
  // contain: the output keeps the aspect ratio inside w x h; cover: the output is w x h and the
  // source is cropped (centred) to the output's aspect ratio.
  int ow = (int)w, oh = (int)h, cx = 0, cy = 0, cw = sw, ch = sh;
  if (cover) {
    if ((uint64_t)sw * (uint64_t)oh > (uint64_t)sh * (uint64_t)ow) {
      cw = (int)((uint64_t)sh * (uint64_t)ow / (uint64_t)oh);
      cx = (sw - cw) / 2;
    } else {
      ch = (int)((uint64_t)sw * (uint64_t)oh / (uint64_t)ow);
      cy = (sh - ch) / 2;
    }
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
  } else if ((uint64_t)sw * (uint64_t)oh > (uint64_t)sh * (uint64_t)ow) {
    oh = (int)((uint64_t)sh * (uint64_t)ow / (uint64_t)sw);
    if (oh < 1) oh = 1;
  } else {
    ow = (int)((uint64_t)sw * (uint64_t)oh / (uint64_t)sh);
    if (ow < 1) ow = 1;
  }
  // A baseline JPEG is first decoded at 1/k of its size in the DCT domain (jpeg_scaled.h), k the
  // largest of 8, 4 and 2 that leaves the cropped source at least the output's size.
  unsigned char* pixels = NULL;
  int pc = comp;  // bytes a pixel in `pixels`; `comp` from here on
  int k = 8;
  while (k > 1 &&
         ((uint64_t)cw < (uint64_t)ow * (uint64_t)k || (uint64_t)ch < (uint64_t)oh * (uint64_t)k))
    k /= 2;
  if (is_jpeg && k > 1) {
    int unsupported;
    pixels = jpeg_load_scaled(in.data, (int)in.size, k, &sw, &sh, &comp, &unsupported);
    if (!pixels && !unsupported) return fail(422, "Unprocessable Entity", stbi_failure_reason());
    if (pixels) {  // the crop in reduced pixels, its right and bottom edges kept in place
      int x1 = (cx + cw) / k, y1 = (cy + ch) / k;
      pc = comp;
      cx /= k;
      cy /= k;
      cw = x1 - cx;
      ch = y1 - cy;
    }
  }
  // Shrink-on-load (see the top) by f. A colour JPEG that will be shrunk is decoded as RGBA:
  // stb_image's SIMD colour conversion handles only 4 bytes a pixel, and the shrink drops the A.
  int fx = cw / (2 * ow), fy = ch / (2 * oh), f = fx < fy ? fx : fy;
  if (!pixels) {
    int req = f >= 2 && is_jpeg && comp == 3 ? 4 : 0;
    pixels = stbi_load_from_memory(in.data, (int)in.size, &sw, &sh, &comp, req);
    if (!pixels) return fail(422, "Unprocessable Entity", stbi_failure_reason());
    pc = req ? req : comp;
  }
  free(in.data);
  unsigned char* out = malloc((size_t)ow * (size_t)oh * (size_t)comp);
  if (!out) return fail(413, "Payload Too Large", "out of memory");
  const unsigned char* src = pixels + ((size_t)cy * (size_t)sw + (size_t)cx) * (size_t)pc;
  size_t stride = (size_t)sw * (size_t)pc;
  if (f >= 2) {  // in place, into the start of `pixels`
    uint32_t* acc = malloc((size_t)cw * (size_t)pc * sizeof *acc);
    if (!acc) return fail(413, "Payload Too Large", "out of memory");
    box_shrink(src, cw, ch, stride, pc, comp, f, pixels, acc);
    free(acc);
    src = pixels;
    cw = (cw + f - 1) / f;
    ch = (ch + f - 1) / f;
    stride = (size_t)cw * (size_t)comp;
  }
  if (cw == ow && ch == oh && pc == comp) {  // already the output's size
    for (int y = 0; y < oh; ++y)
      memcpy(out + (size_t)y * (size_t)ow * (size_t)comp, src + (size_t)y * stride,
             (size_t)ow * (size_t)comp);
  } else if (!stbir_resize_uint8(src, cw, ch, (int)stride, out, ow, oh, 0, comp)) {
    return fail(422, "Unprocessable Entity", "the image could not be resized");
  }
  stbi_image_free(pixels);

  struct Buffer encoded = {0, 0, 0};
  int ok = png ? stbi_write_png_to_func(write_to_buffer, &encoded, ow, oh, comp, out, ow * comp)
               : stbi_write_jpg_to_func(write_to_buffer, &encoded, ow, oh, comp, out, (int)quality);
  if (!ok) return fail(422, "Unprocessable Entity", "the image could not be encoded");
  printf("Content-Type: %s\r\n\r\n", png ? "image/png" : "image/jpeg");
  fwrite(encoded.data, 1, encoded.size, stdout);
  return 0;
}
