// The head of an HTTP/1.x answer in one string (see response_head.hpp).
#include "serve/response_head.hpp"

#include <boost/beast/http/status.hpp>
#include <string_view>

#include "serve/request_parser.hpp"

namespace wisp::serve {
namespace {

// A field value as written: a control character other than HTAB becomes a space, so no value
// ends the field early (a bare CR is a line end to some clients).
void append_value(std::string& out, std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back((u < 0x20 && c != '\t') || u == 0x7f ? ' ' : c);
  }
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  append_value(out, value);
  out.append("\r\n");
}

bool frames_the_message(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection");
}

}  // namespace

bool status_has_content(unsigned status) {
  return status != 204 && status != 304;
}

void write_response_head(std::string& out, const HttpResponse& res, unsigned version,
                         bool keep_alive) {
  out.clear();
  // HTTP/1.0 for any version before 1.1 (Beast reads any "HTTP/d.d"), as the Connection field
  // below assumes.
  out.append(version < 11 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(res.status));
  out.push_back(' ');
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(res.status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  append_field(out, "Server", "wisp");
  append_field(out, "Content-Type", res.content_type);
  for (const auto& [name, value] : res.headers)
    if (!frames_the_message(name)) append_field(out, name, value);
  if (status_has_content(res.status))
    append_field(out, "Content-Length", std::to_string(res.body.size()));
  // HTTP/1.1 keeps a connection unless told to close; HTTP/1.0 closes unless told to keep it.
  if (version >= 11 && !keep_alive) append_field(out, "Connection", "close");
  if (version < 11 && keep_alive) append_field(out, "Connection", "keep-alive");
  out.append("\r\n");
}

}  // namespace wisp::serve
