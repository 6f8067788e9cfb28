// Instance::lock_memory / unlock_memory: an instance's own memories made resident, private and
// writable ahead of time and locked in RAM, for loops that must not page-fault (embedded
// control). Write tracking is turned off first: its read-only pages would fault on writes.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "instance/instance_impl.hpp"
#include "snapshot/page_scan.hpp"
#include "wisp/error.hpp"
#include "wisp/instance.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace wisp {
namespace detail {

namespace {

// The own (not imported) memories of `inst`, with their accessible bytes.
template <typename F>
void for_own_memories(InstanceImpl& inst, F&& f) {
  if (!inst.desc || !inst.vm) return;
  for (uint32_t i = 0; i < inst.desc->num_memories; ++i) {
    auto* mem = reinterpret_cast<wasm_rt_memory_t*>(static_cast<char*>(inst.vm) +
                                                    inst.desc->memory_offsets[i]);
    const uint64_t bytes = uint64_t{mem->pages} * rt::kWasmPageSize;
    if (mem->data != nullptr && bytes > 0) f(mem->data, bytes);
  }
}

// Every page written once (private, no later fault): the kernel's populate-for-write, else a
// write of each page's first byte as it is.
void prefault_for_write(uint8_t* data, uint64_t bytes) {
  if (madvise(data, bytes, MADV_POPULATE_WRITE) == 0) return;
  const uint64_t ps = snap::page_size();
  for (uint64_t at = 0; at < bytes; at += ps) {
    volatile uint8_t* p = data + at;
    *p = *p;
  }
}

}  // namespace

void lock_own_memories(InstanceImpl& inst) {
  inst.stop_write_tracking();
  for_own_memories(inst, [](uint8_t* data, uint64_t bytes) {
    prefault_for_write(data, bytes);
    if (mlock(data, bytes) != 0) {
      const int err = errno;
      throw Error("lock_memory: cannot lock " + std::to_string(bytes) +
                  " bytes of memory: " + std::strerror(err) +
                  (err == ENOMEM || err == EPERM
                       ? " (RLIMIT_MEMLOCK, `ulimit -l`, is below it and the process lacks "
                         "CAP_IPC_LOCK)"
                       : ""));
    }
  });
  inst.memory_locked = true;
}

void unlock_own_memories(InstanceImpl& inst) {
  if (!inst.memory_locked) return;
  for_own_memories(inst, [](uint8_t* data, uint64_t bytes) { munlock(data, bytes); });
  inst.memory_locked = false;
}

}  // namespace detail

void Instance::lock_memory() {
  if (!impl_) throw Error("lock_memory on an empty Instance");
  try {
    detail::lock_own_memories(*impl_);
  } catch (...) {
    impl_->memory_locked = true;  // unlock what was locked before the failure
    detail::unlock_own_memories(*impl_);
    throw;
  }
}

void Instance::unlock_memory() {
  if (impl_) detail::unlock_own_memories(*impl_);
}

bool Instance::memory_locked() const {
  return impl_ && impl_->memory_locked;
}

}  // namespace wisp
