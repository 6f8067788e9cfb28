/* Side module of the dynamic-linking tests that calls a function and reads data of another side
 * module (got_side), loaded before it: env.side_add and GOT.mem.side_value. */
extern int side_add(int x);
extern int side_value;

int uses_side(int x) {
  return side_add(x) * 2 + side_value;
}
