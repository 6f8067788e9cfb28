// The /metrics page (Prometheus text exposition format 0.0.4) and the / dashboard (HTML), made
// from the routes' statistics and the runtime's.
#pragma once

#include <string>
#include <vector>

#include "wisp/runtime_stats.hpp"
#include "wisp/serve.hpp"

namespace wisp::serve {

std::string prometheus_text(const std::vector<RouteStats>& routes, const RuntimeStats& runtime);
std::string dashboard_html(const std::vector<RouteStats>& routes, const RuntimeStats& runtime);

}  // namespace wisp::serve
