// Per-context example guest: each caller's value lives in a region the host hands in (ctx_ptr).
#include <stdint.h>

struct kv_ctx {
  int32_t value;
  int32_t updates;
};

static struct kv_ctx* ctx_at(int32_t ctx_ptr) {
  return (struct kv_ctx*)(uintptr_t)(uint32_t)ctx_ptr;
}

// Bytes of context region this guest needs per caller.
int32_t context_size(void) {
  return (int32_t)sizeof(struct kv_ctx);
}

// Stores v in the context at ctx_ptr; returns how many updates that context has seen.
int32_t update_value(int32_t ctx_ptr, int32_t v) {
  struct kv_ctx* c = ctx_at(ctx_ptr);
  c->value = v;
  return ++c->updates;
}

// The value stored in the context at ctx_ptr (0 for a fresh, zeroed context).
int32_t get_value(int32_t ctx_ptr) {
  return ctx_at(ctx_ptr)->value;
}
