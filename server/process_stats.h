#ifndef WERSA_SERVER_PROCESS_STATS_H_
#define WERSA_SERVER_PROCESS_STATS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"

namespace wersa::server {

// This process as the kernel reports it (/proc/self/...).
struct ProcessStats {
  int64_t resident_bytes = 0;      // VmRSS
  int64_t max_resident_bytes = 0;  // VmHWM: the peak of VmRSS
  double cpu_seconds = 0.0;        // user + system
  int64_t open_fds = 0;
  double start_time_seconds = 0.0;  // since the Unix epoch
  // The control group's memory limit (cgroup v2 memory.max, or v1
  // memory.limit_in_bytes); nullopt when there is none.
  std::optional<int64_t> memory_limit_bytes;
};

// Reads /proc/self/status, /proc/self/stat, /proc/self/fd and /proc/stat
// (an error names the file that could not be read or parsed), and the memory
// limit under /sys/fs/cgroup where there is one.
absl::StatusOr<ProcessStats> ReadProcessStats();

}  // namespace wersa::server

#endif  // WERSA_SERVER_PROCESS_STATS_H_
