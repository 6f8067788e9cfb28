// Contexts: many callers' isolated contexts inside one shared instance. Each context is a region
// of the instance's linear memory, handed to the guest as a pointer (the first argument of every
// call made through the context). Regions come from the host growing memory, or from the guest's
// own allocator export pair (malloc/free) when the module has one. Every host-mediated access
// (Context::read/write, and host functions reading guest memory during a context's call) is
// checked against the context; a closed context's region is zeroed before reuse.
//
// Enforced isolation (ContextsOptions::enforce, on by default): while a call runs through
// context A, every other context's region is inaccessible, so a stray or hostile access traps
// (out_of_bounds) instead of reading a neighbour's data. With memory protection keys (x86 PKU,
// when the CPU has them) each context's pages carry their own key and a call switches one
// register (no system call); contexts beyond the free keys (15 per process) fall back to
// mprotect. Without keys (a CPU without PKU, or use_pkeys off) each context gets its own view
// of the memory, in which the other contexts' regions are absent: a call switches a pointer, no
// system call (up to 64 views are kept; another costs a few mmap calls). Where views cannot be
// had (a guest allocator's regions, an imported memory, no address space left, use_views off),
// a region is kept PROT_NONE outside its own calls (two mprotect calls per call).
//
// A trap in one context's call replaces the shared instance: the other contexts' regions are
// copied into the new instance (they were inaccessible during the failing call, so intact), the
// trapping context's region is zeroed, and guest state outside the regions starts again from the
// snapshot. With guest-allocated regions the allocator's state cannot be trusted after a trap,
// so every open context is invalidated instead (its calls throw wisp::Error).
//
//   wisp::Contexts contexts(tmpl);
//   auto a = contexts.open();
//   a->call("update_value", {wisp::Value::i32(42)});   // the guest sees update_value(a_ptr, 42)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wisp/instance.hpp"
#include "wisp/template.hpp"

namespace wisp {

enum class RegionSource {
  automatic,        // the guest allocator if the module exports it, else host_grow
  host_grow,        // whole pages appended to memory by the host
  guest_allocator,  // alloc_export(size) / free_export(ptr) of the module
};

struct ContextsOptions {
  uint64_t region_bytes = 4096;  // per context, rounded up to whole host pages
  uint32_t max_contexts = 4096;
  bool enforce = true;
  bool use_pkeys = true;  // protection keys when available
  bool use_views = true;  // without keys: a view per context (false: mprotect)
  RegionSource regions = RegionSource::automatic;
  std::string alloc_export = "malloc";  // (i32 size) -> i32 ptr
  std::string free_export = "free";     // (i32 ptr) -> ()

  bool operator==(const ContextsOptions&) const = default;
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
    // False once a trap invalidated it (guest-allocated regions only).
    bool valid() const;
    // Calls export `name` with this context's pointer as the first (i32) argument, then `args`.
    // Calls through all contexts of one instance are serialised.
    std::vector<Value> call(std::string_view name, std::span<const Value> args = {});
    std::vector<Value> call(std::string_view name, std::initializer_list<Value> args) {
      return call(name, std::span<const Value>(args.begin(), args.size()));
    }
    // Host access to the region: offsets are relative to ptr(); out of range throws Trap.
    std::vector<uint8_t> read(uint64_t offset, uint64_t len) const;
    void write(uint64_t offset, std::span<const uint8_t> bytes);

    Context(std::shared_ptr<detail::ContextsImpl> impl, uint32_t ptr, uint64_t generation);

   private:
    std::shared_ptr<detail::ContextsImpl> impl_;
    uint32_t ptr_;
    uint64_t generation_;
  };

  // A new context (a zeroed region). Throws Trap(resource_limit) when no more fit.
  std::unique_ptr<Context> open();
  uint32_t open_contexts() const;
  // How isolation is enforced now: "pkeys", "views", "mprotect", "pkeys+mprotect" (keys ran
  // out) or "off"; and where regions come from: "host_grow" or "guest_allocator".
  std::string enforcement() const;
  std::string region_source() const;
  // Times the shared instance was replaced after a trap.
  uint64_t replacements() const;
  // The shared instance (for inspection; call through contexts). Changes after a trap.
  Instance& instance();

  const std::shared_ptr<detail::ContextsImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::ContextsImpl> impl_;
};

}  // namespace wisp
