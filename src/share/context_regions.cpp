// Contexts internals: region allocation (host-grown pages or the guest's malloc/free), isolation
// by protection keys or mprotect, the host-access filter during calls, replacement after traps.
#include "share/context_regions.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>

#include "instance/instance_impl.hpp"
#include "share/pkeys.hpp"
#include "share/strategy_core.hpp"

namespace wisp::detail {

namespace {

constexpr int kMaxKeysPerContexts = 15;
// Closed keyed regions up to this size are zeroed with stores and keep their key; larger ones
// are dropped with madvise and lose it.
constexpr uint64_t kZeroByStoreBytes = 64 * 1024;

// Sets PKRU for the lifetime of the scope (when `on`), restoring the previous value after.
class PkruScope {
 public:
  PkruScope(bool on, uint32_t deny_mask, int allowed_key) : on_(on) {
    if (!on_) return;
    saved_ = pkeys::read_pkru();
    pkeys::write_pkru((saved_ | deny_mask) & ~pkeys::deny_bits(allowed_key));
  }
  ~PkruScope() {
    if (on_) pkeys::write_pkru(saved_);
  }
  PkruScope(const PkruScope&) = delete;
  PkruScope& operator=(const PkruScope&) = delete;

 private:
  bool on_;
  uint32_t saved_ = 0;
};

bool has_export(const Module& m, const std::string& name, std::vector<ValType> params,
                std::vector<ValType> results) {
  for (const ExportDesc& e : m.exports()) {
    if (e.name != name) continue;
    return e.type.kind == ExternKind::func && e.type.func.params == params &&
           e.type.func.results == results;
  }
  return false;
}

}  // namespace

ContextsImpl::ContextsImpl(const Template& t, ContextsOptions o)
    : tmpl(t), options(std::move(o)), instance(t.instantiate()) {
  if (!instance.memory().valid()) throw Error("contexts: the module has no memory");
  instance.impl()->stop_write_tracking();  // regions get protections of their own
  host_page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  region =
      std::max<uint64_t>(host_page, (options.region_bytes + host_page - 1) / host_page * host_page);
  if (region > (uint64_t{1} << 30)) throw Error("contexts: region_bytes above 1 GiB");
  const Module& m = t.module();
  bool alloc_pair = has_export(m, options.alloc_export, {ValType::i32}, {ValType::i32}) &&
                    has_export(m, options.free_export, {ValType::i32}, {});
  if (options.regions == RegionSource::guest_allocator && !alloc_pair)
    throw Error("contexts: guest_allocator regions need exports " + options.alloc_export +
                "(i32) -> i32 and " + options.free_export + "(i32)");
  guest_alloc = options.regions == RegionSource::guest_allocator ||
                (options.regions == RegionSource::automatic && alloc_pair);
  use_pkeys = options.enforce && options.use_pkeys && pkeys::supported();
  if (options.enforce && !use_pkeys && !guest_alloc && options.use_views) start_views();
}

void ContextsImpl::start_views() {
  try {
    views_ = std::make_unique<ContextViews>(*instance.impl(), region);
  } catch (const Error&) {
    views_.reset();  // isolation by mprotect instead
  }
}

ContextsImpl::~ContextsImpl() {
  unprotect_all();
  for (int k : keys_) pkeys::free(k);
}

uint8_t* ContextsImpl::base() const {
  return instance.impl()->memory0()->data;
}

void ContextsImpl::protect(uint32_t ptr, int prot, int key) const {
  int rc = use_pkeys ? pkeys::protect(base() + ptr, region, prot, key < 0 ? 0 : key)
                     : mprotect(base() + ptr, region, prot);
  if (rc != 0) throw Error("contexts: protecting a region failed: " + std::string(strerror(errno)));
}

int ContextsImpl::take_key() {
  if (!use_pkeys) return -1;
  if (free_keys_.empty() && keys_.size() < kMaxKeysPerContexts) {
    int k = pkeys::alloc();
    if (k > 0) {
      keys_.push_back(k);
      free_keys_.push_back(k);
      key_deny_mask_ |= pkeys::deny_bits(k);
    }
  }
  if (free_keys_.empty()) {
    keyless_seen_ = true;
    return -1;
  }
  int k = free_keys_.back();
  free_keys_.pop_back();
  return k;
}

void ContextsImpl::give_key(int key) {
  if (key > 0) free_keys_.push_back(key);
}

void ContextsImpl::grow_regions() {
  const uint64_t wasm_page = 65536;
  uint64_t pages = (region + wasm_page - 1) / wasm_page;
  std::optional<uint32_t> old = instance.memory().grow(static_cast<uint32_t>(pages));
  if (!old) throw Trap(TrapKind::resource_limit, "contexts: cannot grow memory for more regions");
  uint64_t start = uint64_t{*old} * wasm_page, end = start + pages * wasm_page;
  // Carve from the top so that pop_back hands out the lowest address first.
  for (uint64_t at = end - region; at >= start && at + region <= end; at -= region) {
    free_regions_.push_back(static_cast<uint32_t>(at));
    guarded_[static_cast<uint32_t>(at)] = true;
    if (options.enforce) protect(static_cast<uint32_t>(at), PROT_NONE, 0);
    if (at < region) break;
  }
}

uint32_t ContextsImpl::guest_alloc_block() {
  std::vector<Value> r;
  try {
    r = instance.call(options.alloc_export, {Value::i32(static_cast<int32_t>(region + host_page))});
  } catch (...) {
    if (instance.trapped()) replace_after_trap(UINT32_MAX);
    throw;
  }
  uint32_t block = static_cast<uint32_t>(r.at(0).as_i32());
  if (block == 0)
    throw Trap(TrapKind::resource_limit,
               "contexts: the guest allocator (" + options.alloc_export + ") returned NULL");
  uint64_t size = instance.memory().size();
  if (uint64_t{block} + region + host_page > size)
    throw Trap(TrapKind::out_of_bounds,
               "contexts: the guest allocator returned a block outside "
               "memory");
  return block;
}

void ContextsImpl::guest_free_block(uint32_t block) {
  try {
    instance.call(options.free_export, {Value::i32(static_cast<int32_t>(block))});
  } catch (...) {
    if (instance.trapped()) replace_after_trap(UINT32_MAX);
    throw;
  }
}

ContextRegion& ContextsImpl::open_region() {
  if (open >= options.max_contexts)
    throw Trap(TrapKind::resource_limit,
               "contexts: max_contexts (" + std::to_string(options.max_contexts) + ") reached");
  ContextRegion r;
  r.generation = generation;
  if (guest_alloc) {
    r.block = guest_alloc_block();
    r.ptr = static_cast<uint32_t>((uint64_t{r.block} + host_page - 1) / host_page * host_page);
    if (overlaps_guarded(r.ptr, region, UINT32_MAX)) {
      guest_free_block(r.block);
      throw Error("contexts: the guest allocator returned a block that overlaps a live context");
    }
    std::memset(base() + r.ptr, 0, region);
  } else if (!free_keyed_.empty()) {
    // A zeroed region that kept its key: nothing to change, no system call.
    r.ptr = free_keyed_.back().first;
    r.key = free_keyed_.back().second;
    free_keyed_.pop_back();
    guarded_[r.ptr] = false;
    ++open;
    return live_[r.ptr] = r;
  } else {
    if (free_regions_.empty()) grow_regions();
    r.ptr = free_regions_.back();
    free_regions_.pop_back();
  }
  r.key = take_key();
  if (r.key > 0) {
    protect(r.ptr, PROT_READ | PROT_WRITE, r.key);
  } else if (options.enforce && !views_) {
    protect(r.ptr, PROT_NONE, 0);  // (with views every region stays PROT_NONE at home)
  }
  guarded_[r.ptr] = false;
  ++open;
  return live_[r.ptr] = r;
}

ContextRegion& ContextsImpl::region_of(uint32_t ptr, uint64_t gen) {
  auto it = live_.find(ptr);
  if (gen != generation || it == live_.end())
    throw Error(
        "contexts: this context was invalidated: a trap replaced the shared instance "
        "and its guest-allocated regions");
  return it->second;
}

void ContextsImpl::with_access(const ContextRegion& r, const std::function<void(uint8_t*)>& fn) {
  if (uint8_t* view = views_ ? views_->view(r.ptr, guarded_) : nullptr) {
    fn(view + r.ptr);  // the region is readable and writable in its own view
    return;
  }
  PkruScope pkru(use_pkeys, 0, r.key);
  bool reopen = options.enforce && r.key <= 0;
  if (reopen) protect(r.ptr, PROT_READ | PROT_WRITE, 0);
  try {
    fn(base() + r.ptr);
  } catch (...) {
    if (reopen) protect(r.ptr, PROT_NONE, 0);
    throw;
  }
  if (reopen) protect(r.ptr, PROT_NONE, 0);
}

void ContextsImpl::close_region(uint32_t ptr, uint64_t gen) {
  auto it = live_.find(ptr);
  if (gen != generation || it == live_.end()) return;  // invalidated by a trap
  ContextRegion r = it->second;
  live_.erase(it);
  --open;
  if (guest_alloc) {
    // The region returns to the guest's heap: plain pages, zeroed, then free().
    guarded_.erase(ptr);
    if (r.key > 0 || options.enforce) protect(ptr, PROT_READ | PROT_WRITE, 0);
    give_key(r.key);
    std::memset(base() + ptr, 0, region);
    guest_free_block(r.block);
    return;
  }
  guarded_[ptr] = true;
  if (views_ && region <= kZeroByStoreBytes) {
    // Zeroed through its view (the memfd's pages: madvise would not zero them); no system call.
    with_access(r, [&](uint8_t* at) { std::memset(at, 0, region); });
    free_regions_.push_back(ptr);
    return;
  }
  if (views_) {
    views_->zero(ptr);
    free_regions_.push_back(ptr);
    return;
  }
  if (r.key > 0 && region <= kZeroByStoreBytes) {
    // Zeroed in place; the region keeps its key, so no other call can reach it and the next
    // open needs no system call.
    with_access(r, [&](uint8_t* at) { std::memset(at, 0, region); });
    free_keyed_.emplace_back(ptr, r.key);
    return;
  }
  // Host-grown pages are anonymous memory past the snapshot: dropping them reads back zeros.
  if (madvise(base() + ptr, region, MADV_DONTNEED) != 0) {
    with_access(r, [&](uint8_t* at) { std::memset(at, 0, region); });
  }
  if (r.key > 0) protect(ptr, PROT_NONE, 0);  // keys imply enforcement
  give_key(r.key);
  free_regions_.push_back(ptr);
}

std::vector<Value> ContextsImpl::call(uint32_t ptr, uint64_t gen, std::string_view name,
                                      std::span<const Value> args) {
  if (instance.trapped()) replace_after_trap(UINT32_MAX);  // an earlier replacement failed
  ContextRegion& r = region_of(ptr, gen);
  std::vector<Value> all;
  all.reserve(args.size() + 1);
  all.push_back(Value::i32(static_cast<int32_t>(ptr)));
  all.insert(all.end(), args.begin(), args.end());
  std::vector<Value> out;
  std::exception_ptr error;
  {
    // With views: the call runs on this context's view of the memory (the memory's base
    // pointer swapped for the call), where the other regions are absent.
    uint8_t* view = views_ ? views_->view(ptr, guarded_) : nullptr;
    wasm_rt_memory_t* mem = instance.impl()->memory0();
    uint8_t* home = mem->data;
    PkruScope pkru(use_pkeys, key_deny_mask_, r.key);
    bool reopen = options.enforce && r.key <= 0 && view == nullptr;
    if (reopen) protect(ptr, PROT_READ | PROT_WRITE, 0);
    rt::ScopedAccessFilter filter(this);
    active_ = ptr;
    if (view) mem->data = view;
    try {
      out = instance.call(name, all);
    } catch (...) {
      error = std::current_exception();
    }
    if (view) {
      mem->data = home;
      views_->call_ended(ptr);
    }
    active_ = UINT32_MAX;
    if (reopen) protect(ptr, PROT_NONE, 0);
  }
  if (error) {
    // Back outside the call's PKRU; a trapped instance is replaced before the error goes on.
    if (instance.trapped()) replace_after_trap(ptr);
    std::rethrow_exception(error);
  }
  return out;
}

bool ContextsImpl::overlaps_guarded(uint64_t ptr, uint64_t len, uint32_t except) const {
  uint64_t end = ptr + (len ? len : 1);
  auto it = guarded_.lower_bound(static_cast<uint32_t>(std::min<uint64_t>(end, UINT32_MAX)));
  if (end > UINT32_MAX) it = guarded_.end();
  while (it != guarded_.begin()) {
    --it;
    if (uint64_t{it->first} + region <= ptr) break;
    if (it->first != except) return true;
  }
  return false;
}

const char* ContextsImpl::denies(const wasm_rt_memory_t* mem, uint64_t ptr, uint64_t len) const {
  if (mem != instance.impl()->memory0() || guarded_.empty()) return nullptr;
  return overlaps_guarded(ptr, len, active_) ? "reaches another context's region" : nullptr;
}

std::string ContextsImpl::enforcement() const {
  if (!options.enforce) return "off";
  if (!use_pkeys) return views_ ? "views" : "mprotect";
  return keyless_seen_ ? "pkeys+mprotect" : "pkeys";
}

void ContextsImpl::unprotect_all() {
  if (!options.enforce && keys_.empty()) return;
  if (!instance || !instance.impl()->memory0()) return;
  for (const auto& [ptr, free] : guarded_) {
    (void)free;
    int rc = use_pkeys ? pkeys::protect(base() + ptr, region, PROT_READ | PROT_WRITE, 0)
                       : mprotect(base() + ptr, region, PROT_READ | PROT_WRITE);
    (void)rc;
  }
}

void ContextsImpl::replace_after_trap(uint32_t culprit) {
  const DiscardReason why = discard_reason_of_trap(instance.impl()->last_trap);
  Instance fresh = tmpl.instantiate();
  fresh.impl()->stop_write_tracking();
  ++replacements;
  ++replaced_by[static_cast<size_t>(why)];
  if (guest_alloc) {
    // The allocator's heap cannot be trusted: every open context is invalidated.
    unprotect_all();
    for (auto& [p, r] : live_) give_key(r.key);
    live_.clear();
    guarded_.clear();
    open = 0;
    ++generation;
    instance = std::move(fresh);
    return;
  }
  // Host-grown regions: carry every other context's region over, zero the culprit's.
  uint32_t old_pages = instance.memory().pages();
  uint32_t new_pages = fresh.memory().pages();
  if (old_pages > new_pages && !fresh.memory().grow(old_pages - new_pages))
    throw Trap(TrapKind::resource_limit, "contexts: cannot grow the replacement instance");
  unprotect_all();  // the old instance's pages: readable here, and clean for its slot's reuse
  uint8_t* from = base();
  uint8_t* to = fresh.impl()->memory0()->data;
  for (const auto& [p, r] : live_) {
    if (p != culprit) std::memcpy(to + p, from + p, region);
  }
  const bool had_views = views_ != nullptr;
  views_.reset();  // before the memory they map goes with the old instance
  instance = std::move(fresh);
  if (had_views) start_views();  // the regions are still readable here, as start_views needs
  std::map<uint32_t, int> keyed;
  for (const auto& [p, r] : live_) keyed[p] = r.key;
  for (const auto& [p, k] : free_keyed_) keyed[p] = k;
  for (const auto& [p, free] : guarded_) {
    auto it = keyed.find(p);
    if (it != keyed.end() && it->second > 0) {
      protect(p, PROT_READ | PROT_WRITE, it->second);
    } else if (options.enforce) {
      protect(p, PROT_NONE, 0);
    }
  }
}

}  // namespace wisp::detail
