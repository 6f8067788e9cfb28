/* The plugin example's interface between the main module (plugins_main.c) and its language
 * plugins (side modules): token kinds, the registry and the token callback. Shared by the C
 * guests and the host program (examples/plugins/highlight.cpp). */
#ifndef WISP_PLUGIN_API_H_
#define WISP_PLUGIN_API_H_

enum token_kind {
  TOK_KEYWORD = 1,
  TOK_TYPE = 2,
  TOK_STRING = 3,
  TOK_NUMBER = 4,
  TOK_COMMENT = 5,
  TOK_PUNCT = 6,
  TOK_KEY = 7,
  TOK_HEADING = 8,
  TOK_CODE = 9,
  TOK_EMPHASIS = 10,
  TOK_LINK = 11,
  TOK_PREPROC = 12,
  TOK_KIND_COUNT = 13
};

/* One highlighted span of the text given to highlight(): [start, start + len). */
struct token {
  int kind;
  int start;
  int len;
};

#ifdef __wasm__
/* A plugin's tokenizer: `state` is its own context (state_size zeroed bytes from the main
 * module's allocator, kept from call to call), `text` one line. */
typedef void (*tokenize_fn)(void* state, const char* text, int len);

/* Exported by the main module, imported by plugins (env.register_language, env.emit). Returns
 * the language id, or -1 when the registry is full or out of memory. `exts`: space-separated
 * file name extensions (".c .h"). */
int register_language(const char* name, const char* exts, tokenize_fn fn, int state_size);
void emit(int kind, int start, int len);
#endif

#endif /* WISP_PLUGIN_API_H_ */
