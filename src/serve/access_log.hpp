// The server's access log: one line per answered request, as JSON lines or in the combined
// format of Apache and nginx (with wisp's fields appended), written through spdlog to stdout,
// stderr or a file. Off (the default), no line is formatted: Server keeps no AccessLog at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wisp/serve.hpp"

namespace spdlog {
class logger;
}

namespace wisp::serve {

struct AccessEntry {
  std::string_view client;  // "address:port" of the peer
  std::string_view method;
  std::string_view target;  // path and query as sent
  unsigned version = 11;    // HTTP/1.x: 10 or 11
  unsigned status = 0;
  uint64_t bytes = 0;        // of the response body
  uint64_t duration_us = 0;  // from the request's head to the answer
  std::string_view route;    // the route's path; empty for a built-in page or none
  std::string_view strategy;
  uint64_t lease_wait_us = 0;  // waiting for an instance
  uint64_t instance = 0;       // Lease::instance_id(); 0: no instance
  std::string_view user_agent;
  std::string_view referer;
};

class AccessLog {
 public:
  // The log `config` asks for, or null when it is off. Throws wisp::Error if the file cannot be
  // opened.
  static std::unique_ptr<AccessLog> open(const ServerConfig& config);
  ~AccessLog();
  void write(const AccessEntry& e);
  // The line write() would log (for tests and for write itself).
  static std::string format(const AccessEntry& e, AccessLogFormat format,
                            std::chrono::system_clock::time_point when);

 private:
  AccessLog(std::shared_ptr<spdlog::logger> logger, AccessLogFormat format);
  std::shared_ptr<spdlog::logger> logger_;
  AccessLogFormat format_;
};

}  // namespace wisp::serve
