#include "client/load_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/classifier_client.h"

namespace wersa::client {
namespace {

double Percentile(const std::vector<double>& sorted, double fraction) {
  const auto rank = static_cast<size_t>(
      std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

nlohmann::json LatencyJson(const LatencySummary& s) {
  return {{"count", s.count},   {"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms},
          {"p90_ms", s.p90_ms}, {"p99_ms", s.p99_ms},   {"p999_ms", s.p999_ms},
          {"max_ms", s.max_ms}};
}

std::string LatencyLine(const std::string& name, const LatencySummary& s) {
  return absl::StrFormat("  %-18s %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", name,
                         s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms,
                         s.max_ms);
}

}  // namespace

LatencySummary Summarize(std::vector<double> ms) {
  LatencySummary s;
  s.count = static_cast<int64_t>(ms.size());
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) /
              static_cast<double>(ms.size());
  s.p50_ms = Percentile(ms, 0.50);
  s.p90_ms = Percentile(ms, 0.90);
  s.p99_ms = Percentile(ms, 0.99);
  s.p999_ms = Percentile(ms, 0.999);
  s.max_ms = ms.back();
  return s;
}

void LoadStats::Record(const Sample& sample) {
  const std::lock_guard<std::mutex> lock(mutex_);
  samples_.push_back(sample);
}

int64_t LoadStats::completed() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(samples_.size());
}

int64_t LoadStats::ok() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return std::count_if(samples_.begin(), samples_.end(),
                       [](const Sample& s) { return s.code == 0; });
}

LoadStats::Report LoadStats::Finish(absl::Time from, absl::Time to) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  Report report;
  report.seconds = absl::ToDoubleSeconds(to - from);
  std::vector<double> latency, queue, tokenize, inference;
  double batch_sum = 0;
  int64_t done_in_window = 0, ok_in_window = 0, tokens_in_window = 0;
  for (const Sample& s : samples_) {
    if (s.completed >= from && s.completed < to) {
      ++done_in_window;
      if (s.code == 0) {
        ++ok_in_window;
        tokens_in_window += s.tokens;
      }
    }
    if (!s.measured) continue;
    ++report.requests;
    ++report.codes[CodeName(s.code)];
    ++report.per_target[s.target];
    latency.push_back(absl::ToDoubleMilliseconds(s.latency));
    if (s.code != 0) continue;
    ++report.ok;
    report.tokens += s.tokens;
    queue.push_back(absl::ToDoubleMilliseconds(s.queue));
    tokenize.push_back(absl::ToDoubleMilliseconds(s.tokenize));
    inference.push_back(absl::ToDoubleMilliseconds(s.inference));
    batch_sum += s.batch_size;
  }
  const double seconds = std::max(report.seconds, 1e-9);
  report.requests_per_second = static_cast<double>(done_in_window) / seconds;
  report.ok_per_second = static_cast<double>(ok_in_window) / seconds;
  report.tokens_per_second = static_cast<double>(tokens_in_window) / seconds;
  report.latency = Summarize(std::move(latency));
  report.server_queue = Summarize(std::move(queue));
  report.server_tokenize = Summarize(std::move(tokenize));
  report.server_inference = Summarize(std::move(inference));
  report.mean_batch_size =
      report.ok > 0 ? batch_sum / static_cast<double>(report.ok) : 0.0;
  return report;
}

std::string LoadStats::RequestLog() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const Sample& s : samples_) {
    nlohmann::json line = {
        {"sent",
         absl::ToDoubleSeconds(s.completed - s.latency - absl::UnixEpoch())},
        {"completed", absl::ToDoubleSeconds(s.completed - absl::UnixEpoch())},
        {"measured", s.measured},
        {"target", s.target},
        {"code", CodeName(s.code)}};
    if (s.code != 0) line["message"] = s.message;
    absl::StrAppend(&out, line.dump(), "\n");
  }
  return out;
}

nlohmann::json ToJson(const LoadStats::Report& r) {
  return {{"seconds", r.seconds},
          {"requests", r.requests},
          {"ok", r.ok},
          {"tokens", r.tokens},
          {"requests_per_second", r.requests_per_second},
          {"ok_per_second", r.ok_per_second},
          {"tokens_per_second", r.tokens_per_second},
          {"latency", LatencyJson(r.latency)},
          {"codes", r.codes},
          {"per_target", r.per_target},
          {"server",
           {{"queue", LatencyJson(r.server_queue)},
            {"tokenize", LatencyJson(r.server_tokenize)},
            {"inference", LatencyJson(r.server_inference)},
            {"mean_batch_size", r.mean_batch_size}}}};
}

std::string FormatReport(const LoadStats::Report& r) {
  std::string out = absl::StrFormat(
      "requests %d (%d OK) in %.1f s: %.2f req/s, %.2f OK/s, %.0f tokens/s\n",
      r.requests, r.ok, r.seconds, r.requests_per_second, r.ok_per_second,
      r.tokens_per_second);
  absl::StrAppend(&out, "status codes:");
  for (const auto& [code, count] : r.codes)
    absl::StrAppend(&out, " ", code, "=", count);
  absl::StrAppend(&out, "\n");
  if (r.per_target.size() > 1) {
    absl::StrAppend(&out, "per target:");
    for (const auto& [target, count] : r.per_target)
      absl::StrAppend(&out, " ", target, "=", count);
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(
      &out, absl::StrFormat("\n  %-18s %8s %8s %8s %8s %8s %8s\n", "ms", "mean",
                            "p50", "p90", "p99", "p99.9", "max"));
  absl::StrAppend(&out, LatencyLine("client latency", r.latency));
  absl::StrAppend(&out, LatencyLine("server queue", r.server_queue));
  absl::StrAppend(&out, LatencyLine("server tokenize", r.server_tokenize));
  absl::StrAppend(&out, LatencyLine("server inference", r.server_inference));
  absl::StrAppend(
      &out, absl::StrFormat("  mean batch size %.2f\n", r.mean_batch_size));
  return out;
}

}  // namespace wersa::client
