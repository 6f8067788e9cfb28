// Guest calls off the serving threads (issue 13, item 1): a route whose calls loop until their
// timeout holds only its own workers (max_concurrency), its excess waits (max_queue) or is
// refused at once with 503 + Retry-After, and /healthz, /metrics and the other routes answer
// while those calls still run; each route's workers are named after it and run at its
// cpu_priority.
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
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

// The /proc/self/task/<tid> directory of each thread whose name (comm) is `name`.
std::vector<std::filesystem::path> tasks_named(const std::string& name) {
  std::vector<std::filesystem::path> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string c;
    std::getline(comm, c);
    if (c == name) out.push_back(task.path());
  }
  return out;
}

// Each such thread's nice value and scheduling policy (fields 19 and 41 of its stat).
struct ThreadSched {
  int nice = 0;
  int policy = -1;
};
std::vector<ThreadSched> threads_named(const std::string& name) {
  std::vector<ThreadSched> out;
  for (const auto& task : tasks_named(name)) {
    std::ifstream stat(task / "stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));  // from field 3 on
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    if (f.size() < 39) continue;
    out.push_back({std::stoi(f[16]), std::stoi(f[38])});
  }
  return out;
}

TEST(ServerIsolation, EachRoutesWorkersAreNamedAfterItAndRunAtItsCpuPriority) {
  RouteConfig normal =
      route("/normal", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  RouteConfig low = route("/low", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  low.cpu_priority = CpuPriority::low;
  RouteConfig idle = route("/idle", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  idle.cpu_priority = CpuPriority::idle;
  RouteConfig interactive =
      route("/prompt", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  interactive.cpu_priority = CpuPriority::interactive;
  for (RouteConfig* r : {&normal, &low, &idle, &interactive}) r->max_concurrency = 1;
  Server server(config_with({normal, low, idle, interactive}));
  server.start();
  HttpClient c(server.port());
  for (const char* path : {"/normal", "/low", "/idle", "/prompt"})
    EXPECT_EQ(first_result(c.request("GET", std::string(path) + "?args=5")), 120) << path;

  errno = 0;
  const int own_nice = getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  // Each route has one worker (max_concurrency 1), named when the server started; a look is
  // retried a while in case a short-lived thread of another name is passing.
  std::vector<ThreadSched> n, l, i, x;
  for (int tries = 0; tries < 500; ++tries) {
    n = threads_named("wisp /normal");
    l = threads_named("wisp /low");
    i = threads_named("wisp /idle");
    x = threads_named("wisp /prompt");
    if (n.size() == 1 && l.size() == 1 && i.size() == 1 && x.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(l.size(), 1u);
  ASSERT_EQ(i.size(), 1u);
  ASSERT_EQ(x.size(), 1u);
  // normal and low: a worker handed a request does not preempt the HTTP thread (SCHED_BATCH).
  EXPECT_EQ(n[0].policy, SCHED_BATCH);
  EXPECT_EQ(n[0].nice, own_nice);
  EXPECT_EQ(l[0].policy, SCHED_BATCH);
  EXPECT_EQ(l[0].nice, std::max(own_nice, 10));
  EXPECT_EQ(i[0].policy, SCHED_IDLE);
  EXPECT_EQ(x[0].policy, SCHED_OTHER);
  EXPECT_EQ(x[0].nice, own_nice);
  // The watchdog that enforces every route's timeouts runs at the server's own priority.
  std::vector<ThreadSched> w = threads_named("wisp watchdog");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].policy, SCHED_OTHER);
  EXPECT_EQ(w[0].nice, own_nice);
  // The server's own threads keep their priority.
  EXPECT_EQ(getpriority(PRIO_PROCESS, 0), own_nice);
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
}

// Each such thread's CPUs (Cpus_allowed_list of its status, "0-1,3").
std::vector<std::string> cpus_of_threads_named(const std::string& name) {
  std::vector<std::string> out;
  for (const auto& task : tasks_named(name)) {
    std::ifstream status(task / "status");
    for (std::string line; std::getline(status, line);)
      if (line.starts_with("Cpus_allowed_list:")) {
        std::istringstream fields(line.substr(line.find(':') + 1));
        std::string list;
        fields >> list;
        out.push_back(list);
      }
  }
  return out;
}

TEST(ServerIsolation, WorkersAndHttpThreadsKeepToTheirCpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  std::vector<unsigned> mine;
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) mine.push_back(cpu);
  ASSERT_FALSE(mine.empty());
  // The last CPU this process may use for the route, the first for the HTTP threads (the same
  // one on a single-CPU machine).
  const unsigned route_cpu = mine.back(), http_cpu = mine.front();
  RouteConfig pinned =
      route("/pinned", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  pinned.cpus = {route_cpu};
  pinned.max_concurrency = 2;
  RouteConfig free = route("/free", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  free.max_concurrency = 1;
  {  // threads = 0 with [server] cpus: one HTTP thread per CPU listed
    ServerConfig one = config_with({free});
    one.threads = 0;
    one.cpus = {http_cpu};
    Server s(one);
    s.start();
    std::vector<std::string> http;
    for (int tries = 0; tries < 50 && http.size() < 2; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      http = cpus_of_threads_named("wisp http");
    }
    EXPECT_EQ(http, std::vector<std::string>{std::to_string(http_cpu)});
  }
  ServerConfig config = config_with({pinned, free});
  config.threads = 2;
  config.cpus = {http_cpu};
  Server server(config);
  server.start();
  HttpClient c(server.port());
  EXPECT_EQ(first_result(c.request("GET", "/pinned?args=5")), 120);
  EXPECT_EQ(first_result(c.request("GET", "/free?args=5")), 120);
  std::vector<std::string> workers, http, others;
  for (int tries = 0; tries < 500; ++tries) {
    workers = cpus_of_threads_named("wisp /pinned");
    http = cpus_of_threads_named("wisp http");
    others = cpus_of_threads_named("wisp /free");
    if (workers.size() == 2 && http.size() == 2 && others.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(workers.size(), 2u);
  ASSERT_EQ(http.size(), 2u);
  ASSERT_EQ(others.size(), 1u);
  for (const auto& w : workers) EXPECT_EQ(w, std::to_string(route_cpu));
  for (const auto& h : http) EXPECT_EQ(h, std::to_string(http_cpu));
  // A route without cpus keeps the process's CPUs.
  std::vector<std::string> process_cpus = cpus_of_threads_named("wisp watchdog");
  ASSERT_EQ(process_cpus.size(), 1u);
  EXPECT_EQ(others[0], process_cpus[0]);

  // A CPU this process may not run on is refused at start, naming the route or [server].
  unsigned outside = 0;
  while (outside < CPU_SETSIZE && CPU_ISSET(outside, &allowed)) ++outside;
  RouteConfig elsewhere =
      route("/elsewhere", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  elsewhere.cpus = {outside};
  try {
    Server refused(config_with({elsewhere}));
    ADD_FAILURE() << "a route on CPU " << outside << " was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/elsewhere"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cpus: CPU " + std::to_string(outside)), std::string::npos)
        << e.what();
  }
  ServerConfig bad_server = config_with({free});
  bad_server.cpus = {outside};
  try {
    Server refused(bad_server);
    ADD_FAILURE() << "HTTP threads on CPU " << outside << " were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[server] cpus: CPU " + std::to_string(outside)),
              std::string::npos)
        << e.what();
  }
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
