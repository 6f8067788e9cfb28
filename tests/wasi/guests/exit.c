// Prints a line, then exits with argv[1] (through proc_exit); "trap" traps instead; "return"
// returns 7 from main.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  printf("before exit\n");
  fflush(stdout);
  if (argc > 1 && !strcmp(argv[1], "trap")) __builtin_trap();
  if (argc > 1 && !strcmp(argv[1], "return")) return 7;
  exit(argc > 1 ? atoi(argv[1]) : 0);
}
