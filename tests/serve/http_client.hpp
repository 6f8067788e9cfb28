// Test support: a blocking HTTP/1.1 client for the server tests, plus raw socket access for
// malformed and slow requests. Boost.Beast does the work in http_client.cpp only: its templates
// took most of each server test file's compile time when this header included them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

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
  explicit HttpClient(uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = {},
                    std::optional<std::pair<std::string, std::string>> header = std::nullopt);
  // Sends raw bytes (nothing read).
  void send(const std::string& bytes);
  // Reads until `delimiter` has arrived (or the connection closes); returns what was read up to
  // and including it, keeping the rest for later reads.
  std::string read_until(const std::string& delimiter);
  // Sends raw bytes and reads until the server closes the connection.
  std::string raw(const std::string& bytes);
  std::string read_to_close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a new connection.
inline HttpReply http_request(uint16_t port, const std::string& method, const std::string& target,
                              const std::string& body = {}) {
  return HttpClient(port).request(method, target, body);
}

}  // namespace wisp::test
