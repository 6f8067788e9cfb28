/* A language plugin of the plugin example (a side module): C. Keywords, types, numbers, strings,
 * comments (a block comment may span lines: its context remembers it) and preprocessor lines.
 * Its constructor registers it with the main module. */
#include "plugin_api.h"

struct c_state {
  int in_comment; /* inside a block comment left open by an earlier line */
  int lines;      /* lines seen */
};

static const char* const keywords[] = {
    "if",       "else",   "for",     "while",   "do",    "return", "break",
    "continue", "switch", "case",    "default", "goto",  "sizeof", "static",
    "const",    "extern", "typedef", "struct",  "union", "enum",   0};
static const char* const types[] = {"int",    "char",  "void",   "long",   "short", "unsigned",
                                    "signed", "float", "double", "size_t", "_Bool", 0};

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int in_list(const char* const* list, const char* s, int n) {
  for (; *list; ++list) {
    const char* w = *list;
    int i = 0;
    while (i < n && w[i] == s[i]) ++i;
    if (i == n && w[i] == 0) return 1;
  }
  return 0;
}

static void tokenize(void* state, const char* s, int n) {
  struct c_state* st = state;
  int i = 0;
  st->lines++;
  if (st->in_comment) {
    while (i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/')) ++i;
    if (i < n) {
      i += 2;
      st->in_comment = 0;
    }
    emit(TOK_COMMENT, 0, i > n ? n : i);
  }
  int first = i;
  while (first < n && (s[first] == ' ' || s[first] == '\t')) ++first;
  if (!st->in_comment && first < n && s[first] == '#') {
    emit(TOK_PREPROC, first, n - first);
    return;
  }
  while (i < n) {
    char c = s[i];
    int start = i;
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      emit(TOK_COMMENT, i, n - i);
      return;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      i += 2;
      while (i < n && !(s[i] == '*' && i + 1 < n && s[i + 1] == '/')) ++i;
      if (i < n) {
        i += 2;
      } else {
        st->in_comment = 1;
      }
      emit(TOK_COMMENT, start, i - start);
    } else if (c == '"' || c == '\'') {
      ++i;
      while (i < n && s[i] != c) i += s[i] == '\\' ? 2 : 1;
      if (i < n) ++i;
      if (i > n) i = n;
      emit(TOK_STRING, start, i - start);
    } else if (is_digit(c)) {
      while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '.')) ++i;
      emit(TOK_NUMBER, start, i - start);
    } else if (is_alpha(c)) {
      while (i < n && (is_alpha(s[i]) || is_digit(s[i]))) ++i;
      if (in_list(keywords, s + start, i - start))
        emit(TOK_KEYWORD, start, i - start);
      else if (in_list(types, s + start, i - start))
        emit(TOK_TYPE, start, i - start);
    } else {
      if (c == '{' || c == '}' || c == '(' || c == ')' || c == ';' || c == ',')
        emit(TOK_PUNCT, i, 1);
      ++i;
    }
  }
}

__attribute__((constructor)) static void register_c(void) {
  register_language("c", ".c .h", tokenize, sizeof(struct c_state));
}
