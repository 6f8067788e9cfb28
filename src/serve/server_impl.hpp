// The server behind wisp::Server: the routes, the listening socket and the threads running
// Boost.Asio's event loop, the registry of open connections (closed on stop), the dispatch of a
// request to its route or to a built-in page (/metrics, /healthz, the / dashboard), and live
// reload: the routes are an immutable table swapped whole; a request holds the route it started
// on, and routes taken out of service are ended (their workers joined) once nothing holds them.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "serve/access_log.hpp"
#include "serve/http_message.hpp"
#include "serve/request_parser.hpp"
#include "serve/route.hpp"
#include "wisp/serve.hpp"

namespace wisp::serve {
class Session;
}

namespace wisp::detail {

// The server's own pages: "/", "/metrics", "/healthz".
bool builtin_page(std::string_view path);

// The routes in service, replaced whole by a reload (never changed in place).
struct RouteTable {
  std::vector<std::shared_ptr<serve::Route>> routes;
  uint64_t max_body_bytes = 64 << 10;  // the largest any route accepts (built-in pages: 64 KiB)
};

class ServerImpl {
 public:
  explicit ServerImpl(ServerConfig config);
  ~ServerImpl();

  void start();
  uint16_t port() const { return port_; }
  void stop(std::chrono::milliseconds grace);
  void wait();

  // The configuration the server started with: its server settings hold; the routes in service
  // are table()'s (a reload replaces them, not config_).
  const ServerConfig& config() const { return config_; }
  // The access log, or null when it is off.
  serve::AccessLog* access_log() const { return access_log_.get(); }
  // The route serving `path` (null: a built-in page or none); it stays usable while held.
  std::shared_ptr<serve::Route> find_route(std::string_view path) const;
  ReloadReport reload(ServerConfig config);
  // Answers a request: its route's response, a built-in page, or 404/405.
  serve::HttpResponse dispatch(const serve::HttpRequest& request, serve::Route* route) const;
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // The largest body any route accepts (at least the built-in pages' 64 KiB).
  uint64_t max_body_bytes() const { return table()->max_body_bytes; }

  // The limits every request is read under.
  const serve::RequestLimits& request_limits() const { return request_limits_; }
  // The connection cap in force (after start()).
  size_t max_connections() const { return max_connections_; }

  // Open connections: tracked so that stop() can close the idle ones; `busy` counts those
  // handling a request. An overflow connection (accepted beyond the cap, to be answered once)
  // does not count against the cap.
  void track(const std::shared_ptr<serve::Session>& session, bool overflow);
  size_t open_connections();
  void untrack(serve::Session* session, bool overflow);
  void request_began();
  void request_ended();

  std::vector<RouteStats> stats() const;
  std::string metrics_text() const;

 private:
  void accept();
  // Loads tls_cert and tls_key into tls_ (throws wisp::Error naming the file that fails).
  void load_tls();
  // Raises RLIMIT_NOFILE to its hard limit and sets max_connections_ and max_overflow_ below it.
  void fit_descriptors();
  std::shared_ptr<const RouteTable> table() const {
    std::lock_guard lock(table_mutex_);
    return table_;
  }
  // Checks and completes a route's configuration (defaults that depend on the server).
  void normalize(RouteConfig& r) const;
  // Builds the table for `routes`, reusing routes of `keep` that are unchanged.
  std::shared_ptr<RouteTable> build_table(std::vector<RouteConfig> routes, const RouteTable* keep,
                                          ReloadReport* report);
  // Ends the retired routes nothing holds any more (their workers joined). With reload_mutex_.
  void reap_retired();

  // Destroyed in reverse order: the event loop (and the connections its pending handlers still
  // own, which untrack themselves) before the registry, the routes before the engine.
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<serve::AccessLog> access_log_;
  std::optional<boost::asio::ssl::context> tls_;  // with tls_cert and tls_key: HTTPS
  // A mutex rather than std::atomic<std::shared_ptr>: libstdc++ 12's lock bit is invisible to
  // ThreadSanitizer (a false data race on every swap); an uncontended lock per request head.
  mutable std::mutex table_mutex_;
  std::shared_ptr<const RouteTable> table_;
  std::mutex reload_mutex_;  // one reload (or stop) at a time; guards retired_
  std::vector<std::shared_ptr<serve::Route>> retired_;  // out of service, maybe still running

  serve::RequestLimits request_limits_;
  uint64_t previous_memory_budget_ = 0;  // restored by the destructor
  size_t max_connections_ = 0;
  size_t max_overflow_ = 0;  // overflow connections at once; beyond them, closed unanswered

  std::mutex mutex_;  // guards the eight members after it
  std::condition_variable changed_;
  std::unordered_map<serve::Session*, std::weak_ptr<serve::Session>> sessions_;
  size_t regular_ = 0;   // sessions_ that count against the cap
  size_t overflow_ = 0;  // the others
  std::deque<std::weak_ptr<serve::Session>> overflow_order_;  // oldest first
  uint64_t busy_ = 0;
  bool started_ = false;
  bool stopped_ = false;

  boost::asio::io_context ioc_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;  // on a strand: accept vs stop
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace wisp::detail
