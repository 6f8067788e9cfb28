// Server benchmarks: one HTTP request over a keep-alive connection to an in-process wisp::Server
// (one serving thread, tier 1), per route:
//  - serve/function/<strategy>: GET /<strategy>?args=10 on the factorial guest (contexts: the kv
//    guest's update_value on a zeroed context);
//  - serve/wasi/pool: POST a 100-byte body to the shout WASI command on a pool that resets after
//    every request (stdin -> stdout);
//  - cgi/wisp_run: the same program as a process per request (posix_spawn of `wisp run`, body on
//    stdin): what a CGI-style server without instance reuse pays;
//  - tcp/echo_100B: the floor: 100 bytes to a thread that echoes them over loopback TCP (no
//    HTTP, no wasm), measured in the same run.
// Every answer is checked, so no path can skip the work. Times are wall-clock per request (the
// server works on its own thread).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <memory>
#include <string>
#include <thread>

#include "bench_support.hpp"
#include "serve/http_client.hpp"
#include "wisp/serve.hpp"

extern char** environ;

namespace {

using wisp::bench::guarded;

const std::filesystem::path kExamples = WISP_EXAMPLES_DIR;
const std::string kBody(100, 'x');

std::string shout_answer(const std::string& method, const std::string& body) {
  std::string out = method + " -\n";
  for (char c : body) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::unique_ptr<wisp::Server> g_server;

wisp::RouteConfig function_route(wisp::StrategyKind k) {
  wisp::RouteConfig r;
  r.path = std::string("/") + wisp::strategy_kind_name(k);
  r.strategy = k;
  if (k == wisp::StrategyKind::contexts) {
    r.module = kExamples / "kv.wasm";
    r.export_name = "update_value";
  } else {
    r.module = kExamples / "factorial.wasm";
    r.export_name = "factorial";
  }
  return r;
}

void start_server() {
  wisp::ServerConfig c;
  c.port = 0;
  c.threads = 1;
  c.tier = wisp::Tier::tier1;
  c.engine.cache_dir = std::getenv("WISP_BENCH_CACHE_DIR") ? std::getenv("WISP_BENCH_CACHE_DIR")
                                                           : WISP_BENCH_CACHE_DIR;
  for (wisp::StrategyKind k :
       {wisp::StrategyKind::fresh, wisp::StrategyKind::shared, wisp::StrategyKind::pool,
        wisp::StrategyKind::per_thread, wisp::StrategyKind::contexts})
    c.routes.push_back(function_route(k));
  wisp::RouteConfig shout;
  shout.path = "/shout";
  shout.module = kExamples / "shout.wasm";
  shout.mode = wisp::RouteMode::wasi;
  shout.strategy = wisp::StrategyKind::pool;
  c.routes.push_back(shout);
  g_server = std::make_unique<wisp::Server>(c);
  g_server->start();
}

void function_request(benchmark::State& st, wisp::StrategyKind k) {
  wisp::test::HttpClient client(g_server->port());
  const std::string path = std::string("/") + wisp::strategy_kind_name(k);
  const bool contexts = k == wisp::StrategyKind::contexts;
  const std::string target = path + (contexts ? "?args=7" : "?args=10");
  const std::string want = contexts ? "{\"results\":[1]}\n" : "{\"results\":[3628800]}\n";
  for (auto _ : st) {
    wisp::test::HttpReply r = client.request("GET", target);
    if (r.status != 200 || r.body != want)
      st.SkipWithError(("unexpected answer: " + r.body).c_str());
  }
}

void wasi_request(benchmark::State& st) {
  wisp::test::HttpClient client(g_server->port());
  const std::string want = shout_answer("POST", kBody);
  for (auto _ : st) {
    wisp::test::HttpReply r = client.request("POST", "/shout", kBody);
    if (r.status != 200 || r.body != want)
      st.SkipWithError(("unexpected answer: " + r.body).c_str());
  }
}

// `wisp run shout.wasm` with the body on stdin and REQUEST_METHOD=POST; returns its stdout.
std::string run_process(const std::string& body) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::string wisp = WISP_BINARY, module = (kExamples / "shout.wasm").string();
  std::vector<char*> argv = {wisp.data(),
                             const_cast<char*>("run"),
                             const_cast<char*>("--env"),
                             const_cast<char*>("REQUEST_METHOD=POST"),
                             module.data(),
                             nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) throw std::runtime_error("cannot run " + wisp);
  if (write(in[1], body.data(), body.size()) != static_cast<ssize_t>(body.size()))
    throw std::runtime_error("short write");
  close(in[1]);
  std::string result;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) result.append(buf, size_t(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return result;
}

void cgi_process(benchmark::State& st) {
  const std::string want = shout_answer("POST", kBody);
  for (auto _ : st) {
    if (run_process(kBody) != want) st.SkipWithError("unexpected answer from wisp run");
  }
}

// A thread echoing what one connection sends, and the client's round trips of 100 bytes.
void tcp_echo(benchmark::State& st) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot listen");
  std::thread echo([listener] {
    int c = accept(listener, nullptr, nullptr);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[256];
    for (ssize_t n; (n = read(c, buf, sizeof buf)) > 0;) {
      if (write(c, buf, size_t(n)) != n) break;
    }
    close(c);
  });
  int c = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot connect");
  char buf[100] = {};
  for (auto _ : st) {
    if (write(c, buf, sizeof buf) != sizeof buf) st.SkipWithError("short write");
    for (size_t got = 0; got < sizeof buf;) {
      ssize_t n = read(c, buf + got, sizeof buf - got);
      if (n <= 0) {
        st.SkipWithError("read failed");
        break;
      }
      got += size_t(n);
    }
  }
  close(c);
  echo.join();
  close(listener);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    start_server();
    run_process(kBody);  // warms the tier-1 cache for the process runs
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp_bench_serve: setup failed: %s\n", e.what());
    return 1;
  }
  for (wisp::StrategyKind k :
       {wisp::StrategyKind::fresh, wisp::StrategyKind::shared, wisp::StrategyKind::pool,
        wisp::StrategyKind::per_thread, wisp::StrategyKind::contexts}) {
    benchmark::RegisterBenchmark(
        (std::string("serve/function/") + wisp::strategy_kind_name(k)).c_str(),
        guarded([k](benchmark::State& st) { function_request(st, k); }))
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("serve/wasi/pool", guarded(wasi_request))
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("tcp/echo_100B", guarded(tcp_echo))
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("cgi/wisp_run", guarded(cgi_process))
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_server.reset();
  return 0;
}
