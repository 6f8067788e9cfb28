// Fibonacci guest: iterative fib(n) (call overhead) and recursive fib_rec(n) (call-heavy compute).
#include "guest.h"

int32_t GUEST_EXPORT(fib)(int32_t n) {
  uint32_t a = 0, b = 1;
  for (int32_t i = 0; i < n; ++i) {
    uint32_t t = a + b;
    a = b;
    b = t;
  }
  return (int32_t)a;
}

int32_t GUEST_EXPORT(fib_rec)(int32_t n) {
  if (n < 2) return n;
  return GUEST_EXPORT(fib_rec)(n - 1) + GUEST_EXPORT(fib_rec)(n - 2);
}
