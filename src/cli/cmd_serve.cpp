// `wisp serve CONFIG.toml [--listen HOST:PORT] [--threads N] [--tier 0|1|auto]`: serves the
// configuration's routes until SIGINT or SIGTERM, then stops gracefully (requests in flight
// finish).
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "cli/cli.hpp"
#include "wisp/serve.hpp"

namespace wisp::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::string listen;
  int threads = -1;
  std::string tier;
};

const char* mode_name(RouteMode m) {
  return m == RouteMode::function ? "function" : "wasi";
}

int serve(const ServeOptions& o) {
  ServerConfig config = ServerConfig::from_toml_file(o.config);
  if (!o.listen.empty()) {
    std::string text = "[server]\nlisten = \"" + o.listen + "\"\n";
    ServerConfig listen = ServerConfig::from_toml(text, ".");
    config.address = listen.address;
    config.port = listen.port;
  }
  if (o.threads >= 0) config.threads = static_cast<unsigned>(o.threads);
  if (!o.tier.empty()) config.tier = parse_tier(o.tier);
  // This thread takes SIGINT and SIGTERM (sigwait): they are blocked before the server's
  // threads start, which inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  size_t routes = config.routes.size();
  std::vector<RouteConfig> shown = config.routes;
  std::string address = config.address;
  const char* scheme = config.tls_cert.empty() ? "http" : "https";
  Server server(std::move(config));  // compiles every module: errors name the route
  server.start();
  std::printf("wisp: serving %zu route%s on %s://%s:%u (Ctrl-C stops)\n", routes,
              routes == 1 ? "" : "s", scheme, address.c_str(), server.port());
  for (const RouteConfig& r : shown) {
    std::printf("  %-20s %-10s %-9s %s %s\n", r.path.c_str(), strategy_kind_name(r.strategy),
                mode_name(r.mode), r.module.filename().c_str(),
                r.export_name.empty() ? "_start" : r.export_name.c_str());
  }
  std::printf("  %-20s dashboard; /metrics (Prometheus), /healthz\n", "/");
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  std::printf("  at most %zu connections (descriptor limit %llu)\n", server.max_connections(),
              static_cast<unsigned long long>(files.rlim_cur));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "wisp: %s: stopping (again to quit at once)\n", strsignal(sig));
  // A second signal ends the process at once, even if calls in flight do not finish.
  std::thread([stop_signals] {
    int again = 0;
    sigwait(&stop_signals, &again);
    std::fprintf(stderr, "wisp: %s: quitting\n", strsignal(again));
    std::_Exit(kUsage);
  }).detach();
  server.stop();
  return kOk;
}

}  // namespace

void add_serve(CLI::App& app, Action& action) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand("serve", "Serve modules over HTTP (routes from a TOML file)");
  sub->footer(
      "Each [[route]] maps a path to a module, a sharing strategy and limits; see\n"
      "examples/serve.toml. GET / shows a dashboard, /metrics Prometheus metrics.");
  sub->add_option("config", o->config, "The TOML configuration")->required();
  sub->add_option("--listen", o->listen, "HOST:PORT to listen on (overrides [server] listen)");
  sub->add_option("--threads", o->threads, "Threads serving requests (0: one per core)");
  sub->add_option("--tier", o->tier, "0, 1 or auto (overrides [engine] tier)")
      ->check(tier_validator());
  sub->callback([o, &action] { action = [o] { return serve(*o); }; });
}

}  // namespace wisp::cli
