// One HTTP/1.1 connection: reads a request head (size-limited), picks the route, reads the body
// up to the route's limit, answers, and keeps the connection alive while the client wants it.
// Malformed requests get 400 (see request_parser.hpp for the framing rules), oversized heads or
// trailers 431, oversized bodies 413; a silent connection is closed after the idle timeout.
// An overflow connection (accepted beyond the server's cap) is answered once and closed: a
// built-in page as usual, anything else 503. Over TLS the handshake comes first, within the idle
// timeout. A route's guest call runs on the route's own workers
// (the route's WorkQueue), never on the connection's thread.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "serve/connection_stream.hpp"
#include "serve/server_impl.hpp"

namespace wisp::serve {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `tls`: the server's TLS context (HTTPS), or null (plain HTTP).
  Session(ConnectionSocket socket, detail::ServerImpl& server, bool overflow,
          boost::asio::ssl::context* tls);
  ~Session();
  void start();
  // Closes the connection unless a request is being handled (then it closes after answering,
  // since the server is stopping). Safe from any thread.
  void close_if_idle();

 private:
  void read_head();
  void on_head(boost::beast::error_code ec);
  void read_body_part();
  void on_body(boost::beast::error_code ec);
  void handle();
  // Sends `response`; closes the connection afterwards unless `keep_alive`.
  void respond(HttpResponse response, bool keep_alive);
  void fail_request(boost::beast::error_code ec);
  void close();
  void close_after_answer();
  void drain();  // reads and drops input until the client closes (or the timeout)
  void log_access(const HttpResponse& res) const;

  ConnectionStream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string response_head_, response_body_;  // the answer being written
  detail::ServerImpl& server_;
  std::shared_ptr<Route> route_;  // held from the head to the answer (a reload may retire it)
  std::string client_;            // "address:port" of the peer, for the access log
  std::chrono::steady_clock::time_point arrived_;
  bool busy_ = false;      // a request is being handled or answered (on the session's strand)
  unsigned version_ = 11;  // of the request being answered (the answer's too)
  bool head_ = false;      // the request is a HEAD: the answer has no body
  const bool overflow_;    // beyond the connection cap: one answer, then closed
};

}  // namespace wisp::serve
