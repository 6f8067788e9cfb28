// One route at run time: its module, template and strategy, and how a request becomes a call
// on a leased instance (a function call, or a WASI program run with the request as its stdio).
#pragma once

#include <mutex>
#include <string_view>

#include "serve/http_message.hpp"
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

 private:
  HttpResponse call_function(const HttpRequest& request);
  HttpResponse run_wasi(const HttpRequest& request);
  std::vector<ValType> call_params() const;  // the export's parameters a request supplies

  RouteConfig config_;
  Module module_;
  std::unique_ptr<Template> template_;
  std::unique_ptr<Strategy> strategy_;
  FuncType type_;
  mutable std::mutex stats_mutex_;
  RouteStats stats_;
};

}  // namespace wisp::serve
