// The server's process-wide limits (issue 16): the memory budget of all guests together and a
// route's own largest memory (exceeding either is a 503 or a guest-visible failure, never an
// OOM kill), and the descriptor limit raised at start with the connection cap kept below it.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>
#include <thread>

#include "serve/serve_support.hpp"
#include "wisp/runtime_stats.hpp"

namespace wisp::test {
namespace {

// `grow` grows memory by its argument (trapping if it cannot) and returns the new size.
constexpr const char* kGrowWat = R"((module
  (memory 1)
  (func (export "grow") (param i32) (result i32)
    (if (i32.eq (memory.grow (local.get 0)) (i32.const -1)) (then unreachable))
    (memory.size))))";
// 100 pages (6.25 MiB) from the start.
constexpr const char* kBigWat = R"((module
  (memory 100)
  (func (export "size") (result i32) (memory.size))))";

TEST(ServerLimits, MemoryBudgetAndMaxMemoryAreFailuresNotCrashes) {
  TempDir dir;
  auto grow = write_module(dir, "grow", kGrowWat);
  auto big = write_module(dir, "big", kBigWat);
  RouteConfig hog = route("/hog", grow, "grow", StrategyKind::shared);  // keeps what it grew
  hog.limits.max_memory_pages = 160;                                    // 10 MiB
  RouteConfig hog2 = route("/hog2", grow, "grow", StrategyKind::shared);
  RouteConfig fresh = route("/big", big, "size", StrategyKind::fresh);
  ServerConfig c = config_with({hog, hog2, fresh});
  c.memory_budget = 12 << 20;
  const uint64_t before = runtime_stats().memory_budget;
  {
    Server server(c);
    server.start();
    EXPECT_EQ(runtime_stats().memory_budget, 12u << 20);
    HttpClient client(server.port());
    EXPECT_EQ(first_result(client.request("GET", "/big")), 100);
    EXPECT_EQ(first_result(client.request("GET", "/hog?args=100")), 101);  // 6.3 MiB kept
    // No room for another 6.25 MiB instance: 503, with Retry-After.
    HttpReply full = client.request("GET", "/big");
    EXPECT_EQ(full.status, 503u) << full.body;
    EXPECT_FALSE(full.retry_after.empty());
    EXPECT_NE(full.body.find("memory budget"), std::string::npos) << full.body;
    // A memory.grow past the budget fails in the guest (which traps here): 500.
    HttpReply over_budget = client.request("GET", "/hog2?args=100");
    EXPECT_EQ(over_budget.status, 500u) << over_budget.body;
    EXPECT_NE(over_budget.body.find("unreachable"), std::string::npos) << over_budget.body;
    // Past the route's own max_memory (171 > 160 pages; the budget would allow it): 500.
    HttpReply over_max = client.request("GET", "/hog?args=70");
    EXPECT_EQ(over_max.status, 500u) << over_max.body;
    EXPECT_LE(runtime_stats().committed_bytes, uint64_t{12} << 20);
    // The trapped instance was discarded, its memory given back: the big one fits again (once
    // the fresh strategy's short back-off after the failed instantiation has passed).
    unsigned status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
      status = client.request("GET", "/big").status;
      if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(status, 200u);
    EXPECT_EQ(client.request("GET", "/healthz").status, 200u);
  }
  EXPECT_EQ(runtime_stats().memory_budget, before);  // the server restores the budget
}

// The soft descriptor limit is raised to the hard one at start, and the connection cap kept
// below what the process can open, however high max_connections is set.
TEST(ServerLimits, StartRaisesTheDescriptorLimitAndCapsConnectionsBelowIt) {
  rlimit original{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max != RLIM_INFINITY && original.rlim_max <= 256)
    GTEST_SKIP() << "the hard descriptor limit (" << original.rlim_max << ") is too low to test";
  rlimit low{256, original.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  ServerConfig c = config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)});
  c.max_connections = size_t{1} << 30;
  Server server(c);
  server.start();
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_GT(now.rlim_cur, 256u);
  if (original.rlim_max != RLIM_INFINITY) {
    EXPECT_EQ(now.rlim_cur, original.rlim_max);
  }
  EXPECT_LT(server.max_connections(), now.rlim_cur);
  EXPECT_GT(server.max_connections(), 0u);
  EXPECT_EQ(first_result(http_request(server.port(), "GET", "/factorial?args=3")), 6);
  server.stop();
  setrlimit(RLIMIT_NOFILE, &original);
}

}  // namespace
}  // namespace wisp::test
