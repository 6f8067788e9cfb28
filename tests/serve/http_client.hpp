// Test support: a blocking HTTP/1.1 client (Boost.Beast) for the server tests, plus raw socket
// access for malformed and slow requests.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>

namespace wisp::test {

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
  bool keep_alive = false;
};

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = {},
                    std::optional<std::pair<std::string, std::string>> header = std::nullopt) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (header) req.set(header->first, header->second);
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    const auto& res = parser.get();
    HttpReply r;
    r.status = res.result_int();
    r.body = res.body();
    r.content_type = std::string(res[http::field::content_type]);
    r.retry_after = std::string(res[http::field::retry_after]);
    r.keep_alive = res.keep_alive();
    return r;
  }
  // Sends raw bytes (nothing read).
  void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  // Reads until `delimiter` has arrived (or the connection closes); returns what was read up to
  // and including it, keeping the rest for later reads.
  std::string read_until(const std::string& delimiter) {
    boost::system::error_code ec;
    size_t n = boost::asio::read_until(socket_, pending_, delimiter, ec);
    std::string out(static_cast<const char*>(pending_.data().data()), ec ? pending_.size() : n);
    pending_.consume(out.size());
    return out;
  }
  // Sends raw bytes and reads until the server closes the connection.
  std::string raw(const std::string& bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes));
    return read_to_close();
  }
  std::string read_to_close() {
    std::string out(static_cast<const char*>(pending_.data().data()), pending_.size());
    pending_.consume(out.size());
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  boost::asio::streambuf pending_;  // read by read_until, not yet returned
};

// One request on a new connection.
inline HttpReply http_request(uint16_t port, const std::string& method, const std::string& target,
                              const std::string& body = {}) {
  return HttpClient(port).request(method, target, body);
}

}  // namespace wisp::test
