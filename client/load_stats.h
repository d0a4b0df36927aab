#ifndef WERSA_CLIENT_LOAD_STATS_H_
#define WERSA_CLIENT_LOAD_STATS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace wersa::client {

struct LatencySummary {
  int64_t count = 0;
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0,
         max_ms = 0;
};

// Exact percentiles (sorted samples; the nearest rank): a run's samples fit
// in memory, and approximations would blur the tail this tool exists to show.
LatencySummary Summarize(std::vector<double> milliseconds);

// What a load run observed; thread-safe.
class LoadStats {
 public:
  struct Sample {
    // Sent in the measurement window (after the warm-up). Only these count
    // in latencies and codes; throughput counts every completion inside the
    // window, so requests sent during the warm-up are counted when they
    // finish inside it and requests still running at its end are not.
    bool measured = true;
    absl::Time completed;
    absl::Duration latency;  // from the intended send time
    int code = 0;            // gRPC status code
    std::string message;     // the status message (errors only)
    int64_t tokens = 0;      // tokens the server read (OK only)
    absl::Duration queue, tokenize,
        inference;  // the server's breakdown (OK only)
    int batch_size = 0;
    std::string target;  // the address sent to, or the peer that answered
  };

  void Record(const Sample& sample);
  int64_t completed() const;
  int64_t ok() const;

  struct Report {
    double seconds = 0;
    int64_t requests = 0, ok = 0, tokens = 0;
    double requests_per_second = 0, ok_per_second = 0, tokens_per_second = 0;
    LatencySummary latency;  // every completed request, errors included
    std::map<std::string, int64_t> codes;
    std::map<std::string, int64_t> per_target;
    LatencySummary server_queue, server_tokenize, server_inference;
    double mean_batch_size = 0;
  };
  // The report for the measurement window [from, to).
  Report Finish(absl::Time from, absl::Time to) const;

  // One JSON object per request, in completion order: "sent" and
  // "completed" (Unix seconds), "measured", "target", "code" and, for errors,
  // "message"; for checking when and where requests failed against outside
  // events (a replica killed at a known time).
  std::string RequestLog() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Sample> samples_;
};

nlohmann::json ToJson(const LoadStats::Report& report);
std::string FormatReport(const LoadStats::Report& report);

}  // namespace wersa::client

#endif  // WERSA_CLIENT_LOAD_STATS_H_
