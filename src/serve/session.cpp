// One HTTP connection (see session.hpp). Every handler runs on the connection's strand; a
// request's guest call runs synchronously on that thread, one of the server's threads.
#include "serve/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace wisp::serve {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

namespace {

// Bodies of built-in pages and of requests that match no route are small.
constexpr uint64_t kDefaultBodyLimit = 64 << 10;

bool is_http_error(beast::error_code ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category();
}

}  // namespace

Session::Session(net::ip::tcp::socket socket, detail::ServerImpl& server)
    : stream_(std::move(socket)), server_(server) {}

Session::~Session() {
  server_.untrack(this);
}

void Session::start() {
  server_.track(shared_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_head(); });
}

void Session::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_) self->close();
  });
}

void Session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

// After an error answer to a request whose body was not read: closing with unread input makes
// the kernel send a reset, which can destroy the answer before the client reads it. So only the
// sending side is shut, and what the client still sends is read and dropped (for a second at
// most) until it closes its side.
void Session::close_after_answer() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(1));
  buffer_.clear();
  drain();
}

void Session::drain() {
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->stream_.close();
                            self->drain();
                          });
}

void Session::read_head() {
  if (server_.stopping()) return close();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(server_.config().max_header_bytes));
  // Beast checks a declared Content-Length against the limit in force while it reads the head,
  // before the route is known: the largest route's limit here, the route's own in on_head.
  parser_->body_limit(server_.max_body_bytes());
  route_ = nullptr;
  stream_.expires_after(server_.config().idle_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
}

void Session::on_head(beast::error_code ec) {
  if (ec) return fail_request(ec);
  busy_ = true;
  arrived_ = std::chrono::steady_clock::now();
  const auto& head = parser_->get();
  std::string_view target(head.target().data(), head.target().size());
  route_ = server_.find_route(target.substr(0, target.find('?')));
  const uint64_t limit = route_ ? route_->config().max_body_bytes : kDefaultBodyLimit;
  if (parser_->content_length() && *parser_->content_length() > limit)
    return fail_request(http::error::body_limit);
  parser_->body_limit(limit);  // bounds a chunked body as it comes
  if (parser_->is_done()) return handle();
  auto read_body = [self = shared_from_this()] {
    self->stream_.expires_after(self->server_.config().idle_timeout);
    http::async_read(self->stream_, self->buffer_, *self->parser_,
                     [self](beast::error_code ec, size_t) { self->on_body(ec); });
  };
  if (head.version() >= 11 && beast::iequals(head[http::field::expect], "100-continue")) {
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    http::async_write(stream_, *cont,
                      [self = shared_from_this(), cont, read_body](beast::error_code ec, size_t) {
                        if (ec) return self->close();
                        read_body();
                      });
    return;
  }
  read_body();
}

void Session::on_body(beast::error_code ec) {
  if (ec) return fail_request(ec);
  handle();
}

// A request that could not be read: answer what the client got wrong, then close.
void Session::fail_request(beast::error_code ec) {
  if (ec == http::error::header_limit)
    return respond(error_response(431, "request header too large",
                                  "the request head exceeds " +
                                      std::to_string(server_.config().max_header_bytes) + " bytes"),
                   false);
  if (ec == http::error::body_limit)
    return respond(error_response(413, "request body too large",
                                  "the body exceeds this route's limit of " +
                                      std::to_string(route_ ? route_->config().max_body_bytes
                                                            : kDefaultBodyLimit) +
                                      " bytes"),
                   false);
  if (is_http_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message)
    return respond(error_response(400, "bad request", ec.message()), false);
  close();  // end of stream, timeout, reset, or a stop
}

// Counts a request as in flight for stop(), also if handling it throws.
struct InFlight {
  detail::ServerImpl& server;
  explicit InFlight(detail::ServerImpl& s) : server(s) { server.request_began(); }
  ~InFlight() { server.request_ended(); }
};

void Session::handle() {
  auto& msg = parser_->get();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  std::string_view target(msg.target().data(), msg.target().size());
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  bool keep_alive = msg.keep_alive();
  version_ = msg.version();
  head_ = msg.method() == http::verb::head;
  HttpResponse res;
  {
    InFlight in_flight(server_);
    res = server_.dispatch(req, route_);
  }
  if (route_) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - arrived_)
                  .count();
    route_->record(res.status, static_cast<uint64_t>(ns));
  }
  respond(std::move(res), keep_alive && !server_.stopping());
}

void Session::respond(HttpResponse res, bool keep_alive) {
  busy_ = true;
  response_ = {};
  response_.version(version_);
  response_.result(res.status);
  response_.set(http::field::server, "wisp");
  response_.set(http::field::content_type, res.content_type);
  for (const auto& [name, value] : res.headers) response_.set(name, value);
  response_.keep_alive(keep_alive);
  if (head_) {
    response_.content_length(res.body.size());  // what a GET would carry; no body follows
  } else {
    response_.body() = std::move(res.body);
    response_.prepare_payload();
  }
  // An answer sent before the request was read to its end (an error) closes gently.
  const bool unread = !parser_ || !parser_->is_done();
  stream_.expires_after(server_.config().idle_timeout);
  http::async_write(stream_, response_,
                    [self = shared_from_this(), keep_alive, unread](beast::error_code ec, size_t) {
                      self->busy_ = false;
                      if (ec) return self->close();
                      if (!keep_alive) return unread ? self->close_after_answer() : self->close();
                      self->read_head();
                    });
}

}  // namespace wisp::serve
