// Module: interface queries, tier status, and choosing the code an instance runs.
#include "wisp/module.hpp"

#include "compile/big_stack.hpp"
#include "compile/lazy_tier0.hpp"
#include "compile/module_impl.hpp"
#include "compile/native_code.hpp"
#include "runtime/host_call.hpp"
#include "wisp/error.hpp"

namespace wisp {

namespace detail {

void CodeObject::ensure_initialized() {
  std::call_once(init_once_, [this] {
    desc->bind_runtime(rt::runtime_api());
    desc->init_module();
  });
}

std::shared_ptr<CodeObject> ModuleImpl::code_for(Tier tier) const {
  std::unique_lock lock(mutex);
  if (tier == Tier::tier1) {
    tier1_cv.wait(lock, [&] { return tier1_done; });
    if (!tier1) throw Error("tier 1 is unavailable: " + tier1_error.value_or("unknown reason"));
    return tier1;
  }
  if (tier == Tier::automatic && tier1) return tier1;
  if (!tier0) {
    auto* self = const_cast<ModuleImpl*>(this);
    std::string source = c_source.text;
    lock.unlock();
    std::shared_ptr<CodeObject> code;
    // The caller's stack may be small (big_stack.hpp).
    on_big_stack([&] { code = build_tier0(source); });
    lock.lock();
    if (!self->tier0) self->tier0 = std::move(code);
  }
  return tier0;
}

}  // namespace detail

const std::vector<ImportDesc>& Module::imports() const {
  return impl_->imports;
}
const std::vector<ExportDesc>& Module::exports() const {
  return impl_->exports;
}
std::optional<ExportDesc> Module::find_export(const std::string& name) const {
  auto it = impl_->export_index.find(name);
  if (it == impl_->export_index.end()) return std::nullopt;
  return impl_->exports[it->second];
}
const std::vector<std::string>& Module::features() const {
  return impl_->features;
}
const std::vector<SectionSize>& Module::section_sizes() const {
  return impl_->sections;
}
std::optional<uint32_t> Module::start_function() const {
  return impl_->start;
}
const std::string& Module::hash() const {
  return impl_->hash;
}
size_t Module::byte_size() const {
  return impl_->bytes.size();
}

bool Module::tier1_ready() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->tier1 != nullptr;
}

bool Module::wait_tier1(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  auto done = [&] { return impl_->tier1_done; };
  if (timeout == std::chrono::milliseconds::max()) {
    impl_->tier1_cv.wait(lock, done);
  } else if (!impl_->tier1_cv.wait_for(lock, timeout, done)) {
    return false;
  }
  return impl_->tier1 != nullptr;
}

std::optional<std::string> Module::tier1_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->tier1_error;
}

CompileStats Module::stats() const {
  std::lock_guard lock(impl_->mutex);
  CompileStats s = impl_->stats;
  detail::LazyTier0Stats lazy;
  if (impl_->tier0 && detail::lazy_tier0_stats(*impl_->tier0, lazy)) {
    s.tier0_lazy = true;
    s.tier0_functions_compiled = lazy.functions_compiled;
    s.tier0_batches = lazy.batches;
    s.tier0_batch_c_bytes = lazy.batch_c_bytes;
  }
  return s;
}

}  // namespace wisp
