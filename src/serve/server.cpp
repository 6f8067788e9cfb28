// wisp::Server and its implementation: routes built at construction, a listening socket and a
// pool of threads running the event loop, dispatch to routes and built-in pages, and a stop
// that lets requests in flight finish.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <thread>

#include "serve/metrics.hpp"
#include "serve/server_impl.hpp"
#include "serve/session.hpp"

namespace wisp {

namespace detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool builtin_page(std::string_view path) {
  return path == "/" || path == "/metrics" || path == "/healthz";
}

}  // namespace

ServerImpl::ServerImpl(ServerConfig config) : config_(std::move(config)) {
  if (config_.routes.empty()) throw Error("serve: no routes configured");
  EngineConfig ec = config_.engine;
  ec.enable_tier1 = config_.tier != Tier::tier0;
  ec.background_tier1 = config_.tier == Tier::automatic;
  engine_ = std::make_unique<Engine>(ec);
  for (size_t i = 0; i < config_.routes.size(); ++i) {
    const RouteConfig& r = config_.routes[i];
    if (r.path.empty() || r.path[0] != '/')
      throw Error("route " + r.path + ": a path starts with '/'");
    if (builtin_page(r.path) && r.path != "/")
      throw Error("route " + r.path + ": the path is reserved for the server's own page");
    for (size_t j = 0; j < i; ++j) {
      if (config_.routes[j].path == r.path) throw Error("route " + r.path + ": defined twice");
    }
    routes_.push_back(std::make_unique<serve::Route>(*engine_, config_.tier, r));
    max_body_bytes_ = std::max(max_body_bytes_, r.max_body_bytes);
  }
}

ServerImpl::~ServerImpl() {
  stop(std::chrono::milliseconds(5000));
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
  {
    std::lock_guard lock(mutex_);
    started_ = true;  // only now is there something for stop() to stop
  }
  work_.emplace(ioc_.get_executor());
  accept();
  unsigned n =
      config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    threads_.emplace_back([this] {
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
  acceptor_->async_accept(
      net::make_strand(ioc_), [this](boost::system::error_code ec, tcp::socket socket) {
        if (stopping()) return;
        if (ec) {
          // Out of file descriptors or memory, say: try again shortly instead of spinning.
          auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
          timer->async_wait([this, timer](boost::system::error_code) {
            if (!stopping()) accept();
          });
          return;
        }
        if (open_connections() >= config_.max_connections) {
          socket.close(ec);  // over the cap: closed at once
        } else {
          socket.set_option(tcp::no_delay(true), ec);
          std::make_shared<serve::Session>(std::move(socket), *this)->start();
        }
        accept();
      });
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

serve::Route* ServerImpl::find_route(std::string_view path) const {
  for (const auto& r : routes_) {
    if (r->matches(path)) return r.get();
  }
  return nullptr;
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
  } else {
    r.content_type = "text/html; charset=utf-8";
    r.body = serve::dashboard_html(stats(), runtime_stats());
  }
  return r;
}

size_t ServerImpl::open_connections() {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void ServerImpl::track(const std::shared_ptr<serve::Session>& session) {
  std::lock_guard lock(mutex_);
  sessions_[session.get()] = session;
}

void ServerImpl::untrack(serve::Session* session) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session);
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
  for (const auto& r : routes_) out.push_back(r->stats());
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
void Server::stop(std::chrono::milliseconds grace) {
  impl_->stop(grace);
}
void Server::wait() {
  impl_->wait();
}
std::vector<RouteStats> Server::stats() const {
  return impl_->stats();
}
std::string Server::metrics_text() const {
  return impl_->metrics_text();
}

}  // namespace wisp
