#include "server/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace wersa::server {
namespace {

absl::StatusOr<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of a "Name:   123 kB" line of /proc/self/status, in bytes.
absl::StatusOr<int64_t> StatusKilobytes(const std::string& status,
                                        absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, ":")) {
      continue;
    }
    absl::ConsumeSuffix(&line, "kB");
    int64_t kilobytes = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kilobytes)) {
      return kilobytes * 1024;
    }
  }
  return absl::UnavailableError(
      absl::StrCat("no ", name, " in /proc/self/status"));
}

// Above this a cgroup v1 limit means "none" (it reads as about 2^63).
constexpr int64_t kNoLimit = int64_t{1} << 60;

std::optional<int64_t> MemoryLimit() {
  for (const char* path : {"/sys/fs/cgroup/memory.max",
                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) continue;
    int64_t limit = 0;  // v2 says "max" when there is none
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &limit) &&
        limit > 0 && limit < kNoLimit) {
      return limit;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ProcessStats> ReadProcessStats() {
  ProcessStats stats;
  absl::StatusOr<std::string> status = ReadFile("/proc/self/status");
  if (!status.ok()) return status.status();
  absl::StatusOr<int64_t> rss = StatusKilobytes(*status, "VmRSS");
  absl::StatusOr<int64_t> hwm = StatusKilobytes(*status, "VmHWM");
  if (!rss.ok()) return rss.status();
  if (!hwm.ok()) return hwm.status();
  stats.resident_bytes = *rss;
  stats.max_resident_bytes = *hwm;

  // /proc/self/stat: "pid (comm) state ..." where comm may hold spaces; the
  // fields after the last ')' start at field 3 (state).
  absl::StatusOr<std::string> stat = ReadFile("/proc/self/stat");
  if (!stat.ok()) return stat.status();
  const size_t close = stat->rfind(')');
  const std::vector<absl::string_view> fields =
      close == std::string::npos
          ? std::vector<absl::string_view>()
          : absl::StrSplit(absl::string_view(*stat).substr(close + 2), ' ',
                           absl::SkipEmpty());
  // Fields 14 (utime), 15 (stime) and 22 (starttime), counted from 1.
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3, kStart = 22 - 3;
  double utime = 0, stime = 0, start_ticks = 0;
  if (fields.size() <= kStart || !absl::SimpleAtod(fields[kUtime], &utime) ||
      !absl::SimpleAtod(fields[kStime], &stime) ||
      !absl::SimpleAtod(fields[kStart], &start_ticks)) {
    return absl::UnavailableError("cannot parse /proc/self/stat");
  }
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  stats.cpu_seconds = (utime + stime) / ticks_per_second;

  absl::StatusOr<std::string> system = ReadFile("/proc/stat");
  if (!system.ok()) return system.status();
  double boot_time = -1;
  for (absl::string_view line : absl::StrSplit(*system, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ") &&
        absl::SimpleAtod(absl::StripAsciiWhitespace(line), &boot_time)) {
      break;
    }
  }
  if (boot_time < 0) return absl::UnavailableError("no btime in /proc/stat");
  stats.start_time_seconds = boot_time + start_ticks / ticks_per_second;

  const std::unique_ptr<DIR, int (*)(DIR*)> fds(opendir("/proc/self/fd"),
                                                &closedir);
  if (fds == nullptr) {
    return absl::UnavailableError("cannot read /proc/self/fd");
  }
  int64_t entries = 0;
  while (const dirent* entry = readdir(fds.get())) {
    if (entry->d_name[0] != '.') ++entries;
  }
  stats.open_fds = entries - 1;  // the directory stream's own descriptor
  stats.memory_limit_bytes = MemoryLimit();
  return stats;
}

}  // namespace wersa::server
