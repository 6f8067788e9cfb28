// A thumbnail service for `wisp serve`'s WASI routes (the seed's image-resizing example): a JPEG
// or PNG arrives on stdin, QUERY_STRING says w, h (1..4096, default 256), fit (contain: the whole
// image inside w x h; cover: w x h filled, the rest cropped; default contain), format (jpeg or
// png, default jpeg) and quality (1..100, default 85). It answers a CGI response (RFC 3875):
// Content-Type and the image, or a Status of 4xx and the reason. Decoding, resizing and encoding
// are Debian's stb (stb_image, stb_image_resize, stb_image_write).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int append(struct Buffer* b, const void* data, size_t n) {
  if (b->size + n > b->capacity) {
    size_t cap = b->capacity ? b->capacity * 2 : 1 << 16;
    while (cap < b->size + n) cap *= 2;
    unsigned char* p = realloc(b->data, cap);
    if (!p) return 0;
    b->data = p;
    b->capacity = cap;
  }
  memcpy(b->data + b->size, data, n);
  b->size += n;
  return 1;
}

static void write_to_buffer(void* ctx, void* data, int size) {
  append((struct Buffer*)ctx, data, (size_t)size);
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

  struct Buffer in = {0, 0, 0};
  static unsigned char chunk[1 << 16];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    if (!append(&in, chunk, got)) return fail(413, "Payload Too Large", "out of memory");
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
  unsigned char* pixels = stbi_load_from_memory(in.data, (int)in.size, &sw, &sh, &comp, 0);
  if (!pixels) return fail(422, "Unprocessable Entity", stbi_failure_reason());
  free(in.data);

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
  unsigned char* out = malloc((size_t)ow * (size_t)oh * (size_t)comp);
  if (!out) return fail(413, "Payload Too Large", "out of memory");
  const unsigned char* src = pixels + ((size_t)cy * (size_t)sw + (size_t)cx) * (size_t)comp;
  if (!stbir_resize_uint8(src, cw, ch, sw * comp, out, ow, oh, 0, comp))
    return fail(422, "Unprocessable Entity", "the image could not be resized");
  stbi_image_free(pixels);

  struct Buffer encoded = {0, 0, 0};
  int ok = png ? stbi_write_png_to_func(write_to_buffer, &encoded, ow, oh, comp, out, ow * comp)
               : stbi_write_jpg_to_func(write_to_buffer, &encoded, ow, oh, comp, out, (int)quality);
  if (!ok) return fail(422, "Unprocessable Entity", "the image could not be encoded");
  printf("Content-Type: %s\r\n\r\n", png ? "image/png" : "image/jpeg");
  fwrite(encoded.data, 1, encoded.size, stdout);
  return 0;
}
