// A request as a route sees it and the response it gives back: plain data, independent of the
// HTTP library, so routes can be tested without a socket.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace wisp::serve {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without its query
  std::string query;   // after '?', undecoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;  // "" if absent; case-insensitive
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Retry-After, Allow)
  // For the access log: time waiting for an instance, and which one served (0: none).
  uint64_t lease_wait_ns = 0;
  uint64_t instance_id = 0;
};

// A JSON error body: {"error": kind, "detail": detail}.
HttpResponse error_response(unsigned status, std::string_view kind, std::string_view detail);

// Percent-decoding of a query component ('+' is a space); malformed escapes stay as they are.
std::string url_decode(std::string_view s);
// The value of `key` in a query string ("a=1&b=2"), decoded; false if absent.
bool query_value(std::string_view query, std::string_view key, std::string& out);

}  // namespace wisp::serve
