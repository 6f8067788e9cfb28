// The /metrics page (Prometheus text exposition format 0.0.4), /stats.json (what the dashboard
// polls) and the / dashboard (HTML), made from the routes' statistics and the runtime's.
#pragma once

#include <string>
#include <vector>

#include "wisp/runtime_stats.hpp"
#include "wisp/serve.hpp"

namespace wisp::serve {

std::string prometheus_text(const std::vector<RouteStats>& routes, const RuntimeStats& runtime);
// {"uptime_s", "routes": [{"path", "strategy", "requests", "errors", "responses", "p50", "p99",
// "duration_ns_histogram", "running", "waiting", "instances": {...}}], "strategies": {name: live},
// "runtime": {...}}; route paths escaped as JSON strings.
std::string stats_json(const std::vector<RouteStats>& routes, const RuntimeStats& runtime,
                       double uptime_s);
double process_uptime_s();  // seconds since the process started (since this library loaded)
std::string dashboard_html(const std::vector<RouteStats>& routes, const RuntimeStats& runtime);

}  // namespace wisp::serve
