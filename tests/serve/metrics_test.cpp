// The dashboard's and /metrics' figures from route statistics: the dashboard prints a quantile
// as the power-of-two bucket it falls in (the histogram's real resolution), not as a bucket
// bound to 0.1 µs (issue 16).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wisp::test
