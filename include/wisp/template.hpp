// A Template is a module with every import resolved and checked (Wasmtime's InstancePre): the
// fast way to make many instances of one module.
#pragma once

#include <cstdint>
#include <memory>

#include "wisp/instance.hpp"
#include "wisp/limits.hpp"
#include "wisp/module.hpp"

namespace wisp {

struct TemplateOptions {
  Tier tier = Tier::automatic;
  Limits limits;
};

namespace detail {
struct TemplateImpl;
}

// Thread-safe: any number of threads may instantiate from one Template at once.
class Template {
 public:
  explicit Template(std::shared_ptr<detail::TemplateImpl> impl) : impl_(std::move(impl)) {}
  // A new instance: segments applied, start function run. Throws Trap if instantiation traps
  // (for example an out-of-bounds data segment), LinkError, or Trap(resource_limit).
  Instance instantiate() const;
  const Module& module() const;
  const TemplateOptions& options() const;
  const std::shared_ptr<detail::TemplateImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::TemplateImpl> impl_;
};

}  // namespace wisp
