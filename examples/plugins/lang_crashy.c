/* A faulty plugin of the plugin example (a side module): it highlights numbers, but traps on
 * any line that contains "boom" (after scribbling over its own context), to show a trapping
 * plugin reported and the shared instance rebuilt from its snapshot without it. */
#include "plugin_api.h"

struct crashy_state {
  int lines;
};

static void tokenize(void* state, const char* s, int n) {
  struct crashy_state* st = state;
  st->lines++;
  for (int i = 0; i + 3 < n; ++i) {
    if (s[i] == 'b' && s[i + 1] == 'o' && s[i + 2] == 'o' && s[i + 3] == 'm') {
      st->lines = -1;
      __builtin_trap();
    }
  }
  for (int i = 0; i < n; ++i) {
    int start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i > start) emit(TOK_NUMBER, start, i - start);
  }
}

__attribute__((constructor)) static void register_crashy(void) {
  register_language("crashy", ".crash", tokenize, sizeof(struct crashy_state));
}
