// Makes a test image for the thumbnail service (the build makes it; nothing is downloaded): a
// W x H RGB picture of smooth gradients and rings, which compress like a photograph more than
// flat colour does, written as JPEG (quality 90) or PNG with Debian's stb_image_write.
//   make_image OUT.jpg|OUT.png W H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s OUT.jpg|OUT.png WIDTH HEIGHT\n", argv[0]);
    return 2;
  }
  int w = atoi(argv[2]), h = atoi(argv[3]);
  if (w < 1 || h < 1 || w > 16384 || h > 16384) {
    fprintf(stderr, "make_image: bad size %dx%d\n", w, h);
    return 2;
  }
  unsigned char* px = malloc((size_t)w * (size_t)h * 3);
  if (!px) return 1;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double dx = x - w / 2.0, dy = y - h / 2.0, r = sqrt(dx * dx + dy * dy);
      unsigned char* p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
      p[0] = (unsigned char)(255.0 * x / w);
      p[1] = (unsigned char)(255.0 * y / h);
      p[2] = (unsigned char)(127.5 + 127.5 * sin(r / 9.0));
    }
  }
  size_t n = strlen(argv[1]);
  int png = n > 4 && strcmp(argv[1] + n - 4, ".png") == 0;
  int ok =
      png ? stbi_write_png(argv[1], w, h, 3, px, w * 3) : stbi_write_jpg(argv[1], w, h, 3, px, 90);
  free(px);
  if (!ok) fprintf(stderr, "make_image: could not write %s\n", argv[1]);
  return ok ? 0 : 1;
}
