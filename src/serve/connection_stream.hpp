// The bytes of one connection: plain TCP, or TLS over TCP (Beast's ssl_stream with OpenSSL),
// behind one interface, so that a Session reads and writes HTTP the same way over both.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <utility>
#include <variant>

namespace wisp::serve {

// A connection's handlers run on a strand of the server's io_context, named by its type rather
// than through asio's type-erased any_io_executor (whose copies and dispatches cost some 5% of a
// small request's CPU).
using ConnectionExecutor = boost::asio::strand<boost::asio::io_context::executor_type>;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionExecutor>;

class ConnectionStream {
 public:
  using Plain = boost::beast::basic_stream<boost::asio::ip::tcp, ConnectionExecutor>;
  using Tls = boost::beast::ssl_stream<Plain>;

  // `tls`: the server's TLS context, or null for plain HTTP.
  ConnectionStream(ConnectionSocket socket, boost::asio::ssl::context* tls)
      : stream_(make(std::move(socket), tls)) {}

  bool is_tls() const { return std::holds_alternative<Tls>(stream_); }
  // The TCP layer: timeouts (expires_after), the socket, close().
  Plain& tcp() {
    return std::visit([](auto& s) -> Plain& { return boost::beast::get_lowest_layer(s); }, stream_);
  }
  auto get_executor() { return tcp().get_executor(); }
  // Calls f(stream) with the stream to read and write HTTP on (an async_* operation's first
  // argument).
  template <typename F>
  void with(F&& f) {
    std::visit(std::forward<F>(f), stream_);
  }
  // The server side of the TLS handshake (nothing to do, at once, for plain TCP).
  template <typename Handler>
  void async_handshake(Handler&& handler) {
    if (auto* tls = std::get_if<Tls>(&stream_))
      tls->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
    else
      handler(boost::beast::error_code{});
  }

 private:
  static std::variant<Plain, Tls> make(ConnectionSocket socket, boost::asio::ssl::context* tls) {
    if (tls) return std::variant<Plain, Tls>(std::in_place_type<Tls>, std::move(socket), *tls);
    return std::variant<Plain, Tls>(std::in_place_type<Plain>, std::move(socket));
  }
  std::variant<Plain, Tls> stream_;
};

}  // namespace wisp::serve
