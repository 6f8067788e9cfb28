// `wisp serve CONFIG.toml [--listen HOST:PORT] [--threads N] [--tier 0|1|auto] [--watch]`: serves
// the configuration's routes until SIGINT or SIGTERM, then stops gracefully (requests in flight
// finish). SIGHUP, and with --watch a change to the configuration file or a route's module,
// reloads the routes while serving (Server::reload); a configuration that does not work is
// refused with its reason and the routes in service go on.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
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
  bool watch = false;
};

const char* mode_name(RouteMode m) {
  return m == RouteMode::function ? "function" : "wasi";
}

// The configuration file with the command line's overrides (at start and at each reload).
ServerConfig load_config(const ServeOptions& o) {
  ServerConfig config = ServerConfig::from_toml_file(o.config);
  if (!o.listen.empty()) {
    std::string text = "[server]\nlisten = \"" + o.listen + "\"\n";
    ServerConfig listen = ServerConfig::from_toml(text, ".");
    config.address = listen.address;
    config.port = listen.port;
  }
  if (o.threads >= 0) config.threads = static_cast<unsigned>(o.threads);
  if (!o.tier.empty()) config.tier = parse_tier(o.tier);
  return config;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

// Re-reads the configuration and reloads the server's routes; says what happened on stderr.
void reload(Server& server, const ServeOptions& o, const char* why) {
  try {
    ReloadReport r = server.reload(load_config(o));
    std::fprintf(stderr, "wisp: %s: reloaded %s (kept: %s; rebuilt: %s; added: %s; removed: %s)\n",
                 why, o.config.c_str(), joined(r.kept).c_str(), joined(r.rebuilt).c_str(),
                 joined(r.added).c_str(), joined(r.removed).c_str());
    if (!r.ignored.empty())
      std::fprintf(stderr, "wisp: changed settings that need a restart (kept as they were): %s\n",
                   joined(r.ignored).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wisp: %s: reload refused, the routes in service go on: %s\n", why,
                 e.what());
  }
}

// What --watch compares: the configuration file's and the routes' modules' size and mtime.
std::string watched_state(const std::string& config_path) {
  auto stamp = [](const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return path + " missing;";
    return path + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + ";";
  };
  std::string state = stamp(config_path);
  try {
    for (const RouteConfig& r : ServerConfig::from_toml_file(config_path).routes)
      state += stamp(r.module.string());
  } catch (const std::exception&) {
    // A configuration that does not parse: its own stamp is enough (the reload says why).
  }
  return state;
}

// --watch: polls twice a second; a change is reloaded once it has held still for one poll (an
// editor's save, a module being copied in).
class Watcher {
 public:
  Watcher(Server& server, const ServeOptions& o)
      : thread_([this, &server, &o] {
          std::string seen = watched_state(o.config);
          while (!stop_.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            std::string now = watched_state(o.config);
            if (now == seen) continue;
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            if (watched_state(o.config) != now || stop_.load()) continue;  // still changing
            seen = now;
            reload(server, o, "--watch: a change");
          }
        }) {}
  ~Watcher() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int serve(const ServeOptions& o) {
  ServerConfig config = load_config(o);
  // This thread takes SIGINT, SIGTERM and SIGHUP (sigwait): they are blocked before the server's
  // threads start, which inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t signals = stop_signals;
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
  std::printf("  %-20s dashboard (live charts); /stats.json, /metrics (Prometheus), /healthz\n",
              "/");
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  std::printf("  at most %zu connections (descriptor limit %llu)\n", server.max_connections(),
              static_cast<unsigned long long>(files.rlim_cur));
  if (o.watch)
    std::printf("  reloads when %s or a route's module changes (--watch)\n", o.config.c_str());
  std::fflush(stdout);
  std::optional<Watcher> watcher;
  if (o.watch) watcher.emplace(server, o);
  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    reload(server, o, "SIGHUP");
  }
  watcher.reset();
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
      "examples/serve.toml. GET / shows a live dashboard, /stats.json its numbers, /metrics\n"
      "Prometheus metrics.\n"
      "SIGHUP reloads the routes (requests in flight finish on the old ones).");
  sub->add_option("config", o->config, "The TOML configuration")->required();
  sub->add_option("--listen", o->listen, "HOST:PORT to listen on (overrides [server] listen)");
  sub->add_option("--threads", o->threads, "Threads serving requests (0: one per core)");
  sub->add_option("--tier", o->tier, "0, 1 or auto (overrides [engine] tier)")
      ->check(tier_validator());
  sub->add_flag("--watch", o->watch,
                "Reload the routes when the configuration or a route's module changes "
                "(SIGHUP reloads too)");
  sub->callback([o, &action] { action = [o] { return serve(*o); }; });
}

}  // namespace wisp::cli
