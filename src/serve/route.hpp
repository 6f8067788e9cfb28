// One route at run time: its module, template and strategy, its own worker threads, and how a
// request becomes a call on a leased instance (a function call, or a WASI program run with the
// request as its stdio).
#pragma once

#include <array>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "serve/http_message.hpp"
#include "serve/work_queue.hpp"
#include "wisp/serve.hpp"

namespace wisp::serve {

class Route {
 public:
  // Compiles (through `engine`) and links the module and makes the strategy; throws wisp::Error
  // naming the route when the configuration cannot work.
  Route(Engine& engine, Tier tier, RouteConfig config);

  bool matches(std::string_view path) const;
  const RouteConfig& config() const { return config_; }
  // Runs the request; never throws (every failure is a response).
  HttpResponse handle(const HttpRequest& request);
  // Counts a response to this route (its status and how long the request took).
  void record(unsigned status, uint64_t duration_ns);
  RouteStats stats() const;
  // The route's admission to its workers (max_concurrency running, max_queue waiting).
  WorkQueue& work() { return work_; }
  // The route's own worker threads (max_concurrency of them; guest calls run only there, so a
  // route whose calls loop holds no other route's workers). start_workers() makes them (once),
  // each named after the route and at its cpu_priority before it takes a request;
  // join_workers() lets what was submitted finish and ends them. Never from a worker thread.
  void start_workers();
  boost::asio::thread_pool& workers() { return *workers_; }
  void join_workers();
  // The SHA-256 of the module file's bytes when the route was built (live reload: an unchanged
  // route keeps its instances).
  const std::string& module_digest() const { return module_digest_; }
  // The same digest of the file as it is now ("" if it cannot be read).
  static std::string file_digest(const std::filesystem::path& file);
  // The Retry-After of a 503: when an instance (or a worker) is expected to come free.
  unsigned retry_after_seconds() const;

 private:
  // Names the calling worker thread after the route and sets its priority.
  void set_up_worker();
  HttpResponse call_function(const HttpRequest& request);
  HttpResponse run_wasi(const HttpRequest& request);
  std::vector<ValType> call_params() const;  // the export's parameters a request supplies
  // A lease of the route's strategy; no room for a new instance is Unavailable too.
  Lease acquire();

  using Clock = std::chrono::steady_clock;
  // Notes the lease's wait and instance on the response (for the access log).
  static void note_lease(HttpResponse& r, const Lease& lease, Clock::duration waited);
  // A call in flight: its deadline is known while it runs, its duration counted when it ends.
  class InFlight {
   public:
    explicit InFlight(Route& route);
    ~InFlight();

   private:
    Route& route_;
    Clock::time_point start_;
    std::multiset<Clock::time_point>::iterator deadline_;
  };

  RouteConfig config_;
  Module module_;
  std::string module_digest_;
  std::unique_ptr<Template> template_;
  std::unique_ptr<Strategy> strategy_;
  FuncType type_;
  mutable std::mutex stats_mutex_;  // guards the three members after it
  RouteStats stats_;
  std::multiset<Clock::time_point> deadlines_;    // of the calls in flight
  std::array<uint64_t, 40> call_ns_histogram_{};  // durations of calls (log2 buckets)
  WorkQueue work_;
  std::optional<boost::asio::thread_pool> workers_;
  std::once_flag priority_warned_;  // a worker's priority could not be set (warned once)
  std::once_flag cpus_warned_;      // a worker could not be kept to cpus (warned once)
};

}  // namespace wisp::serve
