// The access log (issue 13, item 4): a JSON line per answered request with the fields the README
// lists (lease wait and instance included), the combined format, refused settings, and hostile
// bytes that cannot forge a line.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "serve/access_log.hpp"
#include "serve/serve_support.hpp"

namespace wisp::test {
namespace {

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Serves the factorial example under `strategy` with a JSON access log, sends the GET `targets`
// (each answered as `status`), and returns the logged lines, parsed.
std::vector<nlohmann::json> logged(StrategyKind strategy, const std::vector<std::string>& targets,
                                   const std::vector<unsigned>& statuses) {
  TempDir dir;
  ServerConfig c =
      config_with({route("/factorial", kExamples / "factorial.wasm", "factorial", strategy)});
  c.access_log = (dir.path() / "access.log").string();
  {
    Server server(c);
    server.start();
    HttpClient client(server.port());
    for (size_t i = 0; i < targets.size(); ++i)
      EXPECT_EQ(client.request("GET", targets[i]).status, statuses[i]) << targets[i];
    server.stop();
  }
  std::vector<nlohmann::json> out;
  for (const std::string& l : lines_of(dir.path() / "access.log"))
    out.push_back(nlohmann::json::parse(l));
  return out;
}

TEST(AccessLog, OneJsonLinePerAnsweredRequest) {
  std::vector<nlohmann::json> j =
      logged(StrategyKind::pool, {"/factorial?args=5", "/factorial?args=6", "/missing", "/healthz"},
             {200, 200, 404, 200});
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["method"], "GET");
  EXPECT_EQ(j[0]["target"], "/factorial?args=5");
  EXPECT_EQ(j[0]["status"], 200);
  EXPECT_EQ(j[0]["route"], "/factorial");
  EXPECT_EQ(j[0]["strategy"], "pool");
  EXPECT_GT(j[0]["bytes"].get<uint64_t>(), 0u);
  EXPECT_GT(j[0]["duration_us"].get<uint64_t>(), 0u);
  EXPECT_TRUE(j[0].contains("lease_wait_us"));
  // A pool hands its one instance out again: the same instance served both calls.
  EXPECT_GE(j[0]["instance"].get<uint64_t>(), 1u);
  EXPECT_EQ(j[1]["instance"], j[0]["instance"]);
  EXPECT_TRUE(
      std::regex_match(j[0]["client"].get<std::string>(), std::regex(R"(127\.0\.0\.1:[0-9]+)")))
      << j[0]["client"];
  EXPECT_TRUE(std::regex_match(j[0]["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << j[0]["time"];
  EXPECT_EQ(j[2]["status"], 404);
  EXPECT_EQ(j[2]["route"], "");
  EXPECT_EQ(j[2]["instance"], 0);
  EXPECT_EQ(j[3]["target"], "/healthz");
}

TEST(AccessLog, FreshInstancesGetNewIds) {
  std::vector<nlohmann::json> j =
      logged(StrategyKind::fresh, {"/factorial?args=3", "/factorial?args=3", "/factorial?args=3"},
             {200, 200, 200});
  ASSERT_EQ(j.size(), 3u);
  std::set<uint64_t> ids;
  for (const nlohmann::json& line : j) ids.insert(line["instance"].get<uint64_t>());
  EXPECT_EQ(ids.size(), 3u) << "fresh makes an instance per request";
}

TEST(AccessLog, CombinedFormatAndHostileBytes) {
  serve::AccessEntry e;
  e.client = "10.0.0.7:5123";
  e.method = "GET";
  e.target = "/x?a=\"1\"\n10.0.0.8 - - [forged]";  // a quote and a line end from the client
  e.status = 200;
  e.bytes = 12;
  e.duration_us = 340;
  e.route = "/x";
  e.strategy = "pool";
  e.lease_wait_us = 5;
  e.instance = 2;
  e.user_agent = "curl/7.88";
  std::string line = serve::AccessLog::format(
      e, AccessLogFormat::combined, std::chrono::system_clock::time_point(std::chrono::seconds(0)));
  EXPECT_EQ(line,
            "10.0.0.7 - - [01/Jan/1970:00:00:00 +0000] \"GET /x?a=\\\"1\\\"\\x0A10.0.0.8 - - "
            "[forged] HTTP/1.1\" 200 12 \"-\" \"curl/7.88\" duration_us=340 route=/x "
            "strategy=pool lease_wait_us=5 instance=2");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  std::string json =
      serve::AccessLog::format(e, AccessLogFormat::json, std::chrono::system_clock::now());
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(json)["target"], e.target);
  e.target = "/\xff\xfe";  // not UTF-8: replaced, never a throw
  EXPECT_NO_THROW(
      serve::AccessLog::format(e, AccessLogFormat::json, std::chrono::system_clock::now()));
}

// A configuration of one route with `server_keys` in its [server] table.
ServerConfig config_with_server_keys(const std::string& server_keys) {
  return ServerConfig::from_toml(
      "[server]\n" + server_keys +
          "[[route]]\npath = \"/f\"\nmodule = \"f.wasm\"\nexport = \"f\"\n",
      "/srv/app");
}

TEST(AccessLog, ConfigKeys) {
  ServerConfig c = config_with_server_keys(
      "access_log = \"logs/access.log\"\naccess_log_format = \"combined\"\n");
  EXPECT_EQ(c.access_log, "/srv/app/logs/access.log");
  EXPECT_EQ(c.access_log_format, AccessLogFormat::combined);
  ServerConfig off = config_with_server_keys("access_log = \"off\"\n");
  EXPECT_TRUE(off.access_log.empty());
  EXPECT_THROW(ServerConfig::from_toml("[server]\naccess_log_format = \"combined\"\n", "/"), Error);
  EXPECT_THROW(
      ServerConfig::from_toml("[server]\naccess_log = \"x\"\naccess_log_format = \"xml\"\n", "/"),
      Error);
  // A log that cannot be opened (its folder is a file) stops the server from being made, with
  // the reason. (A missing folder is created.)
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  ServerConfig bad = config_with(
      {route("/factorial", kExamples / "factorial.wasm", "factorial", StrategyKind::pool)});
  bad.access_log = (dir.path() / "file" / "access.log").string();
  try {
    Server server(bad);
    FAIL() << "the server was made";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad.access_log), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wisp::test
