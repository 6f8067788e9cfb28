// The head of an answer as `wisp serve` writes it (serve/response_head.hpp): read back by Beast's
// parser, as a client would, for both HTTP versions, kept and closed connections, statuses
// without content, and values that try to start a field of their own.
#include "serve/response_head.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace wisp::serve {
namespace {

namespace http = boost::beast::http;

// Parses head + body as a client that asked with `method` would; fails the test on an error.
http::response<http::string_body> parse(const std::string& bytes, bool head_request = false) {
  http::response_parser<http::string_body> p;
  p.skip(head_request);
  p.eager(true);
  boost::beast::error_code ec;
  size_t used = p.put(boost::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  if (!ec && !p.is_done()) {
    p.put_eof(ec);  // a body that runs to the connection's end
    EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  }
  EXPECT_EQ(used, bytes.size()) << "bytes after the answer:\n" << bytes;
  return p.release();
}

std::string answer(const HttpResponse& res, unsigned version, bool keep_alive) {
  std::string head;
  write_response_head(head, res, version, keep_alive);
  return head + (status_has_content(res.status) ? res.body : "");
}

TEST(ResponseHead, KeepAliveIsSaidTheWayEachVersionNeedsIt) {
  HttpResponse res;
  res.body = R"({"results":[120]})";
  for (unsigned version : {10u, 11u}) {
    for (bool keep : {false, true}) {
      auto m = parse(answer(res, version, keep));
      EXPECT_EQ(m.version(), version);
      EXPECT_EQ(m.result_int(), 200u);
      EXPECT_EQ(m.reason(), "OK");
      EXPECT_EQ(m.keep_alive(), keep) << "HTTP/1." << version % 10;
      EXPECT_EQ(m.body(), res.body);
      EXPECT_EQ(m[http::field::content_type], "application/json");
      EXPECT_EQ(m[http::field::server], "wisp");
      EXPECT_EQ(m[http::field::content_length], std::to_string(res.body.size()));
    }
  }
}

TEST(ResponseHead, ExtraFieldsAreWrittenAndFramingStaysTheServers) {
  HttpResponse res = error_response(503, "unavailable", "busy");
  res.headers = {{"Retry-After", "2"},
                 {"Content-Length", "999"},
                 {"Transfer-Encoding", "chunked"},
                 {"Connection", "close"},
                 {"Cache-Control", "no-store"}};
  std::string bytes = answer(res, 11, true);
  auto m = parse(bytes);
  EXPECT_EQ(m.result_int(), 503u);
  EXPECT_EQ(m.reason(), "Service Unavailable");
  EXPECT_EQ(m[http::field::retry_after], "2");
  EXPECT_EQ(m[http::field::cache_control], "no-store");
  EXPECT_EQ(m[http::field::content_length], std::to_string(res.body.size()));
  EXPECT_EQ(m.count(http::field::transfer_encoding), 0u);
  EXPECT_TRUE(m.keep_alive());
  EXPECT_EQ(m.body(), res.body);
}

TEST(ResponseHead, NoContentAndNotModifiedEndAfterTheHead) {
  for (unsigned status : {204u, 304u}) {
    HttpResponse res;
    res.status = status;
    res.body = "a body the status does not allow";
    EXPECT_FALSE(status_has_content(status));
    std::string head;
    write_response_head(head, res, 11, true);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_TRUE(head.ends_with("\r\n\r\n"));
    auto m = parse(head);
    EXPECT_EQ(m.result_int(), status);
    EXPECT_TRUE(m.body().empty());
  }
  EXPECT_TRUE(status_has_content(200));
  EXPECT_TRUE(status_has_content(404));
}

TEST(ResponseHead, AHeadRequestGetsTheLengthOfTheBodyItDoesNotGet) {
  HttpResponse res;
  res.body = "0123456789";
  std::string head;
  write_response_head(head, res, 11, true);
  auto m = parse(head, /*head_request=*/true);
  EXPECT_EQ(m[http::field::content_length], "10");
  EXPECT_TRUE(m.body().empty());
}

TEST(ResponseHead, AValueCannotStartAFieldOfItsOwn) {
  HttpResponse res;
  res.content_type = "text/html\r\nSet-Cookie: stolen=1\rX-Evil: 1\n\x7f";
  res.headers = {{"Retry-After", "1\r\n\r\nHTTP/1.1 200 OK"}};
  res.body = "ok";
  std::string bytes = answer(res, 11, true);
  auto m = parse(bytes);
  EXPECT_EQ(m.count(http::field::set_cookie), 0u) << bytes;
  EXPECT_EQ(m.count("X-Evil"), 0u) << bytes;
  EXPECT_EQ(m[http::field::content_type], "text/html  Set-Cookie: stolen=1 X-Evil: 1");
  EXPECT_EQ(m.body(), "ok");
  // Exactly one line end per field: no CR or LF but those the head's own lines end with.
  size_t crlf = 0;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) crlf += bytes.compare(i, 2, "\r\n") == 0;
  size_t cr = 0, lf = 0;
  for (char c : bytes) cr += c == '\r', lf += c == '\n';
  EXPECT_EQ(cr, crlf);
  EXPECT_EQ(lf, crlf);
}

}  // namespace
}  // namespace wisp::serve
