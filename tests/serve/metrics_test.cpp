// The dashboard's and /metrics' figures from route statistics: the dashboard prints a quantile
// as the power-of-two bucket it falls in (the histogram's real resolution), not as a bucket
// bound to 0.1 µs (issue 16).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/metrics.hpp"

namespace wisp::test {
namespace {

TEST(ServeMetrics, DashboardShowsQuantilesAsTheirBuckets) {
  RouteStats r;
  r.path = "/f";
  r.duration_ns_histogram[16] = 98;  // [65.5 µs, 131 µs)
  r.duration_ns_histogram[21] = 2;   // [2.1 ms, 4.19 ms)
  r.responses[200] = 100;
  std::string html = serve::dashboard_html({r}, RuntimeStats{});
  EXPECT_NE(html.find("<td>65.5 µs–131 µs</td>"), std::string::npos) << html;  // p50
  EXPECT_NE(html.find("<td>2.1 ms–4.19 ms</td>"), std::string::npos) << html;  // p99
  EXPECT_EQ(html.find("131.1 µs"), std::string::npos) << html;  // the old upper bound to 0.1 µs
  EXPECT_NE(html.find("power-of-two buckets"), std::string::npos);
  RouteStats empty;
  empty.path = "/e";
  EXPECT_NE(serve::dashboard_html({empty}, RuntimeStats{}).find("<td>–</td><td>–</td>"),
            std::string::npos);
}

// /stats.json (what the live dashboard polls): route paths are JSON strings whatever they hold
// (quotes, backslashes, markup, control characters; bytes that are not UTF-8 become U+FFFD), and
// instances live are summed by strategy.
TEST(ServeMetrics, StatsJsonEscapesRoutePathsAndSumsStrategies) {
  RouteStats a;
  a.path = "/a\"b\\c</script><x>\n\x01\xff";
  a.strategy = StrategyKind::pool;
  a.responses[200] = 5;
  a.responses[500] = 2;
  a.duration_ns_histogram[16] = 7;
  a.instances.live = 3;
  RouteStats b;
  b.path = "/b";
  b.strategy = StrategyKind::pool;
  b.instances.live = 2;
  RouteStats c;
  c.path = "/c";
  c.strategy = StrategyKind::contexts;
  c.instances.live = 1;
  RuntimeStats rt;
  rt.committed_bytes = 65536;
  const std::string text = serve::stats_json({a, b, c}, rt, 12.5);
  const nlohmann::json j = nlohmann::json::parse(text);  // throws if a string is not escaped
  EXPECT_EQ(j["uptime_s"], 12.5);
  ASSERT_EQ(j["routes"].size(), 3u);
  EXPECT_EQ(j["routes"][0]["path"], "/a\"b\\c</script><x>\n\x01\xef\xbf\xbd");
  EXPECT_EQ(j["routes"][0]["requests"], 7);
  EXPECT_EQ(j["routes"][0]["errors"], 2);
  EXPECT_EQ(j["routes"][0]["responses"]["500"], 2);
  EXPECT_EQ(j["routes"][0]["p50"], "65.5 µs–131 µs");
  EXPECT_EQ(j["routes"][0]["duration_ns_histogram"][16], 7);
  EXPECT_EQ(j["strategies"]["pool"], 5);
  EXPECT_EQ(j["strategies"]["contexts"], 1);
  EXPECT_FALSE(j["strategies"].contains("fresh"));
  EXPECT_EQ(j["runtime"]["committed_bytes"], 65536);
}

// The dashboard page is live: it loads its chart module from the server and polls /stats.json.
TEST(ServeMetrics, DashboardLoadsItsChartModuleAndPollsStats) {
  const std::string html = serve::dashboard_html({}, RuntimeStats{});
  EXPECT_NE(html.find("/dashboard/charts.wasm"), std::string::npos);
  EXPECT_NE(html.find("/stats.json"), std::string::npos);
  EXPECT_NE(html.find("WebAssembly.instantiate"), std::string::npos);
  EXPECT_EQ(html.find("http-equiv=\"refresh\""), std::string::npos);  // no longer reloads
}

}  // namespace
}  // namespace wisp::test
