// The HTTP server end to end on 127.0.0.1 (an ephemeral port): function and WASI routes under
// each strategy, the state each one keeps, errors as status codes (bad arguments, traps,
// timeouts, back-pressure, oversized or malformed requests), metrics, and a graceful stop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

constexpr const char* kTrapsWat = R"((module
  (func (export "boom") (result i32) unreachable)
  (func (export "spin") (loop (br 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "wide") (param i64 f64) (result i64 f64) (local.get 0) (local.get 1))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "vec") (result v128) (v128.const i32x4 1 2 3 4))))";

TEST(Server, FunctionRoutesTakeArgumentsFromTheQueryOrAJsonBody) {
  Server server(config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::per_thread)}));
  server.start();
  HttpClient c(server.port());
  EXPECT_EQ(first_result(c.request("GET", "/factorial?args=5")), 120);
  EXPECT_EQ(first_result(c.request("POST", "/factorial", "[6]")), 720);
  EXPECT_EQ(first_result(c.request("POST", "/factorial", R"({"args": [7]})")), 5040);
  HttpReply r = c.request("GET", "/factorial?args=10");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(results_of(r).at(0).get<int64_t>(), 3628800);
}

TEST(Server, EachStrategyKeepsOrResetsStateAsDocumented) {
  const auto counter = kExamples / "counter.wasm";
  Server server(config_with({route("/shared", counter, "increment", StrategyKind::shared),
                             route("/fresh", counter, "increment", StrategyKind::fresh),
                             route("/pool", counter, "increment", StrategyKind::pool)}));
  server.start();
  HttpClient c(server.port());
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(first_result(c.request("POST", "/shared")), i);
    EXPECT_EQ(first_result(c.request("POST", "/fresh")), 1);
    EXPECT_EQ(first_result(c.request("POST", "/pool")), 1);
  }
}

TEST(Server, ContextsRouteGivesEachRequestAZeroedContext) {
  RouteConfig r = route("/kv", kExamples / "kv.wasm", "update_value", StrategyKind::contexts);
  r.policy.contexts.max_contexts = 8;
  Server server(config_with({r}));
  server.start();
  HttpClient c(server.port());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(first_result(c.request("GET", "/kv?args=42")), 1);
}

TEST(Server, WasiRoutesRunAProgramWithTheRequestAsItsStdio) {
  RouteConfig r = route("/shout", kExamples / "shout.wasm", "", StrategyKind::pool);
  r.mode = RouteMode::wasi;
  r.content_type = "text/plain";
  Server server(config_with({r}));
  server.start();
  HttpClient c(server.port());
  for (int i = 0; i < 3; ++i) {  // the pool resets the instance after each run
    HttpReply reply = c.request("POST", "/shout?lang=en", "hello, wasi");
    EXPECT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(reply.body, "POST lang=en\nHELLO, WASI");
    EXPECT_EQ(reply.content_type, "text/plain");
  }
  EXPECT_EQ(c.request("GET", "/shout").body, "GET -\n");
  // A body over the built-in pages' 64 KiB, within the route's limit (1 MiB by default).
  std::string big(200000, 'q');
  HttpReply reply = c.request("POST", "/shout", big);
  EXPECT_EQ(reply.status, 200u) << reply.body.substr(0, 200);
  EXPECT_EQ(reply.body, "POST -\n" + std::string(200000, 'Q'));
}

TEST(Server, FailuresBecomeStatusCodes) {
  TempDir dir;
  auto traps = write_module(dir, "traps", kTrapsWat);
  RouteConfig spin = route("/spin", traps, "spin", StrategyKind::pool);
  spin.limits.call_timeout = std::chrono::milliseconds(50);
  Server server(config_with({route("/boom", traps, "boom", StrategyKind::pool), spin,
                             route("/div", traps, "div", StrategyKind::pool),
                             route("/wide", traps, "wide", StrategyKind::pool),
                             route("/half", traps, "half", StrategyKind::pool)}));
  server.start();
  HttpClient c(server.port());
  HttpReply boom = c.request("GET", "/boom");
  EXPECT_EQ(boom.status, 500u);
  EXPECT_NE(boom.body.find("unreachable"), std::string::npos) << boom.body;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.request("GET", "/spin").status, 504u);  // an infinite loop, ended by the timeout
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(c.request("GET", "/div?args=1,0").status, 500u);           // divide by zero
  EXPECT_EQ(c.request("GET", "/div?args=1").status, 400u);             // too few arguments
  EXPECT_EQ(c.request("GET", "/div?args=1,x").status, 400u);           // not a number
  EXPECT_EQ(c.request("POST", "/div", "[1,").status, 400u);            // not JSON
  EXPECT_EQ(c.request("GET", "/div?args=4294967296,1").status, 400u);  // beyond i32
  EXPECT_EQ(c.request("GET", "/div?args=1,2,").status, 400u);          // a missing argument
  EXPECT_EQ(c.request("POST", "/half", "[1e300]").status, 400u);       // beyond f32
  EXPECT_EQ(first_result(c.request("GET", "/div?args=-9,3")), -3);
  EXPECT_EQ(c.request("PUT", "/div?args=1,1").status, 405u);
  EXPECT_EQ(c.request("GET", "/nowhere").status, 404u);
  // i64 travels exactly (beyond 2^53), floats as numbers or "nan"/"inf".
  HttpReply wide = c.request("POST", "/wide", R"(["9007199254740993", "inf"])");
  ASSERT_EQ(wide.status, 200u) << wide.body;
  EXPECT_EQ(results_of(wide).at(0).get<int64_t>(), 9007199254740993);
  EXPECT_EQ(results_of(wide).at(1).get<std::string>(), "inf");
  // After all of that the routes still serve.
  EXPECT_EQ(first_result(c.request("GET", "/div?args=8,2")), 4);
}

// A shared instance busy with a long call: a request that cannot get it within its route's
// acquire timeout is answered 503 with Retry-After, and the busy one finishes normally. No call
// has ended yet, so Retry-After is the time until the busy call's timeout (3 s from its start),
// not a fixed 1.
TEST(Server, BackPressureIsA503WithRetryAfter) {
  TempDir dir;
  auto traps = write_module(dir, "traps", kTrapsWat);
  RouteConfig spin = route("/spin", traps, "spin", StrategyKind::shared);
  spin.limits.call_timeout = std::chrono::milliseconds(3000);
  spin.acquire_timeout = std::chrono::milliseconds(20);
  Server server(config_with({spin}));
  server.start();
  HttpReply first;
  std::thread busy([&] { first = http_request(server.port(), "GET", "/spin"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  HttpReply second = http_request(server.port(), "GET", "/spin");
  busy.join();
  EXPECT_EQ(second.status, 503u) << second.body;
  ASSERT_FALSE(second.retry_after.empty());
  int retry = std::stoi(second.retry_after);
  EXPECT_GE(retry, 2);  // 3 s less the time since the busy call began, rounded up
  EXPECT_LE(retry, 3);
  EXPECT_EQ(first.status, 504u);  // its own timeout
  EXPECT_GE(server.stats()[0].instances.timeouts, 1u);
}

TEST(Server, OversizedAndMalformedRequestsAreRefused) {
  RouteConfig r =
      route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  r.max_body_bytes = 1024;
  ServerConfig config = config_with({r});
  config.max_header_bytes = 2048;
  config.idle_timeout = std::chrono::milliseconds(300);
  Server server(config);
  server.start();
  EXPECT_EQ(http_request(server.port(), "POST", "/factorial", std::string(5000, '1')).status, 413u);
  // The answer reaches a client that sends its whole (refused) body anyway: the server reads
  // and drops the rest instead of resetting the connection.
  std::string huge = "POST /factorial HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" +
                     std::string(2000000, '1');
  EXPECT_NE(HttpClient(server.port()).raw(huge).find(" 413 "), std::string::npos);
  // A chunked body is held to the same limit as it arrives.
  std::string chunk(800, '1');
  std::string chunked =
      "POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "320\r\n" +
      chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n";
  EXPECT_NE(HttpClient(server.port()).raw(chunked).find(" 413 "), std::string::npos);
  std::string head =
      "GET /factorial?args=3 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n";
  EXPECT_NE(HttpClient(server.port()).raw(head).find(" 431 "), std::string::npos);
  EXPECT_NE(HttpClient(server.port()).raw("NOT HTTP AT ALL\r\n\r\n").find(" 400 "),
            std::string::npos);
  // A connection that says nothing is closed after the idle timeout.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpClient(server.port()).read_to_close(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  // The server is fine afterwards.
  EXPECT_EQ(first_result(http_request(server.port(), "GET", "/factorial?args=3")), 6);
}

TEST(Server, MetricsHealthAndDashboard) {
  Server server(config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)}));
  server.start();
  HttpClient c(server.port());
  for (int i = 0; i < 3; ++i) c.request("GET", "/factorial?args=4");
  c.request("GET", "/factorial?args=x");
  EXPECT_EQ(c.request("GET", "/healthz").body, "ok\n");
  // HEAD: the length a GET would have, no body; a pipelined request after it is answered too.
  std::string two = HttpClient(server.port())
                        .raw(
                            "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(two.find("Content-Length: 3\r\n"), two.rfind("Content-Length: 3\r\n"));  // both
  size_t second = two.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << two;
  EXPECT_EQ(two.substr(0, second).find("ok\n"), std::string::npos) << "the HEAD answer had a body";
  EXPECT_TRUE(two.ends_with("\r\n\r\nok\n")) << two;
  HttpReply m = c.request("GET", "/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_NE(m.body.find("wisp_http_responses_total{route=\"/factorial\",code=\"200\"} 3\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("wisp_http_responses_total{route=\"/factorial\",code=\"400\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("wisp_http_request_duration_seconds_count{route=\"/factorial\"} 4\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("wisp_instance_resets_total{route=\"/factorial\",strategy=\"pool\"}"),
            std::string::npos);
  HttpReply d = c.request("GET", "/");
  EXPECT_EQ(d.status, 200u);
  EXPECT_NE(d.body.find("/factorial"), std::string::npos);
  std::vector<RouteStats> s = server.stats();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].requests(), 4u);
  EXPECT_EQ(s[0].responses[200], 3u);
}

// Many clients at once on every strategy for a bounded time: every answer right, the counts
// match, and stop() ends it cleanly.
TEST(Server, ConcurrentClientsOnEveryStrategy) {
  const auto factorial = kExamples / "factorial.wasm";
  std::vector<RouteConfig> routes;
  for (StrategyKind k :
       {StrategyKind::fresh, StrategyKind::shared, StrategyKind::pool, StrategyKind::per_thread}) {
    routes.push_back(route(std::string("/") + strategy_kind_name(k), factorial, "factorial", k));
    routes.back().acquire_timeout = std::chrono::seconds(10);
  }
  Server server(config_with(routes));
  server.start();
  std::atomic<int> wrong{0}, done{0};
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      HttpClient c(server.port());
      for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
        const RouteConfig& r = routes[(t + i) % routes.size()];
        int n = 1 + (i % 10);
        HttpReply reply = c.request("GET", r.path + "?args=" + std::to_string(n));
        int64_t want = 1;
        for (int k = 2; k <= n; ++k) want *= k;
        if (reply.status != 200 || results_of(reply).at(0).get<int64_t>() != want) ++wrong;
        ++done;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  uint64_t answered = 0;
  for (RouteStats& s : server.stats()) answered += s.responses[200];
  EXPECT_EQ(answered, static_cast<uint64_t>(done.load()));
  EXPECT_GT(done.load(), 8);
  server.stop();
}

// stop() waits for a request in flight (here a call that runs into its 400 ms timeout) and
// answers it, with the connection closed; then the port is closed.
TEST(Server, StopLetsARequestInFlightFinish) {
  TempDir dir;
  auto traps = write_module(dir, "traps", kTrapsWat);
  RouteConfig spin = route("/spin", traps, "spin", StrategyKind::pool);
  spin.limits.call_timeout = std::chrono::milliseconds(400);
  Server server(config_with({spin}));
  server.start();
  uint16_t port = server.port();
  HttpReply reply;
  std::thread client([&] { reply = http_request(port, "GET", "/spin"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  client.join();
  EXPECT_EQ(reply.status, 504u);
  EXPECT_FALSE(reply.keep_alive);                      // the server was stopping
  EXPECT_THROW(HttpClient{port}, std::runtime_error);  // no longer listening (connect fails)
}

TEST(Server, ABadListenAddressIsAnErrorNotACrash) {
  ServerConfig c = config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)});
  c.address = "not-an-address";
  Server server(c);
  EXPECT_THROW(server.start(), Error);
}  // destroyed without having started

// Beyond the cap a connection is answered once and closed: a built-in page as usual (so a
// health check gets through), anything else 503.
TEST(Server, ConnectionsBeyondTheCapGetOneAnswer) {
  ServerConfig c = config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)});
  c.max_connections = 2;
  Server server(c);
  server.start();
  EXPECT_EQ(server.max_connections(), 2u);
  HttpClient first(server.port()), second(server.port());
  EXPECT_EQ(first_result(first.request("GET", "/factorial?args=3")), 6);
  EXPECT_EQ(first_result(second.request("GET", "/factorial?args=3")), 6);  // the cap is full
  HttpReply health = HttpClient(server.port()).request("GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_FALSE(health.keep_alive);
  HttpReply refused = HttpClient(server.port()).request("GET", "/factorial?args=4");
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_FALSE(refused.keep_alive);
  EXPECT_EQ(first_result(first.request("GET", "/factorial?args=4")), 24);  // still served
}

TEST(Server, BadRoutesFailAtStartNamingTheRoute) {
  TempDir dir;
  auto traps = write_module(dir, "traps", kTrapsWat);
  auto expect_error = [](std::vector<RouteConfig> routes, const std::string& fragment) {
    try {
      Server s(config_with(std::move(routes)));
      ADD_FAILURE() << "expected an error containing: " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error({route("/x", dir.path() / "missing.wasm", "f", StrategyKind::pool)}, "route /x");
  expect_error({route("/x", traps, "nope", StrategyKind::pool)}, "no exported function 'nope'");
  expect_error({route("/x", traps, "", StrategyKind::pool)}, "needs an export");
  expect_error({route("/metrics", traps, "boom", StrategyKind::pool)}, "reserved");
  expect_error({route("/x", traps, "boom", StrategyKind::pool),
                route("/x", traps, "boom", StrategyKind::pool)},
               "defined twice");
  RouteConfig command = route("/cmd", kExamples / "shout.wasm", "", StrategyKind::shared);
  command.mode = RouteMode::wasi;
  expect_error({command}, "runs once per instance");
  expect_error({route("/kv", traps, "wide", StrategyKind::contexts)}, "context pointer");
  expect_error({route("/v", traps, "vec", StrategyKind::pool)}, "no JSON form");
  expect_error({}, "no routes");
}

}  // namespace
}  // namespace wisp::test
