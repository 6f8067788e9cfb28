// The call path of a warm instance makes no heap allocation and no system call (issue 14's
// embedded control loop relies on both). A program of its own, since it replaces malloc:
//   call_path_check MODULE.wasm   (an export "step": (i32) -> i32 that reads and writes memory)
// For tier 0 and tier 1: after a warm-up and Instance::lock_memory(), 100,000 typed calls must
// not reach malloc, calloc, realloc or operator new (counted by the wrappers below), and in a
// forked child under seccomp's strict mode (read, write, _exit and sigreturn only; any other
// system call kills the process) 100,000 more calls must complete. Prints one line per check;
// exits 1 on the first failure.
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "wisp/wisp.hpp"

extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);

namespace {
std::atomic<bool> counting{false};
std::atomic<uint64_t> allocations{0};
void note() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

// Every allocation of the process goes through these while the check counts.
extern "C" void* malloc(size_t n) {
  note();
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t n, size_t size) {
  note();
  return __libc_calloc(n, size);
}
extern "C" void* realloc(void* p, size_t n) {
  note();
  return __libc_realloc(p, n);
}

namespace {

constexpr int kCalls = 100000;

[[noreturn]] void fail(const std::string& what) {
  std::printf("FAILED: %s\n", what.c_str());
  std::exit(1);
}

// Runs `kCalls` calls; returns a checksum so that the calls cannot be dropped.
int64_t run_calls(wisp::TypedFunc<int32_t(int32_t)>& step) {
  int64_t sum = 0;
  for (int i = 0; i < kCalls; ++i) sum += step(i);
  return sum;
}

void check_tier(const wisp::Module& module, wisp::Tier tier) {
  const std::string name = wisp::tier_name(tier);
  wisp::TemplateOptions options;
  options.tier = tier;
  wisp::Instance instance = wisp::Linker().instantiate(module, options);
  auto step = instance.func<int32_t(int32_t)>("step");
  const int64_t expected = run_calls(step);  // the warm-up (tier 0 compiles lazily here)
  instance.reset();                          // the guest keeps state: start both runs alike
  instance.lock_memory();                    // as a control loop does before it starts

  counting = true;
  const int64_t sum = run_calls(step);
  counting = false;
  if (sum != expected) fail(name + ": the calls gave another result the second time");
  if (allocations.load() != 0)
    fail(name + ": " + std::to_string(allocations.load()) + " heap allocations in " +
         std::to_string(kCalls) + " calls");
  std::printf("ok: %s: %d calls, no heap allocation\n", name.c_str(), kCalls);

  std::fflush(stdout);
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    step(0);  // anything the child's first call does once, before the filter
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) _exit(3);
    const int64_t in_child = run_calls(step);
    syscall(SYS_exit, in_child == 0 ? 2 : 0);  // exit_group is not allowed in strict mode
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) fail("waitpid");
  if (WIFSIGNALED(status))
    fail(name + ": the calls made a system call (the child was killed by signal " +
         std::to_string(WTERMSIG(status)) + " under seccomp's strict mode)");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(name + ": the child ended with status " + std::to_string(WEXITSTATUS(status)));
  std::printf("ok: %s: %d calls under seccomp strict mode, no system call\n", name.c_str(), kCalls);
}

// The two instruments can fail: an allocation is counted, a system call under strict mode kills.
void check_the_checks() {
  counting = true;
  int* volatile p = new int(7);  // volatile: the pair cannot be elided
  delete p;
  counting = false;
  if (allocations.exchange(0) != 1) fail("the allocation counter did not see operator new");
  pid_t child = fork();
  if (child == 0) {
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) _exit(3);
    syscall(SYS_getpid);
    syscall(SYS_exit, 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFSIGNALED(status)) fail("a system call under seccomp's strict mode did not kill");
  std::printf("ok: the instruments see an allocation and a system call\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: call_path_check MODULE.wasm\n");
    return 2;
  }
  check_the_checks();
  try {
    wisp::EngineConfig config;
    config.background_tier1 = false;
    wisp::Engine engine(config);
    wisp::Module module = engine.compile_file(argv[1]);
    check_tier(module, wisp::Tier::tier0);
    check_tier(module, wisp::Tier::tier1);
  } catch (const wisp::Error& e) {
    fail(e.what());
  }
  return 0;
}
