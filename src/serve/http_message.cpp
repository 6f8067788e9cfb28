// Helpers for requests and responses: header lookup, JSON error bodies, query decoding.
#include "serve/http_message.hpp"

#include <strings.h>
#include <nlohmann/json.hpp>

namespace wisp::serve {

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

HttpResponse error_response(unsigned status, std::string_view kind, std::string_view detail) {
  HttpResponse r;
  r.status = status;
  nlohmann::json j = {{"error", kind}, {"detail", detail}};
  // Guest-provided text may be any bytes: invalid UTF-8 is replaced, never an exception.
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool query_value(std::string_view query, std::string_view key, std::string& out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) != key) continue;
    out = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    return true;
  }
  return false;
}

}  // namespace wisp::serve
