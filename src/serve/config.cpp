// The server's TOML configuration (toml++, header-only): [server], [engine] and [[route]] tables.
// Unknown keys and values of the wrong type are errors naming the file, the table and the key,
// so a typo never silently falls back to a default.
#include <strings.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "wisp/serve.hpp"

namespace wisp {

namespace {

class Table {
 public:
  Table(const toml::table& t, std::string where) : t_(t), where_(std::move(where)) {}

  // Every key of the table must have been read by now.
  void check_all_used() const {
    for (const auto& [k, v] : t_) {
      (void)v;
      if (!used_.count(std::string(k.str())))
        throw Error(where_ + ": unknown key '" + std::string(k.str()) + "'");
    }
  }

  std::optional<std::string> str(const char* key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) throw type_error(key, "a string");
    return n->value<std::string>();
  }
  std::optional<int64_t> integer(const char* key, int64_t lo, int64_t hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) throw type_error(key, "an integer");
    int64_t v = *n->value<int64_t>();
    if (v < lo || v > hi)
      throw Error(where_ + ": '" + key + "' must be between " + std::to_string(lo) + " and " +
                  std::to_string(hi));
    return v;
  }
  // A size in bytes: an integer, or a string such as "512 MiB" (B, KiB, MiB, GiB, TiB).
  std::optional<uint64_t> size(const char* key, uint64_t lo, uint64_t hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    uint64_t v = 0;
    if (n->is_integer()) {
      int64_t i = *n->value<int64_t>();
      if (i < 0) throw range_error(key, lo, hi);
      v = uint64_t(i);
    } else if (n->is_string()) {
      std::string text = *n->value<std::string>();
      char* end = nullptr;
      errno = 0;
      unsigned long long number = std::strtoull(text.c_str(), &end, 10);
      std::string unit(end);
      unit.erase(0, unit.find_first_not_of(' '));
      int shift = -1;
      const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
      for (int u = 0; u < 5; ++u) {
        if (strcasecmp(unit.c_str(), units[u]) == 0) shift = 10 * u;
      }
      if (end == text.c_str() || !std::isdigit(static_cast<unsigned char>(text[0])) ||
          errno == ERANGE || shift < 0)
        throw type_error(key, "a number of bytes, or a string such as \"512 MiB\"");
      if (shift && number > (UINT64_MAX >> shift)) throw range_error(key, lo, hi);
      v = uint64_t(number) << shift;
    } else {
      throw type_error(key, "a number of bytes, or a string such as \"512 MiB\"");
    }
    if (v < lo || v > hi) throw range_error(key, lo, hi);
    return v;
  }
  bool has(const char* key) const { return t_.get(key) != nullptr; }
  std::optional<bool> boolean(const char* key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) throw type_error(key, "true or false");
    return n->value<bool>();
  }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    const toml::node* n = get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) throw type_error(key, "an array of strings");
    for (const toml::node& e : *a) {
      if (!e.is_string()) throw type_error(key, "an array of strings");
      out.push_back(*e.value<std::string>());
    }
    return out;
  }
  // CPU numbers: an array of integers from 0 to 1023.
  std::vector<unsigned> cpus(const char* key) {
    std::vector<unsigned> out;
    const toml::node* n = get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a || a->empty()) throw type_error(key, "an array of CPU numbers");
    for (const toml::node& e : *a) {
      if (!e.is_integer()) throw type_error(key, "an array of CPU numbers");
      int64_t v = *e.value<int64_t>();
      if (v < 0 || v > 1023)
        throw Error(where_ + ": '" + key + "' must list CPU numbers from 0 to 1023");
      out.push_back(unsigned(v));
    }
    return out;
  }
  std::optional<Table> table(const char* key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_table()) throw type_error(key, "a table");
    return Table(*n->as_table(), where_ + "." + key);
  }
  const std::string& where() const { return where_; }
  void mark_used(const char* key) { used_.insert(key); }
  Error error(const std::string& what) const { return Error(where_ + ": " + what); }

 private:
  const toml::node* get(const char* key) {
    used_.insert(key);
    return t_.get(key);
  }
  Error type_error(const char* key, const char* want) const {
    return Error(where_ + ": '" + key + "' must be " + want);
  }
  Error range_error(const char* key, uint64_t lo, uint64_t hi) const {
    return Error(where_ + ": '" + key + "' must be between " + std::to_string(lo) + " and " +
                 std::to_string(hi) + " bytes");
  }
  const toml::table& t_;
  std::string where_;
  std::set<std::string> used_;
};

template <typename T>
void set_if(std::optional<T> v, T& out) {
  if (v) out = *v;
}

StrategyKind strategy_of(const Table& t, const std::string& s) {
  for (StrategyKind k : {StrategyKind::fresh, StrategyKind::shared, StrategyKind::pool,
                         StrategyKind::per_thread, StrategyKind::contexts, StrategyKind::threads}) {
    if (s == strategy_kind_name(k)) return k;
  }
  throw t.error("strategy '" + s +
                "' is not one of fresh, shared, pool, per_thread, contexts, threads");
}

Tier tier_of(const Table& t, const std::string& s) {
  if (s == "0") return Tier::tier0;
  if (s == "1") return Tier::tier1;
  if (s == "auto") return Tier::automatic;
  throw t.error("tier '" + s + "' is not one of \"0\", \"1\", \"auto\"");
}

// "HOST[::GUEST]", HOST relative to the configuration's directory.
WasiPreopen preopen_of(const Table& t, const std::string& spec, bool readonly,
                       const std::filesystem::path& base) {
  size_t sep = spec.find("::");
  std::string host = spec.substr(0, sep);
  std::string guest = sep == std::string::npos ? host : spec.substr(sep + 2);
  if (host.empty() || guest.empty())
    throw t.error("bad directory '" + spec + "': use HOST[::GUEST]");
  return {(base / host).lexically_normal().string(), guest, readonly};
}

constexpr int64_t kMaxU32 = UINT32_MAX;
constexpr int64_t kMaxI64 = INT64_MAX;
// Durations in milliseconds: at most a year (they become nanoseconds and deadlines from now).
constexpr int64_t kMaxMs = int64_t{365} * 24 * 3600 * 1000;

// A key that would be accepted and then do nothing is an error naming it (a setting either does
// something or is refused).
void check_meaningful(const Table& t, const RouteConfig& r, const ServerConfig& server) {
  const char* name = strategy_kind_name(r.strategy);
  auto only = [&](const char* key, std::initializer_list<StrategyKind> kinds) {
    if (!t.has(key) || std::find(kinds.begin(), kinds.end(), r.strategy) != kinds.end()) return;
    std::string which;
    for (StrategyKind k : kinds)
      which += std::string(which.empty() ? "" : ", ") + strategy_kind_name(k);
    throw t.error("'" + std::string(key) + "' does nothing under strategy " + name + " (only " +
                  which + ")");
  };
  using K = StrategyKind;
  only("max_instances", {K::fresh, K::pool, K::threads});
  only("min_warm", {K::pool, K::threads});
  only("on_release", {K::shared, K::pool, K::per_thread, K::threads});
  only("recycle_after_uses", {K::shared, K::pool, K::per_thread, K::threads});
  only("memory_high_water_bytes", {K::shared, K::pool, K::per_thread});
  only("keep_grown_memory", {K::shared, K::pool, K::per_thread});
  const ReleaseAction release = r.policy.on_release.value_or(
      r.strategy == K::pool ? ReleaseAction::reset : ReleaseAction::keep);
  if (t.has("keep_grown_memory") && release != ReleaseAction::reset)
    throw t.error(
        "'keep_grown_memory' does nothing unless instances are reset (on_release = "
        "\"reset\")");
  only("idle_timeout_ms", {K::shared, K::pool, K::threads});
  only("fuel_per_lease", {K::fresh, K::shared, K::pool, K::per_thread, K::threads});
  only("acquire_timeout_ms", {K::fresh, K::shared, K::pool, K::contexts, K::threads});
  only("contexts", {K::contexts});
  if (r.strategy == K::fresh && t.has("acquire_timeout_ms") && !t.has("max_instances"))
    throw t.error(
        "'acquire_timeout_ms' does nothing: a fresh route without max_instances never waits");
  for (const char* key : {"fuel", "fuel_per_lease"}) {
    if (t.has(key) && !server.engine.consume_fuel)
      throw t.error("'" + std::string(key) + "' does nothing without [engine] consume_fuel = true");
  }
  if (r.mode == RouteMode::function) {
    for (const char* key : {"max_output_bytes", "content_type", "cgi_response"}) {
      if (t.has(key))
        throw t.error("'" + std::string(key) +
                      "' does nothing on a function route (only mode = \"wasi\")");
    }
  }
}

RouteConfig route_of(Table t, const std::filesystem::path& base, const ServerConfig& server) {
  RouteConfig r;
  auto path = t.str("path");
  if (!path) throw t.error("'path' is required");
  r.path = *path;
  auto module = t.str("module");
  if (!module) throw t.error("'module' is required");
  r.module = (base / *module).lexically_normal();
  if (auto mode = t.str("mode")) {
    if (*mode == "function") {
      r.mode = RouteMode::function;
    } else if (*mode == "wasi") {
      r.mode = RouteMode::wasi;
    } else {
      throw t.error("mode '" + *mode + "' is not one of function, wasi");
    }
  }
  set_if(t.str("export"), r.export_name);
  set_if(t.str("init"), r.init_export);
  if (auto s = t.str("strategy")) r.strategy = strategy_of(t, *s);
  if (auto v = t.integer("max_instances", 0, kMaxU32)) r.policy.max_instances = uint32_t(*v);
  if (auto v = t.integer("min_warm", 0, kMaxU32)) r.policy.min_warm = uint32_t(*v);
  if (auto s = t.str("on_release")) {
    if (*s == "keep") {
      r.policy.on_release = ReleaseAction::keep;
    } else if (*s == "reset") {
      r.policy.on_release = ReleaseAction::reset;
    } else if (*s == "recycle") {
      r.policy.on_release = ReleaseAction::recycle;
    } else {
      throw t.error("on_release '" + *s + "' is not one of keep, reset, recycle");
    }
  }
  if (auto v = t.integer("recycle_after_uses", 0, kMaxI64))
    r.policy.recycle_after_uses = uint64_t(*v);
  if (auto v = t.integer("memory_high_water_bytes", 0, kMaxI64))
    r.policy.memory_high_water_bytes = uint64_t(*v);
  if (auto v = t.integer("idle_timeout_ms", 0, kMaxMs))
    r.policy.idle_timeout = std::chrono::milliseconds(*v);
  if (auto v = t.integer("fuel_per_lease", 0, kMaxI64)) r.policy.fuel_per_lease = uint64_t(*v);
  if (auto v = t.integer("acquire_timeout_ms", 0, kMaxMs))
    r.acquire_timeout = std::chrono::milliseconds(*v);
  if (auto v = t.integer("max_concurrency", 1, 4096)) r.max_concurrency = uint32_t(*v);
  if (auto v = t.integer("max_queue", 0, 1 << 20)) r.max_queue = uint32_t(*v);
  r.cpus = t.cpus("cpus");
  if (auto s = t.str("cpu_priority")) {
    if (*s == "normal") {
      r.cpu_priority = CpuPriority::normal;
    } else if (*s == "low") {
      r.cpu_priority = CpuPriority::low;
    } else if (*s == "idle") {
      r.cpu_priority = CpuPriority::idle;
    } else if (*s == "interactive") {
      r.cpu_priority = CpuPriority::interactive;
    } else {
      throw t.error("cpu_priority '" + *s + "' is not one of normal, low, idle, interactive");
    }
  }
  // At least 1: every route has a call timeout (0 would let one call hold a thread for good).
  if (auto v = t.integer("timeout_ms", 1, kMaxMs))
    r.limits.call_timeout = std::chrono::milliseconds(*v);
  if (t.has("max_memory") && t.has("max_memory_pages"))
    throw t.error("'max_memory' and 'max_memory_pages' both set the largest memory: use one");
  if (auto v = t.integer("max_memory_pages", 0, 65536)) r.limits.max_memory_pages = uint32_t(*v);
  if (auto v = t.size("max_memory", 65536, uint64_t{4} << 30)) {
    if (*v % 65536) throw t.error("'max_memory' must be a multiple of 64 KiB (a page)");
    if (server.memory_budget && *v > server.memory_budget)
      throw t.error("'max_memory' (" + std::to_string(*v) +
                    " bytes) exceeds [engine] memory_budget (" +
                    std::to_string(server.memory_budget) + " bytes)");
    r.limits.max_memory_pages = uint32_t(*v / 65536);
  }
  if (auto v = t.size("keep_grown_memory", 0, uint64_t{4} << 30)) r.keep_grown_bytes = *v;
  if (auto v = t.integer("max_table_elements", 0, kMaxU32))
    r.limits.max_table_elements = uint32_t(*v);
  if (auto v = t.integer("fuel", 0, kMaxI64)) r.limits.fuel = uint64_t(*v);
  if (auto v = t.integer("max_body_bytes", 0, kMaxI64)) r.max_body_bytes = uint64_t(*v);
  if (auto v = t.integer("max_output_bytes", 0, kMaxI64)) r.max_output_bytes = uint64_t(*v);
  set_if(t.str("content_type"), r.content_type);
  set_if(t.boolean("cgi_response"), r.cgi_response);
  r.wasi.args = t.strings("args");
  r.wasi.env = t.strings("env");
  for (const std::string& d : t.strings("dirs"))
    r.wasi.preopens.push_back(preopen_of(t, d, false, base));
  for (const std::string& d : t.strings("dirs_ro"))
    r.wasi.preopens.push_back(preopen_of(t, d, true, base));
  if (auto c = t.table("contexts")) {
    ContextsOptions& o = r.policy.contexts;
    if (auto v = c->integer("region_bytes", 1, int64_t{1} << 30)) o.region_bytes = uint64_t(*v);
    if (auto v = c->integer("max_contexts", 1, kMaxU32)) o.max_contexts = uint32_t(*v);
    set_if(c->boolean("enforce"), o.enforce);
    set_if(c->boolean("use_pkeys"), o.use_pkeys);
    c->check_all_used();
  }
  t.check_all_used();
  check_meaningful(t, r, server);
  return r;
}

ServerConfig parse(std::string_view text, const std::filesystem::path& base,
                   const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    throw Error(name + ": " + std::string(e.description()) + " (" + where.str() + ")");
  }
  ServerConfig c;
  Table top(root, name);
  if (auto s = top.table("server")) {
    if (auto listen = s->str("listen")) {
      size_t colon = listen->rfind(':');
      if (colon == std::string::npos) throw s->error("listen '" + *listen + "' is not HOST:PORT");
      c.address = listen->substr(0, colon);
      if (c.address.size() >= 2 && c.address.front() == '[' && c.address.back() == ']')
        c.address = c.address.substr(1, c.address.size() - 2);
      std::string port = listen->substr(colon + 1);
      char* end = nullptr;
      unsigned long p = std::strtoul(port.c_str(), &end, 10);
      if (port.empty() || *end != '\0' || p > 65535)
        throw s->error("bad port in '" + *listen + "'");
      c.port = static_cast<uint16_t>(p);
    }
    if (auto v = s->integer("threads", 0, 1024)) c.threads = unsigned(*v);
    c.cpus = s->cpus("cpus");
    if (auto v = s->integer("idle_timeout_ms", 1, kMaxMs))
      c.idle_timeout = std::chrono::milliseconds(*v);
    if (auto v = s->integer("max_header_bytes", 256, 1 << 20)) c.max_header_bytes = uint64_t(*v);
    if (auto v = s->integer("max_trailer_bytes", 0, 1 << 20)) c.max_trailer_bytes = uint64_t(*v);
    if (auto v = s->integer("max_chunk_extension_bytes", 0, 1 << 20))
      c.max_chunk_extension_bytes = uint64_t(*v);
    if (auto v = s->integer("max_chunk_framing_bytes", 64, 1 << 30))
      c.max_chunk_framing_bytes = uint64_t(*v);
    if (auto v = s->integer("max_connections", 1, 1 << 20)) c.max_connections = size_t(*v);
    if (auto log = s->str("access_log")) {
      if (*log == "off") {
        c.access_log.clear();
      } else if (*log == "stdout" || *log == "stderr") {
        c.access_log = *log;
      } else if (!log->empty()) {
        c.access_log = (base / *log).lexically_normal().string();
      } else {
        throw s->error("access_log is empty (use \"off\", \"stdout\", \"stderr\" or a file)");
      }
    }
    for (auto [key, field] :
         {std::pair{"tls_cert", &c.tls_cert}, std::pair{"tls_key", &c.tls_key}}) {
      if (auto v = s->str(key)) {
        if (v->empty()) throw s->error(std::string(key) + " is empty");
        *field = (base / *v).lexically_normal();
      }
    }
    if (c.tls_cert.empty() != c.tls_key.empty())
      throw s->error("tls_cert and tls_key go together: give both, or neither");
    if (auto f = s->str("access_log_format")) {
      if (*f == "json") {
        c.access_log_format = AccessLogFormat::json;
      } else if (*f == "combined") {
        c.access_log_format = AccessLogFormat::combined;
      } else {
        throw s->error("access_log_format '" + *f + "' is not json or combined");
      }
      if (c.access_log.empty()) throw s->error("access_log_format does nothing without access_log");
    }
    s->check_all_used();
  }
  if (auto e = top.table("engine")) {
    if (auto tier = e->str("tier")) c.tier = tier_of(*e, *tier);
    if (auto dir = e->str("cache_dir")) c.engine.cache_dir = (base / *dir).lexically_normal();
    set_if(e->boolean("consume_fuel"), c.engine.consume_fuel);
    if (auto v = e->size("memory_budget", 1 << 20, uint64_t{1} << 50)) c.memory_budget = *v;
    e->check_all_used();
  }
  if (const toml::node* routes = root.get("route")) {
    const toml::array* a = routes->as_array();
    if (!a) throw Error(name + ": 'route' must be an array of tables ([[route]])");
    size_t i = 0;
    for (const toml::node& n : *a) {
      ++i;
      if (!n.is_table()) throw Error(name + ": 'route' must be an array of tables ([[route]])");
      c.routes.push_back(
          route_of(Table(*n.as_table(), name + ": route " + std::to_string(i)), base, c));
    }
  }
  top.mark_used("route");
  top.check_all_used();
  return c;
}

}  // namespace

ServerConfig ServerConfig::from_toml(std::string_view text, const std::filesystem::path& base_dir) {
  return parse(text, base_dir, "configuration");
}

ServerConfig ServerConfig::from_toml_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.parent_path(), file.string());
}

}  // namespace wisp
