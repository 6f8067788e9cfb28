/* Side module of the dynamic-linking tests whose constructor traps. */
int touched;
__attribute__((constructor)) static void init(void) {
  touched = 1;
  __builtin_trap();
}
int never(void) {
  return touched;
}
