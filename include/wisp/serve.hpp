// The HTTP server: routes map a path to a module, a sharing strategy and limits. A request runs
// the route's export on a leased instance, either as a function (arguments from the query or a
// JSON body, results as JSON) or as a WASI program (the body on stdin, the response from
// stdout, the request in CGI-style environment variables). /metrics serves Prometheus text,
// /healthz a liveness answer, and / a dashboard of the routes.
//
//   wisp::ServerConfig config = wisp::ServerConfig::from_toml_file("serve.toml");
//   wisp::Server server(config);   // compiles every module, makes every strategy
//   server.start();                // listening (config.port 0: an ephemeral port, see port())
//   ...
//   server.stop();                 // stops accepting, lets requests in flight finish
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wisp/engine.hpp"
#include "wisp/limits.hpp"
#include "wisp/strategy.hpp"
#include "wisp/wasi.hpp"

namespace wisp {

// The scheduling priority of a route's worker threads (RouteConfig::cpu_priority). Workers at
// normal and low run under SCHED_BATCH: a worker that is handed a request does not preempt the
// thread that handed it over (an HTTP thread finishes the sockets that are ready first, and the
// worker then takes the requests queued meanwhile in one turn). Where a CPU is idle the worker
// starts there at once; on a busy CPU this saves a context switch per request.
enum class CpuPriority {
  normal,       // the share of CPU of the server's other threads (SCHED_BATCH, nice 0)
  low,          // nice 10: about a tenth of a normal thread's share of a busy CPU (SCHED_BATCH)
  idle,         // SCHED_IDLE: only CPU time no other thread wants (a batch route; it may starve)
  interactive,  // SCHED_OTHER, nice 0: preempts a busy CPU's thread as soon as it is handed a
                // request (on a busy machine, a context switch per request)
};

enum class RouteMode {
  function,  // export(args...) -> results: GET ?args=1,2 or POST a JSON array; JSON results
  wasi,      // a WASI program: body -> stdin, stdout -> response body, request -> environment
};

struct RouteConfig {
  std::string path;  // exact match ("/resize"), or a prefix ending in "/*" ("/api/*")
  std::filesystem::path module;
  RouteMode mode = RouteMode::function;
  // The export a request calls. Function mode: required. WASI mode: "_start" (a command; each
  // request needs a clean instance, so the strategy must reset or be fresh) or a reactor's
  // export (after "_initialize" ran as the snapshot's init).
  std::string export_name;
  std::string init_export;  // run once before the snapshot (Wizer-style), e.g. "_initialize"
  // SnapshotOptions::keep_grown_bytes: memory a request grew, zeroed and kept resident by the
  // reset up to this many bytes (a guest that allocates the same large buffers every request).
  uint64_t keep_grown_bytes = 0;
  StrategyKind strategy = StrategyKind::pool;
  Policy policy;
  // max_memory_pages, max_table_elements, call_timeout (30 s unless set, and never 0: a call runs
  // on a worker thread, which an endless loop would otherwise hold for good), fuel (only with
  // EngineConfig::consume_fuel; the server refuses it otherwise).
  Limits limits = [] {
    Limits l;
    l.call_timeout = std::chrono::seconds(30);
    return l;
  }();
  std::chrono::milliseconds acquire_timeout{1000};  // waiting for an instance: then 503
  uint64_t max_body_bytes = 1 << 20;                // larger request bodies: 413
  // Guest calls run on worker threads of the route's own, never on those that read and write
  // HTTP: max_concurrency of them, so at most that many of this route's requests run at once (0:
  // as many as the server has serving threads), at most max_queue more wait their turn, and a
  // request beyond both is answered 503 with Retry-After at once. A route's requests never take
  // another route's workers.
  uint32_t max_concurrency = 0;
  uint32_t max_queue = 256;
  // The priority of this route's workers (Linux; lowering it needs no privilege): a heavy or
  // batch route at `low` or `idle` leaves the CPU to the others' requests first, so on a machine
  // with fewer cores than busy workers its calls cannot raise their latency. The workers are
  // named after the route ("wisp /thumbnail", 15 bytes at most) for top -H and perf.
  CpuPriority cpu_priority = CpuPriority::normal;
  // The CPUs this route's workers run on (Linux CPU numbers; empty: any the process may use). A
  // heavy route kept to cores of its own takes no CPU time from the other routes' requests when
  // the HTTP threads and the other routes are kept off those cores too (ServerConfig::cpus, and
  // their own cpus). A CPU the process may not run on is an error at start. (Checked against the
  // CPUs of the thread that builds the server, which the threads it starts inherit: the
  // process's, unless an embedding program pinned that thread.)
  std::vector<unsigned> cpus;
  // WASI mode: the program's configuration (args, env, preopens). The request adds its own
  // environment (REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING, CONTENT_TYPE,
  // CONTENT_LENGTH, HTTP_<HEADER> for header fields named with letters, digits and '-' only,
  // Proxy excepted, never trailers) and stdin; stdout is collected up to max_output_bytes (more:
  // 502).
  WasiConfig wasi;
  uint64_t max_output_bytes = 8 << 20;
  std::string content_type = "application/octet-stream";  // of a WASI route's response
  // WASI mode: the output starts with CGI response headers (RFC 3875 6.2) and an empty line;
  // Content-Type and Status ("404 Not Found") are taken from them, other fields ignored. Output
  // without a valid header section is a 502.
  bool cgi_response = false;

  bool operator==(const RouteConfig&) const = default;
};

enum class AccessLogFormat { json, combined };

struct ServerConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: an ephemeral port (Server::port() says which)
  unsigned threads = 0;  // threads serving requests; 0: one per core
  // The CPUs those threads run on (empty: any; see RouteConfig::cpus); threads = 0 then means
  // one per CPU listed.
  std::vector<unsigned> cpus;
  // A connection silent this long is closed; a request's head, and then its body, must each
  // arrive within it.
  std::chrono::milliseconds idle_timeout{30000};
  uint64_t max_header_bytes = 16 << 10;  // the request line and header fields: more is a 431
  uint64_t max_trailer_bytes = 4 << 10;  // a chunked body's trailers (dropped): more is a 431
  // All chunk extensions of one request together (ignored): more is a 400. A chunk-size line is
  // held to this plus the trailer limit plus 64 bytes.
  uint64_t max_chunk_extension_bytes = 4 << 10;
  // A chunked body's framing: its chunk-size lines (extensions aside) and line ends, together:
  // more is a 400 (e.g. a body sent as one-byte chunks, or with long runs of leading zeros).
  uint64_t max_chunk_framing_bytes = 64 << 10;
  // Connections at once. start() raises the descriptor limit (RLIMIT_NOFILE) to its hard limit
  // and lowers this cap to what the process can open with a reserve (Server::max_connections()
  // tells the cap in force). Beyond it a connection gets one answer and is closed: /healthz and
  // /metrics as usual, anything else 503. A connection costs about 3.3 KiB of the server's
  // memory even when silent (bench/hostile_mix.sh): the default keeps an idle flood at the cap
  // within the server's own idle footprint (as nginx's 512 per worker); raise it for more clients.
  size_t max_connections = 512;
  // The accessible bytes of all linear memories of the process together (every route's
  // instances; wisp::set_memory_budget): an instantiation beyond it is a 503, a memory.grow
  // beyond it returns -1 to the guest. 0: three quarters of the physical memory.
  uint64_t memory_budget = 0;
  // The access log: one line per answered request (time, client, method, target, status, body
  // bytes, duration, route, strategy, time waiting for an instance, which instance). "" (off: no
  // line is formatted), "stdout", "stderr" or a file (appended to; each line written at once).
  std::string access_log;
  // JSON lines, or Apache/nginx's combined format followed by wisp's fields as key=value.
  AccessLogFormat access_log_format = AccessLogFormat::json;
  // HTTPS: a PEM certificate chain and its private key (both, or neither for plain HTTP). The
  // server then speaks HTTP/1.1 over TLS (1.2 or later) only; a handshake must complete within
  // idle_timeout.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  EngineConfig engine;
  Tier tier = Tier::automatic;
  std::vector<RouteConfig> routes;

  // Reads a TOML configuration (see examples/serve.toml); module and preopen paths are relative
  // to the file's directory. Throws wisp::Error naming the file, the route and the key.
  static ServerConfig from_toml_file(const std::filesystem::path& file);
  static ServerConfig from_toml(std::string_view text, const std::filesystem::path& base_dir);
};

// Per-route counters (the strategy's own statistics are Strategy::stats()).
struct RouteStats {
  std::string path;
  StrategyKind strategy = StrategyKind::pool;
  std::map<unsigned, uint64_t> responses;  // by HTTP status
  // Request durations (from the request's arrival to the response): bucket i counts requests
  // of [2^i, 2^(i+1)) ns.
  std::array<uint64_t, 40> duration_ns_histogram{};
  uint64_t duration_ns_sum = 0;
  uint64_t requests() const;
  double duration_ns_quantile(double q) const;
  StrategyStats instances;
  // Now: requests running on the workers, and waiting for one (RouteConfig::max_concurrency,
  // max_queue).
  uint64_t running = 0;
  uint64_t waiting = 0;
};

// What Server::reload did, by route path.
struct ReloadReport {
  std::vector<std::string> kept;     // same configuration and module bytes: instances kept
  std::vector<std::string> rebuilt;  // changed: built anew (module compiled, instances fresh)
  std::vector<std::string> added;
  std::vector<std::string> removed;
  // [server] and [engine] settings that differ but only take effect at a restart (they keep
  // their values): "listen", "threads", "tls", "max_connections", "memory_budget", "access_log",
  // "limits" (the HTTP limits), "tier", "engine".
  std::vector<std::string> ignored;
};

namespace detail {
class ServerImpl;
}

class Server {
 public:
  // Compiles every route's module and makes its strategy: errors (a module that does not
  // compile or link, an export that is missing or of the wrong kind) throw wisp::Error naming
  // the route.
  explicit Server(ServerConfig config);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on the configured threads; throws wisp::Error if it cannot bind.
  void start();
  // The port bound (after start()).
  uint16_t port() const;
  // The connection cap in force (after start()): ServerConfig::max_connections, lowered to fit
  // the descriptor limit.
  size_t max_connections() const;
  // Stops accepting, closes idle connections, waits (up to `grace`) for requests in flight.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // Blocks until stop() is called (from another thread or a signal handler's thread).
  void wait();
  // Live reload: replaces the routes with `config`'s while serving. The new routes are built
  // (modules compiled, strategies made) before any request sees them; then new requests go to
  // them, and requests already running or waiting finish on the routes they started on. A route
  // whose configuration and module bytes are unchanged is kept as it is (instances, statistics).
  // Throws wisp::Error naming the route when the new configuration cannot work: the old routes
  // keep serving. Thread-safe; one reload runs at a time. Settings outside the routes take
  // effect at a restart only (ReloadReport::ignored).
  ReloadReport reload(ServerConfig config);

  std::vector<RouteStats> stats() const;
  // The /metrics text (Prometheus exposition format 0.0.4).
  std::string metrics_text() const;

 private:
  std::unique_ptr<detail::ServerImpl> impl_;
};

}  // namespace wisp
