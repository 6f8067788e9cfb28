// Real crashes are never swallowed: foreign faults reach the previous handler or kill the process.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "runtime/sanitizers.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kWat = R"((module
  (import "env" "host" (func $host))
  (memory 1)
  (func (export "oob") (result i32) (i32.load (i32.const 70000)))
  (func (export "call_host") (call $host))))";

// A host bug: a store to an inaccessible page outside any wasm memory slot. (A page of our own
// rather than a null store: under UBSan a null store is caught as UB before it faults, so the
// signal path these tests are about would not run in the sanitizer build.)
volatile int* inaccessible_page() {
  static void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) std::abort();
  return static_cast<volatile int*>(page);
}

void write_through_null() {
  *inaccessible_page() = 1;
}

// Sets up an engine and an instance, and makes one trapping call so that the runtime's signal
// handlers are certainly installed; then runs `after`.
template <typename F>
void with_runtime(Tier tier, F after) {
  TempDir cache;
  Engine engine(engine_config(tier, cache.path()));
  Linker linker;
  linker.func_wrap("env", "host", [] { write_through_null(); });
  TemplateOptions options;
  options.tier = tier;
  Instance inst = linker.instantiate(engine.compile(wat(kWat)), options);
  try {
    inst.call("oob");
  } catch (const Trap&) {
  }
  after(inst);
}

class CrashTest : public TierTest {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// How a host fault must end the process: as the fault it is, not as a trap, an abort or an exit.
// Without a sanitizer, no handler precedes wisp's, so the default action runs: killed by
// SIGSEGV, having printed nothing (in particular no "wisp: trap"). Under ASan or TSan the
// sanitizer's own handler came first and reports the fault, then exits non-zero.
#if WISP_ASAN || WISP_TSAN
bool died_of_the_fault(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) != 0;
}
constexpr const char* kFaultReport = "Sanitizer: SEGV on unknown address";
#else
bool died_of_the_fault(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}
constexpr const char* kFaultReport = "^$";  // nothing on stderr
#endif

TEST_P(CrashTest, HostFaultOutsideAnyCallCrashes) {
  EXPECT_EXIT(with_runtime(tier(), [](Instance&) { write_through_null(); }), died_of_the_fault,
              kFaultReport);
}

// A host function's own bug during a guest call is not an out-of-bounds trap.
TEST_P(CrashTest, HostFaultInsideAGuestCallCrashes) {
  EXPECT_EXIT(with_runtime(tier(), [](Instance& inst) { inst.call("call_host"); }),
              died_of_the_fault, kFaultReport);
}

void chained_handler(int) {
  const char msg[] = "previous handler ran\n";
  ssize_t n = write(2, msg, sizeof msg - 1);
  (void)n;
  _exit(42);
}

// The handler installed before wisp's is called for faults that are not wisp's.
TEST_P(CrashTest, FaultsChainToThePreviousHandler) {
  EXPECT_EXIT(
      {
        struct sigaction sa {};
        sa.sa_handler = chained_handler;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, nullptr);
        sigaction(SIGBUS, &sa, nullptr);
        with_runtime(tier(), [](Instance&) { write_through_null(); });
      },
      ::testing::ExitedWithCode(42), "previous handler ran");
}

WISP_INSTANTIATE_TIERS(CrashTest);

}  // namespace
}  // namespace wisp::test
