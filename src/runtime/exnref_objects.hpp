// exnref objects (final exception handling): reference-counted copies of caught exceptions,
// held by the calls that made or read them (a per-thread arena, released when the thread's
// outermost call into WebAssembly returns), by exnref globals and table slots, and by the
// values of other exceptions that carry exnrefs. See exnref_objects.cpp for the model.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wisp::rt {

// A new exnref holding this thread's active exception (its values' exnrefs, given by the
// active exception's mask, are counted by it). Traps (resource_limit) past the per-call budget.
void* capture_exception();
// Releases what this thread's arena holds (the outermost call returned).
void release_captured_exceptions();

// Slot operations (generated code: global.get/set, table.get/set/fill/copy/grow/init; bounds
// are checked by the caller). A load holds the value in the thread's arena (it stays valid until
// the outermost call returns, whatever later stores do). A store counts the new value and
// releases the old one; it traps (resource_limit) if the objects kept by slots would pass
// kMaxRetainedBytes.
void* exnref_load(void* const* slot);
void exnref_fill(void** slots, void* value, uint32_t n);
void exnref_copy(void** dst, void* const* src, uint32_t n);
// Releases `n` slots (instance teardown): each becomes null.
void exnref_release(void** slots, size_t n);

// The exnref mask of an object (bit i: value i is an exnref).
uint64_t exnref_mask(const void* exnref);

// Objects kept beyond their calls (reachable from a global or a table) may take this much.
inline constexpr uint64_t kMaxRetainedBytes = 64ull << 20;

struct ExnrefStats {
  uint64_t live = 0;            // objects not yet freed
  uint64_t retained_bytes = 0;  // bytes counted against kMaxRetainedBytes
};
ExnrefStats exnref_stats();

}  // namespace wisp::rt
