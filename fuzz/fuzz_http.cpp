// libFuzzer target: the HTTP edge of `wisp serve` end to end. An in-process wisp::Server (public
// API only, tier 0) serves a WASI route that answers with its CGI environment and its stdin,
// the same route under a prefix, and function routes with integer and float parameters; each
// input is sent as raw bytes on a new loopback connection, whose sending side is then shut.
// This covers the request parser and its limits (Beast and src/serve/session.cpp), routing,
// query and JSON argument parsing, and the mapping of a request to the CGI environment.
// Properties, besides no crash, leak or undefined behaviour anywhere in the server:
//  - the server answers with HTTP responses only (a status line first) and closes the
//    connection soon after the client's side ends (no hang, no connection left behind);
//  - no request makes a route answer 500 "error" (an exception the route did not expect);
//  - the WASI guest's environment is well formed (NAME=VALUE), CONTENT_LENGTH equals the bytes
//    it reads from stdin, and no client header becomes HTTP_PROXY (httpoxy);
//  - /healthz still answers 200 (checked every 64 inputs).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "wisp/serve.hpp"
#include "wisp/wisp.hpp"

namespace wisp::fuzz {
namespace {

// Writes 8 bytes (the environment's entry count and size, or ~0 when too large), the
// environment (NUL-separated), then stdin.
constexpr const char* kEnvEcho = R"((module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $esg (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $eg (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fw (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fr (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 8)
  (func $out (param $at i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $at))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fw (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (drop (call $esg (i32.const 0) (i32.const 4)))
    (if (i32.or (i32.gt_u (i32.load (i32.const 0)) (i32.const 32768))
                (i32.gt_u (i32.load (i32.const 4)) (i32.const 196608)))
      (then (i64.store (i32.const 0) (i64.const -1))
            (call $out (i32.const 0) (i32.const 8)))
      (else (call $out (i32.const 0) (i32.const 8))
            (drop (call $eg (i32.const 65536) (i32.const 262144)))
            (call $out (i32.const 262144) (i32.load (i32.const 4)))))
    (block $done
      (loop $more
        (i32.store (i32.const 32) (i32.const 458752))
        (i32.store (i32.const 36) (i32.const 65536))
        (br_if $done (call $fr (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 40)))
        (br_if $done (i32.eqz (i32.load (i32.const 40))))
        (call $out (i32.const 458752) (i32.load (i32.const 40)))
        (br $more))))))";

constexpr const char* kFunctions = R"((module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 i64)
    (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "none"))))";

struct Fixture {
  ScratchDir dir{"http"};
  std::unique_ptr<Server> server;
  uint16_t port = 0;

  Fixture() {
    auto save = [&](const char* name, const char* wat) {
      auto bytes = wat_to_wasm(wat);
      std::ofstream(dir.path() / name, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
      return dir.path() / name;
    };
    const auto env_echo = save("env_echo.wasm", kEnvEcho);
    const auto functions = save("functions.wasm", kFunctions);
    ServerConfig c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.threads = 2;
    c.idle_timeout = std::chrono::milliseconds(2000);
    c.engine.enable_tier1 = false;
    c.tier = Tier::tier0;
    auto route = [&](std::string path, const std::filesystem::path& module, RouteMode mode,
                     std::string export_name, StrategyKind strategy) {
      RouteConfig r;
      r.path = std::move(path);
      r.module = module;
      r.mode = mode;
      r.export_name = std::move(export_name);
      r.strategy = strategy;
      r.max_body_bytes = 4096;
      r.limits.call_timeout = std::chrono::seconds(5);
      if (mode == RouteMode::wasi) r.content_type = "application/x-wisp-fuzz-env";
      c.routes.push_back(std::move(r));
    };
    route("/env", env_echo, RouteMode::wasi, "", StrategyKind::pool);
    route("/cgi/*", env_echo, RouteMode::wasi, "", StrategyKind::fresh);
    route("/add", functions, RouteMode::function, "add", StrategyKind::shared);
    route("/mix", functions, RouteMode::function, "mix", StrategyKind::per_thread);
    route("/none", functions, RouteMode::function, "none", StrategyKind::pool);
    server = std::make_unique<Server>(c);
    server->start();
    port = server->port();
  }
};

Fixture& fixture() {
  static Fixture* f = new Fixture();  // lives as long as the process (the server's threads too)
  return *f;
}

// connect(), finishing one that a signal interrupted (libFuzzer's timers interrupt system calls:
// the kernel goes on connecting; poll says when it is done and SO_ERROR how it went).
bool connect_to(int s, const sockaddr_in& a) {
  if (::connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) return true;
  if (errno != EINTR) return false;
  pollfd p{s, POLLOUT, 0};
  int r;
  while ((r = ::poll(&p, 1, 10000)) < 0 && errno == EINTR) {
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (r <= 0 || ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    errno = r == 0 ? ETIMEDOUT : err != 0 ? err : errno;
    return false;
  }
  return true;
}

// Sends `request` on a new connection, shuts the sending side, and reads until the server
// closes. A server that keeps the connection open for 10 s after that is a finding.
std::string exchange(uint16_t port, std::string_view request) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(s >= 0, "socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(connect_to(s, a), std::string("cannot connect to the server: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string reply;
  size_t sent = 0;
  bool shut = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[65536];
  for (;;) {
    if (!shut && sent == request.size()) {
      ::shutdown(s, SHUT_WR);
      shut = true;
    }
    pollfd p{s, static_cast<short>(POLLIN | (shut ? 0 : POLLOUT)), 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    check(left.count() > 0, "the server kept the connection open 10 s after the request ended");
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0) continue;
    if (p.revents & POLLOUT) {
      ssize_t n = ::send(s, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else {  // the server closed its side; stop sending
        sent = request.size();
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(s, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(s);
  return reply;
}

// The guest's output: 8 bytes of sizes, the environment, then stdin.
void check_env_body(std::string_view body) {
  if (body.size() < 8) return;  // an error answer, or a truncated one
  uint32_t count, bytes;
  std::memcpy(&count, body.data(), 4);
  std::memcpy(&bytes, body.data() + 4, 4);
  if (count == ~0u) return;
  check(body.size() >= 8 + uint64_t{bytes}, "the environment is cut short");
  std::string_view env = body.substr(8, bytes), input = body.substr(8 + bytes);
  uint32_t seen = 0;
  bool have_length = false;
  while (!env.empty()) {
    size_t nul = env.find('\0');
    check(nul != std::string_view::npos, "an environment entry without its NUL");
    std::string_view entry = env.substr(0, nul);
    env.remove_prefix(nul + 1);
    ++seen;
    size_t eq = entry.find('=');
    check(eq != std::string_view::npos && eq > 0,
          "an environment entry that is not NAME=VALUE: " + std::string(entry));
    std::string_view name = entry.substr(0, eq), value = entry.substr(eq + 1);
    check(name != "HTTP_PROXY", "a client header became HTTP_PROXY (httpoxy)");
    if (name == "CONTENT_LENGTH") {
      check(!have_length, "CONTENT_LENGTH twice");
      have_length = true;
      check(value == std::to_string(input.size()), "CONTENT_LENGTH=" + std::string(value) +
                                                       " but the guest read " +
                                                       std::to_string(input.size()) + " bytes");
    }
  }
  check(seen == count, "the environment has a different number of entries than announced");
  check(have_length, "no CONTENT_LENGTH");
}

// Splits pipelined responses (Content-Length framed, as wisp always sends them) and checks each.
// `request`: what was sent.
void check_reply(std::string_view reply, std::string_view request) {
  while (!reply.empty()) {
    check(reply.starts_with("HTTP/1.1 ") || reply.starts_with("HTTP/1.0 "),
          "the server sent something that is not an HTTP response: " +
              std::string(reply.substr(0, 64)));
    size_t head_end = reply.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return;  // cut short by a close: nothing to check
    std::string_view head = reply.substr(0, head_end + 2);
    const unsigned status =
        static_cast<unsigned>(std::atoi(std::string(head.substr(9, 3)).c_str()));
    check(status >= 100 && status <= 599,
          "a status out of range: " + std::string(head.substr(0, 16)));
    uint64_t length = 0;
    size_t cl = head.find("\r\nContent-Length: ");
    if (cl != std::string_view::npos) length = std::strtoull(head.data() + cl + 18, nullptr, 10);
    std::string_view body = reply.substr(head_end + 4);
    if (status == 100) {  // 100 Continue: no body, the answer follows
      reply = body;
      continue;
    }
    // An answer to HEAD has a Content-Length but no body: pipelined answers cannot be told
    // apart then, so only the first status line is checked.
    if (request.find("HEAD") != std::string_view::npos) return;
    if (body.size() < length) return;  // cut short
    body = body.substr(0, length);
    // wisp's JSON error bodies: {"detail": ..., "error": KIND}; KIND "error" is the catch-all
    // for an exception the route did not expect (inside a JSON string a quote is escaped, so
    // the pattern matches the key only).
    if (status == 500 && head.find("Content-Type: application/json") != std::string_view::npos)
      check(body.find("\"error\": \"error\"") == std::string_view::npos &&
                body.find("\"error\":\"error\"") == std::string_view::npos,
            "a route answered 500 with an exception it did not expect: " + std::string(body));
    if (status == 200 &&
        head.find("Content-Type: application/x-wisp-fuzz-env") != std::string_view::npos)
      check_env_body(body);
    reply.remove_prefix(head_end + 4 + length);
  }
}

}  // namespace
}  // namespace wisp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wisp::fuzz;
  Fixture& f = fixture();
  std::string_view request(reinterpret_cast<const char*>(data), size);
  std::string reply = exchange(f.port, request);
  check_reply(reply, request);
  static uint64_t runs = 0;
  if (++runs % 64 == 0) {
    std::string health = exchange(f.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    check(health.starts_with("HTTP/1.1 200"),
          "/healthz does not answer 200 any more: " + health.substr(0, 64));
  }
  return 0;
}
