// The server's HTTP edge against hostile clients (RFC 9110/9112): request smuggling through
// Transfer-Encoding, Host rules, bounded chunk extensions and trailers, trailers and spoofable
// header names kept out of a WASI guest's CGI environment. Each test failed before the fix it
// covers (issue 16).
#include <gtest/gtest.h>

#include <string>

#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

// A function route and a WASI route that prints its environment ("env NAME=value" lines).
ServerConfig edge_config() {
  RouteConfig factorial =
      route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool);
  RouteConfig env = route("/env", std::filesystem::path(WISP_WASI_GUEST_DIR) / "wasi_args_env.wasm",
                          "", StrategyKind::fresh);
  env.mode = RouteMode::wasi;
  ServerConfig c = config_with({factorial, env});
  c.idle_timeout = std::chrono::milliseconds(1000);
  return c;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A request whose body length is ambiguous is answered 400 (501 for a coding wisp does not
// implement) and the connection closed: what follows is never read as a second request.
TEST(HttpEdge, TransferEncodingOtherThanAFinalChunkedIsRefusedAndCloses) {
  Server server(edge_config());
  server.start();
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  struct Case {
    std::string head;
    unsigned status;
  };
  const Case cases[] = {
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n", 400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n", 400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n", 400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: identity\r\n",
       400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
       "Content-Length: 0\r\n",
       400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
       "Transfer-Encoding: identity\r\n",
       400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n", 400},
      {"POST /factorial HTTP/1.0\r\nTransfer-Encoding: chunked\r\n", 400},
      {"POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n", 501},
  };
  for (const Case& c : cases) {
    std::string reply = HttpClient(server.port()).raw(c.head + "\r\n" + smuggled);
    EXPECT_TRUE(reply.starts_with("HTTP/1.")) << c.head << reply;
    EXPECT_TRUE(has(reply.substr(0, 13), " " + std::to_string(c.status) + " ")) << c.head << reply;
    EXPECT_EQ(answers_in(reply), 1u) << "a second request was read after:\n" << c.head << reply;
    EXPECT_FALSE(has(reply, "ok\n")) << c.head << reply;
  }
  // A final chunked is fine, and the connection stays usable.
  std::string good =
      HttpClient(server.port())
          .raw(
              "POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\n[5]\r\n0\r\n\r\n"
              "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answers_in(good), 2u) << good;
  EXPECT_TRUE(has(good, "[120]")) << good;
  EXPECT_TRUE(good.ends_with("ok\n")) << good;
}

TEST(HttpEdge, Http11NeedsExactlyOneHost) {
  Server server(edge_config());
  server.start();
  std::string none = HttpClient(server.port()).raw("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(none.starts_with("HTTP/1.1 400 ")) << none;
  EXPECT_TRUE(has(none, "without Host")) << none;
  std::string two =
      HttpClient(server.port()).raw("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_TRUE(two.starts_with("HTTP/1.1 400 ")) << two;
  EXPECT_TRUE(has(two, "more than one Host")) << two;
  std::string bad = HttpClient(server.port()).raw("GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n");
  EXPECT_TRUE(bad.starts_with("HTTP/1.1 400 ")) << bad;
  // HTTP/1.0 may leave Host out.
  std::string old = HttpClient(server.port()).raw("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.starts_with("HTTP/1.0 200 ")) << old;
}

// A chunk extension or a trailer section without end is refused once it passes its limit,
// instead of being buffered as long as the client sends (a 200 MiB extension grew the server by
// 200 MB). The client here sends 2 MiB and never ends the line: before, no answer came.
TEST(HttpEdge, ChunkExtensionsAndTrailersAreBounded) {
  Server server(edge_config());
  server.start();
  const std::string head =
      "POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string ext = HttpClient(server.port()).raw(head + "3;x=" + std::string(2 << 20, 'a'));
  EXPECT_TRUE(ext.starts_with("HTTP/1.1 400 ")) << ext.substr(0, 300);
  EXPECT_TRUE(has(ext, "chunk-size line exceeds")) << ext.substr(0, 300);
  // Many small extensions add up.
  std::string many = head;
  for (int i = 0; i < 200; ++i) many += "1;ext=" + std::string(40, 'e') + "\r\n1\r\n";
  many += "0\r\n\r\n";
  std::string reply = HttpClient(server.port()).raw(many);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 ")) << reply.substr(0, 300);
  EXPECT_TRUE(has(reply, "chunk extensions exceed 4096 bytes")) << reply.substr(0, 300);
  // Trailers: a section without end, and one complete but over the limit.
  std::string endless =
      HttpClient(server.port()).raw(head + "3\r\n[5]\r\n0\r\nX-A: " + std::string(2 << 20, 't'));
  EXPECT_TRUE(endless.starts_with("HTTP/1.1 431 ")) << endless.substr(0, 300);
  std::string big = HttpClient(server.port())
                        .raw(head + "3\r\n[5]\r\n0\r\nX-A: " + std::string(3000, 't') +
                             "\r\nX-B: " + std::string(3000, 't') + "\r\n\r\n");
  EXPECT_TRUE(big.starts_with("HTTP/1.1 431 ")) << big.substr(0, 300);
  EXPECT_TRUE(has(big, "trailer section exceeds")) << big.substr(0, 300);
  // Small trailers are read and dropped.
  std::string small = HttpClient(server.port())
                          .raw(head + "3\r\n[5]\r\n0\r\nX-A: 1\r\n\r\n" +
                               "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(has(small, "[120]")) << small;
  EXPECT_EQ(answers_in(small), 2u) << small;
}

// The bytes around a chunked body count too: one-byte chunks or chunk-size lines padded with
// zeros pass no other limit (each line stays short, the body small) but must not be read without
// end. Ordinary chunking of the same body is accepted.
TEST(HttpEdge, ChunkFramingIsBounded) {
  ServerConfig c = edge_config();
  c.max_chunk_framing_bytes = 4096;
  Server server(c);
  server.start();
  const std::string head =
      "POST /factorial HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  // 2,000 one-byte chunks: 2,000 body bytes in 12,000 bytes of framing.
  std::string tiny = head;
  for (int i = 0; i < 2000; ++i) tiny += "1\r\n5\r\n";
  tiny += "0\r\n\r\n";
  std::string reply = HttpClient(server.port()).raw(tiny);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 ")) << reply.substr(0, 300);
  EXPECT_TRUE(has(reply, "framing (chunk-size lines and line ends) exceeds 4096 bytes"))
      << reply.substr(0, 300);
  // Short lines of leading zeros: each line well inside the chunk-size line limit.
  std::string zeros = head;
  for (int i = 0; i < 100; ++i) {
    zeros.append(100, '0');
    zeros += "1\r\n5\r\n";
  }
  zeros += "0\r\n\r\n";
  std::string z = HttpClient(server.port()).raw(zeros);
  EXPECT_TRUE(z.starts_with("HTTP/1.1 400 ")) << z.substr(0, 300);
  // The same server takes an ordinarily chunked body, and the next request on the connection.
  std::string chunked = head;
  chunked += "1\r\n[\r\n2\r\n5]\r\n0\r\n\r\n";
  chunked += "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string fine = HttpClient(server.port()).raw(chunked);
  EXPECT_TRUE(has(fine, "[120]")) << fine;
  EXPECT_EQ(answers_in(fine), 2u) << fine;
}

// What a WASI guest sees of the request's headers: trailers never, Proxy never (httpoxy), and no
// header whose name has a '_' (it could pose as the hyphenated one a front proxy rewrites).
TEST(HttpEdge, CgiEnvironmentTakesOnlyTrustworthyHeaders) {
  Server server(edge_config());
  server.start();
  std::string reply = HttpClient(server.port())
                          .raw(
                              "POST /env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              "Content-Type: text/plain\r\n"
                              "X-Forwarded-For: 10.0.0.1\r\nX_Forwarded_For: 6.6.6.6\r\n"
                              "Proxy: http://evil.example\r\nX-Twice: a\r\nX-Twice: b\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "2\r\nhi\r\n0\r\nProxy: http://trailer.example\r\n"
                              "Content-Type: evil/trailer\r\nX-Trailer: 1\r\n\r\n");
  ASSERT_TRUE(reply.starts_with("HTTP/1.1 200 ")) << reply;
  EXPECT_TRUE(has(reply, "env HTTP_X_FORWARDED_FOR=10.0.0.1\n")) << reply;
  EXPECT_FALSE(has(reply, "6.6.6.6")) << reply;
  EXPECT_FALSE(has(reply, "HTTP_PROXY")) << reply;
  EXPECT_FALSE(has(reply, "evil")) << reply;
  EXPECT_FALSE(has(reply, "X_TRAILER")) << reply;
  EXPECT_TRUE(has(reply, "env CONTENT_TYPE=text/plain\n")) << reply;
  EXPECT_TRUE(has(reply, "env CONTENT_LENGTH=2\n")) << reply;
  EXPECT_FALSE(has(reply, "HTTP_CONTENT_TYPE")) << reply;
  EXPECT_TRUE(has(reply, "env HTTP_X_TWICE=a, b\n")) << reply;
  EXPECT_TRUE(has(reply, "env HTTP_HOST=x\n")) << reply;
}

// CGI's split of the path (RFC 3875 4.1.5, 4.1.13): SCRIPT_NAME is the route ("/cgi" for the
// prefix route "/cgi/*", never the pattern), PATH_INFO the rest of the path, empty if none.
TEST(HttpEdge, CgiScriptNameAndPathInfoSplitThePath) {
  ServerConfig c = edge_config();
  RouteConfig prefix = c.routes.back();  // the WASI route that prints its environment
  prefix.path = "/cgi/*";
  c.routes.push_back(prefix);
  Server server(c);
  server.start();
  auto env_of = [&](const std::string& target) {
    return HttpClient(server.port())
        .raw("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  std::string deep = env_of("/cgi/a/b.txt?x=1");
  ASSERT_TRUE(deep.starts_with("HTTP/1.1 200 ")) << deep;
  EXPECT_TRUE(has(deep, "env SCRIPT_NAME=/cgi\n")) << deep;
  EXPECT_TRUE(has(deep, "env PATH_INFO=/a/b.txt\n")) << deep;
  EXPECT_TRUE(has(deep, "env QUERY_STRING=x=1\n")) << deep;
  std::string bare = env_of("/cgi");
  EXPECT_TRUE(has(bare, "env SCRIPT_NAME=/cgi\n")) << bare;
  EXPECT_TRUE(has(bare, "env PATH_INFO=\n")) << bare;
  std::string exact = env_of("/env");
  EXPECT_TRUE(has(exact, "env SCRIPT_NAME=/env\n")) << exact;
  EXPECT_TRUE(has(exact, "env PATH_INFO=\n")) << exact;
}

}  // namespace
}  // namespace wisp::test
