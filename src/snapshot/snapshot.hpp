// A template's snapshot: the state of an instance right after instantiation (data and element
// segments applied, start function and an optional init export run) — its instance struct,
// tables and a memory image — and the three things done with it: give a new instance that
// state, reset an instance to it, and verify that an instance is in it.
#pragma once

#include <cstdint>
#include <memory>
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

struct Snapshot {
  std::shared_ptr<detail::CodeObject> code;  // the code whose struct layout and pointers these are
  const wisp_module_desc_t* desc = nullptr;
  std::vector<uint8_t> vm;    // instance struct bytes as captured
  uintptr_t captured_vm = 0;  // where it lived: pointers into it are relocated
  bool has_memory = false;
  size_t memory_offset = 0;
  uint32_t memory_pages = 0;
  std::shared_ptr<MemoryImage> image;  // null without an own memory
  std::vector<TableImage> tables;
  bool start_pending = false;  // the start function runs per instance, after the snapshot state
  bool from_cache = false;     // loaded from a persisted snapshot
  std::string persisted_path;  // where it was written or read ("" if not persisted)
  std::string not_persisted_reason;  // when persistence was asked for but not possible
};

// Captures the state of the instance struct at `vm` (own memory and tables included).
std::shared_ptr<Snapshot> capture(const std::shared_ptr<detail::CodeObject>& code, const void* vm);

// Gives the freshly allocated instance struct at `vm` the snapshot's state; its memory takes a
// slot (returned in `slot`) mapping the image copy-on-write. On failure throws wisp::Trap
// (resource_limit) and leaves `vm` safe to tear down (null memory and table pointers).
void apply(const Snapshot& s, void* vm, rt::Slot& slot);

// Makes the plain memory of an instance built from scratch map the snapshot image (its first
// reset). Its growth past the snapshot is undone; `slot` describes the mapping afterwards.
void adopt_memory(const Snapshot& s, void* vm, rt::Slot& slot);

// Restores the snapshot's state in an instance made by apply(): memory (written pages copied
// back or dropped, growth undone), tables, globals, the rest of the struct. True if the memory
// needed no scan (write tracking found only resident pages could differ).
bool restore(const Snapshot& s, void* vm, rt::Slot& slot, const ResetOptions& opts);

// Throws wisp::Error naming the first difference between the instance and the snapshot.
void verify(const Snapshot& s, const void* vm, const rt::Slot& slot);

// Tears down the memory of an instance made by apply(): the memory is reset and the slot goes
// back to the pool with the image still mapped (affinity). Tables are left to free_instance.
void release_memory(const Snapshot& s, void* vm, rt::Slot& slot, const ResetOptions& opts);

// Per-instance accounting of a memory in a slot.
struct MemoryUsage {
  uint64_t memory_bytes = 0;
  uint64_t resident_pages = 0;  // host pages (page_size()) mapped, shared or private
  uint64_t written_pages = 0;   // private copies (the instance's own cost), -1 if unknown
};
MemoryUsage memory_usage(const uint8_t* base, uint64_t bytes);

}  // namespace wisp::snap
