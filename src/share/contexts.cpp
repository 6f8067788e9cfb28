// Contexts: the public face of many isolated contexts in one shared instance (the regions, their
// protection and the replacement after traps live in context_regions.cpp).
#include "wisp/contexts.hpp"

#include <cstring>

#include "share/context_regions.hpp"

namespace wisp {

Contexts::Contexts(const Template& tmpl, ContextsOptions options)
    : impl_(std::make_shared<detail::ContextsImpl>(tmpl, std::move(options))) {}

Contexts::~Contexts() = default;

std::unique_ptr<Contexts::Context> Contexts::open() {
  std::lock_guard lock(impl_->mutex);
  detail::ContextRegion& r = impl_->open_region();
  return std::make_unique<Context>(impl_, r.ptr, r.generation);
}

uint32_t Contexts::open_contexts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

std::string Contexts::enforcement() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->enforcement();
}

std::string Contexts::region_source() const {
  return impl_->guest_alloc ? "guest_allocator" : "host_grow";
}

uint64_t Contexts::replacements() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->replacements;
}

Instance& Contexts::instance() {
  return impl_->instance;
}

Contexts::Context::Context(std::shared_ptr<detail::ContextsImpl> impl, uint32_t ptr,
                           uint64_t generation)
    : impl_(std::move(impl)), ptr_(ptr), generation_(generation) {}

Contexts::Context::~Context() {
  std::lock_guard lock(impl_->mutex);
  try {
    impl_->close_region(ptr_, generation_);
  } catch (const Error&) {
    // Only the guest's free() can fail here (a trap, after which the instance was replaced).
  }
}

uint64_t Contexts::Context::size() const {
  return impl_->region;
}

bool Contexts::Context::valid() const {
  std::lock_guard lock(impl_->mutex);
  return generation_ == impl_->generation;
}

std::vector<Value> Contexts::Context::call(std::string_view name, std::span<const Value> args) {
  std::lock_guard lock(impl_->mutex);
  return impl_->call(ptr_, generation_, name, args);
}

namespace {
void check_range(uint64_t region, uint64_t offset, uint64_t len) {
  if (offset > region || len > region - offset)
    throw Trap(TrapKind::out_of_bounds, "context access [" + std::to_string(offset) + ", +" +
                                            std::to_string(len) + ") outside its " +
                                            std::to_string(region) + "-byte region");
}
}  // namespace

std::vector<uint8_t> Contexts::Context::read(uint64_t offset, uint64_t len) const {
  check_range(impl_->region, offset, len);
  std::lock_guard lock(impl_->mutex);
  std::vector<uint8_t> out(len);
  impl_->with_access(impl_->region_of(ptr_, generation_),
                     [&](uint8_t* at) { std::memcpy(out.data(), at + offset, len); });
  return out;
}

void Contexts::Context::write(uint64_t offset, std::span<const uint8_t> bytes) {
  check_range(impl_->region, offset, bytes.size());
  std::lock_guard lock(impl_->mutex);
  impl_->with_access(impl_->region_of(ptr_, generation_), [&](uint8_t* at) {
    if (!bytes.empty()) std::memcpy(at + offset, bytes.data(), bytes.size());
  });
}

}  // namespace wisp
