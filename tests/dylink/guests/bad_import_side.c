/* Side module of the dynamic-linking tests that imports a function nobody defines. */
extern int does_not_exist(int);
int call_missing(int x) {
  return does_not_exist(x);
}
