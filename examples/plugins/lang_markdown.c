/* A language plugin of the plugin example (a side module): Markdown. Headings, fenced code
 * blocks (its context remembers an open fence across lines), `inline code`, *emphasis* and
 * **strong** text, [links](url). */
#include "plugin_api.h"

struct md_state {
  int in_fence; /* inside a ``` block */
  int headings; /* headings seen */
};

static void tokenize(void* state, const char* s, int n) {
  struct md_state* st = state;
  if (n >= 3 && s[0] == '`' && s[1] == '`' && s[2] == '`') {
    st->in_fence = !st->in_fence;
    emit(TOK_CODE, 0, n);
    return;
  }
  if (st->in_fence) {
    emit(TOK_CODE, 0, n);
    return;
  }
  if (n > 0 && s[0] == '#') {
    st->headings++;
    emit(TOK_HEADING, 0, n);
    return;
  }
  int i = 0;
  while (i < n) {
    int start = i;
    char c = s[i];
    if (c == '`') {
      ++i;
      while (i < n && s[i] != '`') ++i;
      if (i < n) ++i;
      emit(TOK_CODE, start, i - start);
    } else if (c == '*' || c == '_') {
      int marks = (i + 1 < n && s[i + 1] == c) ? 2 : 1;
      int j = i + marks;
      while (j < n && s[j] != c) ++j;
      if (j < n) {
        j += marks;
        if (j > n) j = n;
        emit(TOK_EMPHASIS, start, j - start);
        i = j;
      } else {
        i += marks;
      }
    } else if (c == '[') {
      int j = i + 1;
      while (j < n && s[j] != ']') ++j;
      if (j + 1 < n && s[j + 1] == '(') {
        j += 2;
        while (j < n && s[j] != ')') ++j;
        if (j < n) ++j;
        emit(TOK_LINK, start, j - start);
        i = j;
      } else {
        ++i;
      }
    } else {
      ++i;
    }
  }
}

__attribute__((constructor)) static void register_markdown(void) {
  register_language("markdown", ".md .markdown", tokenize, sizeof(struct md_state));
}
