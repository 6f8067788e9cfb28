// A template's snapshot: the state of an instance right after instantiation (data and element
// segments applied, start function and an optional init export run) — its instance struct,
// tables and an image of each of its memories — and the three things done with it: give a new
// instance that state, reset an instance to it, and verify that an instance is in it. Each
// memory (multi-memory) has its own image and, in an instance, its own slot with its own write
// tracking.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/slots.hpp"
#include "runtime/wisp_abi.h"
#include "snapshot/memory_image.hpp"
#include "snapshot/page_reset.hpp"

namespace wisp::detail {
class CodeObject;
}

namespace wisp::snap {

struct TableImage {
  size_t offset = 0;  // of the table struct inside the instance struct
  bool funcref = true;
  uint32_t size = 0;
  uint32_t max_size = 0;
  std::vector<wasm_rt_funcref_t> funcs;
  std::vector<wasm_rt_externref_t> externs;
};

// One memory of the snapshot (every memory of a snapshotted module is its own, not imported).
// A copied memory (the memories of a module that uses threads: shared ones) is never mapped
// copy-on-write: each instance gets plain anonymous memory with the image copied in, reset
// copies the image back over the pages written since, and no write tracking arms it. Every
// thread's atomics and waits then address one set of pages that the runtime never remaps.
struct MemorySnapshot {
  size_t offset = 0;  // of the wasm_rt_memory_t inside the instance struct
  uint32_t pages = 0;
  std::shared_ptr<MemoryImage> image;
  bool copied = false;
};

struct Snapshot {
  std::shared_ptr<detail::CodeObject> code;  // the code whose struct layout and pointers these are
  const wisp_module_desc_t* desc = nullptr;
  std::vector<uint8_t> vm;               // instance struct bytes as captured
  uintptr_t captured_vm = 0;             // where it lived: pointers into it are relocated
  std::vector<MemorySnapshot> memories;  // in memory index order
  std::vector<TableImage> tables;
  bool start_pending = false;  // the start function runs per instance, after the snapshot state
  bool from_cache = false;     // loaded from a persisted snapshot
  std::string persisted_path;  // where it was written or read ("" if not persisted)
  std::string not_persisted_reason;  // when persistence was asked for but not possible
};

// The slots of an instance's memories while they map the snapshot's images: one per memory of
// the snapshot, in the same order; a slot with a null base is a memory that does not map its
// image (not yet set up, or a plain memory of an instance built from scratch).
using MemorySlots = std::vector<rt::Slot>;

// Captures the state of the instance struct at `vm` (own memories and tables included).
std::shared_ptr<Snapshot> capture(const std::shared_ptr<detail::CodeObject>& code, const void* vm);

// Gives the freshly allocated instance struct at `vm` the snapshot's state; each memory takes a
// slot (recorded in `slots` as soon as it maps its image) mapping the image copy-on-write. On
// failure throws wisp::Trap (resource_limit) and leaves `vm` safe to tear down: memories not
// set up have null data, those recorded in `slots` must be released with release_memories.
// A memory with a non-null entry in `bound` (a shared memory of another instance, by own memory
// index) is not set up: the struct's pointer to it (memory_ptr_offsets) is bound there instead.
void apply(const Snapshot& s, void* vm, MemorySlots& slots,
           std::span<wasm_rt_memory_t* const> bound = {});

// Makes the plain memories of an instance built from scratch map the snapshot images (its first
// reset); memories whose slot is already recorded are left alone. Their growth past the
// snapshot is undone; `slots` records each memory as it is adopted (a throw leaves the others).
// `keep_grown`: SnapshotOptions::keep_grown_bytes (pages written past the image stay resident).
void adopt_memories(const Snapshot& s, void* vm, MemorySlots& slots, uint64_t keep_grown = 0);

// Restores the snapshot's state in an instance whose memories all map their images: memories
// (written pages copied back or dropped, growth undone), tables, globals, the rest of the struct.
// True if no memory needed a scan (write tracking found only resident pages could differ).
bool restore(const Snapshot& s, void* vm, MemorySlots& slots, const ResetOptions& opts);

// Throws wisp::Error naming the first difference between the instance and the snapshot.
void verify(const Snapshot& s, const void* vm);

// Tears down the memories recorded in `slots`: each is reset and its slot goes back to the pool
// with the image still mapped (affinity). Tables and other memories are left to free_instance.
void release_memories(const Snapshot& s, void* vm, MemorySlots& slots, const ResetOptions& opts);

// Per-instance accounting of a memory in a slot.
struct MemoryUsage {
  uint64_t memory_bytes = 0;
  uint64_t resident_pages = 0;  // host pages (page_size()) mapped, shared or private
  uint64_t written_pages = 0;   // private copies (the instance's own cost), -1 if unknown
};
MemoryUsage memory_usage(const uint8_t* base, uint64_t bytes);

}  // namespace wisp::snap
