// Server behaviour the README promises and no other test covered: a WASI response over its limit
// (502), a WASI exit (500), a CGI program's 204 and header values, prefix routes, HTTP/1.0,
// 100 Continue, the default call timeout, and route settings that cannot work refused at start
// (issue 16, item 8).
#include <gtest/gtest.h>

#include <string>

#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ServerBehaviour, WasiOutputOverItsLimitIs502AndAnExitIs500) {
  RouteConfig shout = route("/shout", kExamples / "shout.wasm", "", StrategyKind::pool);
  shout.mode = RouteMode::wasi;
  shout.max_output_bytes = 4;
  RouteConfig exit3 = route("/exit", std::filesystem::path(WISP_WASI_GUEST_DIR) / "wasi_exit.wasm",
                            "", StrategyKind::fresh);
  exit3.mode = RouteMode::wasi;
  exit3.wasi.args = {"exit", "3"};
  Server server(config_with({shout, exit3}));
  server.start();
  HttpClient c(server.port());
  HttpReply big = c.request("POST", "/shout", "hello");
  EXPECT_EQ(big.status, 502u) << big.body;
  EXPECT_TRUE(has(big.body, "more than 4 bytes")) << big.body;
  HttpReply exit = c.request("GET", "/exit");
  EXPECT_EQ(exit.status, 500u) << exit.body;
  EXPECT_TRUE(has(exit.body, "exited with code 3")) << exit.body;
}

TEST(ServerBehaviour, PrefixRoutesMatchTheirSubtree) {
  Server server(config_with(
      {route("/api/*", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)}));
  server.start();
  HttpClient c(server.port());
  EXPECT_EQ(first_result(c.request("GET", "/api/x?args=3")), 6);
  EXPECT_EQ(first_result(c.request("GET", "/api/x/y?args=4")), 24);
  EXPECT_EQ(first_result(c.request("GET", "/api?args=5")), 120);
  EXPECT_EQ(c.request("GET", "/apix?args=3").status, 404u);
  EXPECT_EQ(c.request("GET", "/ap?args=3").status, 404u);
}

TEST(ServerBehaviour, Http10IsAnsweredInKindAndClosedUnlessKeptAlive) {
  Server server(config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)}));
  server.start();
  std::string one = HttpClient(server.port()).raw("GET /factorial?args=3 HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(one.starts_with("HTTP/1.0 200 ")) << one;
  EXPECT_TRUE(has(one, "[6]")) << one;
  EXPECT_EQ(answers_in(one), 1u);  // and the server closed the connection (raw read to close)
  std::string kept = HttpClient(server.port())
                         .raw(
                             "GET /factorial?args=3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                             "GET /factorial?args=4 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(answers_in(kept), 2u) << kept;
  EXPECT_TRUE(has(kept, "Connection: keep-alive")) << kept;
  EXPECT_TRUE(has(kept, "[24]")) << kept;
}

// A CGI program's Status and Content-Type reach the answer's head as it chose them, but no
// further: a 204 ends after the head (whatever body the program wrote), and a CR inside a value
// does not start a field of the program's. (The program upper-cases its input, which is thus the
// CGI output.)
TEST(ServerBehaviour, CgiStatusWithoutContentAndCarriageReturnsInValues) {
  RouteConfig upper =
      route("/shout", std::filesystem::path(WISP_WASI_GUEST_DIR) / "wasi_stdio.wasm", "",
            StrategyKind::pool);
  upper.mode = RouteMode::wasi;
  upper.cgi_response = true;
  Server server(config_with({upper}));
  server.start();
  auto post = [](const std::string& body) {
    return "POST /shout HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  HttpClient c(server.port());
  // Two requests on one connection: the 204 must not leave its body to be read as the start
  // of the next answer.
  c.send(post("status: 204\n\nignored body") + post("content-type: text/x\n\nsecond"));
  std::string first = c.read_until("\r\n\r\n");
  EXPECT_TRUE(first.starts_with("HTTP/1.1 204 ")) << first;
  EXPECT_FALSE(has(first, "Content-Length")) << first;
  std::string second = c.read_until("SECOND");
  EXPECT_TRUE(second.starts_with("HTTP/1.1 200 ")) << second;
  EXPECT_TRUE(has(second, "Content-Type: TEXT/X\r\n")) << second;

  std::string evil =
      HttpClient(server.port())
          .raw(
              "POST /shout HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 34"
              "\r\n\r\ncontent-type: text/x\rx-evil: 1\n\nhi");
  EXPECT_TRUE(evil.starts_with("HTTP/1.1 200 ")) << evil;
  EXPECT_TRUE(has(evil, "Content-Type: TEXT/X X-EVIL: 1\r\n")) << evil;
  EXPECT_FALSE(has(evil, "\rX-EVIL")) << evil;
  EXPECT_TRUE(evil.ends_with("\r\n\r\nHI")) << evil;
}

// After a HEAD on a kept connection, the answer to a request that cannot be read has its body
// (a HEAD's answer has none); so does the answer to a request line of a version HTTP/1.x
// servers do not read.
TEST(ServerBehaviour, AnAnswerAfterAHeadKeepsItsBody) {
  Server server(config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)}));
  server.start();
  std::string both = HttpClient(server.port())
                         .raw(
                             "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                             "GET /factorial?args=3 HTTP/1.1\r\n\r\n");  // no Host: 400
  size_t second = both.find("HTTP/1.1 400 ");
  ASSERT_NE(second, std::string::npos) << both;
  EXPECT_TRUE(both.starts_with("HTTP/1.1 200 ")) << both;
  EXPECT_EQ(both.find("\r\n\r\n") + 4, second) << both;       // the HEAD's answer: a head only
  EXPECT_TRUE(both.ends_with("\"bad request\"}\n")) << both;  // the 400's JSON body, all of it
  std::string old = HttpClient(server.port()).raw("GET /healthz HTTP/0.9\r\n\r\n");
  EXPECT_TRUE(old.starts_with("HTTP/1.1 400 ")) << old;
  EXPECT_TRUE(has(old, "Connection: close")) << old;
  EXPECT_TRUE(old.ends_with("\"bad request\"}\n")) << old;
}

// Expect: 100-continue gets an interim 100 before the body is sent, then the answer.
TEST(ServerBehaviour, ExpectContinueGetsA100BeforeTheBody) {
  Server server(config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)}));
  server.start();
  HttpClient c(server.port());
  c.send(
      "POST /factorial HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n"
      "Connection: close\r\n\r\n");
  std::string interim = c.read_until("\r\n\r\n");
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n")) << interim;
  c.send("[5]");
  std::string answer = c.read_to_close();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 ")) << answer;
  EXPECT_TRUE(has(answer, "[120]")) << answer;
  // A body over the limit is refused at once, without the 100.
  HttpClient big(server.port());
  big.send(
      "POST /factorial HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n"
      "\r\n");
  EXPECT_TRUE(big.read_until("\r\n\r\n").starts_with("HTTP/1.1 413 "));
}

// Every route has a call timeout: 30 s unless set; none (0) is refused, as is fuel that could
// not be metered or WASI settings for a module that does not use WASI.
TEST(ServerBehaviour, RouteSettingsThatCannotWorkAreRefused) {
  EXPECT_EQ(RouteConfig{}.limits.call_timeout, std::chrono::seconds(30));
  auto expect_error = [](RouteConfig r, EngineConfig engine, const std::string& fragment) {
    ServerConfig c = config_with({std::move(r)});
    c.engine = engine;
    try {
      Server s(c);
      ADD_FAILURE() << "expected an error containing: " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  const auto factorial = kExamples / "factorial.wasm";
  RouteConfig no_timeout = route("/f", factorial, "factorial", StrategyKind::pool);
  no_timeout.limits.call_timeout = std::chrono::nanoseconds(0);
  expect_error(no_timeout, {}, "timeout_ms must be above 0");
  RouteConfig fuel = route("/f", factorial, "factorial", StrategyKind::pool);
  fuel.limits.fuel = 1000;
  expect_error(fuel, {}, "fuel does nothing without [engine] consume_fuel");
  RouteConfig lease_fuel = route("/f", factorial, "factorial", StrategyKind::pool);
  lease_fuel.policy.fuel_per_lease = 1000;
  expect_error(lease_fuel, {}, "fuel_per_lease does nothing");
  RouteConfig args = route("/f", factorial, "factorial", StrategyKind::pool);
  args.wasi.env = {"A=1"};
  expect_error(args, {}, "env does nothing");
  // With metering on, fuel works: a call that runs out is a 500.
  EngineConfig metered;
  metered.consume_fuel = true;
  ServerConfig c = config_with({fuel});
  c.engine = metered;
  Server server(c);
  server.start();
  EXPECT_EQ(first_result(http_request(server.port(), "GET", "/f?args=3")), 6);
  HttpReply out = http_request(server.port(), "GET", "/f?args=100000");
  EXPECT_EQ(out.status, 500u) << out.body;
  EXPECT_TRUE(has(out.body, "out_of_fuel")) << out.body;
}

}  // namespace
}  // namespace wisp::test
