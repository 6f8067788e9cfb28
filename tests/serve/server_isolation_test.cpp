// Guest calls off the serving threads (issue 13, item 1): a route whose calls loop until their
// timeout holds only its own workers (max_concurrency), its excess waits (max_queue) or is
// refused at once with 503 + Retry-After, and /healthz, /metrics and the other routes answer
// while those calls still run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

TEST(ServerIsolation, ALoopingRouteDelaysNeitherTheBuiltInPagesNorOtherRoutes) {
  TempDir dir;
  RouteConfig spin =
      route("/spin", write_module(dir, "spin", "(module (func (export \"spin\") (loop (br 0))))"),
            "spin", StrategyKind::fresh);
  spin.limits.call_timeout = std::chrono::seconds(3);
  spin.max_concurrency = 2;
  spin.max_queue = 1;
  ServerConfig config = config_with(
      {spin, route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)});
  config.threads = 2;  // as many serving threads as spinning calls: they must not be the same
  Server server(config);
  server.start();

  // Three spinning requests: two run, one waits.
  std::atomic<int> spins_answered{0};
  std::vector<unsigned> spin_status(3);
  std::vector<std::thread> spinners;
  for (size_t i = 0; i < 3; ++i) {
    spinners.emplace_back([&, i] {
      spin_status[i] = HttpClient(server.port()).request("GET", "/spin").status;
      spins_answered.fetch_add(1);
    });
  }
  // Until the route holds two running and one waiting; a fourth is then refused at once.
  auto spin_stats = [&] { return server.stats().at(0); };
  for (int tries = 0; tries < 500 && !(spin_stats().running == 2 && spin_stats().waiting == 1);
       ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(spin_stats().running, 2u);
  ASSERT_EQ(spin_stats().waiting, 1u);
  HttpReply refused = HttpClient(server.port()).request("GET", "/spin");
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_FALSE(refused.retry_after.empty());

  // With every spinning call still running, the rest of the server answers.
  HttpClient c(server.port());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200u);
  HttpReply metrics = c.request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("wisp_route_requests_running{route=\"/spin\"} 2"), std::string::npos)
      << metrics.body.substr(0, 2000);
  EXPECT_EQ(first_result(c.request("GET", "/factorial?args=5")), 120);
  EXPECT_EQ(spins_answered.load(), 0) << "the other requests waited for the spinning calls";

  for (auto& t : spinners) t.join();
  for (unsigned s : spin_status) EXPECT_EQ(s, 504u);  // each ran to its timeout, queued one too
}

TEST(ServerIsolation, QueuedRequestsRunInTurnAndConcurrencyIsBounded) {
  // A route of one running call and a long queue: every request is answered, in turn.
  RouteConfig counter =
      route("/counter", kExamples / "counter.wasm", "increment", StrategyKind::shared);
  counter.max_concurrency = 1;
  counter.max_queue = 64;
  Server server(config_with({counter}));
  server.start();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      HttpClient c(server.port());
      for (int k = 0; k < 10; ++k)
        if (c.request("POST", "/counter").status == 200) ok.fetch_add(1);
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(first_result(HttpClient(server.port()).request("POST", "/counter")), 81);
}

}  // namespace
}  // namespace wisp::test
