// A WASI reactor: _initialize runs static constructors, then exports can be invoked.
#include <stdio.h>

static int initialized = 0;
__attribute__((constructor)) static void init(void) {
  initialized = 41;
}

__attribute__((export_name("add"))) int add(int a, int b) {
  return a + b + initialized - 41;
}

__attribute__((export_name("greet"))) int greet(void) {
  printf("hello from the reactor (%d)\n", initialized);
  return initialized + 1;
}
