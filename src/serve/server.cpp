// wisp::Server and its implementation: routes built at construction (and again by a reload), a
// listening socket and a pool of threads running the event loop, dispatch to routes and
// built-in pages, and a stop that lets requests in flight finish.
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/watchdog.hpp"
#include "serve/cpu_affinity.hpp"
#include "serve/dashboard/assets.hpp"
#include "serve/metrics.hpp"
#include "serve/server_impl.hpp"
#include "serve/session.hpp"

namespace wisp {

namespace detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

bool builtin_page(std::string_view path) {
  return path == "/" || path == "/metrics" || path == "/healthz" || path == "/stats.json" ||
         path == "/dashboard/charts.wasm";
}

namespace {

// The most descriptors setrlimit accepts when the hard limit is unlimited (fs.nr_open).
rlim_t nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  unsigned long long n = 0;
  if (in >> n && n > 0) return static_cast<rlim_t>(n);
  return 1 << 20;
}

size_t open_descriptors() {
  std::error_code ec;
  size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

uint64_t default_memory_budget() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return uint64_t(pages) * uint64_t(page) / 4 * 3;
}

}  // namespace

ServerImpl::ServerImpl(ServerConfig config) : config_(std::move(config)) {
  if (config_.routes.empty()) throw Error("serve: no routes configured");
  if (std::string why = serve::cpus_problem(config_.cpus); !why.empty())
    throw Error("serve: [server] cpus: " + why);
  request_limits_.header_bytes = config_.max_header_bytes;
  request_limits_.trailer_bytes = config_.max_trailer_bytes;
  request_limits_.chunk_extension_bytes = config_.max_chunk_extension_bytes;
  request_limits_.chunk_framing_bytes = config_.max_chunk_framing_bytes;
  // The budget is process-wide: set before the routes make their first instances.
  previous_memory_budget_ = runtime_stats().memory_budget;
  set_memory_budget(config_.memory_budget ? config_.memory_budget : default_memory_budget());
  try {
    EngineConfig ec = config_.engine;
    ec.enable_tier1 = config_.tier != Tier::tier0;
    ec.background_tier1 = config_.tier == Tier::automatic;
    engine_ = std::make_unique<Engine>(ec);
    access_log_ = serve::AccessLog::open(config_);
    if (!config_.tls_cert.empty() || !config_.tls_key.empty()) load_tls();
    // One HTTP thread per core: per core the server may use, where [server] cpus lists them.
    if (config_.threads == 0)
      config_.threads = config_.cpus.empty() ? std::max(1u, std::thread::hardware_concurrency())
                                             : static_cast<unsigned>(config_.cpus.size());
    table_ = build_table(config_.routes, nullptr, nullptr);
  } catch (...) {
    set_memory_budget(previous_memory_budget_);  // no destructor runs for a refused server
    throw;
  }
}

void ServerImpl::normalize(RouteConfig& r) const {
  if (r.max_concurrency == 0) r.max_concurrency = config_.threads;
  if (r.mode == RouteMode::wasi && r.export_name.empty()) r.export_name = "_start";
  if (r.path.empty() || r.path[0] != '/')
    throw Error("route " + r.path + ": a path starts with '/'");
  if (builtin_page(r.path) && r.path != "/")
    throw Error("route " + r.path + ": the path is reserved for the server's own page");
}

std::shared_ptr<RouteTable> ServerImpl::build_table(std::vector<RouteConfig> routes,
                                                    const RouteTable* keep, ReloadReport* report) {
  if (routes.empty()) throw Error("serve: no routes configured");
  auto table = std::make_shared<RouteTable>();
  for (size_t i = 0; i < routes.size(); ++i) {
    RouteConfig& r = routes[i];
    normalize(r);
    for (size_t j = 0; j < i; ++j) {
      if (routes[j].path == r.path) throw Error("route " + r.path + ": defined twice");
    }
    std::shared_ptr<serve::Route> same;  // an unchanged route of the table in service
    bool existed = false;
    if (keep) {
      for (const auto& old : keep->routes) {
        if (old->config().path != r.path) continue;
        existed = true;
        if (old->config() == r && old->module_digest() == serve::Route::file_digest(r.module))
          same = old;
      }
    }
    if (same) {
      table->routes.push_back(std::move(same));
      if (report) report->kept.push_back(r.path);
    } else {
      table->routes.push_back(std::make_shared<serve::Route>(*engine_, config_.tier, r));
      if (report) (existed ? report->rebuilt : report->added).push_back(r.path);
    }
    table->max_body_bytes = std::max(table->max_body_bytes, r.max_body_bytes);
  }
  return table;
}

ServerImpl::~ServerImpl() {
  stop(std::chrono::milliseconds(5000));
  set_memory_budget(previous_memory_budget_);  // only checked when memory is charged
}

void ServerImpl::fit_descriptors() {
  rlimit rl{};
  rlim_t limit = 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rlim_t hard = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < hard) {
      rlimit raised{hard, rl.rlim_max};
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl.rlim_cur = hard;
    }
    limit = rl.rlim_cur == RLIM_INFINITY ? nr_open() : rl.rlim_cur;
  }
  // Kept free: the descriptors open now, the overflow connections, and a reserve for what opens
  // descriptors while serving (files of WASI guests, the tier-1 compiler's pipes, the cache).
  max_overflow_ = std::clamp<size_t>(limit / 32, 4, 64);
  const size_t reserve = open_descriptors() + max_overflow_ + std::max<size_t>(32, limit / 16);
  const size_t room = limit > reserve ? limit - reserve : 1;
  max_connections_ = std::min(config_.max_connections, room);
}

void ServerImpl::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_ || acceptor_) throw Error("serve: the server was started already");
  }
  boost::system::error_code ec;
  tcp::endpoint endpoint(net::ip::make_address(config_.address, ec), config_.port);
  if (ec) throw Error("serve: bad listen address '" + config_.address + "': " + ec.message());
  acceptor_.emplace(net::make_strand(ioc_));
  auto check = [&](const char* what) {
    if (ec)
      throw Error(std::string("serve: cannot ") + what + " " + config_.address + ":" +
                  std::to_string(config_.port) + ": " + ec.message());
  };
  acceptor_->open(endpoint.protocol(), ec);
  check("open a socket for");
  acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  acceptor_->bind(endpoint, ec);
  check("listen on");
  acceptor_->listen(net::socket_base::max_listen_connections, ec);
  check("listen on");
  port_ = acceptor_->local_endpoint().port();
  fit_descriptors();
  {
    std::lock_guard lock(mutex_);
    started_ = true;  // only now is there something for stop() to stop
  }
  // Each route runs at most max_concurrency guest calls on as many workers of its own: a route
  // whose calls all loop never delays another's. The call timeouts' watchdog is started first,
  // here: started by a route's worker, it would take that route's cpu_priority.
  rt::watchdog_start();
  {
    std::lock_guard reload_lock(reload_mutex_);
    for (const auto& r : table()->routes) r->start_workers();
  }
  work_.emplace(ioc_.get_executor());
  accept();
  for (unsigned i = 0; i < config_.threads; ++i) {
    threads_.emplace_back([this] {
      // Pinned before it is named: whoever sees the name sees the thread's final CPUs.
      if (int err = serve::pin_calling_thread(config_.cpus))
        spdlog::warn("cannot keep the HTTP threads to [server] cpus ({})", std::strerror(err));
      pthread_setname_np(pthread_self(), "wisp http");  // for top -H and perf
      // A handler that throws (out of memory, say) loses its connection, not the thread.
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "wisp serve: %s\n", e.what());
        }
      }
    });
  }
}

void ServerImpl::accept() {
  acceptor_->async_accept(net::make_strand(ioc_), [this](boost::system::error_code ec,
                                                         serve::ConnectionSocket socket) {
    if (stopping()) return;
    if (ec) {
      // Out of file descriptors or memory, say: try again shortly instead of spinning.
      auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
      timer->async_wait([this, timer](boost::system::error_code) {
        if (!stopping()) accept();
      });
      return;
    }
    // Over the cap a connection is still answered once (a built-in page, else 503) on one
    // of max_overflow_ places; when they are all taken, the oldest gives up its place
    // unless it is being answered, so that a health check gets through a flood.
    bool overflow = false, admit = true;
    std::shared_ptr<serve::Session> evict;
    {
      std::lock_guard lock(mutex_);
      overflow = regular_ >= max_connections_;
      if (overflow && overflow_ >= max_overflow_) {
        admit = false;
        while (!overflow_order_.empty() && !evict) {
          evict = overflow_order_.front().lock();
          overflow_order_.pop_front();
        }
        admit = evict != nullptr;
      }
    }
    if (evict) evict->close_if_idle();
    if (admit) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<serve::Session>(std::move(socket), *this, overflow, tls_ ? &*tls_ : nullptr)
          ->start();
    } else {
      socket.close(ec);
    }
    accept();
  });
}

void ServerImpl::load_tls() {
  if (config_.tls_cert.empty() || config_.tls_key.empty())
    throw Error("tls_cert and tls_key go together: give both, or neither");
  tls_.emplace(net::ssl::context::tls_server);
  tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  boost::system::error_code ec;
  tls_->use_certificate_chain_file(config_.tls_cert.string(), ec);
  if (ec)
    throw Error("tls_cert " + config_.tls_cert.string() +
                ": cannot load a PEM certificate chain (" + ec.message() + ")");
  tls_->use_private_key_file(config_.tls_key.string(), net::ssl::context::pem, ec);
  if (ec)
    throw Error("tls_key " + config_.tls_key.string() + ": cannot load a PEM private key (" +
                ec.message() + ")");
}

void ServerImpl::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (!started_ || stopped_) {
      stopped_ = true;
      changed_.notify_all();
      return;
    }
  }
  stopping_.store(true, std::memory_order_release);
  net::post(acceptor_->get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_->close(ec);
  });
  std::vector<std::shared_ptr<serve::Session>> open;
  {
    std::unique_lock lock(mutex_);
    for (auto& [p, weak] : sessions_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) s->close_if_idle();
  open.clear();
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, grace, [this] { return busy_ == 0; });
  }
  // Requests still waiting for a worker are dropped (their connections close); calls running
  // end (at their timeout at the latest) before the event loop stops, so their answers go out.
  {
    std::lock_guard reload_lock(reload_mutex_);
    std::vector<std::shared_ptr<serve::Route>> all = table()->routes;
    all.insert(all.end(), retired_.begin(), retired_.end());
    for (auto& r : all) r->work().drop_waiting();
    for (auto& r : all) r->join_workers();
    retired_.clear();
  }
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  {
    std::lock_guard lock(mutex_);
    sessions_.clear();
    stopped_ = true;
  }
  changed_.notify_all();
}

void ServerImpl::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return stopped_; });
}

std::shared_ptr<serve::Route> ServerImpl::find_route(std::string_view path) const {
  std::shared_ptr<const RouteTable> t = table();
  for (const auto& r : t->routes) {
    if (r->matches(path)) return r;
  }
  return nullptr;
}

ReloadReport ServerImpl::reload(ServerConfig next) {
  std::lock_guard reload_lock(reload_mutex_);
  if (stopping()) throw Error("reload: the server is stopping");
  ReloadReport report;
  auto differs = [&](bool changed, const char* what) {
    if (changed) report.ignored.push_back(what);
  };
  const ServerConfig& now = config_;
  differs(next.address != now.address || next.port != now.port, "listen");
  differs(next.threads != 0 && next.threads != now.threads, "threads");
  differs(next.cpus != now.cpus, "cpus");
  differs(next.tls_cert != now.tls_cert || next.tls_key != now.tls_key, "tls");
  differs(next.max_connections != now.max_connections, "max_connections");
  differs(next.memory_budget != now.memory_budget, "memory_budget");
  differs(next.access_log != now.access_log || next.access_log_format != now.access_log_format,
          "access_log");
  differs(next.idle_timeout != now.idle_timeout || next.max_header_bytes != now.max_header_bytes ||
              next.max_trailer_bytes != now.max_trailer_bytes ||
              next.max_chunk_extension_bytes != now.max_chunk_extension_bytes ||
              next.max_chunk_framing_bytes != now.max_chunk_framing_bytes,
          "limits");
  differs(next.tier != now.tier, "tier");
  differs(!(next.engine == now.engine), "engine");
  std::shared_ptr<const RouteTable> old = table();
  // Everything that can fail happens here, before any request sees the new table.
  std::shared_ptr<RouteTable> fresh = build_table(std::move(next.routes), old.get(), &report);
  bool serving = false;
  {
    std::lock_guard lock(mutex_);
    serving = started_;  // else start() starts the workers of the table it finds
  }
  if (serving) {
    for (const auto& r : fresh->routes) r->start_workers();
  }
  for (const auto& r : old->routes) {
    if (std::find(fresh->routes.begin(), fresh->routes.end(), r) == fresh->routes.end()) {
      retired_.push_back(r);
      if (std::find(report.rebuilt.begin(), report.rebuilt.end(), r->config().path) ==
          report.rebuilt.end())
        report.removed.push_back(r->config().path);
    }
  }
  {
    std::lock_guard lock(table_mutex_);
    table_ = std::move(fresh);
  }
  reap_retired();
  return report;
}

void ServerImpl::reap_retired() {
  // A retired route nothing else holds can take no more requests: its workers end with what
  // was submitted to them (join), here, never on one of its own workers.
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (it->use_count() == 1) {
      (*it)->join_workers();
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
}

serve::HttpResponse ServerImpl::dispatch(const serve::HttpRequest& request,
                                         serve::Route* route) const {
  if (route) return route->handle(request);
  if (!builtin_page(request.path))
    return serve::error_response(404, "not found", "no route serves " + request.path);
  if (request.method != "GET" && request.method != "HEAD") {
    serve::HttpResponse r = serve::error_response(405, "method not allowed", "use GET");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  serve::HttpResponse r;
  if (request.path == "/healthz") {
    r.content_type = "text/plain";
    r.body = "ok\n";
  } else if (request.path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_text();
  } else if (request.path == "/stats.json") {  // polled by the dashboard
    r.body = serve::stats_json(stats(), runtime_stats(), serve::process_uptime_s());
    r.headers.emplace_back("Cache-Control", "no-store");
  } else if (request.path == "/dashboard/charts.wasm") {  // the dashboard's chart module
    r.content_type = "application/wasm";
    r.body.assign(reinterpret_cast<const char*>(kChartsWasm), kChartsWasmSize);
  } else {
    r.content_type = "text/html; charset=utf-8";
    r.body = serve::dashboard_html(stats(), runtime_stats());
  }
  return r;
}

size_t ServerImpl::open_connections() {
  std::lock_guard lock(mutex_);
  return regular_;
}

void ServerImpl::track(const std::shared_ptr<serve::Session>& session, bool overflow) {
  std::lock_guard lock(mutex_);
  sessions_[session.get()] = session;
  if (overflow) {
    ++overflow_;
    overflow_order_.push_back(session);
  } else {
    ++regular_;
  }
}

void ServerImpl::untrack(serve::Session* session, bool overflow) {
  std::lock_guard lock(mutex_);
  if (!sessions_.erase(session)) return;  // stop() cleared the registry
  if (overflow) {
    --overflow_;
    // Expired places at the front go (a live session's entry stays until it is evicted).
    while (!overflow_order_.empty() && overflow_order_.front().expired())
      overflow_order_.pop_front();
  } else {
    --regular_;
  }
}

void ServerImpl::request_began() {
  std::lock_guard lock(mutex_);
  ++busy_;
}

void ServerImpl::request_ended() {
  std::lock_guard lock(mutex_);
  --busy_;
  if (busy_ == 0) changed_.notify_all();
}

std::vector<RouteStats> ServerImpl::stats() const {
  std::vector<RouteStats> out;
  for (const auto& r : table()->routes) out.push_back(r->stats());
  return out;
}

std::string ServerImpl::metrics_text() const {
  return serve::prometheus_text(stats(), runtime_stats());
}

}  // namespace detail

Server::Server(ServerConfig config)
    : impl_(std::make_unique<detail::ServerImpl>(std::move(config))) {}
Server::~Server() = default;
void Server::start() {
  impl_->start();
}
uint16_t Server::port() const {
  return impl_->port();
}
size_t Server::max_connections() const {
  return impl_->max_connections();
}
void Server::stop(std::chrono::milliseconds grace) {
  impl_->stop(grace);
}
void Server::wait() {
  impl_->wait();
}
ReloadReport Server::reload(ServerConfig config) {
  return impl_->reload(std::move(config));
}
std::vector<RouteStats> Server::stats() const {
  return impl_->stats();
}
std::string Server::metrics_text() const {
  return impl_->metrics_text();
}

}  // namespace wisp
