// Route statistics as Prometheus metrics, as the JSON the dashboard polls (/stats.json) and as
// the dashboard's HTML page (its script and chart module: serve/dashboard/).
#include "serve/metrics.hpp"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>

#include "serve/dashboard/assets.hpp"
#include "share/log2_histogram.hpp"

namespace wisp {

uint64_t RouteStats::requests() const {
  uint64_t n = 0;
  for (const auto& [status, count] : responses) n += count;
  return n;
}

double RouteStats::duration_ns_quantile(double q) const {
  return detail::log2_quantile(duration_ns_histogram, q);
}

namespace serve {

namespace {

// A label value with '\', '"' and newlines escaped (exposition format).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

std::string html(std::string_view v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A duration with three significant digits in a unit that suits it.
std::string duration_text(double ns) {
  struct Unit {
    double scale;
    const char* name;
  };
  constexpr Unit units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}};
  Unit u = units[3];
  for (const Unit& candidate : units) {
    if (ns >= candidate.scale) {
      u = candidate;
      break;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g %s", ns / u.scale, u.name);
  return buf;
}

// The q-quantile of a log2 histogram as the bucket it falls in, "lo–hi": the histogram keeps
// nothing finer, so a single figure would claim a precision it does not have. "–" if empty.
std::string quantile_bucket(std::span<const uint64_t> histogram, double q) {
  uint64_t total = 0;
  for (uint64_t c : histogram) total += c;
  if (total == 0) return "–";
  const uint64_t want = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
  uint64_t seen = 0;
  size_t i = 0;
  for (; i < histogram.size(); ++i) {
    seen += histogram[i];
    if (seen >= want) break;
  }
  const double lo = static_cast<double>(uint64_t{1} << i);
  if (i + 1 >= histogram.size()) return "≥ " + duration_text(lo);  // the last bucket is open
  return duration_text(lo) + "–" + duration_text(2 * lo);
}

class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const char* name, const std::string& labels, double value) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out_ << buf;
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string route_label(const RouteStats& r) {
  return "route=\"" + label(r.path) + "\"";
}

uint64_t errors(const RouteStats& r) {
  uint64_t n = 0;
  for (const auto& [status, count] : r.responses)
    if (status >= 400) n += count;
  return n;
}

const auto kProcessStart = std::chrono::steady_clock::now();

}  // namespace

std::string prometheus_text(const std::vector<RouteStats>& routes, const RuntimeStats& rt) {
  Writer w;
  w.family("wisp_http_responses_total", "counter", "HTTP responses by route and status code.");
  for (const RouteStats& r : routes) {
    for (const auto& [status, count] : r.responses)
      w.sample("wisp_http_responses_total",
               route_label(r) + ",code=\"" + std::to_string(status) + "\"", double(count));
  }
  w.family("wisp_http_request_duration_seconds", "histogram",
           "Time from a request's arrival to its response.");
  // Fixed buckets, 1 us (2^10 ns) to 69 s (2^36 ns): the same series for every scrape.
  constexpr size_t kFirst = 9, kLast = 35;
  for (const RouteStats& r : routes) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < r.duration_ns_histogram.size(); ++i) {
      cumulative += r.duration_ns_histogram[i];
      if (i < kFirst || i > kLast) continue;
      char le[32];
      std::snprintf(le, sizeof le, "%.9g", double(uint64_t{2} << i) / 1e9);
      w.sample("wisp_http_request_duration_seconds_bucket", route_label(r) + ",le=\"" + le + "\"",
               double(cumulative));
    }
    w.sample("wisp_http_request_duration_seconds_bucket", route_label(r) + ",le=\"+Inf\"",
             double(cumulative));
    w.sample("wisp_http_request_duration_seconds_sum", route_label(r),
             double(r.duration_ns_sum) / 1e9);
    w.sample("wisp_http_request_duration_seconds_count", route_label(r), double(cumulative));
  }
  w.family("wisp_route_requests_running", "gauge", "Requests running on the guest workers.");
  for (const RouteStats& r : routes)
    w.sample("wisp_route_requests_running", route_label(r), double(r.running));
  w.family("wisp_route_requests_waiting", "gauge", "Requests waiting for a guest worker.");
  for (const RouteStats& r : routes)
    w.sample("wisp_route_requests_waiting", route_label(r), double(r.waiting));
  struct Counter {
    const char* name;
    const char* type;
    const char* help;
    double (*get)(const StrategyStats&);
  };
  const Counter counters[] = {
      {"wisp_leases_total", "counter", "Leases of an instance (or context) handed out.",
       [](const StrategyStats& s) { return double(s.leases); }},
      {"wisp_lease_waits_total", "counter", "Acquisitions that had to wait.",
       [](const StrategyStats& s) { return double(s.waits); }},
      {"wisp_lease_wait_seconds_total", "counter", "Time spent waiting for an instance.",
       [](const StrategyStats& s) { return double(s.wait_ns) / 1e9; }},
      {"wisp_lease_timeouts_total", "counter", "Acquisitions that gave up at their deadline.",
       [](const StrategyStats& s) { return double(s.timeouts); }},
      {"wisp_instances_created_total", "counter", "Instances created.",
       [](const StrategyStats& s) { return double(s.creates); }},
      {"wisp_instance_create_failures_total", "counter", "Failed instantiations.",
       [](const StrategyStats& s) { return double(s.create_failures); }},
      {"wisp_instance_resets_total", "counter", "Instances reset to their snapshot.",
       [](const StrategyStats& s) { return double(s.resets); }},
      {"wisp_instances_live", "gauge", "Instances alive now (leased or idle).",
       [](const StrategyStats& s) { return double(s.live); }},
  };
  for (const Counter& c : counters) {
    w.family(c.name, c.type, c.help);
    for (const RouteStats& r : routes)
      w.sample(c.name, route_label(r) + ",strategy=\"" + strategy_kind_name(r.strategy) + "\"",
               c.get(r.instances));
  }
  w.family("wisp_instances_discarded_total", "counter", "Instances discarded, by reason.");
  for (const RouteStats& r : routes) {
    for (size_t i = 0; i < r.instances.discards.size(); ++i) {
      if (r.instances.discards[i] == 0) continue;
      w.sample(
          "wisp_instances_discarded_total",
          route_label(r) + ",reason=\"" + discard_reason_name(static_cast<DiscardReason>(i)) + "\"",
          double(r.instances.discards[i]));
    }
  }
  w.family("wisp_slots_in_use", "gauge", "Linear-memory slots held by live memories.");
  w.sample("wisp_slots_in_use", "", double(rt.slots_in_use));
  w.family("wisp_slots_reserved", "gauge", "Linear-memory slots holding address space.");
  w.sample("wisp_slots_reserved", "", double(rt.slots_reserved));
  w.family("wisp_memory_committed_bytes", "gauge", "Accessible bytes of all linear memories.");
  w.sample("wisp_memory_committed_bytes", "", double(rt.committed_bytes));
  w.family("wisp_snapshot_images", "gauge", "Live snapshot memory images.");
  w.sample("wisp_snapshot_images", "", double(rt.images));
  w.family("wisp_snapshot_image_bytes", "gauge", "Stored bytes of the snapshot images.");
  w.sample("wisp_snapshot_image_bytes", "", double(rt.image_bytes));
  return w.str();
}

double process_uptime_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - kProcessStart).count();
}

std::string stats_json(const std::vector<RouteStats>& routes, const RuntimeStats& rt,
                       double uptime_s) {
  using nlohmann::json;
  json out = {{"uptime_s", uptime_s}};
  json& list = out["routes"] = json::array();
  json& strategies = out["strategies"] = json::object();
  for (const RouteStats& r : routes) {
    json responses = json::object();
    for (const auto& [status, count] : r.responses) responses[std::to_string(status)] = count;
    const std::string strategy = strategy_kind_name(r.strategy);
    list.push_back({{"path", r.path},
                    {"strategy", strategy},
                    {"requests", r.requests()},
                    {"errors", errors(r)},
                    {"responses", std::move(responses)},
                    {"duration_ns_histogram", r.duration_ns_histogram},
                    {"p50", quantile_bucket(r.duration_ns_histogram, 0.5)},
                    {"p99", quantile_bucket(r.duration_ns_histogram, 0.99)},
                    {"running", r.running},
                    {"waiting", r.waiting},
                    {"instances",
                     {{"live", r.instances.live},
                      {"created", r.instances.creates},
                      {"resets", r.instances.resets},
                      {"discarded", r.instances.discarded()},
                      {"waits", r.instances.waits}}}});
    strategies[strategy] = strategies.value(strategy, uint64_t{0}) + r.instances.live;
  }
  out["runtime"] = {{"slots_in_use", rt.slots_in_use},
                    {"committed_bytes", rt.committed_bytes},
                    {"images", rt.images},
                    {"image_bytes", rt.image_bytes}};
  // Route paths come from the configuration: bytes that are not UTF-8 become U+FFFD.
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string dashboard_html(const std::vector<RouteStats>& routes, const RuntimeStats& rt) {
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=\"utf-8\"><title>wisp</title><style>"
       "body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
       "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}"
       "td:first-child,th:first-child{text-align:left}#charts{display:flex;flex-wrap:wrap;"
       "gap:12px;margin-bottom:1.5em}figure{margin:0}figcaption{font-size:12px;color:#444}"
       "figure{width:362px}canvas{border:1px solid "
       "#ddd;display:block}.key{display:inline-block;width:10px;"
       "height:10px;margin:0 3px 0 8px}</style></head><body><h1>wisp</h1><div id=\"charts\">"
       "</div><table id=\"routes\"><thead><tr><th>route</th><th>strategy</th><th>requests</th>"
       "<th>errors</th><th>p50 *</th><th>p99 *</th><th>live</th><th>created</th><th>resets</th>"
       "<th>discarded</th><th>waits</th></tr></thead><tbody>";
  for (const RouteStats& r : routes) {
    const std::string p50 = quantile_bucket(r.duration_ns_histogram, 0.5);
    const std::string p99 = quantile_bucket(r.duration_ns_histogram, 0.99);
    o << "<tr><td>" << html(r.path) << "</td><td>" << strategy_kind_name(r.strategy) << "</td><td>"
      << r.requests() << "</td><td>" << errors(r) << "</td><td>" << p50 << "</td><td>" << p99
      << "</td><td>" << r.instances.live << "</td><td>" << r.instances.creates << "</td><td>"
      << r.instances.resets << "</td><td>" << r.instances.discarded() << "</td><td>"
      << r.instances.waits << "</td></tr>";
  }
  o << "</tbody></table><p>* The request durations are counted in power-of-two buckets: p50 and "
       "p99 show the bucket each falls in, from arrival to response (the charts: the bucket's "
       "upper bound, over the last second).</p><p id=\"runtime\">slots in use "
    << rt.slots_in_use << ", committed " << rt.committed_bytes / (1 << 20)
    << " MiB, snapshot images " << rt.images << " (" << rt.image_bytes / 1024
    << " KiB). <a href=\"/metrics\">/metrics</a> <a href=\"/stats.json\">/stats.json</a></p>"
       "<script>"
    << detail::kDashboardJs << "</script></body></html>\n";
  return o.str();
}

}  // namespace serve
}  // namespace wisp
