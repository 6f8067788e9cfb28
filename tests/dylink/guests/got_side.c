/* Side module of the dynamic-linking tests, built with default visibility so that its own
 * symbols go through the GOT too: GOT.mem for the main module's data and its own, GOT.func for
 * function pointers to the main module's functions and its own, data relocations, a constructor
 * and a bss array. */
extern int main_counter;
extern int main_twice(int);
extern int main_call_ptr(int (*f)(int), int x);

int side_value = 40;
int side_bss[64];
int ctor_ran;

int side_add(int x) {
  return x + side_value;
}

int (*fp_main)(int) = main_twice; /* relocated through GOT.func.main_twice */
int (*fp_own)(int) = side_add;    /* GOT.func.side_add */
int* p_main = &main_counter;      /* GOT.mem.main_counter */
int* p_own = &side_value;         /* GOT.mem.side_value */

__attribute__((constructor)) static void init(void) {
  ctor_ran = 1;
  side_bss[63] = 7;
}

int side_call_main_ptr(int x) {
  return fp_main(x);
}
int side_call_own_ptr(int x) {
  return fp_own(x);
}
int side_read_main_counter(void) {
  return *p_main + main_counter * 0;
}
int side_read_own(void) {
  return *p_own;
}
int side_ctor_ran(void) {
  return ctor_ran + side_bss[63];
}
/* Hands its own function to the main module, which calls it through the table. */
int side_round_trip(int x) {
  return main_call_ptr(side_add, x);
}
int side_addr_of_value(void) {
  return (int)&side_value;
}
