#include "server/logger.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wersa::server {
namespace {

constexpr const char* kLevelNames[] = {"debug", "info", "warning", "error"};

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (int i = 0; i < 4; ++i) {
    if (lower == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "log level '", name, "' is not debug, info, warning or error"));
}

Logger::Logger(LogLevel min_level, std::FILE* out)
    : min_level_(min_level), out_(out) {}

void Logger::Log(LogLevel level, absl::string_view event,
                 nlohmann::json fields) {
  if (!Enabled(level)) return;
  fields["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                    absl::UTCTimeZone());
  fields["level"] = kLevelNames[static_cast<int>(level)];
  fields["event"] = std::string(event);
  // Replace, not throw, on invalid UTF-8 in a field (e.g. a client's request
  // id).
  const std::string line =
      fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  const std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace wersa::server
