// Test support: the blocking HTTP/1.1 client of http_client.hpp, on Boost.Beast.
#include "serve/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace wisp::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct HttpClient::Impl {
  asio::io_context ioc;
  asio::ip::tcp::socket socket{ioc};
  boost::beast::flat_buffer buffer;
  asio::streambuf pending;  // read by read_until, not yet returned
};

HttpClient::HttpClient(uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->socket.connect({asio::ip::make_address("127.0.0.1"), port});
}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::request(const std::string& method, const std::string& target,
                              const std::string& body,
                              std::optional<std::pair<std::string, std::string>> header) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (header) req.set(header->first, header->second);
  req.body() = body;
  req.prepare_payload();
  http::write(impl_->socket, req);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(impl_->socket, impl_->buffer, parser);
  const auto& res = parser.get();
  HttpReply r;
  r.status = res.result_int();
  r.body = res.body();
  r.content_type = std::string(res[http::field::content_type]);
  r.retry_after = std::string(res[http::field::retry_after]);
  r.keep_alive = res.keep_alive();
  return r;
}

void HttpClient::send(const std::string& bytes) {
  asio::write(impl_->socket, asio::buffer(bytes));
}

std::string HttpClient::read_until(const std::string& delimiter) {
  boost::system::error_code ec;
  size_t n = asio::read_until(impl_->socket, impl_->pending, delimiter, ec);
  std::string out(static_cast<const char*>(impl_->pending.data().data()),
                  ec ? impl_->pending.size() : n);
  impl_->pending.consume(out.size());
  return out;
}

std::string HttpClient::raw(const std::string& bytes) {
  asio::write(impl_->socket, asio::buffer(bytes));
  return read_to_close();
}

std::string HttpClient::read_to_close() {
  std::string out(static_cast<const char*>(impl_->pending.data().data()), impl_->pending.size());
  impl_->pending.consume(out.size());
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    size_t n = impl_->socket.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace wisp::test
