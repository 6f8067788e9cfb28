// The server's request parser (see request_parser.hpp): framing and Host rules, bounded chunk
// extensions and trailers, and the request collected as plain strings.
#include "serve/request_parser.hpp"

#include <strings.h>

#include <algorithm>
#include <boost/beast/http/error.hpp>

namespace wisp::serve {

namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

// A chunk-size line besides its extensions: the size in hex (leading zeros are legal, a few
// are allowed for) and the CRLFs around it.
constexpr uint64_t kChunkLineSlack = 64;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Host = uri-host [ ":" port ] (RFC 9110 7.2): reg-name, IPv4 or IP-literal characters only.
bool valid_host(std::string_view v) {
  for (unsigned char c : v) {
    if (std::isalnum(c)) continue;
    if (std::string_view("-._~%!$&'()*+,;=:[]").find(static_cast<char>(c)) == std::string::npos)
      return false;
  }
  return true;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

RequestParser::RequestParser(const RequestLimits& limits) : limits_(limits) {}

std::string_view RequestParser::header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (iequals(k, name)) return v;
  }
  return {};
}

uint64_t RequestParser::pending_limit() const {
  return limits_.chunk_extension_bytes + limits_.trailer_bytes + kChunkLineSlack;
}

Refusal RequestParser::overflow_refusal(std::string_view pending) const {
  // What did not fit starts with a chunk-size line (after the CRLF ending the previous chunk's
  // data). If that line is complete and is the last chunk's ("0"s), the trailers were too large.
  if (pending.starts_with("\r\n")) pending.remove_prefix(2);
  size_t eol = pending.find("\r\n");
  if (eol != std::string_view::npos) {
    std::string_view size = pending.substr(0, std::min(eol, pending.find(';')));
    size = trim(size);
    if (!size.empty() && size.find_first_not_of('0') == std::string_view::npos)
      return {431,
              "the trailer section exceeds " + std::to_string(limits_.trailer_bytes) + " bytes"};
  }
  return {400, "a chunk-size line exceeds " + std::to_string(pending_limit()) + " bytes"};
}

void RequestParser::count_body_bytes(uint64_t n, beast::error_code& ec) {
  body_part_bytes_ += n;
  if (!chunked()) return;
  // What was consumed and is neither body, extension nor trailer is framing.
  const uint64_t other = body_.size() + extension_bytes_ + trailer_bytes_;
  const uint64_t framing = body_part_bytes_ > other ? body_part_bytes_ - other : 0;
  if (framing > limits_.chunk_framing_bytes)
    refuse(ec, 400,
           "the chunked body's framing (chunk-size lines and line ends) exceeds " +
               std::to_string(limits_.chunk_framing_bytes) + " bytes");
}

void RequestParser::refuse(beast::error_code& ec, unsigned status, std::string detail) {
  if (!refusal_) refusal_ = Refusal{status, std::move(detail)};
  ec = http::error::bad_value;
}

void RequestParser::on_request_impl(http::verb method, beast::string_view method_str,
                                    beast::string_view target, int version, beast::error_code&) {
  method_ = method;
  method_string_ = std::string(method_str);
  target_ = std::string(target);
  version_ = static_cast<unsigned>(version);
}

void RequestParser::on_field_impl(http::field name, beast::string_view name_string,
                                  beast::string_view value, beast::error_code& ec) {
  if (in_trailers_) {
    // Trailers are counted and dropped: nothing the guest sees comes from them.
    trailer_bytes_ += name_string.size() + value.size() + 4;
    if (trailer_bytes_ > limits_.trailer_bytes)
      refuse(ec, 431,
             "the trailer section exceeds " + std::to_string(limits_.trailer_bytes) + " bytes");
    return;
  }
  if (name == http::field::host) {
    ++hosts_;
    if (!valid_host(std::string_view(value.data(), value.size())))
      return refuse(ec, 400, "the Host header is not a valid host");
  } else if (name == http::field::content_length) {
    content_length_ = true;
  } else if (name == http::field::transfer_encoding) {
    // A list, possibly over several field lines: codings in order, parameters dropped.
    std::string_view rest(value.data(), value.size());
    bool any = false;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      item = trim(item.substr(0, item.find(';')));
      if (!item.empty()) {
        codings_.push_back(lower(item));
        any = true;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!any) return refuse(ec, 400, "an empty Transfer-Encoding");
  }
  headers_.emplace_back(std::string(name_string), std::string(value));
}

void RequestParser::on_header_impl(beast::error_code& ec) {
  in_trailers_ = true;
  // RFC 9112 3.2: a request with more than one Host, or an HTTP/1.1 request with none, is a 400.
  if (hosts_ > 1) return refuse(ec, 400, "more than one Host header");
  if (hosts_ == 0 && version_ >= 11) return refuse(ec, 400, "an HTTP/1.1 request without Host");
  if (!codings_.empty()) {  // a Transfer-Encoding field with no coding was refused already
    // RFC 9112 6.1 and 6.3: the body's length must be unambiguous, or the rest of the
    // connection could be read as a different request (smuggling).
    if (version_ < 11) return refuse(ec, 400, "Transfer-Encoding in an HTTP/1.0 request");
    if (content_length_) return refuse(ec, 400, "both Content-Length and Transfer-Encoding");
    if (codings_.empty() || codings_.back() != "chunked")
      return refuse(ec, 400, "the final transfer coding is not chunked");
    if (std::count(codings_.begin(), codings_.end(), "chunked") > 1)
      return refuse(ec, 400, "chunked applied more than once");
    for (const std::string& c : codings_) {
      if (c != "chunked") return refuse(ec, 501, "transfer coding '" + c + "' is not supported");
    }
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) {}

size_t RequestParser::on_body_impl(beast::string_view body, beast::error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t, beast::string_view extensions,
                                         beast::error_code& ec) {
  // Extensions carry nothing wisp uses: counted, then ignored.
  extension_bytes_ += extensions.size();
  if (extension_bytes_ > limits_.chunk_extension_bytes)
    refuse(ec, 400,
           "chunk extensions exceed " + std::to_string(limits_.chunk_extension_bytes) + " bytes");
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                         beast::error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

}  // namespace wisp::serve
