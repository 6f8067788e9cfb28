// The server's HTTP/1.1 request parser: Beast's basic_parser (which reads the syntax) with the
// rules of RFC 9110/9112 a server facing hostile clients needs on top: a Transfer-Encoding other
// than a final `chunked` is refused (400; 501 for a coding wisp does not implement), as is one
// beside a Content-Length or in an HTTP/1.0 request; an HTTP/1.1 request needs exactly one Host
// (any request at most one); chunk extensions are bounded and ignored; trailer fields are bounded,
// read and dropped (never headers of the request); the chunk-size lines and line ends of a
// chunked body are bounded together (count_body_bytes). The head is bounded by Beast's
// header_limit, the body by its body_limit; the session bounds the bytes buffered while a
// chunk-size line or the trailers arrive (see pending_limit()).
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wisp::serve {

struct RequestLimits {
  uint64_t header_bytes = 16 << 10;          // the request line and the header fields together
  uint64_t chunk_extension_bytes = 4 << 10;  // all chunk extensions of one request together
  uint64_t trailer_bytes = 4 << 10;          // the trailer section (its fields are dropped)
  // A chunked body's framing: its chunk-size lines (extensions aside) and line ends. Bounds the
  // bytes a client can send around a body, e.g. as one-byte chunks or leading zeros.
  uint64_t chunk_framing_bytes = 64 << 10;
};

// ASCII case-insensitive comparison (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

// Why a request was refused: the status and a sentence for the error body.
struct Refusal {
  unsigned status = 400;
  std::string detail;
};

class RequestParser : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestParser(const RequestLimits& limits);

  // What was read (valid once the head is done; the body once the message is).
  boost::beast::http::verb method() const { return method_; }
  const std::string& method_string() const { return method_string_; }
  const std::string& target() const { return target_; }
  unsigned version() const { return version_; }
  // The header fields as received (trailers are not among them), in order.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  std::string_view header(std::string_view name) const;  // the first one; "" if absent
  std::string& body() { return body_; }

  // Set when one of the rules above refused the request (the parse then fails).
  const std::optional<Refusal>& refusal() const { return refusal_; }

  // The most bytes the session may buffer unparsed while the body is read: a chunk-size line
  // (its extensions and a few digits) and, at the end, the last chunk and the trailer section.
  uint64_t pending_limit() const;
  // Classifies a buffer_overflow while reading a chunked body from the unparsed bytes: the
  // trailer section was too large (431) or a chunk-size line was (400).
  Refusal overflow_refusal(std::string_view pending) const;
  // Counts `n` more bytes of the body's part of the request consumed by the parser; refuses the
  // request (400) when a chunked body's framing passes its limit (RequestLimits).
  void count_body_bytes(uint64_t n, boost::beast::error_code& ec);

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version,
                       boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& ec) override;
  size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                            boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  void refuse(boost::beast::error_code& ec, unsigned status, std::string detail);

  RequestLimits limits_;
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  std::string method_string_;
  std::string target_;
  unsigned version_ = 11;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  bool in_trailers_ = false;  // the head is done: fields now are trailers
  unsigned hosts_ = 0;
  bool content_length_ = false;
  std::vector<std::string> codings_;  // Transfer-Encoding, in order, lower case
  uint64_t extension_bytes_ = 0;
  uint64_t trailer_bytes_ = 0;
  uint64_t body_part_bytes_ = 0;  // consumed after the head: body, framing, extensions, trailers
  std::optional<Refusal> refusal_;
};

}  // namespace wisp::serve
