// Decoding a baseline JPEG at 1/2, 1/4 or 1/8 of its size in the DCT domain, as libjpeg's
// scale_denom (and vips's shrink-on-load) does: each 8 x 8 block of coefficients becomes the
// means of its 4 x 4, 2 x 2 or 1 x 1 pixel cells directly, so the full-size planes are never made:
// no full inverse DCT, no full-size colour conversion or chroma upsampling. The entropy decoding
// is stb_image's own (its Huffman tables and block decoder); only the scan loop, the reduced
// transform and the colour conversion are here. Include this after stb_image.h's implementation,
// in the same file (it uses stb_image's internal functions). Progressive and 4-component (CMYK)
// JPEGs are not handled here: the caller decodes those with stbi_load_from_memory.
#ifndef THUMBNAIL_JPEG_SCALED_H
#define THUMBNAIL_JPEG_SCALED_H

#include <math.h>

// The 1-D weights of a reduction by k: A[p][u] is the mean, over the k pixels x of output cell p,
// of the JPEG inverse DCT's basis function u at x, c(u) cos((2x + 1) u pi / 16) / 2 (c(0) = 1/sqrt
// 2, else 1). A cell of the block is then sum over v, u of A[q][v] A[p][u] F[v][u], plus 128.
static void jpeg_scaled_weights(int k, float a[8][8]) {
  const double pi = 3.14159265358979323846;
  for (int p = 0; p < 8 / k; ++p)
    for (int u = 0; u < 8; ++u) {
      double sum = 0;
      for (int x = p * k; x < p * k + k; ++x) sum += cos((2 * x + 1) * u * pi / 16);
      a[p][u] = (float)((u == 0 ? sqrt(0.5) : 1.0) * sum / k / 2);
    }
}

// The frequencies u whose weight is zero in every cell of a reduction to n cells (a cosine
// averaged over whole periods): for 1 cell every u but 0, for 2 the even u but 0, for 4 u = 4.
#define JPEG_SCALED_LIVE(n) ((n) == 1 ? 0x01u : (n) == 2 ? 0xabu : 0xefu)

// Loops over the 8 coefficients, unrolled: with n a constant, the dead ones then vanish.
#define JPEG_SCALED_UNROLL _Pragma("GCC unroll 8")

static inline unsigned char jpeg_scaled_clamp(float s) {
  int i = s <= 0 ? 0 : (int)s;
  return (unsigned char)(i > 255 ? 255 : i);
}

// The n x n cell means (n = 8 / k, a constant where this is inlined) of one block of dequantized
// coefficients in natural order, written at `out` (rows `stride` apart), rounded and clamped to
// 0..255. Rows and columns of zero weight are skipped, and so are rows of zero coefficients (most
// of a photo's). The weights are symmetric: cell n-1-p's are cell p's with the odd u negated, so
// the first half's even and odd sums give both halves.
static inline __attribute__((always_inline)) void jpeg_scaled_block_n(unsigned char* out,
                                                                      int stride, const short* f,
                                                                      const float a[8][8],
                                                                      const int n) {
  const unsigned live = JPEG_SCALED_LIVE(n);
  const int half = (n + 1) / 2;
  float even[4][4], odd[4][4];  // [q][p]: sums over the even and odd rows v
  for (int q = 0; q < half; ++q)
    for (int p = 0; p < n; ++p) even[q][p] = odd[q][p] = 0;
  JPEG_SCALED_UNROLL for (int v = 0; v < 8; ++v) {
    if (!(live >> v & 1)) continue;
    const short* r = f + 8 * v;
    if (!(r[0] | r[1] | r[2] | r[3] | r[4] | r[5] | r[6] | r[7])) continue;
    float t[8];  // the row reduced along u, one value per cell p
    for (int p = 0; p < half; ++p) {
      float e = 0, o = 0;
      JPEG_SCALED_UNROLL for (int u = 0; u < 8; u += 2) if (live >> u & 1) e += a[p][u] * r[u];
      JPEG_SCALED_UNROLL for (int u = 1; u < 8; u += 2) if (live >> u & 1) o += a[p][u] * r[u];
      t[p] = e + o;
      t[n - 1 - p] = e - o;
    }
    for (int q = 0; q < half; ++q)
      for (int p = 0; p < n; ++p) {
        if (v & 1)
          odd[q][p] += a[q][v] * t[p];
        else
          even[q][p] += a[q][v] * t[p];
      }
  }
  for (int q = 0; q < half; ++q)
    for (int p = 0; p < n; ++p) {
      out[q * stride + p] = jpeg_scaled_clamp(128.5f + even[q][p] + odd[q][p]);
      out[(n - 1 - q) * stride + p] = jpeg_scaled_clamp(128.5f + even[q][p] - odd[q][p]);
    }
}

static void jpeg_scaled_block(unsigned char* out, int stride, const short* f, int n,
                              const float a[8][8]) {
  switch (n) {
    case 1:
      jpeg_scaled_block_n(out, stride, f, a, 1);
      break;
    case 2:
      jpeg_scaled_block_n(out, stride, f, a, 2);
      break;
    default:
      jpeg_scaled_block_n(out, stride, f, a, 4);
  }
}

// The rest of stb_image's frame header (stbi__process_frame_header past the point where a header
// scan returns): the sampling factors checked, the MCU and component sizes, but not the
// full-size planes a load would allocate. Returns 0 with stbi_failure_reason() set.
static int jpeg_scaled_frame(stbi__jpeg* z) {
  stbi__context* s = z->s;
  if (!stbi__mad3sizes_valid(s->img_x, s->img_y, s->img_n, 0))
    return stbi__err("too large", "Image too large to decode");
  int h_max = 1, v_max = 1;
  for (int i = 0; i < s->img_n; ++i) {
    if (z->img_comp[i].h > h_max) h_max = z->img_comp[i].h;
    if (z->img_comp[i].v > v_max) v_max = z->img_comp[i].v;
  }
  for (int i = 0; i < s->img_n; ++i) {
    if (h_max % z->img_comp[i].h != 0) return stbi__err("bad H", "Corrupt JPEG");
    if (v_max % z->img_comp[i].v != 0) return stbi__err("bad V", "Corrupt JPEG");
  }
  z->img_h_max = h_max;
  z->img_v_max = v_max;
  z->img_mcu_w = h_max * 8;
  z->img_mcu_h = v_max * 8;
  z->img_mcu_x = (int)((s->img_x + (unsigned)z->img_mcu_w - 1) / (unsigned)z->img_mcu_w);
  z->img_mcu_y = (int)((s->img_y + (unsigned)z->img_mcu_h - 1) / (unsigned)z->img_mcu_h);
  for (int i = 0; i < s->img_n; ++i) {
    z->img_comp[i].x =
        (int)((s->img_x * (unsigned)z->img_comp[i].h + (unsigned)h_max - 1) / (unsigned)h_max);
    z->img_comp[i].y =
        (int)((s->img_y * (unsigned)z->img_comp[i].v + (unsigned)v_max - 1) / (unsigned)v_max);
    z->img_comp[i].w2 = z->img_mcu_x * z->img_comp[i].h * 8;
    z->img_comp[i].h2 = z->img_mcu_y * z->img_comp[i].v * 8;
  }
  return 1;
}

// Where the reduced blocks go: a plane per component (rows `strides` apart), n x n cells a block,
// the weights `a` of jpeg_scaled_weights.
struct JpegScaledPlanes {
  unsigned char* planes[4];
  int strides[4];
  int n;
  float a[8][8];
};

// Decodes the next block of component c from the scan and writes its cells as block (bx, by).
// Returns 0 on corrupt data.
static int jpeg_scaled_next_block(stbi__jpeg* z, short* data, int c, int bx, int by,
                                  const struct JpegScaledPlanes* out) {
  int ha = z->img_comp[c].ha;
  if (!stbi__jpeg_decode_block(z, data, z->huff_dc + z->img_comp[c].hd, z->huff_ac + ha,
                               z->fast_ac[ha], c, z->dequant[z->img_comp[c].tq]))
    return 0;
  int n = out->n;
  jpeg_scaled_block(out->planes[c] + out->strides[c] * by * n + bx * n, out->strides[c], data, n,
                    out->a);
  return 1;
}

// After each MCU: counts down the restart interval; at its end the decoder starts afresh past a
// restart marker, or, without one, the scan ends there (stb's rule: keep what was decoded).
// Returns 0 when the scan ends.
static int jpeg_scaled_mcu_done(stbi__jpeg* z) {
  if (--z->todo > 0) return 1;
  if (z->code_bits < 24) stbi__grow_buffer_unsafe(z);
  if (!STBI__RESTART(z->marker)) return 0;
  stbi__jpeg_reset(z);
  return 1;
}

// The entropy-coded data of one baseline scan into the reduced planes (stb_image's loop, with
// the reduced transform in place of the inverse DCT). Returns 0 on corrupt data.
static int jpeg_scaled_scan(stbi__jpeg* z, const struct JpegScaledPlanes* out) {
  STBI_SIMD_ALIGN(short, data[64]);
  stbi__jpeg_reset(z);
  if (z->scan_n == 1) {  // one component, its blocks in raster order, each an MCU
    int c = z->order[0];
    int bw = (z->img_comp[c].x + 7) >> 3, bh = (z->img_comp[c].y + 7) >> 3;
    for (int j = 0; j < bh; ++j)
      for (int i = 0; i < bw; ++i) {
        if (!jpeg_scaled_next_block(z, data, c, i, j, out)) return 0;
        if (!jpeg_scaled_mcu_done(z)) return 1;
      }
    return 1;
  }
  for (int j = 0; j < z->img_mcu_y; ++j)  // interleaved: MCU by MCU
    for (int i = 0; i < z->img_mcu_x; ++i) {
      for (int k = 0; k < z->scan_n; ++k) {
        int c = z->order[k];
        for (int y = 0; y < z->img_comp[c].v; ++y)
          for (int x = 0; x < z->img_comp[c].h; ++x)
            if (!jpeg_scaled_next_block(z, data, c, i * z->img_comp[c].h + x,
                                        j * z->img_comp[c].v + y, out))
              return 0;
      }
      if (!jpeg_scaled_mcu_done(z)) return 1;
    }
  return 1;
}

// Plane `src` (sw x sh valid samples, rows `stride` apart), sampled hs x vs times more coarsely
// than the image, at the image's w x h: centred bilinear interpolation (for 2, stb's and libjpeg's
// "fancy" upsampling: 3/4 of the near sample, 1/4 of the far one), edges repeated. Returns 0 if
// it cannot get memory for its column table.
static int jpeg_scaled_upsample(const unsigned char* src, int sw, int sh, int stride, int hs,
                                int vs, unsigned char* dst, int w, int h) {
  int dx = 2 * hs, dy = 2 * vs, d = dx * dy, shift = 0;
  while ((1 << shift) < d) ++shift;
  int pow2 = (1 << shift) == d;  // hs and vs of 1, 2 or 4: a shift instead of a division
  int* cols = (int*)malloc((size_t)w * 3 * sizeof(int));  // each column's samples and weight
  if (!cols) return 0;
  for (int x = 0; x < w; ++x) {
    int px = 2 * x + 1 - hs, x0 = px >= 0 ? px / dx : -1;
    cols[3 * x] = x0 < 0 ? 0 : x0 >= sw ? sw - 1 : x0;
    cols[3 * x + 1] = x0 + 1 >= sw ? sw - 1 : x0 + 1;
    cols[3 * x + 2] = px - x0 * dx;
  }
  for (int y = 0; y < h; ++y) {
    int py = 2 * y + 1 - vs, y0 = py >= 0 ? py / dy : -1, fy = py - y0 * dy;
    int r0 = y0 < 0 ? 0 : y0 >= sh ? sh - 1 : y0, r1 = y0 + 1 >= sh ? sh - 1 : y0 + 1;
    const unsigned char *s0 = src + (size_t)r0 * stride, *s1 = src + (size_t)r1 * stride;
    unsigned char* o = dst + (size_t)y * w;
    for (int x = 0; x < w; ++x) {
      int c0 = cols[3 * x], c1 = cols[3 * x + 1], fx = cols[3 * x + 2];
      int top = s0[c0] * (dx - fx) + s0[c1] * fx, bottom = s1[c0] * (dx - fx) + s1[c1] * fx;
      int sum = top * (dy - fy) + bottom * fy + d / 2;
      o[x] = (unsigned char)(pow2 ? sum >> shift : sum / d);
    }
  }
  free(cols);
  return 1;
}

// Decodes the JPEG in `buf` at 1/k of its size (k = 2, 4 or 8; each side rounded up) into packed
// pixels of *comp bytes (1: grey, 3: RGB), *w x *h. Returns NULL with *unsupported set for a
// JPEG this does not decode (progressive, CMYK), or NULL with stbi_failure_reason() for a corrupt
// one. Free the pixels with free().
static unsigned char* jpeg_load_scaled(const unsigned char* buf, int len, int k, int* w, int* h,
                                       int* comp, int* unsupported) {
  *unsupported = 0;
  if (k != 2 && k != 4 && k != 8)
    return stbi__errpuc("bad scale", "jpeg_load_scaled: k is 2, 4 or 8");
  stbi__context s;
  stbi__start_mem(&s, buf, len);
  stbi__jpeg* z = (stbi__jpeg*)calloc(1, sizeof(stbi__jpeg));
  if (!z) return stbi__errpuc("outofmem", "Out of memory");
  z->s = &s;
  stbi__setup_jpeg(z);
  s.img_n = 0;
  struct JpegScaledPlanes p;
  memset(&p, 0, sizeof p);
  p.n = 8 / k;
  unsigned char *out = NULL, *up = NULL;
  int ok = 0;
  jpeg_scaled_weights(k, p.a);
  if (!stbi__decode_jpeg_header(z, STBI__SCAN_header)) goto done;
  if (z->progressive || (s.img_n != 1 && s.img_n != 3)) {
    *unsupported = 1;
    goto done;
  }
  if (!jpeg_scaled_frame(z)) goto done;
  for (int c = 0; c < s.img_n; ++c) {  // the padded planes, reduced
    p.strides[c] = z->img_comp[c].w2 / k;
    p.planes[c] = (unsigned char*)calloc((size_t)p.strides[c], (size_t)(z->img_comp[c].h2 / k));
    if (!p.planes[c]) {
      stbi__err("outofmem", "Out of memory");
      goto done;
    }
  }
  // The markers between and after the scans: stb_image's stbi__decode_jpeg_image, for baseline.
  for (int m = stbi__get_marker(z); !stbi__EOI(m); m = stbi__get_marker(z)) {
    if (stbi__SOS(m)) {
      if (!stbi__process_scan_header(z) || !jpeg_scaled_scan(z, &p)) goto done;
      if (z->marker == STBI__MARKER_none) {  // zeros after the data (some cameras)
        while (!stbi__at_eof(z->s)) {
          if (stbi__get8(z->s) == 255) {
            z->marker = stbi__get8(z->s);
            break;
          }
        }
      }
    } else if (stbi__DNL(m)) {
      int ld = stbi__get16be(z->s);
      stbi__uint32 nl = stbi__get16be(z->s);
      if (ld != 4 || nl != z->s->img_y) {
        stbi__err("bad DNL", "Corrupt JPEG");
        goto done;
      }
    } else if (!stbi__process_marker(z, m)) {
      goto done;
    }
  }
  *w = (int)((s.img_x + (unsigned)k - 1) / (unsigned)k);
  *h = (int)((s.img_y + (unsigned)k - 1) / (unsigned)k);
  *comp = s.img_n == 1 ? 1 : 3;
  out = (unsigned char*)malloc((size_t)*w * (size_t)*h * (size_t)*comp);
  if (!out) {
    stbi__err("outofmem", "Out of memory");
    goto done;
  }
  if (s.img_n == 1) {
    for (int y = 0; y < *h; ++y)
      memcpy(out + (size_t)y * *w, p.planes[0] + (size_t)y * p.strides[0], *w);
    ok = 1;
    goto done;
  }
  // Three components, row by row: each at the image's reduced size, a chroma plane sampled 2 x 2
  // through stb_image's row upsampler (its SIMD form; the same "fancy" filter), other
  // subsamplings whole through jpeg_scaled_upsample; then stb_image's own colour conversion, 4
  // bytes a pixel (its SIMD form), packed to 3 (or just interleaved, for RGB JPEGs).
  unsigned char* rows[3];  // the current row of each component
  unsigned char* full[3];
  int full_stride[3], fancy[3];
  size_t wide = 2 * (size_t)((*w + 1) / 2) + 16;  // an upsampled row (2 ceil(w / 2) bytes)
  size_t plane = (size_t)*w * (size_t)*h;
  up = (unsigned char*)malloc(plane * 3 + wide * 3 + (size_t)*w * 4);
  if (!up) {
    stbi__err("outofmem", "Out of memory");
    goto done;
  }
  unsigned char* rgba = up + plane * 3 + wide * 3;
  for (int c = 0; c < 3; ++c) {
    int hs = z->img_h_max / z->img_comp[c].h, vs = z->img_v_max / z->img_comp[c].v;
    fancy[c] = hs == 2 && vs == 2;
    full[c] = p.planes[c];
    full_stride[c] = p.strides[c];
    if ((hs == 1 && vs == 1) || fancy[c]) continue;
    full[c] = up + (size_t)c * plane;
    full_stride[c] = *w;
    if (!jpeg_scaled_upsample(p.planes[c], (*w + hs - 1) / hs, (*h + vs - 1) / vs, p.strides[c], hs,
                              vs, full[c], *w, *h)) {
      stbi__err("outofmem", "Out of memory");
      goto done;
    }
  }
  int is_rgb = z->rgb == 3 || (z->app14_color_transform == 0 && !z->jfif);
  int half_rows = (*h + 1) / 2;  // rows of a plane sampled 2 x 2
  for (int y = 0; y < *h; ++y) {
    for (int c = 0; c < 3; ++c) {
      if (!fancy[c]) {
        rows[c] = full[c] + (size_t)y * full_stride[c];
        continue;
      }
      // Output row y lies between chroma rows y / 2 (3/4) and the one above or below (1/4).
      int near = y >> 1, far = y & 1 ? near + 1 : near - 1;
      if (far < 0) far = 0;
      if (far >= half_rows) far = half_rows - 1;
      rows[c] = z->resample_row_hv_2_kernel(
          up + plane * 3 + wide * (size_t)c, full[c] + (size_t)near * full_stride[c],
          full[c] + (size_t)far * full_stride[c], (*w + 1) / 2, 2);
    }
    unsigned char* o = out + (size_t)y * *w * 3;
    if (is_rgb) {
      for (int x = 0; x < *w; ++x) {
        o[3 * x] = rows[0][x];
        o[3 * x + 1] = rows[1][x];
        o[3 * x + 2] = rows[2][x];
      }
    } else {
      z->YCbCr_to_RGB_kernel(rgba, rows[0], rows[1], rows[2], *w, 4);
      for (int x = 0; x < *w; ++x) {
        o[3 * x] = rgba[4 * x];
        o[3 * x + 1] = rgba[4 * x + 1];
        o[3 * x + 2] = rgba[4 * x + 2];
      }
    }
  }
  ok = 1;
done:  // (a header scan allocates none of stb's component buffers: nothing of stb's to free)
  for (int c = 0; c < 4; ++c) free(p.planes[c]);
  free(up);
  free(z);
  if (!ok) {
    free(out);
    return NULL;
  }
  return out;
}

#endif  // THUMBNAIL_JPEG_SCALED_H
