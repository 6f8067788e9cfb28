// exnref objects: the lifetime model of caught exceptions (final exception handling).
//
// An object is a header (below) followed by the wisp_exnref_t the generated code points to and
// the exception's values. Its reference count counts:
//  - arenas: each thread that captured it (catch_ref, catch_all_ref) or read it from a global or
//    a table during its current outermost call into WebAssembly holds one reference, dropped when
//    that call returns. Every exnref a function can have in a local or on its stack got there
//    through one of these (or is a value of a live object's exception), so none dangles while
//    the call runs, whatever stores happen meanwhile;
//  - slots: each exnref global and table element holding it;
//  - other objects: an exception whose tag carries exnref values (its mask says which) holds a
//    reference to each (they are older than it: no cycles).
// An object is freed when its count reaches 0: at the outermost return, or at the store that
// overwrote its last slot. One process-wide mutex guards the counts (stores of exnrefs are rare;
// globals and tables are never shared with the host, and a mutex keeps even concurrent calls on
// one instance sound). Memory: objects made in one call count against that call's 64 MiB (as
// before); objects a slot keeps (with what they reach) count once against kMaxRetainedBytes,
// process-wide, until freed: a store past it traps (resource_limit).
#include "runtime/exnref_objects.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "runtime/call_boundary.hpp"
#include "runtime/exceptions.hpp"
#include "runtime/wisp_abi.h"

namespace wisp::rt {

namespace {

struct ExnHeader {
  uint64_t refs;
  uint64_t token;    // the arena (thread and call) that last captured or held it
  uint32_t bytes;    // the whole allocation
  uint32_t counted;  // its bytes are in g_exn_retained
  uint64_t mask;     // bit i: value i is an exnref (wisp_abi.h: just below the wisp_exnref_t)
};
static_assert(sizeof(ExnHeader) == 32, "the generated code reads the mask at offset -8");

constexpr uint64_t kMaxExnCapturedBytes = 64ull << 20;

std::mutex g_exn_mutex;
std::atomic<uint64_t> g_exn_live{0};
uint64_t g_exn_retained = 0;  // guarded by g_exn_mutex
std::atomic<uint64_t> g_exn_next_token{1};

thread_local std::vector<void*> tls_exn_captured;
thread_local std::unordered_set<void*> tls_exn_held;
thread_local uint64_t tls_exn_captured_bytes = 0;
thread_local uint64_t tls_exn_token = 0;

ExnHeader* exn_header(const void* p) {
  return reinterpret_cast<ExnHeader*>(static_cast<char*>(const_cast<void*>(p)) - sizeof(ExnHeader));
}

uint64_t exn_arena_token() {
  if (tls_exn_token == 0) tls_exn_token = g_exn_next_token.fetch_add(1, std::memory_order_relaxed);
  return tls_exn_token;
}

// Calls f on each non-null exnref among the values of object p.
template <class F>
void exn_for_each_inner(const void* p, F&& f) {
  const ExnHeader* h = exn_header(p);
  if (h->mask == 0) return;
  const auto* e = static_cast<const wisp_exnref_t*>(p);
  const auto* v = reinterpret_cast<const wisp_raw_t*>(e + 1);
  const uint32_t n = e->size / sizeof(wisp_raw_t);
  for (uint32_t i = 0; i < n && i < 64; ++i)
    if ((h->mask >> i) & 1u)
      if (void* inner = v[i].externref) f(inner);
}

// Drops one reference (g_exn_mutex held); frees what reaches 0, and what only it kept.
void exn_unref(void* p) {
  std::vector<void*> work{p};
  while (!work.empty()) {
    void* q = work.back();
    work.pop_back();
    ExnHeader* h = exn_header(q);
    if (--h->refs != 0) continue;
    exn_for_each_inner(q, [&](void* inner) { work.push_back(inner); });
    if (h->counted) g_exn_retained -= h->bytes;
    g_exn_live.fetch_sub(1, std::memory_order_relaxed);
    std::free(h);
  }
}

// Counts p, and all it reaches, against kMaxRetainedBytes (g_exn_mutex held). False (nothing
// counted) if that would pass the limit.
bool exn_retain(void* p) {
  std::vector<void*> work{p}, marked;
  uint64_t total = g_exn_retained;
  while (!work.empty()) {
    void* q = work.back();
    work.pop_back();
    ExnHeader* h = exn_header(q);
    if (h->counted) continue;
    h->counted = 1;
    marked.push_back(q);
    total += h->bytes;
    exn_for_each_inner(q, [&](void* inner) { work.push_back(inner); });
  }
  if (total > kMaxRetainedBytes) {
    for (void* q : marked) exn_header(q)->counted = 0;
    return false;
  }
  g_exn_retained = total;
  return true;
}

// This thread's arena holds p until its outermost call returns (g_exn_mutex held).
void exn_hold(void* p) {
  if (p == nullptr) return;
  ExnHeader* h = exn_header(p);
  if (tls_exn_token != 0 && h->token == tls_exn_token) return;
  if (tls_exn_held.insert(p).second) ++h->refs;
  h->token = exn_arena_token();
  tls_holds_captured = true;
}

[[noreturn]] void exn_retained_limit() {
  set_trap_message("more than 64 MiB of caught exceptions (exnref) kept in globals and tables");
  raise_trap(trap_code(TrapKind::resource_limit));
}

}  // namespace

void* capture_exception() {
  const uint32_t size = exception_size();
  const uint64_t bytes = sizeof(ExnHeader) + sizeof(wisp_exnref_t) + size;
  if (tls_exn_captured_bytes + bytes > kMaxExnCapturedBytes) {
    set_trap_message("more than 64 MiB of caught exceptions (exnref) in one call");
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  auto* h = static_cast<ExnHeader*>(std::malloc(bytes));
  if (h == nullptr) {
    set_trap_message("out of memory capturing an exception (exnref)");
    raise_trap(trap_code(TrapKind::resource_limit));
  }
  h->refs = 1;  // this thread's arena
  h->token = exn_arena_token();
  h->bytes = static_cast<uint32_t>(bytes);
  h->counted = 0;
  h->mask = exception_refs();
  auto* e = reinterpret_cast<wisp_exnref_t*>(h + 1);
  e->tag = exception_tag();
  e->size = size;
  if (size) std::memcpy(e + 1, exception_data(), size);
  if (h->mask) {
    std::lock_guard lock(g_exn_mutex);
    exn_for_each_inner(e, [](void* inner) { ++exn_header(inner)->refs; });
  }
  g_exn_live.fetch_add(1, std::memory_order_relaxed);
  tls_exn_captured_bytes += bytes;
  tls_exn_captured.push_back(e);
  tls_holds_captured = true;
  return e;
}

void release_captured_exceptions() {
  {
    std::lock_guard lock(g_exn_mutex);
    for (void* p : tls_exn_captured) exn_unref(p);
    for (void* p : tls_exn_held) exn_unref(p);
  }
  tls_exn_captured.clear();
  tls_exn_held.clear();
  tls_exn_captured_bytes = 0;
  tls_exn_token = 0;
  tls_holds_captured = false;
}

void* exnref_load(void* const* slot) {
  std::lock_guard lock(g_exn_mutex);
  void* v = *slot;
  exn_hold(v);
  return v;
}

void exnref_fill(void** slots, void* value, uint32_t n) {
  if (n == 0) return;
  {
    std::lock_guard lock(g_exn_mutex);
    if (value == nullptr || exn_retain(value)) {
      if (value) exn_header(value)->refs += n;
      for (uint32_t i = 0; i < n; ++i) {
        void* old = slots[i];
        slots[i] = value;
        if (old) exn_unref(old);
      }
      return;
    }
  }
  exn_retained_limit();
}

void exnref_copy(void** dst, void* const* src, uint32_t n) {
  if (n == 0) return;
  std::lock_guard lock(g_exn_mutex);
  std::vector<void*> old(dst, dst + n);
  for (uint32_t i = 0; i < n; ++i)
    if (src[i]) ++exn_header(src[i])->refs;  // already counted: a slot holds it
  std::memmove(dst, src, size_t{n} * sizeof(void*));
  for (void* p : old)
    if (p) exn_unref(p);
}

void exnref_release(void** slots, size_t n) {
  if (slots == nullptr) return;
  std::lock_guard lock(g_exn_mutex);
  for (size_t i = 0; i < n; ++i) {
    if (slots[i]) exn_unref(slots[i]);
    slots[i] = nullptr;
  }
}

uint64_t exnref_mask(const void* exnref) {
  return exn_header(exnref)->mask;
}

ExnrefStats exnref_stats() {
  std::lock_guard lock(g_exn_mutex);
  return {g_exn_live.load(std::memory_order_relaxed), g_exn_retained};
}

}  // namespace wisp::rt
