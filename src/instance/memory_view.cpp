// Checked views of linear memory: every (pointer, length) from a guest or client is validated.
#include "instance/instance_impl.hpp"
#include "runtime/access_filter.hpp"
#include "runtime/memory.hpp"
#include "runtime/slots.hpp"
#include "runtime/watchdog.hpp"
#include "wisp/instance.hpp"

namespace wisp {

namespace {
wasm_rt_memory_t* mem_of(void* m) {
  return static_cast<wasm_rt_memory_t*>(m);
}
uint64_t byte_size(const wasm_rt_memory_t* m) {
  return uint64_t{m->pages} * 65536;
}
}  // namespace

uint64_t Memory::size() const {
  return byte_size(mem_of(mem_));
}
uint32_t Memory::pages() const {
  return mem_of(mem_)->pages;
}

std::optional<uint32_t> Memory::max_pages() const {
  uint32_t m = mem_of(mem_)->max_pages;
  if (m >= 65536) return std::nullopt;
  return m;
}

uint8_t* Memory::checked(uint64_t ptr, uint64_t len) const {
  if (!mem_) throw Error("invalid Memory view");
  uint64_t size = byte_size(mem_of(mem_));
  if (ptr > size || len > size - ptr) {
    throw Trap(TrapKind::out_of_bounds, "host access [" + std::to_string(ptr) + ", +" +
                                            std::to_string(len) + ") outside memory of " +
                                            std::to_string(size) + " bytes");
  }
  if (const rt::AccessFilter* filter = rt::tls_access_filter) {
    if (const char* why = filter->denies(mem_of(mem_), ptr, len))
      throw Trap(TrapKind::out_of_bounds,
                 "host access [" + std::to_string(ptr) + ", +" + std::to_string(len) + ") " + why);
  }
  return mem_of(mem_)->data + ptr;
}

std::vector<uint8_t> Memory::read(uint64_t ptr, uint64_t len) const {
  const uint8_t* p = checked(ptr, len);
  return std::vector<uint8_t>(p, p + len);
}

std::string Memory::read_string(uint64_t ptr, uint64_t len) const {
  const uint8_t* p = checked(ptr, len);
  return std::string(reinterpret_cast<const char*>(p), len);
}

void Memory::write(uint64_t ptr, std::span<const uint8_t> bytes) {
  uint8_t* p = checked(ptr, bytes.size());
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
}

std::span<uint8_t> Memory::span(uint64_t ptr, uint64_t len) {
  uint8_t* p = checked(ptr, len);
  rt::prepare_host_write(p, len);  // a write-tracked page would make a kernel write fail
  return {p, len};
}

std::span<const uint8_t> Memory::view(uint64_t ptr, uint64_t len) const {
  return {checked(ptr, len), len};
}

std::optional<uint32_t> Memory::grow(uint32_t delta) {
  if (!mem_) throw Error("invalid Memory view");
  uint32_t old = rt::grow_memory(mem_of(mem_), delta);
  if (old == UINT32_MAX) return std::nullopt;
  return old;
}

Memory Caller::memory() const {
  const auto& m = inst_->mod();
  auto it = m.export_index.find("memory");
  if (it != m.export_index.end() && m.exports[it->second].type.kind == ExternKind::memory) {
    return Memory(inst_->shared_from_this(), inst_->export_storage(it->second));
  }
  wasm_rt_memory_t* mem = inst_->memory0();
  if (!mem) return Memory();
  return Memory(inst_->shared_from_this(), mem);
}

Memory Caller::memory(std::string_view export_name) const {
  uint32_t idx = inst_->export_of_kind(export_name, ExternKind::memory);
  return Memory(inst_->shared_from_this(), inst_->export_storage(idx));
}

}  // namespace wisp

namespace wisp {

std::chrono::steady_clock::time_point Caller::deadline() const {
  return rt::watchdog_deadline();
}

}  // namespace wisp
