// Stateful example guest: increment() returns the new count, which lives in the instance.
#include <stdint.h>

static int32_t count;

int32_t increment(void) {
  return ++count;
}

int32_t get_count(void) {
  return count;
}
