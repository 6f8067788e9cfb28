// A WASI route's CGI response headers (serve/cgi_response.hpp): Content-Type and Status taken,
// other fields ignored, the body kept byte for byte, malformed header sections refused.
#include "serve/cgi_response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wisp::serve {
namespace {

TEST(CgiResponse, ContentTypeAndStatusAreTakenAndTheBodyKept) {
  HttpResponse r;
  std::string error;
  std::string body("\x89PNG\r\n\r\n\0binary", 16);
  ASSERT_TRUE(
      apply_cgi_response("Content-Type: image/png\r\nX-Other: ignored\r\n\r\n" + body, r, error))
      << error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "image/png");
  EXPECT_EQ(r.body, body);
  EXPECT_TRUE(r.headers.empty());

  HttpResponse s;
  ASSERT_TRUE(apply_cgi_response(
      "status: 422 Unprocessable Entity\ncontent-type:  text/plain \n\nno", s, error))
      << error;
  EXPECT_EQ(s.status, 422u);
  EXPECT_EQ(s.content_type, "text/plain");
  EXPECT_EQ(s.body, "no");
}

TEST(CgiResponse, AnEmptyHeaderSectionKeepsTheRouteDefaults) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  std::string error;
  ASSERT_TRUE(apply_cgi_response("\r\nbody", r, error)) << error;
  EXPECT_EQ(r.content_type, "application/octet-stream");
  EXPECT_EQ(r.body, "body");
}

TEST(CgiResponse, MalformedHeaderSectionsAreRefused) {
  std::vector<std::string> bad = {"just a body",
                                  "Content-Type: text/plain\r\nno end",
                                  "not a header line\r\n\r\nbody",
                                  ": empty name\n\nbody",
                                  "Status: 99 Too Low\n\n",
                                  "Status: 600 Too High\n\n",
                                  "Status: abc\n\n",
                                  "Status: 2000\n\n"};
  std::string long_line = "X-Pad: ";
  long_line.append(9000, 'a');  // past the 8 KiB a header section may take
  long_line.append("\n\nbody");
  bad.push_back(long_line);
  for (const std::string& output : bad) {
    HttpResponse r;
    std::string error;
    EXPECT_FALSE(apply_cgi_response(output, r, error)) << output.substr(0, 40);
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace wisp::serve
