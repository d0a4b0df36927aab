#ifndef WERSA_SERVER_LOGGER_H_
#define WERSA_SERVER_LOGGER_H_

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wersa::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);

// Structured logs: one JSON object per line, {"time", "level", "event", ...}.
// Document text never goes into a log line; callers pass ids and counts.
class Logger {
 public:
  explicit Logger(LogLevel min_level, std::FILE* out = stderr);

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  void Log(LogLevel level, absl::string_view event,
           nlohmann::json fields = nlohmann::json::object());

 private:
  LogLevel min_level_;
  std::FILE* out_;
  std::mutex mutex_;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_LOGGER_H_
