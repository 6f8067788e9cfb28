// A route: compile and link its module once, make its strategy, and serve each request on a
// leased instance.
#include "serve/route.hpp"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

#include "compile/native_code.hpp"
#include "serve/cgi_response.hpp"
#include "serve/cpu_affinity.hpp"
#include "serve/json_values.hpp"
#include "share/log2_histogram.hpp"
#include "wisp/error.hpp"
#include "wisp/linker.hpp"
#include "wisp/shared_memories.hpp"

namespace wisp::serve {

namespace {

[[noreturn]] void route_error(const RouteConfig& c, const std::string& what) {
  throw Error("route " + c.path + ": " + what);
}

bool keeps_state(const RouteConfig& c) {
  switch (c.strategy) {
    case StrategyKind::fresh:
      return false;
    case StrategyKind::pool:
      return c.policy.on_release == ReleaseAction::keep;
    case StrategyKind::shared:
    case StrategyKind::per_thread:
      return !c.policy.on_release || *c.policy.on_release == ReleaseAction::keep;
    case StrategyKind::contexts:
    case StrategyKind::threads:
      return true;
  }
  return true;
}

// The response to a call that ended in a trap (or a WASI exit) instead of returning.
HttpResponse trap_response(const Trap& t) {
  switch (t.kind()) {
    case TrapKind::timeout:
      return error_response(504, "timeout", t.what());
    default:
      return error_response(500, std::string("trap: ") + trap_kind_name(t.kind()), t.what());
  }
}

// CGI's name for a request header (RFC 3875 4.1.18): HTTP_ and the name in capitals, '-' as
// '_'; none for a header that must not reach the guest. Only names of letters, digits and '-'
// pass: one with '_' (or anything else) could pose as a hyphenated header that a front proxy
// vouches for ("X_Forwarded_For" as HTTP_X_FORWARDED_FOR), so it is dropped, as nginx and
// Apache do. Proxy never passes ("httpoxy": HTTP_PROXY is the proxy of many HTTP clients), nor do
// Content-Type and Content-Length (CONTENT_TYPE and CONTENT_LENGTH carry them).
std::optional<std::string> cgi_name(std::string_view header) {
  if (header.empty()) return std::nullopt;
  std::string out = "HTTP_";
  for (char c : header) {
    if (c == '-') {
      out += '_';
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      return std::nullopt;
    }
  }
  if (out == "HTTP_PROXY" || out == "HTTP_CONTENT_TYPE" || out == "HTTP_CONTENT_LENGTH")
    return std::nullopt;
  return out;
}

// The request's headers as CGI variables, a header sent more than once as one variable with
// its values joined by ", " (RFC 3875 4.1.18).
void add_cgi_headers(const HttpRequest& request, std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> vars;
  for (const auto& [name, value] : request.headers) {
    std::optional<std::string> var = cgi_name(name);
    if (!var) continue;
    auto same =
        std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == *var; });
    if (same == vars.end()) {
      vars.emplace_back(std::move(*var), value);
    } else {
      same->second += ", " + value;
    }
  }
  for (auto& [name, value] : vars) env.push_back(name + "=" + value);
}

// `c` comes normalized by the server (ServerImpl::normalize: a WASI route's export defaults to
// _start there, so that a reload compares routes as they run).
Module compile_module(Engine& engine, const RouteConfig& c) {
  if (c.export_name.empty()) route_error(c, "a function route needs an export");
  try {
    return engine.compile_file(c.module);
  } catch (const Error& e) {
    route_error(c, "module " + c.module.string() + ": " + e.what());
  }
}

}  // namespace

Route::Route(Engine& engine, Tier tier, RouteConfig config)
    : config_(std::move(config)),
      module_(compile_module(engine, config_)),
      module_digest_(file_digest(config_.module)),
      work_(std::max<uint32_t>(config_.max_concurrency, 1), config_.max_queue) {
  stats_.path = config_.path;
  stats_.strategy = config_.strategy;
  if (config_.limits.call_timeout <= std::chrono::nanoseconds::zero())
    route_error(config_,
                "timeout_ms must be above 0: every route has a call timeout, or one endless call "
                "would hold a serving thread for good");
  if (std::string why = cpus_problem(config_.cpus); !why.empty())
    route_error(config_, "cpus: " + why);
  if (!engine.config().consume_fuel) {
    if (config_.limits.fuel)
      route_error(config_, "fuel does nothing without [engine] consume_fuel = true");
    if (config_.policy.fuel_per_lease)
      route_error(config_, "fuel_per_lease does nothing without [engine] consume_fuel = true");
  }
  if (config_.mode == RouteMode::function && !imports_wasi(module_)) {
    const char* key = !config_.wasi.args.empty()       ? "args"
                      : !config_.wasi.env.empty()      ? "env"
                      : !config_.wasi.preopens.empty() ? "dirs"
                                                       : nullptr;
    if (key)
      route_error(config_, std::string(key) +
                               " does nothing: the route is a function route and its module "
                               "does not import WASI");
  }
  auto exp = module_.find_export(config_.export_name);
  if (!exp || exp->type.kind != ExternKind::func)
    route_error(config_, "the module has no exported function '" + config_.export_name + "'");
  type_ = exp->type.func;
  if (config_.mode == RouteMode::function) {
    if (config_.strategy == StrategyKind::contexts &&
        (type_.params.empty() || type_.params[0] != ValType::i32))
      route_error(config_, "a contexts route's export takes the context pointer (i32) first: '" +
                               config_.export_name + "' is " + type_.to_string());
    for (ValType t : call_params()) {
      if (t == ValType::funcref || t == ValType::externref)
        route_error(config_,
                    "'" + config_.export_name + "' takes references: " + type_.to_string());
    }
    for (const std::vector<ValType>* ts : {&type_.params, &type_.results}) {
      for (ValType t : *ts) {
        if (t == ValType::v128)
          route_error(config_, "'" + config_.export_name + "' passes v128 values, which have no " +
                                   "JSON form: " + type_.to_string());
      }
    }
  } else {
    if (config_.strategy == StrategyKind::contexts)
      route_error(config_, "WASI routes need an instance per request: contexts cannot serve them");
    if (config_.export_name == "_start" && keeps_state(config_))
      route_error(config_,
                  "a WASI command's _start runs once per instance: use strategy fresh or pool "
                  "(reset), or a reactor export");
    if (!type_.params.empty())
      route_error(config_, "a WASI route's export takes no parameters: '" + config_.export_name +
                               "' is " + type_.to_string());
  }
  Linker linker;
  // A module built for threads imports its shared memory: one for the route, shared by every
  // instance (what the threads strategy is for). One that defines it needs nothing here: the
  // threads strategy shares the memory its first instance makes with the others.
  if (imports_shared_memory(module_)) define_shared_memories(engine, linker, module_);
  TemplateOptions options;
  options.tier = tier;
  options.limits = config_.limits;
  options.snapshot.init_export = config_.init_export;
  options.snapshot.keep_grown_bytes = config_.keep_grown_bytes;
  if (imports_wasi(module_)) {
    add_wasi(linker, module_);
    // Every instance gets a context of the route's configuration (the init export may use it);
    // a WASI request replaces it with one holding the request.
    WasiConfig base = config_.wasi;
    base.stdin_stream = WasiStdio::null();
    base.stdout_stream = WasiStdio::null();
    base.stderr_stream = WasiStdio::null();
    options.host_state = WasiCtx::factory(std::move(base));
  }
  try {
    template_ = std::make_unique<Template>(linker.instantiate_template(module_, options));
    strategy_ = make_strategy(config_.strategy, *template_, config_.policy);
    // One instance now: a start function or init export that fails shows here, not per request.
    strategy_->acquire(std::chrono::seconds(60));
  } catch (const Error& e) {
    route_error(config_, e.what());
  }
}

bool Route::matches(std::string_view path) const {
  const std::string& p = config_.path;
  if (p.size() >= 2 && p.ends_with("/*")) {
    std::string_view prefix(p.data(), p.size() - 1);  // keeps the '/'
    return path.starts_with(prefix) || path == prefix.substr(0, prefix.size() - 1);
  }
  return path == p;
}

std::vector<ValType> Route::call_params() const {
  std::vector<ValType> params = type_.params;
  if (config_.strategy == StrategyKind::contexts && !params.empty()) params.erase(params.begin());
  return params;
}

HttpResponse Route::handle(const HttpRequest& request) {
  try {
    if (config_.mode == RouteMode::function) return call_function(request);
    return run_wasi(request);
  } catch (const BadArguments& e) {
    return error_response(400, "bad arguments", e.what());
  } catch (const Unavailable& e) {
    HttpResponse r = error_response(503, "unavailable", e.what());
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds()));
    return r;
  } catch (const Trap& e) {
    return trap_response(e);
  } catch (const WasiExit& e) {
    return error_response(500, "exit", "the guest exited with code " + std::to_string(e.code()));
  } catch (const std::exception& e) {
    return error_response(500, "error", e.what());
  }
}

HttpResponse Route::call_function(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "POST") {
    HttpResponse r = error_response(405, "method not allowed", "use GET or POST");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  std::vector<ValType> params = call_params();
  std::vector<Value> args;
  if (request.method == "POST" && !request.body.empty()) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) throw BadArguments("the body is not JSON");
    args =
        values_from_json(body.is_object() && body.contains("args") ? body["args"] : body, params);
  } else {
    std::string list;
    query_value(request.query, "args", list);
    args = values_from_list(list, params);
  }
  const auto asked = Clock::now();
  Lease lease = acquire();
  const auto waited = Clock::now() - asked;
  std::vector<Value> results;
  {
    InFlight call(*this);
    results = lease.call(config_.export_name, args);
  }
  HttpResponse r;
  r.body = nlohmann::json{{"results", values_to_json(results)}}.dump() + "\n";
  note_lease(r, lease, waited);
  return r;
}

HttpResponse Route::run_wasi(const HttpRequest& request) {
  WasiConfig c = config_.wasi;
  c.stdin_stream = WasiStdio::buffer(request.body);
  c.stdout_stream = WasiStdio::buffer({}, config_.max_output_bytes);
  c.stderr_stream = WasiStdio::buffer({}, 64 << 10);
  c.env.push_back("REQUEST_METHOD=" + request.method);
  // RFC 3875: SCRIPT_NAME is the route ("/api" for "/api/*"), PATH_INFO the rest of the path.
  std::string_view script = config_.path;
  if (script.ends_with("/*")) script.remove_suffix(2);
  std::string_view info = request.path;
  info.remove_prefix(std::min(script.size(), info.size()));
  c.env.push_back("SCRIPT_NAME=" + std::string(script));
  c.env.push_back("PATH_INFO=" + std::string(info));
  c.env.push_back("QUERY_STRING=" + request.query);
  c.env.push_back("CONTENT_LENGTH=" + std::to_string(request.body.size()));
  c.env.push_back("CONTENT_TYPE=" + request.header("Content-Type"));
  add_cgi_headers(request, c.env);
  if (c.args.empty()) c.args.push_back(config_.module.filename().string());

  const auto asked = Clock::now();
  Lease lease = acquire();
  const auto waited = Clock::now() - asked;
  std::shared_ptr<WasiCtx> ctx = WasiCtx::attach(lease.instance(), c);
  int code = 0;
  try {
    InFlight call(*this);
    lease.call(config_.export_name);
  } catch (const WasiExit& e) {
    code = e.code();
  }
  HttpResponse r;
  if (ctx->output_truncated()) {
    r = error_response(
        502, "response too large",
        "the program wrote more than " + std::to_string(config_.max_output_bytes) + " bytes");
  } else if (code != 0) {
    r = error_response(500, "exit", "the program exited with code " + std::to_string(code));
  } else {
    r.content_type = config_.content_type;
    std::string error;
    if (!config_.cgi_response)
      r.body = ctx->take_stdout();
    else if (!apply_cgi_response(ctx->take_stdout(), r, error))
      r = error_response(502, "bad CGI response", error);
  }
  note_lease(r, lease, waited);
  return r;
}

void Route::note_lease(HttpResponse& r, const Lease& lease, Clock::duration waited) {
  r.lease_wait_ns =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count());
  r.instance_id = lease.instance_id();
}

Lease Route::acquire() {
  try {
    return strategy_->acquire(config_.acquire_timeout);
  } catch (const Trap& t) {
    // No room for a new instance (the memory budget, say): the server is full, not broken.
    if (t.kind() == TrapKind::resource_limit)
      throw Unavailable(std::string("no instance could be made: ") + t.what());
    throw;
  }
}

Route::InFlight::InFlight(Route& route) : route_(route), start_(Clock::now()) {
  std::lock_guard lock(route_.stats_mutex_);
  deadline_ = route_.deadlines_.insert(start_ + route_.config_.limits.call_timeout);
}

Route::InFlight::~InFlight() {
  const uint64_t ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count());
  size_t bucket = detail::log2_bucket(ns, route_.call_ns_histogram_.size());
  std::lock_guard lock(route_.stats_mutex_);
  route_.deadlines_.erase(deadline_);
  ++route_.call_ns_histogram_[bucket];
}

// An instance is expected to come free when a call in flight ends: typically after the route's
// median call time (the upper end of its power-of-two bucket), at the latest when the oldest
// call in flight reaches its timeout. The shorter of the two, in whole seconds, at least 1.
unsigned Route::retry_after_seconds() const {
  std::lock_guard lock(stats_mutex_);
  std::optional<double> seconds;
  if (double median = detail::log2_quantile(call_ns_histogram_, 0.5); median > 0)
    seconds = median / 1e9;
  if (!deadlines_.empty()) {
    double left = std::chrono::duration<double>(*deadlines_.begin() - Clock::now()).count();
    seconds = std::min(seconds.value_or(left), std::max(left, 0.0));
  }
  return static_cast<unsigned>(std::clamp(std::ceil(seconds.value_or(1.0)), 1.0, 86400.0));
}

void Route::record(unsigned status, uint64_t duration_ns) {
  size_t bucket = detail::log2_bucket(duration_ns, stats_.duration_ns_histogram.size());
  std::lock_guard lock(stats_mutex_);
  ++stats_.responses[status];
  ++stats_.duration_ns_histogram[bucket];
  stats_.duration_ns_sum += duration_ns;
}

std::string Route::file_digest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return detail::sha256_bytes_hex(bytes.str());
}

// Bounds one route's worker threads (max_concurrency is the configured share).
constexpr size_t kMaxRouteWorkers = 1024;

void Route::start_workers() {
  if (workers_) return;
  const size_t n = std::clamp<size_t>(config_.max_concurrency, 1, kMaxRouteWorkers);
  workers_.emplace(n);
  // One setup job per thread, each held until all have started: every thread runs exactly one,
  // so each is named and at the route's priority before any request reaches it. The jobs share
  // the latch: a thread may still be returning from its wait after this function has returned.
  auto started = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(n));
  for (size_t i = 0; i < n; ++i)
    boost::asio::post(*workers_, [this, started] {
      set_up_worker();
      started->arrive_and_wait();
    });
  started->wait();
}

void Route::join_workers() {
  if (workers_) workers_->join();
}

void Route::set_up_worker() {
  // Each route warns once (its workers all fail alike), and only where the route asked for less
  // CPU than it gets: SCHED_BATCH for normal and low routes only saves context switches.
  auto warn = [&](const char* what) {
    int err = errno;
    std::call_once(priority_warned_, [&] {
      spdlog::warn("route {}: cannot set its workers' {} ({}); they keep the server's",
                   config_.path, what, std::strerror(err));
    });
  };
  // SCHED_BATCH only from SCHED_OTHER: a server started under SCHED_IDLE (or a real-time policy)
  // keeps its workers there.
  auto batch = [&] {
    sched_param param{};
    param.sched_priority = 0;
    if (sched_getscheduler(0) != SCHED_OTHER) return;
    if (int rc = pthread_setschedparam(pthread_self(), SCHED_BATCH, &param))
      spdlog::debug("route {}: workers stay at SCHED_OTHER ({})", config_.path, std::strerror(rc));
  };
  if (int err = pin_calling_thread(config_.cpus)) {
    std::call_once(cpus_warned_, [&] {
      spdlog::warn("route {}: cannot keep its workers to its cpus ({}); they run on any",
                   config_.path, std::strerror(err));
    });
  }
  switch (config_.cpu_priority) {
    case CpuPriority::interactive:
      break;
    case CpuPriority::normal:
      batch();
      break;
    case CpuPriority::low: {
      batch();
      // Never raises it: a server started at nice 15 keeps its workers there. (On Linux the nice
      // value is each thread's own, and PRIO_PROCESS 0 names the calling thread.)
      errno = 0;
      int nice = ::getpriority(PRIO_PROCESS, 0);
      if (errno == 0 && nice < 10 && ::setpriority(PRIO_PROCESS, 0, 10) != 0) warn("nice value");
      break;
    }
    case CpuPriority::idle: {
      sched_param param{};
      param.sched_priority = 0;
      if (int rc = pthread_setschedparam(pthread_self(), SCHED_IDLE, &param)) {
        errno = rc;
        warn("scheduling policy (SCHED_IDLE)");
      }
      break;
    }
  }
  // Named last: whoever sees the name sees the worker's final CPUs and priority.
  std::string name = "wisp " + config_.path;
  name.resize(std::min<size_t>(name.size(), 15));  // the kernel's limit, without the NUL
  pthread_setname_np(pthread_self(), name.c_str());
}

RouteStats Route::stats() const {
  RouteStats s;
  {
    std::lock_guard lock(stats_mutex_);
    s = stats_;
  }
  s.instances = strategy_->stats();
  s.running = work_.running();
  s.waiting = work_.waiting();
  return s;
}

}  // namespace wisp::serve
