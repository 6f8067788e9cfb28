// Persisted snapshot files: "WISPSNP2", sizes, each memory's page count, the instance struct
// bytes, the memory images one after another; a SHA-256 digest of the whole file beside it,
// checked before use.
#include "snapshot/persist.hpp"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "compile/module_impl.hpp"
#include "compile/native_code.hpp"
#include "wisp/error.hpp"

namespace wisp::snap {

namespace {

constexpr char kMagic[8] = {'W', 'I', 'S', 'P', 'S', 'N', 'P', '2'};

// Followed by num_memories uint32_t page counts, the struct bytes and the images.
struct Header {
  char magic[8];
  uint64_t vm_size;
  uint64_t image_size;  // all memories together
  uint32_t num_memories;
  uint32_t reserved;
};

template <typename T>
const T* at(const void* vm, size_t offset) {
  return reinterpret_cast<const T*>(static_cast<const char*>(vm) + offset);
}

// Maps a pointer into the baseline's instance block to the snapshot's frame.
struct ToSnapshotFrame {
  uintptr_t lo, hi, from, to;
  ToSnapshotFrame(const void* base_vm, size_t size, uintptr_t snap_vm)
      : lo(reinterpret_cast<uintptr_t>(base_vm) - WISP_VM_HEADER),
        hi(reinterpret_cast<uintptr_t>(base_vm) + size),
        from(reinterpret_cast<uintptr_t>(base_vm)),
        to(snap_vm) {}
  void* operator()(void* p) const {
    auto v = reinterpret_cast<uintptr_t>(p);
    return v < lo || v >= hi ? p : reinterpret_cast<void*>(v - from + to);
  }
};

bool same_funcref(const wasm_rt_funcref_t& snap, const wasm_rt_funcref_t& base,
                  const ToSnapshotFrame& frame) {
  return snap.func_type == base.func_type && snap.func == base.func &&
         snap.module_instance == frame(base.module_instance);
}

}  // namespace

bool references_match(const Snapshot& s, const Baseline& b, std::string* why) {
  const wisp_module_desc_t* d = s.desc;
  ToSnapshotFrame frame(b.vm, d->instance_size, s.captured_vm);
  auto fail = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  for (uint32_t i = 0; i < d->num_funcref_globals; ++i) {
    size_t off = d->funcref_global_offsets[i];
    if (!same_funcref(*at<wasm_rt_funcref_t>(s.vm.data(), off), *at<wasm_rt_funcref_t>(b.vm, off),
                      frame))
      return fail("a funcref global changed during initialisation");
  }
  for (uint32_t i = 0; i < d->num_externref_globals; ++i) {
    size_t off = d->externref_global_offsets[i];
    if (*at<wasm_rt_externref_t>(s.vm.data(), off) != *at<wasm_rt_externref_t>(b.vm, off))
      return fail("an externref global changed during initialisation");
  }
  for (const TableImage& t : s.tables) {
    const auto* bt = at<wasm_rt_funcref_table_t>(b.vm, t.offset);
    if (bt->size != t.size || bt->max_size != t.max_size)
      return fail("a table changed size during initialisation");
    for (uint32_t e = 0; e < t.size; ++e) {
      bool same = t.funcref
                      ? same_funcref(t.funcs[e], bt->data[e], frame)
                      : reinterpret_cast<const wasm_rt_externref_t*>(bt->data)[e] == t.externs[e];
      if (!same) return fail("a table element changed during initialisation");
    }
  }
  return true;
}

bool write_snapshot(const Snapshot& s, const std::string& path, std::string* error) {
  namespace fs = std::filesystem;
  std::string content;
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.vm_size = s.vm.size();
  h.num_memories = static_cast<uint32_t>(s.memories.size());
  for (const MemorySnapshot& m : s.memories) h.image_size += m.image->size();
  content.append(reinterpret_cast<const char*>(&h), sizeof h);
  for (const MemorySnapshot& m : s.memories)
    content.append(reinterpret_cast<const char*>(&m.pages), sizeof m.pages);
  content.append(reinterpret_cast<const char*>(s.vm.data()), s.vm.size());
  for (const MemorySnapshot& m : s.memories)
    content.append(reinterpret_cast<const char*>(m.image->view()), m.image->size());
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    std::ofstream(tmp + ".sha256") << detail::sha256_bytes_hex(content);
    if (!out) {
      if (error) *error = "cannot write " + tmp;
      fs::remove(tmp, ec);
      fs::remove(tmp + ".sha256", ec);
      return false;
    }
  }
  fs::rename(tmp + ".sha256", path + ".sha256", ec);
  if (!ec) fs::rename(tmp, path, ec);
  if (ec) {
    if (error) *error = "cannot store " + path + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

std::shared_ptr<Snapshot> read_snapshot(const std::string& path,
                                        const std::shared_ptr<detail::CodeObject>& code,
                                        const Baseline& b) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string content = buf.str();
  std::string expected;
  std::ifstream(path + ".sha256") >> expected;
  if (expected != detail::sha256_bytes_hex(content))
    throw Error("persisted snapshot " + path + " does not match its digest (damaged)");
  Header h{};
  const wisp_module_desc_t* d = code->desc;
  if (content.size() < sizeof h) throw Error("persisted snapshot " + path + " is truncated");
  std::memcpy(&h, content.data(), sizeof h);
  const auto misfit = [&] {
    return Error("persisted snapshot " + path + " does not fit this module's code");
  };
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.vm_size != d->instance_size ||
      h.num_memories != d->num_memories)
    throw misfit();
  const size_t pages_size = sizeof(uint32_t) * h.num_memories;
  if (content.size() < sizeof h + pages_size) throw misfit();
  std::vector<uint32_t> pages(h.num_memories);
  std::memcpy(pages.data(), content.data() + sizeof h, pages_size);
  uint64_t image_size = 0;
  for (uint32_t p : pages) image_size += uint64_t{p} * rt::kWasmPageSize;
  if (image_size != h.image_size ||
      content.size() != sizeof h + pages_size + h.vm_size + image_size)
    throw misfit();

  auto s = std::make_shared<Snapshot>();
  s->code = code;
  s->desc = d;
  s->captured_vm = reinterpret_cast<uintptr_t>(b.vm);
  const char* vm_bytes = content.data() + sizeof h + pages_size;
  s->vm.assign(vm_bytes, vm_bytes + h.vm_size);
  // References come from this process's baseline; numbers from the file.
  auto take = [&](size_t off, size_t len) {
    std::memcpy(s->vm.data() + off, static_cast<const char*>(b.vm) + off, len);
  };
  for (uint32_t i = 0; i < d->num_funcref_globals; ++i)
    take(d->funcref_global_offsets[i], sizeof(wasm_rt_funcref_t));
  for (uint32_t i = 0; i < d->num_externref_globals; ++i)
    take(d->externref_global_offsets[i], sizeof(wasm_rt_externref_t));
  if (d->import_instance_offset != static_cast<size_t>(-1))
    take(d->import_instance_offset, sizeof(void*));
  for (uint32_t i = 0; i < d->num_tables; ++i) {
    TableImage t;
    t.offset = d->table_offsets[i];
    t.funcref = d->table_is_funcref[i] != 0;
    take(t.offset, sizeof(wasm_rt_funcref_table_t));
    const auto* bt = at<wasm_rt_funcref_table_t>(b.vm, t.offset);
    t.size = bt->size;
    t.max_size = bt->max_size;
    if (t.funcref) {
      t.funcs.assign(bt->data, bt->data + bt->size);
    } else {
      const auto* ext = reinterpret_cast<const wasm_rt_externref_t*>(bt->data);
      t.externs.assign(ext, ext + bt->size);
    }
    s->tables.push_back(std::move(t));
  }
  const auto* image = reinterpret_cast<const uint8_t*>(vm_bytes + h.vm_size);
  for (uint32_t i = 0; i < h.num_memories; ++i) {
    MemorySnapshot m;
    m.offset = d->memory_offsets[i];
    m.pages = pages[i];
    const uint64_t bytes = uint64_t{pages[i]} * rt::kWasmPageSize;
    m.image = MemoryImage::create({image, bytes});
    image += bytes;
    s->memories.push_back(std::move(m));
  }
  s->from_cache = true;
  s->persisted_path = path;
  return s;
}

}  // namespace wisp::snap
