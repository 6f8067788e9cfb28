// Stateless example guest: factorial(n) as a 64-bit integer (wraps past 20!).
#include <stdint.h>

int64_t factorial(int32_t n) {
  int64_t r = 1;
  for (int32_t i = 2; i <= n; ++i) r *= i;
  return r;
}
