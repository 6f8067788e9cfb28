// The smallest WASI command: prints one line (CLI tests and the start-up benchmark).
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
