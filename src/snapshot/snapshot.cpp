// Snapshot capture, apply (new instance), restore (reset) and verification.
#include "snapshot/snapshot.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "compile/module_impl.hpp"
#include "snapshot/page_reset.hpp"
#include "snapshot/page_scan.hpp"
#include "wisp/error.hpp"

namespace wisp::snap {

namespace {

// Moves pointers into the captured instance block to the same place in another block.
struct Relocation {
  uintptr_t lo, hi;
  uintptr_t to;
  Relocation(const Snapshot& s, const void* vm)
      : lo(s.captured_vm - WISP_VM_HEADER),
        hi(s.captured_vm + s.vm.size()),
        to(reinterpret_cast<uintptr_t>(vm)) {}
  void* operator()(void* p) const {
    auto v = reinterpret_cast<uintptr_t>(p);
    if (v < lo || v >= hi) return p;
    return reinterpret_cast<void*>(v - (lo + WISP_VM_HEADER) + to);
  }
  wasm_rt_funcref_t operator()(wasm_rt_funcref_t f) const {
    f.module_instance = (*this)(f.module_instance);
    return f;
  }
};

template <typename T>
T* field(void* vm, size_t offset) {
  return reinterpret_cast<T*>(static_cast<char*>(vm) + offset);
}
template <typename T>
const T* field(const void* vm, size_t offset) {
  return reinterpret_cast<const T*>(static_cast<const char*>(vm) + offset);
}

// Copies the struct and fixes its pointers, except memory and table data (left as captured).
void copy_struct(const Snapshot& s, void* vm) {
  std::memcpy(vm, s.vm.data(), s.vm.size());
  Relocation reloc(s, vm);
  const wisp_module_desc_t* d = s.desc;
  for (uint32_t i = 0; i < d->num_funcref_globals; ++i) {
    auto* g = field<wasm_rt_funcref_t>(vm, d->funcref_global_offsets[i]);
    *g = reloc(*g);
  }
  if (d->import_instance_offset != static_cast<size_t>(-1)) {
    *field<void*>(vm, d->import_instance_offset) =
        static_cast<char*>(vm) + d->import_instance_offset;
  }
  // A shared memory's pointer: to this struct's own storage.
  for (uint32_t i = 0; i < d->num_memories; ++i) {
    if (d->memory_ptr_offsets[i] != static_cast<size_t>(-1))
      *field<void*>(vm, d->memory_ptr_offsets[i]) = static_cast<char*>(vm) + d->memory_offsets[i];
  }
}

void copy_table_elements(const TableImage& t, void* data, const Relocation& reloc) {
  if (t.funcref) {
    auto* out = static_cast<wasm_rt_funcref_t*>(data);
    for (uint32_t i = 0; i < t.size; ++i) out[i] = reloc(t.funcs[i]);
  } else if (t.size > 0) {
    std::memcpy(data, t.externs.data(), t.size * sizeof(wasm_rt_externref_t));
  }
}

[[noreturn]] void resource_limit(const std::string& what) {
  throw Trap(TrapKind::resource_limit, what);
}

// Zeroes the first pages written in [base, base + bytes), at most `keep` bytes of them (they stay
// resident), and drops the rest; all of them when the kernel cannot tell which were written.
void zero_or_drop(uint8_t* base, uint64_t bytes, uint64_t keep) {
  std::vector<PageRange> written;
  if (keep == 0 || !scan_written_pages(base, bytes, written)) return drop_pages(base, bytes);
  keep_first_drop_rest(base, written, keep,
                       [&](uint64_t at, uint64_t len) { std::memset(base + at, 0, len); });
}

// Undoes memory growth past the snapshot: those pages are dropped (the first `keep_grown` bytes
// of those written are zeroed and stay resident instead: SnapshotOptions::keep_grown_bytes) and
// protected again.
void undo_growth(const MemorySnapshot& m, wasm_rt_memory_t* mem, uint64_t keep_grown = 0) {
  uint64_t snap_bytes = uint64_t{m.pages} * rt::kWasmPageSize;
  uint64_t cur_bytes = uint64_t{mem->pages} * rt::kWasmPageSize;
  if (cur_bytes <= snap_bytes) return;
  uint64_t grown = cur_bytes - snap_bytes;
  zero_or_drop(mem->data + snap_bytes, grown, keep_grown);
  if (mprotect(mem->data + snap_bytes, grown, PROT_NONE) != 0)
    throw Error("reset: cannot protect grown memory pages: " + std::string(std::strerror(errno)));
  rt::budget_refund(grown);
  mem->pages = m.pages;
  mem->size = static_cast<uint32_t>(snap_bytes);
}

// A slot for memory `m` of a new instance, mapping its image. Throws Trap(resource_limit).
rt::Slot map_new_memory(const MemorySnapshot& m) {
  const uint64_t bytes = m.image->size();
  if (!rt::budget_charge(bytes))
    resource_limit("cannot allocate a linear memory of " + std::to_string(m.pages) +
                   " pages (memory budget exhausted)");
  rt::Slot slot = rt::slot_acquire(m.image->id());
  if (slot.base == nullptr) {
    rt::budget_refund(bytes);
    resource_limit("cannot allocate a linear memory (slot address space exhausted)");
  }
  if (!m.image->map_into(slot)) {
    rt::slot_clear_mapping(slot);
    rt::slot_release(slot);
    rt::budget_refund(bytes);
    resource_limit("cannot map the snapshot image into a slot");
  }
  return slot;
}

// Copied memories (MemorySnapshot::copied): the image's non-zero pages written into memory.
void copy_image(const MemorySnapshot& m, uint8_t* base) {
  for (const PageRange& r : m.image->stored_runs())
    std::memcpy(base + r.begin, m.image->view() + r.begin, r.end - r.begin);
}

// A slot of plain anonymous memory for the copied memory `m` of a new instance, the image
// copied in. Throws Trap(resource_limit).
rt::Slot copy_new_memory(const MemorySnapshot& m) {
  const uint64_t bytes = m.image->size();
  if (!rt::budget_charge(bytes))
    resource_limit("cannot allocate a linear memory of " + std::to_string(m.pages) +
                   " pages (memory budget exhausted)");
  rt::Slot slot = rt::slot_acquire(0);
  if (slot.base == nullptr) {
    rt::budget_refund(bytes);
    resource_limit("cannot allocate a linear memory (slot address space exhausted)");
  }
  if (slot.image != 0) rt::slot_clear_mapping(slot);
  if (bytes > 0 && mprotect(slot.base, bytes, PROT_READ | PROT_WRITE) != 0) {
    rt::slot_release(slot);
    rt::budget_refund(bytes);
    resource_limit("cannot make a linear memory accessible");
  }
  copy_image(m, slot.base);
  return slot;
}

// A copied memory back to its image: the pages written since it was allocated or last reset
// (one scan; every page if the kernel cannot tell) get the image's bytes again.
void restore_copied(const MemorySnapshot& m, uint8_t* base) {
  const uint64_t bytes = m.image->size();
  if (bytes == 0) return;
  std::vector<PageRange> written;
  if (!scan_written_pages(base, bytes, written)) written.assign(1, PageRange{0, bytes});
  for (const PageRange& r : written)
    std::memcpy(base + r.begin, m.image->view() + r.begin, r.end - r.begin);
}

// Maps memory `m`'s image over the plain memory `mem` of an instance built from scratch.
rt::Slot adopt_memory(const MemorySnapshot& m, wasm_rt_memory_t* mem, uint64_t keep_grown) {
  if (mem->data == nullptr) throw Error("reset: the instance has no memory");
  undo_growth(m, mem, m.copied ? 0 : keep_grown);
  if (mem->pages < m.pages) {
    uint64_t missing = uint64_t{m.pages - mem->pages} * rt::kWasmPageSize;
    if (!rt::budget_charge(missing)) resource_limit("reset: memory budget exhausted");
  }
  rt::Slot mapped;
  mapped.base = mem->data;
  if (m.copied) {  // stays plain memory; restore() copies the image in
    const uint64_t have = uint64_t{mem->pages} * rt::kWasmPageSize;
    const uint64_t want = uint64_t{m.pages} * rt::kWasmPageSize;
    if (want > have && mprotect(mem->data + have, want - have, PROT_READ | PROT_WRITE) != 0)
      throw Error("reset: cannot make memory accessible: " + std::string(std::strerror(errno)));
  } else if (!m.image->map_into(mapped)) {
    throw Error("reset: cannot map the snapshot image: " + std::string(std::strerror(errno)));
  }
  mem->pages = m.pages;
  mem->size = static_cast<uint32_t>(uint64_t{m.pages} * rt::kWasmPageSize);
  return mapped;
}

void verify_memory(const MemorySnapshot& m, size_t index, const wasm_rt_memory_t* mem) {
  const std::string which = "memory " + std::to_string(index);
  if (mem->pages != m.pages)
    throw Error("reset verification failed: " + which + " has " + std::to_string(mem->pages) +
                " pages, snapshot " + std::to_string(m.pages));
  const uint64_t size = m.image->size();
  if (size > 0 && std::memcmp(mem->data, m.image->view(), size) != 0) {
    uint64_t at = 0;
    while (mem->data[at] == m.image->view()[at]) ++at;
    throw Error("reset verification failed: " + which + " differs from the snapshot at address " +
                std::to_string(at));
  }
}

// Resets memory `m` in place and gives its slot back (the image stays mapped for the next
// instance), or, if the reset fails, gives the slot back without its image.
void release_memory(const MemorySnapshot& m, wasm_rt_memory_t* mem, rt::Slot& slot,
                    const ResetOptions& opts) {
  bool clean = !m.copied;  // a copied memory goes back as a clean slot
  try {
    undo_growth(m, mem, m.copied ? 0 : opts.keep_grown_bytes);
    if (clean) reset_pages(*m.image, slot, opts);
  } catch (const Error&) {
    clean = false;
  }
  uint64_t bytes = uint64_t{mem->pages} * rt::kWasmPageSize;
  if (!clean) {
    madvise(mem->data, bytes, MADV_DONTNEED);
    mprotect(mem->data, bytes, PROT_NONE);
    if (slot.image != 0) rt::slot_clear_mapping(slot);
  }
  rt::budget_refund(bytes);
  rt::slot_release(slot);
  slot = rt::Slot{};
  mem->data = nullptr;
  mem->pages = 0;
  mem->size = 0;
}

}  // namespace

std::shared_ptr<Snapshot> capture(const std::shared_ptr<detail::CodeObject>& code, const void* vm) {
  auto s = std::make_shared<Snapshot>();
  const wisp_module_desc_t* d = code->desc;
  s->code = code;
  s->desc = d;
  s->captured_vm = reinterpret_cast<uintptr_t>(vm);
  s->vm.assign(static_cast<const uint8_t*>(vm), static_cast<const uint8_t*>(vm) + d->instance_size);
  for (uint32_t i = 0; i < d->num_memories; ++i) {
    MemorySnapshot m;
    m.offset = d->memory_offsets[i];
    const auto* mem = field<wasm_rt_memory_t>(vm, m.offset);
    m.pages = mem->pages;
    m.image = MemoryImage::create({mem->data, uint64_t{mem->pages} * rt::kWasmPageSize});
    s->memories.push_back(std::move(m));
  }
  for (uint32_t i = 0; i < d->num_tables; ++i) {
    TableImage t;
    t.offset = d->table_offsets[i];
    t.funcref = d->table_is_funcref[i] != 0;
    if (t.funcref) {
      const auto* tab = field<wasm_rt_funcref_table_t>(vm, t.offset);
      t.size = tab->size;
      t.max_size = tab->max_size;
      t.funcs.assign(tab->data, tab->data + tab->size);
    } else {
      const auto* tab = field<wasm_rt_externref_table_t>(vm, t.offset);
      t.size = tab->size;
      t.max_size = tab->max_size;
      t.externs.assign(tab->data, tab->data + tab->size);
    }
    s->tables.push_back(std::move(t));
  }
  return s;
}

void apply(const Snapshot& s, void* vm, MemorySlots& slots,
           std::span<wasm_rt_memory_t* const> bound) {
  copy_struct(s, vm);
  // Until each is set up, the struct owns nothing (teardown must not free the snapshot's).
  for (const MemorySnapshot& m : s.memories) field<wasm_rt_memory_t>(vm, m.offset)->data = nullptr;
  for (const TableImage& t : s.tables) {
    auto* tab = field<wasm_rt_funcref_table_t>(vm, t.offset);  // same layout for both kinds
    tab->data = nullptr;
    tab->size = 0;
  }
  slots.assign(s.memories.size(), rt::Slot{});
  for (size_t i = 0; i < s.memories.size(); ++i) {
    if (i < bound.size() && bound[i] != nullptr) {  // another's memory: own storage left empty
      auto* own = field<wasm_rt_memory_t>(vm, s.memories[i].offset);
      own->pages = 0;
      own->size = 0;
      *field<wasm_rt_memory_t*>(vm, s.desc->memory_ptr_offsets[i]) = bound[i];
      continue;
    }
    slots[i] =
        s.memories[i].copied ? copy_new_memory(s.memories[i]) : map_new_memory(s.memories[i]);
    field<wasm_rt_memory_t>(vm, s.memories[i].offset)->data = slots[i].base;
  }
  Relocation reloc(s, vm);
  for (const TableImage& t : s.tables) {
    size_t elem = t.funcref ? sizeof(wasm_rt_funcref_t) : sizeof(wasm_rt_externref_t);
    void* data = std::malloc(elem * std::max<uint32_t>(t.size, 1));
    if (data == nullptr) resource_limit("out of memory allocating a table");
    copy_table_elements(t, data, reloc);
    auto* tab = field<wasm_rt_funcref_table_t>(vm, t.offset);
    tab->data = static_cast<wasm_rt_funcref_t*>(data);
    tab->size = t.size;
  }
}

void adopt_memories(const Snapshot& s, void* vm, MemorySlots& slots, uint64_t keep_grown) {
  slots.resize(s.memories.size());
  for (size_t i = 0; i < s.memories.size(); ++i) {
    if (slots[i].base != nullptr) continue;
    slots[i] =
        adopt_memory(s.memories[i], field<wasm_rt_memory_t>(vm, s.memories[i].offset), keep_grown);
  }
}

bool restore(const Snapshot& s, void* vm, MemorySlots& slots, const ResetOptions& opts) {
  bool without_scan = true;
  std::vector<uint8_t*> mem_data(s.memories.size());
  for (size_t i = 0; i < s.memories.size(); ++i) {
    auto* mem = field<wasm_rt_memory_t>(vm, s.memories[i].offset);
    mem_data[i] = mem->data;
    // A copied memory keeps no grown pages (as at its first reset, adopt_memory, and when its
    // slot goes back, release_memory): the image is copied in whole anyway.
    undo_growth(s.memories[i], mem, s.memories[i].copied ? 0 : opts.keep_grown_bytes);
    if (s.memories[i].copied) {
      restore_copied(s.memories[i], mem->data);
      without_scan = false;
    } else if (!reset_pages(*s.memories[i].image, slots[i], opts)) {
      without_scan = false;
    }
  }
  // Keep what the instance owns (memory and table storage), take everything else.
  std::vector<void*> table_data;
  table_data.reserve(s.tables.size());
  for (const TableImage& t : s.tables)
    table_data.push_back(field<wasm_rt_funcref_table_t>(vm, t.offset)->data);
  copy_struct(s, vm);
  for (size_t i = 0; i < s.memories.size(); ++i)
    field<wasm_rt_memory_t>(vm, s.memories[i].offset)->data = mem_data[i];
  Relocation reloc(s, vm);
  for (size_t i = 0; i < s.tables.size(); ++i) {
    auto* tab = field<wasm_rt_funcref_table_t>(vm, s.tables[i].offset);
    tab->data = static_cast<wasm_rt_funcref_t*>(table_data[i]);
    copy_table_elements(s.tables[i], tab->data, reloc);
  }
  return without_scan;
}

void verify(const Snapshot& s, const void* vm) {
  // The struct as the snapshot says it must be, with this instance's storage pointers.
  std::vector<uint8_t> expected(s.vm.size());
  copy_struct(s, expected.data());
  Relocation reloc(s, vm);
  for (uint32_t i = 0; i < s.desc->num_funcref_globals; ++i) {
    auto* g = field<wasm_rt_funcref_t>(expected.data(), s.desc->funcref_global_offsets[i]);
    *g = reloc(*field<wasm_rt_funcref_t>(s.vm.data(), s.desc->funcref_global_offsets[i]));
  }
  if (s.desc->import_instance_offset != static_cast<size_t>(-1)) {
    *field<const void*>(expected.data(), s.desc->import_instance_offset) =
        static_cast<const char*>(vm) + s.desc->import_instance_offset;
  }
  for (uint32_t i = 0; i < s.desc->num_memories; ++i) {
    if (s.desc->memory_ptr_offsets[i] != static_cast<size_t>(-1))
      *field<const void*>(expected.data(), s.desc->memory_ptr_offsets[i]) =
          static_cast<const char*>(vm) + s.desc->memory_offsets[i];
  }
  for (const MemorySnapshot& m : s.memories) {
    field<wasm_rt_memory_t>(expected.data(), m.offset)->data =
        field<wasm_rt_memory_t>(vm, m.offset)->data;
  }
  for (const TableImage& t : s.tables) {
    field<wasm_rt_funcref_table_t>(expected.data(), t.offset)->data =
        field<wasm_rt_funcref_table_t>(vm, t.offset)->data;
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != static_cast<const uint8_t*>(vm)[i])
      throw Error("reset verification failed: instance state differs from the snapshot at byte " +
                  std::to_string(i) + " of the instance struct (globals or bookkeeping)");
  }
  for (size_t i = 0; i < s.memories.size(); ++i)
    verify_memory(s.memories[i], i, field<wasm_rt_memory_t>(vm, s.memories[i].offset));
  for (size_t i = 0; i < s.tables.size(); ++i) {
    const TableImage& t = s.tables[i];
    const auto* tab = field<wasm_rt_funcref_table_t>(vm, t.offset);
    bool same = tab->size == t.size && tab->max_size == t.max_size;
    for (uint32_t e = 0; same && e < t.size; ++e) {
      if (t.funcref) {
        wasm_rt_funcref_t want = reloc(t.funcs[e]);
        const wasm_rt_funcref_t& got = tab->data[e];
        same = got.func_type == want.func_type && got.func == want.func &&
               got.module_instance == want.module_instance;
      } else {
        same = reinterpret_cast<const wasm_rt_externref_t*>(tab->data)[e] == t.externs[e];
      }
    }
    if (!same)
      throw Error("reset verification failed: table " + std::to_string(i) +
                  " differs from the snapshot");
  }
}

void release_memories(const Snapshot& s, void* vm, MemorySlots& slots, const ResetOptions& opts) {
  for (size_t i = 0; i < slots.size() && i < s.memories.size(); ++i) {
    if (slots[i].base == nullptr) continue;
    auto* mem = field<wasm_rt_memory_t>(vm, s.memories[i].offset);
    if (mem->data == nullptr) {
      slots[i] = rt::Slot{};
      continue;
    }
    release_memory(s.memories[i], mem, slots[i], opts);
  }
}

MemoryUsage memory_usage(const uint8_t* base, uint64_t bytes) {
  MemoryUsage u;
  u.memory_bytes = bytes;
  if (base == nullptr || bytes == 0) return u;
  u.resident_pages = count_resident_pages(base, bytes);
  std::vector<PageRange> written;
  if (scan_written_pages(base, bytes, written)) {
    for (const PageRange& r : written) u.written_pages += (r.end - r.begin) / page_size();
  } else {
    u.written_pages = static_cast<uint64_t>(-1);
  }
  return u;
}

}  // namespace wisp::snap
