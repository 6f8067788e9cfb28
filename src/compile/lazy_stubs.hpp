// Lazy tier 0's stubs, in machine code (x86-64 System V): one stable entry per defined function,
// `jmp *table[k]`. The table starts out pointing at a per-function thunk that loads k and enters a
// resolver, which saves the argument registers, calls resolve(ctx, first_index + k) (it returns
// the code and makes it table[k]), restores them and jumps to the code. So a function's address
// never changes, an uncompiled function costs no C at all, and a compiled one costs an indirect
// jump per call through its stub.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wisp::detail {

class LazyStubs {
 public:
  using Resolve = void* (*)(void* ctx, uint32_t func);

  // Stubs for functions first_index .. first_index + n - 1. Throws wisp::Error if the memory
  // cannot be mapped.
  LazyStubs(size_t n, uint32_t first_index, void* ctx, Resolve resolve);
  ~LazyStubs();
  LazyStubs(const LazyStubs&) = delete;
  LazyStubs& operator=(const LazyStubs&) = delete;

  // Whether this build can make stubs (x86-64).
  static bool supported();

  // The stable entry of function first_index + k.
  void* entry(size_t k) const { return code_ + stubs_at_ + k * kStubSize; }
  // From now on the entry of function first_index + k jumps to `code` (release store).
  void set(size_t k, void* code);

  static constexpr size_t kStubSize = 8;  // jmp *disp32(%rip), padded; entry(k) = entry(0) + 8k

 private:
  static constexpr size_t kThunkSize = 16;  // mov $k, %r11d; jmp resolver, padded

  uint8_t* code_ = nullptr;  // resolver, thunks, stubs (read + execute)
  size_t code_size_ = 0;
  void** table_ = nullptr;  // right after the code (read + write)
  size_t table_size_ = 0;
  size_t thunks_at_ = 0, stubs_at_ = 0;
};

}  // namespace wisp::detail
