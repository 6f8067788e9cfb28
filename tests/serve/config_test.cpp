// The server's TOML configuration: every key reaches its field, paths are relative to the file,
// and mistakes (unknown keys, wrong types, bad values, missing keys) are errors that name them.
#include <gtest/gtest.h>

#include <fstream>

#include "support/wat.hpp"
#include "wisp/serve.hpp"

namespace wisp::test {
namespace {

TEST(ServeConfig, EveryKeyReachesItsField) {
  ServerConfig c = ServerConfig::from_toml(R"(
[server]
listen = "0.0.0.0:9000"
threads = 3
cpus = [0, 2]
idle_timeout_ms = 1500
max_header_bytes = 4096
max_trailer_bytes = 512
max_chunk_extension_bytes = 100
max_chunk_framing_bytes = 2000
max_connections = 77

[engine]
tier = "0"
cache_dir = "cache"
consume_fuel = true
memory_budget = "2 GiB"

[[route]]
path = "/f"
module = "mods/f.wasm"
export = "f"
init = "_initialize"
strategy = "pool"
max_instances = 6
min_warm = 2
on_release = "recycle"
recycle_after_uses = 100
memory_high_water_bytes = 1048576
idle_timeout_ms = 2000
fuel_per_lease = 5000
acquire_timeout_ms = 250
timeout_ms = 75
max_memory_pages = 32
max_table_elements = 1000
fuel = 9000
max_body_bytes = 2048
cpus = [3]

[[route]]
path = "/cgi/*"
module = "/abs/prog.wasm"
mode = "wasi"
strategy = "fresh"
args = ["prog", "-v"]
env = ["A=1"]
dirs = ["data::/data"]
dirs_ro = ["static"]
max_output_bytes = 4096
content_type = "text/html"

[[route]]
path = "/kv"
module = "kv.wasm"
export = "update_value"
strategy = "contexts"
max_memory = "64 MiB"
[route.contexts]
region_bytes = 8192
max_contexts = 16
enforce = false
use_pkeys = false
)",
                                           "/srv/conf");
  EXPECT_EQ(c.address, "0.0.0.0");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.cpus, (std::vector<unsigned>{0, 2}));
  EXPECT_EQ(c.idle_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.max_header_bytes, 4096u);
  EXPECT_EQ(c.max_trailer_bytes, 512u);
  EXPECT_EQ(c.max_chunk_extension_bytes, 100u);
  EXPECT_EQ(c.max_chunk_framing_bytes, 2000u);
  EXPECT_EQ(c.max_connections, 77u);
  EXPECT_EQ(c.memory_budget, uint64_t{2} << 30);
  EXPECT_EQ(c.tier, Tier::tier0);
  EXPECT_EQ(c.engine.cache_dir, std::filesystem::path("/srv/conf/cache"));
  EXPECT_TRUE(c.engine.consume_fuel);
  ASSERT_EQ(c.routes.size(), 3u);
  const RouteConfig& f = c.routes[0];
  EXPECT_EQ(f.path, "/f");
  EXPECT_EQ(f.module, std::filesystem::path("/srv/conf/mods/f.wasm"));
  EXPECT_EQ(f.mode, RouteMode::function);
  EXPECT_EQ(f.export_name, "f");
  EXPECT_EQ(f.init_export, "_initialize");
  EXPECT_EQ(f.strategy, StrategyKind::pool);
  EXPECT_EQ(f.cpus, std::vector<unsigned>{3});
  EXPECT_TRUE(c.routes[1].cpus.empty());
  EXPECT_EQ(f.policy.max_instances, 6u);
  EXPECT_EQ(f.policy.min_warm, 2u);
  EXPECT_EQ(f.policy.on_release, ReleaseAction::recycle);
  EXPECT_EQ(f.policy.recycle_after_uses, 100u);
  EXPECT_EQ(f.policy.memory_high_water_bytes, 1048576u);
  EXPECT_EQ(f.policy.idle_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(f.policy.fuel_per_lease, 5000u);
  EXPECT_EQ(f.acquire_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(f.limits.call_timeout, std::chrono::milliseconds(75));
  EXPECT_EQ(f.limits.max_memory_pages, 32u);
  EXPECT_EQ(f.limits.max_table_elements, 1000u);
  EXPECT_EQ(f.limits.fuel, 9000u);
  EXPECT_EQ(f.max_body_bytes, 2048u);
  const RouteConfig& w = c.routes[1];
  EXPECT_EQ(w.module, std::filesystem::path("/abs/prog.wasm"));
  EXPECT_EQ(w.mode, RouteMode::wasi);
  EXPECT_EQ(w.strategy, StrategyKind::fresh);
  EXPECT_EQ(w.wasi.args, (std::vector<std::string>{"prog", "-v"}));
  EXPECT_EQ(w.wasi.env, (std::vector<std::string>{"A=1"}));
  ASSERT_EQ(w.wasi.preopens.size(), 2u);
  EXPECT_EQ(w.wasi.preopens[0].host, "/srv/conf/data");
  EXPECT_EQ(w.wasi.preopens[0].guest, "/data");
  EXPECT_FALSE(w.wasi.preopens[0].readonly);
  EXPECT_EQ(w.wasi.preopens[1].host, "/srv/conf/static");
  EXPECT_EQ(w.wasi.preopens[1].guest, "static");
  EXPECT_TRUE(w.wasi.preopens[1].readonly);
  EXPECT_EQ(w.max_output_bytes, 4096u);
  EXPECT_EQ(w.content_type, "text/html");
  EXPECT_EQ(c.routes[2].limits.max_memory_pages, 1024u);  // 64 MiB
  const ContextsOptions& k = c.routes[2].policy.contexts;
  EXPECT_EQ(k.region_bytes, 8192u);
  EXPECT_EQ(k.max_contexts, 16u);
  EXPECT_FALSE(k.enforce);
  EXPECT_FALSE(k.use_pkeys);
}

TEST(ServeConfig, DefaultsWithoutOptionalTables) {
  ServerConfig c = ServerConfig::from_toml("[[route]]\npath = \"/a\"\nmodule = \"a.wasm\"\n", ".");
  EXPECT_EQ(c.address, "127.0.0.1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.tier, Tier::automatic);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].strategy, StrategyKind::pool);
  EXPECT_EQ(c.routes[0].mode, RouteMode::function);
  // Every route has a call timeout unless it sets its own.
  EXPECT_EQ(c.routes[0].limits.call_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.memory_budget, 0u);  // the server picks three quarters of the physical memory
  EXPECT_EQ(c.routes[0].keep_grown_bytes, 0u);
  ServerConfig kept = ServerConfig::from_toml(
      "[[route]]\npath = \"/a\"\nmodule = \"a.wasm\"\nkeep_grown_memory = \"16 MiB\"\n", ".");
  EXPECT_EQ(kept.routes[0].keep_grown_bytes, uint64_t{16} << 20);
  EXPECT_EQ(c.routes[0].cpu_priority, CpuPriority::normal);
  for (auto [text, want] : {std::pair{"low", CpuPriority::low},
                            {"idle", CpuPriority::idle},
                            {"interactive", CpuPriority::interactive},
                            {"normal", CpuPriority::normal}}) {
    ServerConfig p = ServerConfig::from_toml(
        std::string("[[route]]\npath = \"/a\"\nmodule = \"a.wasm\"\ncpu_priority = \"") + text +
            "\"\n",
        ".");
    EXPECT_EQ(p.routes[0].cpu_priority, want) << text;
  }
}

void expect_config_error(const std::string& text, const std::string& fragment) {
  try {
    ServerConfig::from_toml(text, ".");
    ADD_FAILURE() << "expected an error containing '" << fragment << "' for:\n" << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ServeConfig, MistakesAreErrorsThatNameThem) {
  const std::string route = "[[route]]\npath = \"/a\"\nmodule = \"a.wasm\"\n";
  expect_config_error("[server]\nlisten = \"127.0.0.1:8080\"\nthreds = 2\n",
                      "unknown key 'threds'");
  expect_config_error(route + "strategy = \"pooled\"\n", "strategy 'pooled'");
  expect_config_error(route + "timeout_ms = \"100\"\n", "'timeout_ms' must be an integer");
  expect_config_error(route + "timeout_ms = -1\n", "'timeout_ms' must be between");
  expect_config_error(route + "mode = \"cgi\"\n", "mode 'cgi'");
  expect_config_error(route + "on_release = \"drop\"\n", "on_release 'drop'");
  expect_config_error(route + "dirs = \"data\"\n", "'dirs' must be an array of strings");
  expect_config_error(route + "[route.contexts]\nregion = 1\n", "unknown key 'region'");
  expect_config_error("[[route]]\nmodule = \"a.wasm\"\n", "'path' is required");
  expect_config_error("[[route]]\npath = \"/a\"\n", "'module' is required");
  expect_config_error("[server]\nlisten = \"localhost\"\n", "is not HOST:PORT");
  expect_config_error("[server]\nlisten = \"127.0.0.1:99999\"\n", "bad port");
  expect_config_error("[server]\ntls_cert = \"cert.pem\"\n", "tls_cert and tls_key go together");
  expect_config_error("[server]\ntls_key = \"key.pem\"\n", "tls_cert and tls_key go together");
  expect_config_error("[server]\ntls_cert = \"\"\ntls_key = \"k\"\n", "tls_cert is empty");
  expect_config_error("[engine]\ntier = \"2\"\n", "tier '2'");
  expect_config_error("route = 3\n", "array of tables");
  expect_config_error("[server\nlisten = 1\n", "configuration");  // a TOML syntax error
  expect_config_error(route + "unknown_thing = 1\n", "route 1: unknown key 'unknown_thing'");
  expect_config_error(route + "cpus = \"0-1\"\n", "'cpus' must be an array of CPU numbers");
  expect_config_error(route + "cpus = []\n", "'cpus' must be an array of CPU numbers");
  expect_config_error(route + "cpus = [1, \"2\"]\n", "'cpus' must be an array of CPU numbers");
  expect_config_error(route + "cpus = [1024]\n", "'cpus' must list CPU numbers from 0 to 1023");
  expect_config_error("[server]\ncpus = [-1]\n" + route,
                      "'cpus' must list CPU numbers from 0 to 1023");
  expect_config_error(route + "cpu_priority = \"high\"\n",
                      "cpu_priority 'high' is not one of normal, low, idle, interactive");
}

// Keys that would be accepted and then do nothing are errors naming them.
TEST(ServeConfig, KeysThatWouldDoNothingAreErrors) {
  const std::string route = "[[route]]\npath = \"/a\"\nmodule = \"a.wasm\"\nexport = \"f\"\n";
  expect_config_error(route + "timeout_ms = 0\n", "'timeout_ms' must be between 1 and");
  expect_config_error(route + "fuel = 100\n", "'fuel' does nothing without [engine] consume_fuel");
  expect_config_error(route + "fuel_per_lease = 100\n",
                      "'fuel_per_lease' does nothing without [engine] consume_fuel");
  expect_config_error(route + "strategy = \"fresh\"\non_release = \"keep\"\n",
                      "'on_release' does nothing under strategy fresh");
  expect_config_error(route + "strategy = \"contexts\"\non_release = \"reset\"\n",
                      "'on_release' does nothing under strategy contexts");
  expect_config_error(route + "strategy = \"shared\"\nmin_warm = 1\n",
                      "'min_warm' does nothing under strategy shared");
  expect_config_error(route + "strategy = \"fresh\"\nkeep_grown_memory = \"1 MiB\"\n",
                      "'keep_grown_memory' does nothing under strategy fresh");
  expect_config_error(route + "strategy = \"shared\"\nkeep_grown_memory = \"1 MiB\"\n",
                      "'keep_grown_memory' does nothing unless instances are reset");
  expect_config_error(route + "on_release = \"keep\"\nkeep_grown_memory = 4096\n",
                      "'keep_grown_memory' does nothing unless instances are reset");
  expect_config_error(route + "strategy = \"per_thread\"\nmin_warm = 1\n",
                      "'min_warm' does nothing under strategy per_thread");
  expect_config_error(route + "strategy = \"shared\"\nmax_instances = 4\n",
                      "'max_instances' does nothing under strategy shared");
  expect_config_error(route + "strategy = \"per_thread\"\nacquire_timeout_ms = 5\n",
                      "'acquire_timeout_ms' does nothing under strategy per_thread");
  expect_config_error(route + "strategy = \"fresh\"\nacquire_timeout_ms = 5\n",
                      "fresh route without max_instances never waits");
  expect_config_error(route + "strategy = \"per_thread\"\nidle_timeout_ms = 5\n",
                      "'idle_timeout_ms' does nothing under strategy per_thread");
  expect_config_error(route + "strategy = \"pool\"\n[route.contexts]\nmax_contexts = 2\n",
                      "'contexts' does nothing under strategy pool");
  expect_config_error(route + "max_output_bytes = 100\n",
                      "'max_output_bytes' does nothing on a function route");
  expect_config_error(route + "content_type = \"text/plain\"\n",
                      "'content_type' does nothing on a function route");
  expect_config_error(route + "cgi_response = true\n",
                      "'cgi_response' does nothing on a function route");
  // Memory: sizes, the budget and a route's own limit.
  expect_config_error("[engine]\nmemory_budget = \"12 parsecs\"\n", "'memory_budget' must be");
  expect_config_error("[engine]\nmemory_budget = 1000\n", "'memory_budget' must be between");
  expect_config_error(route + "max_memory = 100000\n", "multiple of 64 KiB");
  expect_config_error(route + "max_memory = \"1 MiB\"\nmax_memory_pages = 16\n", "use one");
  expect_config_error(
      "[engine]\nmemory_budget = \"64 MiB\"\n" + route + "max_memory = \"128 MiB\"\n",
      "'max_memory' (134217728 bytes) exceeds [engine] memory_budget");
  // The same keys where they do something are accepted.
  ServerConfig ok = ServerConfig::from_toml(
      "[engine]\nconsume_fuel = true\n" + route +
          "strategy = \"fresh\"\nmax_instances = 2\nacquire_timeout_ms = 5\nfuel = 10\n"
          "fuel_per_lease = 10\n",
      ".");
  EXPECT_EQ(ok.routes.at(0).acquire_timeout, std::chrono::milliseconds(5));
}

TEST(ServeConfig, ReadsAFileRelativeToItsDirectory) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "conf");
  std::ofstream(dir.path() / "conf" / "serve.toml")
      << "[[route]]\npath = \"/a\"\nmodule = \"../mods/a.wasm\"\n";
  ServerConfig c = ServerConfig::from_toml_file(dir.path() / "conf" / "serve.toml");
  EXPECT_EQ(c.routes.at(0).module, (dir.path() / "mods" / "a.wasm").lexically_normal());
  EXPECT_THROW(ServerConfig::from_toml_file(dir.path() / "missing.toml"), Error);
}

}  // namespace
}  // namespace wisp::test
