// Contexts: host-allocated regions in one shared instance, checked host access, zeroing on
// close, and enforced isolation by keeping every region PROT_NONE except during its own calls.
#include "wisp/contexts.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "instance/instance_impl.hpp"

namespace wisp {

namespace detail {

struct ContextsImpl {
  Instance instance;
  ContextsOptions options;
  uint64_t region = 0;  // bytes per context (whole host pages)
  std::mutex mutex;     // serialises calls and region bookkeeping
  std::vector<uint32_t> free_regions;
  uint32_t open = 0;

  uint8_t* base() {
    wasm_rt_memory_t* mem = instance.impl()->memory0();
    return mem ? mem->data : nullptr;
  }
  void protect(uint32_t ptr, int prot) {
    if (!options.enforce) return;
    if (mprotect(base() + ptr, region, prot) != 0)
      throw Error("contexts: mprotect failed: " + std::string(std::strerror(errno)));
  }
  // Grows memory by whole wasm pages and carves them into regions (mutex held).
  void add_regions() {
    const uint64_t page = 65536;
    uint64_t pages = (region + page - 1) / page;
    Memory mem = instance.memory();
    std::optional<uint32_t> old = mem.grow(static_cast<uint32_t>(pages));
    if (!old) throw Trap(TrapKind::resource_limit, "contexts: cannot grow memory for more regions");
    uint64_t start = uint64_t{*old} * page, end = start + pages * page;
    for (uint64_t at = start; at + region <= end; at += region) {
      free_regions.push_back(static_cast<uint32_t>(at));
      protect(static_cast<uint32_t>(at), PROT_NONE);
    }
  }
  void check(uint64_t offset, uint64_t len) const {
    if (offset > region || len > region - offset)
      throw Trap(TrapKind::out_of_bounds, "context access [" + std::to_string(offset) + ", +" +
                                              std::to_string(len) + ") outside its " +
                                              std::to_string(region) + "-byte region");
  }
};

}  // namespace detail

Contexts::Contexts(const Template& tmpl, ContextsOptions options)
    : impl_(std::make_shared<detail::ContextsImpl>()) {
  impl_->instance = tmpl.instantiate();
  impl_->options = options;
  uint64_t ps = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  impl_->region = std::max<uint64_t>(ps, (options.region_bytes + ps - 1) / ps * ps);
  if (!impl_->instance.memory().valid()) throw Error("contexts: the module has no memory");
}

Contexts::~Contexts() = default;

std::unique_ptr<Contexts::Context> Contexts::open() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->open >= impl_->options.max_contexts)
    throw Trap(TrapKind::resource_limit, "contexts: max_contexts reached");
  if (impl_->free_regions.empty()) impl_->add_regions();
  uint32_t ptr = impl_->free_regions.back();
  impl_->free_regions.pop_back();
  ++impl_->open;
  return std::make_unique<Context>(impl_, ptr);
}

uint32_t Contexts::open_contexts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

Instance& Contexts::instance() {
  return impl_->instance;
}

Contexts::Context::Context(std::shared_ptr<detail::ContextsImpl> impl, uint32_t ptr)
    : impl_(std::move(impl)), ptr_(ptr) {}

Contexts::Context::~Context() {
  std::lock_guard lock(impl_->mutex);
  // Zero the region: its pages are anonymous memory grown past the snapshot, so dropping them
  // reads back as zeros.
  uint8_t* at = impl_->base() + ptr_;
  if (madvise(at, impl_->region, MADV_DONTNEED) != 0) {
    impl_->protect(ptr_, PROT_READ | PROT_WRITE);
    std::memset(at, 0, impl_->region);
    impl_->protect(ptr_, PROT_NONE);
  }
  impl_->free_regions.push_back(ptr_);
  --impl_->open;
}

uint64_t Contexts::Context::size() const {
  return impl_->region;
}

std::vector<Value> Contexts::Context::call(std::string_view name, std::span<const Value> args) {
  std::vector<Value> all;
  all.reserve(args.size() + 1);
  all.push_back(Value::i32(static_cast<int32_t>(ptr_)));
  all.insert(all.end(), args.begin(), args.end());
  std::lock_guard lock(impl_->mutex);
  if (impl_->instance.trapped())
    throw Error("contexts: the shared instance trapped earlier and is no longer usable");
  impl_->protect(ptr_, PROT_READ | PROT_WRITE);
  struct Reprotect {
    detail::ContextsImpl* impl;
    uint32_t ptr;
    ~Reprotect() {
      if (impl->options.enforce) mprotect(impl->base() + ptr, impl->region, PROT_NONE);
    }
  } reprotect{impl_.get(), ptr_};
  return impl_->instance.call(name, all);
}

std::vector<uint8_t> Contexts::Context::read(uint64_t offset, uint64_t len) const {
  impl_->check(offset, len);
  std::lock_guard lock(impl_->mutex);
  impl_->protect(ptr_, PROT_READ);
  std::vector<uint8_t> out(impl_->base() + ptr_ + offset, impl_->base() + ptr_ + offset + len);
  impl_->protect(ptr_, PROT_NONE);
  return out;
}

void Contexts::Context::write(uint64_t offset, std::span<const uint8_t> bytes) {
  impl_->check(offset, bytes.size());
  std::lock_guard lock(impl_->mutex);
  impl_->protect(ptr_, PROT_READ | PROT_WRITE);
  std::memcpy(impl_->base() + ptr_ + offset, bytes.data(), bytes.size());
  impl_->protect(ptr_, PROT_NONE);
}

}  // namespace wisp
