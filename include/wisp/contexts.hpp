// Contexts: many callers' isolated contexts inside one shared instance. Each context is a region
// of the instance's linear memory allocated by the host (by growing memory), handed to the guest
// as a pointer (the first argument of every call made through the context). Host access to a
// context is checked against its region; a closed context's region is zeroed before reuse.
//
// Enforced isolation (ContextsOptions::enforce, on by default): outside a call, every context
// region is inaccessible (PROT_NONE); a call through context A opens only A's region, so a stray
// or hostile access to another context's region traps (out_of_bounds) instead of reading a
// neighbour's data. Cost: two mprotect calls per call.
//
//   wisp::Contexts contexts(tmpl);
//   auto a = contexts.open();
//   a->call("update_value", {wisp::Value::i32(42)});   // the guest sees update_value(a_ptr, 42)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "wisp/instance.hpp"
#include "wisp/template.hpp"

namespace wisp {

struct ContextsOptions {
  uint64_t region_bytes = 4096;  // per context, rounded up to whole host pages
  uint32_t max_contexts = 4096;
  bool enforce = true;
};

namespace detail {
struct ContextsImpl;
}

class Contexts {
 public:
  explicit Contexts(const Template& tmpl, ContextsOptions options = {});
  ~Contexts();
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;

  class Context {
   public:
    ~Context();  // zeroes the region and frees it for reuse
    uint32_t ptr() const { return ptr_; }
    uint64_t size() const;
    // Calls export `name` with this context's pointer as the first (i32) argument, then `args`.
    // Calls through all contexts of one instance are serialised.
    std::vector<Value> call(std::string_view name, std::span<const Value> args = {});
    std::vector<Value> call(std::string_view name, std::initializer_list<Value> args) {
      return call(name, std::span<const Value>(args.begin(), args.size()));
    }
    // Host access to the region: offsets are relative to ptr(); out of range throws Trap.
    std::vector<uint8_t> read(uint64_t offset, uint64_t len) const;
    void write(uint64_t offset, std::span<const uint8_t> bytes);

    Context(std::shared_ptr<detail::ContextsImpl> impl, uint32_t ptr);

   private:
    std::shared_ptr<detail::ContextsImpl> impl_;
    uint32_t ptr_;
  };

  // A new context (a zeroed region). Throws Trap(resource_limit) when no more fit.
  std::unique_ptr<Context> open();
  uint32_t open_contexts() const;
  // The shared instance (for inspection; call through contexts).
  Instance& instance();

 private:
  std::shared_ptr<detail::ContextsImpl> impl_;
};

}  // namespace wisp
