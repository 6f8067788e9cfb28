// Live reload (issue 13, item 3): Server::reload swaps the routes while serving. Changed routes
// are rebuilt, unchanged ones keep their instances and statistics, a broken configuration is
// refused with the old routes still serving, requests in flight finish on the route they started
// on, and clients under load see no failed request across many reloads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

// A module whose export answer(n) spins n rounds, then returns `value`.
std::string answer_module(int value) {
  return "(module (func (export \"answer\") (param i32) (result i32) (local i32)"
         "  (block (loop (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))"
         "    (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br 0)))"
         "  (i32.const " +
         std::to_string(value) + ")))";
}

int answer(HttpClient& c, const std::string& path, int spins = 0) {
  return first_result(c.request("GET", path + "?args=" + std::to_string(spins)));
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Reload, ChangedRoutesAreRebuiltUnchangedOnesKeptNewOnesAddedOldOnesRemoved) {
  TempDir dir;
  auto a = route("/a", write_module(dir, "a", answer_module(1)), "answer", StrategyKind::pool);
  auto b = route("/b", write_module(dir, "b", answer_module(10)), "answer", StrategyKind::pool);
  Server server(config_with({a, b}));
  server.start();
  HttpClient c(server.port());
  EXPECT_EQ(answer(c, "/a"), 1);
  EXPECT_EQ(answer(c, "/b"), 10);
  EXPECT_EQ(answer(c, "/b"), 10);

  write_module(dir, "a", answer_module(2));  // the same file, new bytes
  auto added = route("/c", write_module(dir, "c", answer_module(3)), "answer", StrategyKind::fresh);
  ReloadReport report = server.reload(config_with({a, b, added}));
  EXPECT_EQ(report.rebuilt, std::vector<std::string>{"/a"});
  EXPECT_EQ(report.kept, std::vector<std::string>{"/b"});
  EXPECT_EQ(report.added, std::vector<std::string>{"/c"});
  EXPECT_TRUE(report.removed.empty());
  EXPECT_TRUE(report.ignored.empty());
  EXPECT_EQ(answer(c, "/a"), 2);  // the same keep-alive connection sees the new routes
  EXPECT_EQ(answer(c, "/b"), 10);
  EXPECT_EQ(answer(c, "/c"), 3);
  std::vector<RouteStats> stats = server.stats();
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].requests(), 1u);  // /a: new
  EXPECT_EQ(stats[1].requests(), 3u);  // /b: kept, its count goes on

  // A changed setting rebuilds a route as well; dropping one removes it.
  b.max_body_bytes = 4096;
  report = server.reload(config_with({a, b}));
  EXPECT_EQ(report.kept, std::vector<std::string>{"/a"});
  EXPECT_EQ(report.rebuilt, std::vector<std::string>{"/b"});
  EXPECT_EQ(report.removed, std::vector<std::string>{"/c"});
  EXPECT_EQ(c.request("GET", "/c?args=0").status, 404u);
  EXPECT_EQ(answer(c, "/b"), 10);
}

TEST(Reload, ABrokenConfigurationIsRefusedAndTheOldRoutesKeepServing) {
  TempDir dir;
  auto a = route("/a", write_module(dir, "a", answer_module(1)), "answer", StrategyKind::pool);
  Server server(config_with({a}));
  server.start();
  HttpClient c(server.port());
  EXPECT_EQ(answer(c, "/a"), 1);

  std::filesystem::path junk = dir.path() / "junk.wasm";
  std::ofstream(junk) << "not a module";
  auto broken = route("/broken", junk, "answer", StrategyKind::pool);
  auto no_export = a;
  no_export.export_name = "missing";
  auto twice = route("/a", a.module, "answer", StrategyKind::fresh);
  for (const ServerConfig& bad : {config_with({a, broken}), config_with({no_export}),
                                  config_with({a, twice}), config_with({})}) {
    try {
      server.reload(bad);
      ADD_FAILURE() << "a broken configuration was accepted";
    } catch (const Error& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
    }
    EXPECT_EQ(answer(c, "/a"), 1);
  }
  try {
    server.reload(config_with({a, broken}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/broken"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.request("GET", "/broken").status, 404u);
}

TEST(Reload, RequestsInFlightFinishOnTheRouteTheyStartedOn) {
  TempDir dir;
  auto slow =
      route("/slow", write_module(dir, "slow", answer_module(1)), "answer", StrategyKind::pool);
  Server server(config_with({slow}));
  server.start();
  // A call that takes a while (tier 0 spins ~1 ns a round).
  std::atomic<int> in_flight_answer{0};
  std::thread caller([&] {
    HttpClient c(server.port());
    in_flight_answer = answer(c, "/slow", 400'000'000);
  });
  for (int i = 0; i < 1000 && server.stats().at(0).running == 0; ++i)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(server.stats().at(0).running, 1u);
  write_module(dir, "slow", answer_module(2));
  ReloadReport report = server.reload(config_with({slow}));
  EXPECT_EQ(report.rebuilt, std::vector<std::string>{"/slow"});
  HttpClient c(server.port());
  EXPECT_EQ(answer(c, "/slow"), 2);  // new requests: the new module, while the old call runs
  caller.join();
  EXPECT_EQ(in_flight_answer.load(), 1);  // answered by the module it started on
}

TEST(Reload, NoRequestFailsWhileRoutesAreReloadedUnderLoad) {
  TempDir dir;
  auto one = write_module(dir, "one", answer_module(1));
  auto two = write_module(dir, "two", answer_module(2));
  auto versioned = [&](const std::filesystem::path& module) {
    auto r = route("/v", module, "answer", StrategyKind::pool);
    r.policy.max_instances = 4;
    return config_with({r});
  };
  Server server(versioned(one));
  server.start();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> ok{0}, failed{0};
  std::mutex seen_mutex;
  std::set<std::string> failures;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto c = std::make_unique<HttpClient>(server.port());
      while (!done.load()) {
        try {
          HttpReply r = c->request("GET", "/v?args=1000");
          if (r.status == 200 && (r.body.find("[1]") != std::string::npos ||
                                  r.body.find("[2]") != std::string::npos)) {
            ++ok;
            continue;
          }
          ++failed;
          std::lock_guard lock(seen_mutex);
          failures.insert(std::to_string(r.status) + " " + r.body.substr(0, 200));
        } catch (const std::exception& e) {
          ++failed;
          std::lock_guard lock(seen_mutex);
          failures.insert(e.what());
          c = std::make_unique<HttpClient>(server.port());
        }
      }
    });
  }
  int reloads = 0;
  for (; reloads < 20; ++reloads) {
    std::this_thread::sleep_for(40ms);
    ReloadReport report = server.reload(versioned(reloads % 2 == 0 ? two : one));
    EXPECT_EQ(report.rebuilt.size(), 1u);
  }
  std::this_thread::sleep_for(40ms);
  done = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0u) << *failures.begin();
  EXPECT_GT(ok.load(), 100u);
  HttpClient c(server.port());
  EXPECT_EQ(answer(c, "/v"), reloads % 2 == 0 ? 1 : 2);  // the last version
}

TEST(Reload, ServerSettingsWaitForARestart) {
  TempDir dir;
  auto a = route("/a", write_module(dir, "a", answer_module(1)), "answer", StrategyKind::pool);
  ServerConfig config = config_with({a});
  Server server(config);
  server.start();
  const uint16_t port = server.port();
  ServerConfig next = config;
  next.port = 1;
  next.threads = 1;
  next.max_connections = 7;
  next.tier = Tier::tier1;
  ReloadReport report = server.reload(next);
  for (const char* setting : {"listen", "threads", "max_connections", "tier"})
    EXPECT_TRUE(contains(report.ignored, setting)) << setting;
  EXPECT_EQ(report.kept, std::vector<std::string>{"/a"});
  EXPECT_EQ(server.port(), port);
  HttpClient c(port);
  EXPECT_EQ(answer(c, "/a"), 1);
}

}  // namespace
}  // namespace wisp::test
