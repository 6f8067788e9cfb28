/* A language plugin of the plugin example (a side module): JSON. Object keys, strings, numbers,
 * true/false/null and punctuation; its context keeps the nesting depth across lines. */
#include "plugin_api.h"

struct json_state {
  int depth;     /* open objects and arrays */
  int max_depth; /* deepest so far */
};

static int word(const char* s, int n, int i, const char* w) {
  int k = 0;
  while (w[k] && i + k < n && s[i + k] == w[k]) ++k;
  return w[k] == 0 ? k : 0;
}

static void tokenize(void* state, const char* s, int n) {
  struct json_state* st = state;
  int i = 0;
  while (i < n) {
    char c = s[i];
    int start = i, k;
    if (c == '"') {
      ++i;
      while (i < n && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      if (i < n) ++i;
      if (i > n) i = n;
      int j = i;
      while (j < n && (s[j] == ' ' || s[j] == '\t')) ++j;
      emit(j < n && s[j] == ':' ? TOK_KEY : TOK_STRING, start, i - start);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      ++i;
      while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                       s[i] == '+' || s[i] == '-'))
        ++i;
      emit(TOK_NUMBER, start, i - start);
    } else if ((k = word(s, n, i, "true")) || (k = word(s, n, i, "false")) ||
               (k = word(s, n, i, "null"))) {
      emit(TOK_KEYWORD, i, k);
      i += k;
    } else {
      if (c == '{' || c == '[') {
        if (++st->depth > st->max_depth) st->max_depth = st->depth;
      } else if ((c == '}' || c == ']') && st->depth > 0) {
        --st->depth;
      }
      if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',')
        emit(TOK_PUNCT, i, 1);
      ++i;
    }
  }
}

__attribute__((constructor)) static void register_json(void) {
  register_language("json", ".json", tokenize, sizeof(struct json_state));
}
