// The server behind wisp::Server: the routes, the listening socket and the threads running
// Boost.Asio's event loop, the registry of open connections (closed on stop), and the dispatch
// of a request to its route or to a built-in page (/metrics, /healthz, the / dashboard).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
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

class ServerImpl {
 public:
  explicit ServerImpl(ServerConfig config);
  ~ServerImpl();

  void start();
  uint16_t port() const { return port_; }
  void stop(std::chrono::milliseconds grace);
  void wait();

  const ServerConfig& config() const { return config_; }
  // The access log, or null when it is off.
  serve::AccessLog* access_log() const { return access_log_.get(); }
  // The route serving `path` (null: a built-in page or none).
  serve::Route* find_route(std::string_view path) const;
  // Answers a request: its route's response, a built-in page, or 404/405.
  serve::HttpResponse dispatch(const serve::HttpRequest& request, serve::Route* route) const;
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // The largest body any route accepts (at least the built-in pages' 64 KiB).
  uint64_t max_body_bytes() const { return max_body_bytes_; }
  // The threads that run guest calls (each route's WorkQueue takes at most its share).
  boost::asio::thread_pool& workers() { return *workers_; }

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

  // Destroyed in reverse order: the event loop (and the connections its pending handlers still
  // own, which untrack themselves) before the registry, the routes before the engine.
  ServerConfig config_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<serve::AccessLog> access_log_;
  std::optional<boost::asio::ssl::context> tls_;  // with tls_cert and tls_key: HTTPS
  std::vector<std::unique_ptr<serve::Route>> routes_;
  uint64_t max_body_bytes_ = 64 << 10;

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
  // Guest calls: as many threads as the routes' max_concurrency together (after start()).
  std::optional<boost::asio::thread_pool> workers_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace wisp::detail
