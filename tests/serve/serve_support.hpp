// Test support for the server tests: routes and configurations on an ephemeral port, modules
// written from WAT, and reading JSON results.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "serve/http_client.hpp"
#include "support/wat.hpp"
#include "wisp/serve.hpp"

namespace wisp::test {

inline const std::filesystem::path kExamples = WISP_EXAMPLES_DIR;

// Writes a module from WAT text into `dir` and returns its path.
inline std::filesystem::path write_module(const TempDir& dir, const std::string& name,
                                          const std::string& text) {
  std::vector<uint8_t> bytes = wat(text);
  std::filesystem::path p = dir.path() / (name + ".wasm");
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return p;
}

inline RouteConfig route(const std::string& path, const std::filesystem::path& module,
                         const std::string& export_name, StrategyKind strategy) {
  RouteConfig r;
  r.path = path;
  r.module = module;
  r.export_name = export_name;
  r.strategy = strategy;
  return r;
}

inline ServerConfig config_with(std::vector<RouteConfig> routes) {
  ServerConfig c;
  c.port = 0;
  c.threads = 4;
  c.tier = Tier::tier0;  // no compiler runs in these tests
  c.routes = std::move(routes);
  return c;
}

inline std::vector<nlohmann::json> results_of(const HttpReply& r) {
  auto j = nlohmann::json::parse(r.body);
  return j.at("results").get<std::vector<nlohmann::json>>();
}

inline int first_result(const HttpReply& r) {
  EXPECT_EQ(r.status, 200u) << r.body;
  return results_of(r).at(0).get<int>();
}

// Serves route `r` (an export that adds its argument to a counter and returns the new value) and
// checks that 4 clients × 25 requests of 1 are each counted once, whichever instance served them.
inline void expect_route_counts_every_request(const RouteConfig& r) {
  Server server(config_with({r}));
  server.start();
  constexpr int kEach = 25;
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      HttpClient c(server.port());
      for (int i = 0; i < kEach; ++i) {
        if (c.request("GET", r.path + "?args=1").status != 200) ++wrong;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(wrong.load(), 0);
  HttpClient c(server.port());
  EXPECT_EQ(first_result(c.request("GET", r.path + "?args=0")), 4 * kEach);
  server.stop();
}

// How many HTTP answers (status lines) a raw exchange holds.
inline size_t answers_in(const std::string& raw) {
  size_t n = 0;
  for (size_t at = raw.find("HTTP/1."); at != std::string::npos; at = raw.find("HTTP/1.", at + 1))
    if (at == 0 || raw[at - 1] == '\n') ++n;
  return n;
}

}  // namespace wisp::test
