// A program built against an installed wisp's shared libraries (wisp::wisp, wisp::serve): what
// the shared libwisp.so carries inside it works from outside. Exits 1 naming the first failure.
//   shared_check WORK_DIR   (a writable directory: the module file and the tier-1 cache)
// Checks: a .wat file assembled (libwabt inside the library), tier 0 (libtcc inside the library)
// and tier 1 (cc, then dlopen) running the same module with a host function, a trap and a
// compile error caught by their types across the library boundary, and a wisp::Server from
// libwisp_serve.so answering /healthz and a function route.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "wisp/serve.hpp"
#include "wisp/wisp.hpp"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

const char* const kModuleText = R"((module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (func (export "add_twice") (param i32 i32) (result i32)
    (call $twice (i32.add (local.get 0) (local.get 1))))
  (func (export "boom") unreachable))
)";
const char* const kRouteModuleText = R"((module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))))";

// One HTTP/1.0 GET on 127.0.0.1:port; the whole answer, or "" if the connection failed.
std::string http_get(uint16_t port, const std::string& target) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + target + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) answer.append(buf, n);
    }
  }
  close(fd);
  return answer;
}

void check_tier(const wisp::Module& module, wisp::Tier tier) {
  const std::string name = wisp::tier_name(tier);
  wisp::Linker linker;
  linker.func_wrap("env", "twice", [](int32_t x) { return 2 * x; });
  wisp::TemplateOptions options;
  options.tier = tier;
  wisp::Instance instance = linker.instantiate(module, options);
  check(instance.tier() == tier, name + ": the instance runs this tier");
  auto add_twice = instance.func<int32_t(int32_t, int32_t)>("add_twice");
  check(add_twice(20, 1) == 42, name + ": add_twice(20, 1) == 42 through a host function");
  try {
    instance.func<void()>("boom")();
    check(false, name + ": unreachable traps");
  } catch (const wisp::Trap& trap) {
    check(trap.kind() == wisp::TrapKind::unreachable, name + ": wisp::Trap(unreachable) caught");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: shared_check WORK_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string wat_path = dir + "/add_twice.wat";
  const std::string route_wat_path = dir + "/add.wat";
  std::ofstream(wat_path) << kModuleText;
  std::ofstream(route_wat_path) << kRouteModuleText;
  try {
    wisp::EngineConfig config;
    config.cache_dir = dir + "/cache";
    config.background_tier1 = false;  // compile() returns with tier 1 built
    wisp::Engine engine(config);
    wisp::Module module = engine.compile_file(wat_path);
    check(module.tier1_ready(), "tier 1 built by the system C compiler");
    check_tier(module, wisp::Tier::tier0);
    check_tier(module, wisp::Tier::tier1);

    const std::vector<uint8_t> not_wasm = {'\0', 'e', 'l', 'f', 1, 0, 0, 0};
    try {
      engine.compile(not_wasm);
      check(false, "bad bytes are refused");
    } catch (const wisp::CompileError& e) {
      check(std::string(e.what()).find("magic") != std::string::npos,
            std::string("wisp::CompileError caught: ") + e.what());
    }

    wisp::ServerConfig server_config;
    server_config.port = 0;
    server_config.threads = 1;
    wisp::RouteConfig route;
    route.path = "/add";
    route.module = route_wat_path;
    route.export_name = "add";
    server_config.routes.push_back(route);
    server_config.engine = config;
    wisp::Server server(server_config);
    server.start();
    check(http_get(server.port(), "/healthz").find(" 200 ") != std::string::npos,
          "wisp::Server answers /healthz");
    const std::string answer = http_get(server.port(), "/add?args=20,22");
    check(answer.find(" 200 ") != std::string::npos && answer.find("42") != std::string::npos,
          "wisp::Server answers /add?args=20,22 with 42");
    server.stop();
  } catch (const wisp::Error& e) {
    check(false, std::string("unexpected wisp::Error: ") + e.what());
  }
  return failures == 0 ? 0 : 1;
}
