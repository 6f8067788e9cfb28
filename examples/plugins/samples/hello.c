#include <stdio.h>
/* a block comment
   over two lines */
int main(void) {
  const char* who = "world";
  for (int i = 0; i < 3; ++i) printf("hello, %s %d\n", who, i);  // greet
  return 0;
}
