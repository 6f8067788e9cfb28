/* The main module of the plugin example (freestanding, no libc): an allocator (malloc/free, the
 * dynamic loader's too), the registry the language plugins add themselves to from their
 * constructors, and the token buffer their tokenizers fill through emit(). Each plugin's state
 * is its own context: a zeroed block from this allocator, handed to its tokenizer on every call.
 * Built as an ordinary module exporting its memory, its (growable) function table and
 * __stack_pointer, so that side modules can be loaded into it (examples/plugins/README: see the
 * top-level README, "Scenarios: plugins in one instance"). */
#include "plugin_api.h"

#define EXPORT(name) __attribute__((export_name(#name)))

typedef unsigned long size_t;
extern unsigned char __heap_base;

/* ---- allocator: first-fit free list over a bump region; 16-byte aligned blocks ---- */
struct block {
  size_t size; /* payload bytes */
  struct block* next;
  size_t pad[2];
};
static struct block* free_list;
static unsigned char* heap_top;

EXPORT(malloc) void* malloc(size_t n) {
  if (n == 0) n = 1;
  if (n > 0x7fff0000u) return 0;
  n = (n + 15) & ~(size_t)15;
  for (struct block** p = &free_list; *p; p = &(*p)->next) {
    if ((*p)->size >= n) {
      struct block* b = *p;
      *p = b->next;
      return b + 1;
    }
  }
  if (!heap_top) heap_top = (unsigned char*)(((size_t)&__heap_base + 15) & ~(size_t)15);
  size_t need = (size_t)heap_top + sizeof(struct block) + n;
  size_t have = __builtin_wasm_memory_size(0) * 65536ul;
  if (need > have) {
    size_t pages = (need - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  struct block* b = (struct block*)heap_top;
  b->size = n;
  heap_top += sizeof(struct block) + n;
  return b + 1;
}

EXPORT(free) void free(void* p) {
  if (!p) return;
  struct block* b = (struct block*)p - 1;
  b->next = free_list;
  free_list = b;
}

/* ---- the language registry ---- */
#define MAX_LANGS 16
struct language {
  const char* name;
  const char* exts;
  tokenize_fn fn;
  void* state;
};
static struct language langs[MAX_LANGS];
static int nlangs;

EXPORT(register_language)
int register_language(const char* name, const char* exts, tokenize_fn fn, int state_size) {
  if (nlangs == MAX_LANGS || state_size < 0) return -1;
  unsigned char* state = malloc((size_t)state_size);
  if (!state) return -1;
  for (int i = 0; i < state_size; ++i) state[i] = 0;
  langs[nlangs].name = name;
  langs[nlangs].exts = exts;
  langs[nlangs].fn = fn;
  langs[nlangs].state = state;
  return nlangs++;
}

EXPORT(language_count) int language_count(void) {
  return nlangs;
}

EXPORT(language_state) void* language_state(int lang) {
  return lang >= 0 && lang < nlangs ? langs[lang].state : 0;
}

/* The language whose extension list holds `ext` (len bytes, ".c"), or -1. */
EXPORT(language_for) int language_for(const char* ext, int len) {
  for (int l = 0; l < nlangs; ++l) {
    const char* e = langs[l].exts;
    while (*e) {
      int n = 0;
      while (e[n] && e[n] != ' ') ++n;
      int same = n == len;
      for (int i = 0; same && i < n; ++i) same = e[i] == ext[i];
      if (same) return l;
      e += n;
      while (*e == ' ') ++e;
    }
  }
  return -1;
}

/* ---- tokens ---- */
#define MAX_TOKENS 4096
static struct token toks[MAX_TOKENS];
static int ntoks;

EXPORT(emit) void emit(int kind, int start, int len) {
  if (ntoks < MAX_TOKENS && len > 0) {
    toks[ntoks].kind = kind;
    toks[ntoks].start = start;
    toks[ntoks].len = len;
    ++ntoks;
  }
}

EXPORT(tokens) struct token* tokens(void) {
  return toks;
}

/* Tokenizes one line with language `lang`'s plugin (through the table: its function pointer);
 * returns the number of tokens, or -1 for an unknown language. */
EXPORT(highlight) int highlight(int lang, const char* text, int len) {
  if (lang < 0 || lang >= nlangs) return -1;
  ntoks = 0;
  langs[lang].fn(langs[lang].state, text, len);
  return ntoks;
}
