// One HTTP connection (see session.hpp). Every handler runs on the connection's strand; a
// request to a route runs on the route's own worker threads, admitted by its WorkQueue, and its
// answer is written back on the strand. Built-in pages are answered on the
// strand at once.
#include "serve/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <string>

#include "serve/response_head.hpp"

namespace wisp::serve {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

namespace {

// Bodies of built-in pages and of requests that match no route are small.
constexpr uint64_t kDefaultBodyLimit = 64 << 10;
// Bytes buffered while a body of known length is read (the parser consumes them as they come).
constexpr size_t kBodyBuffer = 64 << 10;
// The read buffer a connection may keep between requests (more was reserved for a body).
constexpr size_t kIdleBuffer = 16 << 10;
// How long an overflow connection has to send its request head.
constexpr std::chrono::milliseconds kOverflowTimeout{2000};

bool is_http_error(beast::error_code ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category();
}

const char* status_kind(unsigned status) {
  switch (status) {
    case 413:
      return "request body too large";
    case 431:
      return "request header too large";
    case 501:
      return "not implemented";
    default:
      return "bad request";
  }
}

}  // namespace

Session::Session(ConnectionSocket socket, detail::ServerImpl& server, bool overflow,
                 net::ssl::context* tls)
    : stream_(std::move(socket), tls), server_(server), overflow_(overflow) {}

Session::~Session() {
  server_.untrack(this, overflow_);
}

void Session::start() {
  server_.track(shared_from_this(), overflow_);
  if (server_.access_log()) {
    boost::system::error_code ec;
    auto peer = stream_.tcp().socket().remote_endpoint(ec);
    client_ = ec ? "-" : peer.address().to_string() + ":" + std::to_string(peer.port());
  }
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->stream_.is_tls()) return self->read_head();
    self->stream_.tcp().expires_after(self->server_.config().idle_timeout);
    self->stream_.async_handshake([self](beast::error_code ec) {
      if (ec) return self->close();  // not TLS, a bad handshake, or too slow
      self->read_head();
    });
  });
}

void Session::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_) self->close();
  });
}

void Session::close() {
  beast::error_code ec;
  stream_.tcp().socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.tcp().close();
}

// After an error answer to a request whose body was not read: closing with unread input makes
// the kernel send a reset, which can destroy the answer before the client reads it. So only the
// sending side is shut, and what the client still sends is read and dropped (for a second at
// most) until it closes its side.
void Session::close_after_answer() {
  beast::error_code ec;
  stream_.tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream_.tcp().expires_after(std::chrono::seconds(1));
  buffer_.clear();
  buffer_.max_size(4096);
  drain();
}

void Session::drain() {
  stream_.with([&](auto& s) {
    s.async_read_some(buffer_.prepare(4096),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->stream_.tcp().close();
                        self->drain();
                      });
  });
}

void Session::read_head() {
  if (server_.stopping()) return close();
  const auto& config = server_.config();
  parser_.emplace(server_.request_limits());
  parser_->header_limit(static_cast<uint32_t>(config.max_header_bytes));
  // Beast checks a declared Content-Length against the limit in force while it reads the head,
  // before the route is known: the largest route's limit here, the route's own in on_head.
  parser_->body_limit(server_.max_body_bytes());
  // Unparsed bytes held while the head arrives: no more than the head may have.
  buffer_.max_size(config.max_header_bytes);
  route_ = nullptr;
  // Until this request's head says otherwise (an answer to a head that could not be read).
  version_ = 11;
  head_ = false;
  stream_.tcp().expires_after(overflow_ ? std::min(config.idle_timeout, kOverflowTimeout)
                                        : config.idle_timeout);
  stream_.with([&](auto& s) {
    http::async_read_header(
        s, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
  });
}

void Session::on_head(beast::error_code ec) {
  if (ec) return fail_request(ec);
  busy_ = true;
  arrived_ = std::chrono::steady_clock::now();
  version_ = parser_->version();
  head_ = parser_->method() == http::verb::head;
  std::string_view target = parser_->target();
  std::string_view path = target.substr(0, target.find('?'));
  route_ = server_.find_route(path);
  if (overflow_) {
    // Beyond the connection cap only the built-in pages are served.
    if (route_ || !detail::builtin_page(path) || !parser_->is_done()) {
      route_ = nullptr;
      return respond(error_response(503, "unavailable",
                                    "the server is at its limit of " +
                                        std::to_string(server_.max_connections()) + " connections"),
                     false);
    }
    return handle();
  }
  const uint64_t limit = route_ ? route_->config().max_body_bytes : kDefaultBodyLimit;
  if (parser_->content_length() && *parser_->content_length() > limit)
    return fail_request(http::error::body_limit);
  parser_->body_limit(limit);  // bounds a chunked body as it comes
  if (parser_->is_done()) return handle();
  // A chunked body leaves a chunk-size line, or the last chunk and the trailers, unparsed until
  // they are complete: that is all the buffer may hold then.
  buffer_.max_size(parser_->chunked() ? parser_->pending_limit()
                                      : std::max(kBodyBuffer, buffer_.size()));
  // Room to read a declared body in large pieces: Beast reads no more than the buffer's free
  // capacity (at least 512 bytes), and the head leaves little, so a 200 KB body took some 200
  // reads, each a recvmsg, an epoll wait and a timer re-arm. Given back after the answer.
  if (!parser_->chunked() && parser_->content_length())
    buffer_.reserve(
        static_cast<size_t>(std::min<uint64_t>(kBodyBuffer, *parser_->content_length())));
  auto read_body = [self = shared_from_this()] {
    self->stream_.tcp().expires_after(self->server_.config().idle_timeout);
    self->read_body_part();
  };
  if (version_ >= 11 && iequals(parser_->header("Expect"), "100-continue")) {
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    stream_.with([&](auto& s) {
      http::async_write(s, *cont,
                        [self = shared_from_this(), cont, read_body](beast::error_code ec, size_t) {
                          if (ec) return self->close();
                          read_body();
                        });
    });
    return;
  }
  read_body();
}

// The body a read at a time, each counted (RequestParser::count_body_bytes bounds a chunked
// body's framing), under the deadline set when the body began.
void Session::read_body_part() {
  stream_.with([&](auto& s) {
    http::async_read_some(s, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            if (!ec) self->parser_->count_body_bytes(n, ec);
                            if (ec || self->parser_->is_done()) return self->on_body(ec);
                            self->read_body_part();
                          });
  });
}

void Session::on_body(beast::error_code ec) {
  if (ec) return fail_request(ec);
  handle();
}

// A request that could not be read: answer what the client got wrong, then close.
void Session::fail_request(beast::error_code ec) {
  auto refuse = [this](const Refusal& r) {
    respond(error_response(r.status, status_kind(r.status), r.detail), false);
  };
  if (parser_ && parser_->refusal()) return refuse(*parser_->refusal());
  if (ec == http::error::header_limit)
    return refuse({431, "the request head exceeds " +
                            std::to_string(server_.config().max_header_bytes) + " bytes"});
  if (ec == http::error::body_limit)
    return refuse(
        {413, "the body exceeds this route's limit of " +
                  std::to_string(route_ ? route_->config().max_body_bytes : kDefaultBodyLimit) +
                  " bytes"});
  if (ec == http::error::buffer_overflow) {
    if (parser_ && parser_->is_header_done()) {
      auto data = buffer_.data();
      return refuse(parser_->overflow_refusal(
          std::string_view(static_cast<const char*>(data.data()), data.size())));
    }
    return refuse({431, "the request head exceeds " +
                            std::to_string(server_.config().max_header_bytes) + " bytes"});
  }
  if (is_http_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message)
    return refuse({400, ec.message()});
  close();  // end of stream, timeout, reset, or a stop
}

// Counts a request as in flight for stop(), also if handling it throws.
struct InFlight {
  detail::ServerImpl& server;
  explicit InFlight(detail::ServerImpl& s) : server(s) { server.request_began(); }
  ~InFlight() { server.request_ended(); }
};

void Session::handle() {
  HttpRequest req;
  req.method = parser_->method_string();
  std::string_view target = parser_->target();
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  req.headers = parser_->headers();
  req.body = std::move(parser_->body());
  const bool keep_alive = parser_->keep_alive() && !overflow_;
  if (!route_) {  // a built-in page or an error: no guest runs
    HttpResponse res;
    {
      InFlight in_flight(server_);
      res = server_.dispatch(req, nullptr);
    }
    return respond(std::move(res), keep_alive && !server_.stopping());
  }
  std::shared_ptr<serve::Route> route = route_;
  auto in_flight = std::make_shared<InFlight>(server_);
  auto run = [self = shared_from_this(), route, in_flight, keep_alive,
              req = std::move(req)]() mutable {
    HttpResponse res = self->server_.dispatch(req, route.get());
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - self->arrived_)
                  .count();
    route->record(res.status, static_cast<uint64_t>(ns));
    net::post(self->stream_.get_executor(),
              [self, in_flight, keep_alive, res = std::move(res)]() mutable {
                self->respond(std::move(res), keep_alive && !self->server_.stopping());
              });
  };
  if (route->work().submit(route->workers(), std::move(run))) return;
  HttpResponse busy = error_response(
      503, "unavailable",
      "route " + route->config().path + " has " + std::to_string(route->config().max_concurrency) +
          " requests running and " + std::to_string(route->config().max_queue) + " waiting");
  busy.headers.emplace_back("Retry-After", std::to_string(route->retry_after_seconds()));
  route->record(busy.status,
                static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now() - arrived_)
                                          .count()));
  respond(std::move(busy), keep_alive && !server_.stopping());
}

void Session::log_access(const HttpResponse& res) const {
  AccessEntry e;
  e.client = client_;
  if (parser_ && !parser_->method_string().empty()) {
    e.method = parser_->method_string();
    e.target = parser_->target();
    e.user_agent = parser_->header("User-Agent");
    e.referer = parser_->header("Referer");
  } else {
    e.method = "-";
    e.target = "-";
  }
  e.version = version_;
  e.status = res.status;
  e.bytes = res.body.size();
  e.duration_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::steady_clock::now() - arrived_)
                                            .count());
  if (route_) {
    e.route = route_->config().path;
    e.strategy = strategy_kind_name(route_->config().strategy);
  }
  e.lease_wait_us = res.lease_wait_ns / 1000;
  e.instance = res.instance_id;
  server_.access_log()->write(e);
}

void Session::respond(HttpResponse res, bool keep_alive) {
  if (!status_has_content(res.status)) res.body.clear();  // 204, 304: nothing follows the head
  if (server_.access_log()) log_access(res);
  busy_ = true;
  // A HEAD's answer has the Content-Length a GET's would carry, and no body.
  write_response_head(response_head_, res, version_, keep_alive);
  response_body_.clear();
  if (!head_) response_body_ = std::move(res.body);
  // An answer sent before the request was read to its end (an error) closes gently.
  const bool unread = !parser_ || !parser_->is_done();
  stream_.tcp().expires_after(server_.config().idle_timeout);
  const std::array<net::const_buffer, 2> answer{net::buffer(response_head_),
                                                net::buffer(response_body_)};
  stream_.with([&](auto& s) {
    net::async_write(s, answer,
                     [self = shared_from_this(), keep_alive, unread](beast::error_code ec, size_t) {
                       self->busy_ = false;
                       if (ec) return self->close();
                       if (!keep_alive) return unread ? self->close_after_answer() : self->close();
                       // A large body's read buffer is not kept while the connection waits for a
                       // request (bytes of a pipelined next request already read are kept), nor a
                       // large answer.
                       if (self->buffer_.capacity() > kIdleBuffer) self->buffer_.shrink_to_fit();
                       if (self->response_body_.capacity() > kIdleBuffer)
                         std::string().swap(self->response_body_);
                       self->read_head();
                     });
  });
}

}  // namespace wisp::serve
