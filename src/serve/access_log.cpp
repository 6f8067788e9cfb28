// The access log (access_log.hpp): formatting of JSON lines and combined-format lines, and the
// spdlog logger they go to.
#include "serve/access_log.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "wisp/error.hpp"

namespace wisp::serve {

namespace {

// Time as ISO 8601 in UTC with milliseconds (JSON), or as [05/Dec/2026:23:30:00 +0000] (combined).
std::string time_text(std::chrono::system_clock::time_point when, bool iso) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
  std::time_t t = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  if (iso) {
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
  } else {
    std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  }
  return buf;
}

// A field of the combined format between quotes: quotes and backslashes escaped, control bytes
// as \xHH (a client's bytes must not forge a log line).
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string or_dash(std::string_view s) {
  return s.empty() ? "-" : std::string(s);
}

}  // namespace

std::string AccessLog::format(const AccessEntry& e, AccessLogFormat format,
                              std::chrono::system_clock::time_point when) {
  if (format == AccessLogFormat::json) {
    nlohmann::json j = {
        {"time", time_text(when, true)},
        {"client", e.client},
        {"method", e.method},
        {"target", e.target},
        {"status", e.status},
        {"bytes", e.bytes},
        {"duration_us", e.duration_us},
        {"route", e.route},
        {"strategy", e.strategy},
        {"lease_wait_us", e.lease_wait_us},
        {"instance", e.instance},
    };
    // Invalid UTF-8 from a client is replaced, never a throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // client - - [time] "METHOD target HTTP/1.1" status bytes "referer" "agent" then wisp's own.
  std::string_view host = e.client.substr(0, e.client.rfind(':'));
  std::string out(host);
  out += " - - [" + time_text(when, false) + "] ";
  std::string request(e.method);
  request += ' ';
  request += e.target;
  request += e.version == 10 ? " HTTP/1.0" : " HTTP/1.1";
  append_quoted(out, request);
  out += ' ' + std::to_string(e.status) + ' ' + std::to_string(e.bytes) + ' ';
  append_quoted(out, e.referer.empty() ? "-" : e.referer);
  out += ' ';
  append_quoted(out, e.user_agent.empty() ? "-" : e.user_agent);
  out += " duration_us=" + std::to_string(e.duration_us) + " route=" + or_dash(e.route) +
         " strategy=" + or_dash(e.strategy) + " lease_wait_us=" + std::to_string(e.lease_wait_us) +
         " instance=" + std::to_string(e.instance);
  return out;
}

std::unique_ptr<AccessLog> AccessLog::open(const ServerConfig& config) {
  if (config.access_log.empty()) return nullptr;
  spdlog::sink_ptr sink;
  if (config.access_log == "stdout") {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else if (config.access_log == "stderr") {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.access_log, false);
    } catch (const std::exception& e) {
      throw Error("access_log: cannot open " + config.access_log + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("wisp.access", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);  // each line reaches the file when it is written
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(logger), config.access_log_format));
}

AccessLog::AccessLog(std::shared_ptr<spdlog::logger> logger, AccessLogFormat format)
    : logger_(std::move(logger)), format_(format) {}

AccessLog::~AccessLog() = default;

void AccessLog::write(const AccessEntry& e) {
  logger_->info(format(e, format_, std::chrono::system_clock::now()));
}

}  // namespace wisp::serve
