// The thumbnail service end to end (examples/guests/thumbnail.c behind a WASI route with CGI
// responses, served from a pool with reset): sizes and formats, and hostile or broken images
// answered 4xx with a reason while the route keeps serving.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Width and height from a PNG's IHDR chunk ({0, 0} if it is not a PNG).
std::pair<uint32_t, uint32_t> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return {0, 0};
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

// A PNG header claiming `side` x `side` pixels, with a tiny IDAT: a decompression bomb's shape.
std::string png_claiming(uint32_t side) {
  std::string ihdr = "IHDR";
  for (int k = 0; k < 2; ++k)
    for (int s = 24; s >= 0; s -= 8) ihdr += static_cast<char>((side >> s) & 0xff);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\x00\x00\x00\x0d", 4) + ihdr + std::string(4, '\0');  // CRC unchecked
  return png + std::string("\x00\x00\x00\x00IEND\xae\x42\x60\x82", 12);
}

class Thumbnail : public ::testing::Test {
 protected:
  Thumbnail() {
    RouteConfig r = route("/thumbnail", kExamples / "thumbnail.wasm", "", StrategyKind::pool);
    r.mode = RouteMode::wasi;
    r.cgi_response = true;
    r.max_body_bytes = 16 << 20;
    r.limits.max_memory_pages = 4096;  // 256 MiB
    r.limits.call_timeout = std::chrono::seconds(20);
    r.policy.max_instances = 2;
    server_ = std::make_unique<Server>(config_with({r}));
    server_->start();
  }
  HttpReply post(const std::string& query, const std::string& body) {
    return HttpClient(server_->port()).request("POST", "/thumbnail?" + query, body);
  }
  std::unique_ptr<Server> server_;
  const std::string jpeg_ = read_all(kExamples / "photo.jpg");  // 1024 x 1024
  const std::string png_ = read_all(kExamples / "photo.png");   // 640 x 480
};

TEST_F(Thumbnail, ResizesToTheAskedSizeAndFormat) {
  ASSERT_GT(jpeg_.size(), 1000u);
  HttpReply jpeg = post("w=256&h=256", jpeg_);
  ASSERT_EQ(jpeg.status, 200u) << jpeg.body;
  EXPECT_EQ(jpeg.content_type, "image/jpeg");
  EXPECT_EQ(jpeg.body.compare(0, 3, "\xff\xd8\xff"), 0);
  EXPECT_LT(jpeg.body.size(), jpeg_.size());

  HttpReply cover = post("w=100&h=50&fit=cover&format=png", jpeg_);
  ASSERT_EQ(cover.status, 200u) << cover.body;
  EXPECT_EQ(cover.content_type, "image/png");
  EXPECT_EQ(png_size(cover.body), std::make_pair(100u, 50u));  // filled, cropped
  HttpReply contain = post("w=100&h=50&format=png", jpeg_);
  EXPECT_EQ(png_size(contain.body), std::make_pair(50u, 50u));  // whole image inside
  HttpReply from_png = post("w=64&h=64&format=png&fit=contain", png_);
  EXPECT_EQ(png_size(from_png.body), std::make_pair(64u, 48u));
  HttpReply low = post("w=256&h=256&quality=10", jpeg_);
  ASSERT_EQ(low.status, 200u);
  EXPECT_LT(low.body.size(), jpeg.body.size());  // quality reaches the encoder
}

TEST_F(Thumbnail, BadImagesAreRefusedWithAReasonAndTheRouteKeepsServing) {
  struct Case {
    std::string query, body;
    unsigned status;
    std::string reason;
  };
  const Case cases[] = {
      {"", "hello", 415, "not a JPEG or PNG"},
      {"", jpeg_.substr(0, 5000), 422, ""},           // truncated JPEG
      {"", png_.substr(0, 30), 422, ""},              // truncated PNG header
      {"", png_claiming(5000), 413, "megapixels"},    // 25 Mpx: over the limit
      {"", png_claiming(100000), 413, "megapixels"},  // past stb's own limit too
      {"", "", 400, "send a JPEG or PNG"},            // no body
      {"w=0", jpeg_, 400, "w and h"},
      {"w=5000", jpeg_, 400, "w and h"},
      {"fit=stretch", jpeg_, 400, "fit"},
      {"format=gif", jpeg_, 400, "format"},
      {"quality=101", jpeg_, 400, "quality"},
  };
  for (const Case& c : cases) {
    HttpReply r = post(c.query, c.body);
    EXPECT_EQ(r.status, c.status) << c.query << ": " << r.body;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8") << c.query;
    EXPECT_NE(r.body.find(c.reason), std::string::npos) << r.body;
  }
  EXPECT_EQ(post("w=32&h=32", jpeg_).status, 200u);
  std::vector<RouteStats> stats = server_->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].instances.discarded(), 0u);  // nothing trapped: every refusal was an answer
}

}  // namespace
}  // namespace wisp::test
