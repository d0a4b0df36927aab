#include "client/load_stats.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/classifier_client.h"

namespace wersa::client {
namespace {

LoadStats::Sample Completed(absl::Time at, bool measured, int code = 0) {
  LoadStats::Sample sample;
  sample.measured = measured;
  sample.completed = at;
  sample.latency = absl::Milliseconds(100);
  sample.code = code;
  sample.tokens = code == 0 ? 1000 : 0;
  sample.target = "a";
  return sample;
}

// Throughput counts what finished inside the window, whenever it was sent;
// latencies and codes count what was sent inside it, whenever it finished.
TEST(LoadStatsTest, ThroughputCountsCompletionsInsideTheWindow) {
  const absl::Time from = absl::FromUnixSeconds(1000);
  const absl::Time to = from + absl::Seconds(10);
  LoadStats stats;
  stats.Record(Completed(from - absl::Seconds(1), false));  // warm-up, before
  stats.Record(Completed(from + absl::Seconds(1), false));  // warm-up, inside
  for (int i = 0; i < 6; ++i)
    stats.Record(Completed(from + absl::Seconds(2 + i), true));
  stats.Record(Completed(from + absl::Seconds(8), true, 14));  // UNAVAILABLE
  stats.Record(Completed(to + absl::Seconds(20), true));       // finished after

  const LoadStats::Report report = stats.Finish(from, to);
  EXPECT_DOUBLE_EQ(report.seconds, 10.0);
  EXPECT_DOUBLE_EQ(report.requests_per_second, 0.8);  // 8 of them in [from, to)
  EXPECT_DOUBLE_EQ(report.ok_per_second, 0.7);
  EXPECT_DOUBLE_EQ(report.tokens_per_second, 700.0);
  EXPECT_EQ(report.requests, 8);  // the measured ones
  EXPECT_EQ(report.ok, 7);
  EXPECT_EQ(report.codes.at("OK"), 7);
  EXPECT_EQ(report.codes.at("UNAVAILABLE"), 1);
  EXPECT_EQ(report.latency.count, 8);
}

// The log keeps each request's times, target and outcome, the message for
// errors only.
TEST(LoadStatsTest, RequestLogHasOneLinePerRequest) {
  const absl::Time at = absl::FromUnixMillis(1700000000250);
  LoadStats stats;
  stats.Record(Completed(at, false));
  LoadStats::Sample failed = Completed(at + absl::Seconds(1), true, 14);
  failed.target = "ipv4:127.0.0.1:50052";
  failed.message = "Socket closed";
  stats.Record(failed);

  const std::vector<std::string> lines =
      absl::StrSplit(stats.RequestLog(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json ok = nlohmann::json::parse(lines[0]);
  EXPECT_DOUBLE_EQ(ok["sent"].get<double>(), 1700000000.150);
  EXPECT_DOUBLE_EQ(ok["completed"].get<double>(), 1700000000.250);
  EXPECT_EQ(ok["measured"], false);
  EXPECT_EQ(ok["target"], "a");
  EXPECT_EQ(ok["code"], "OK");
  EXPECT_FALSE(ok.contains("message"));
  const nlohmann::json error = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(error["measured"], true);
  EXPECT_EQ(error["target"], "ipv4:127.0.0.1:50052");
  EXPECT_EQ(error["code"], "UNAVAILABLE");
  EXPECT_EQ(error["message"], "Socket closed");
}

TEST(LoadStatsTest, CodeNamesFollowGrpc) {
  EXPECT_EQ(CodeName(0), "OK");
  EXPECT_EQ(CodeName(8), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(CodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(CodeName(42), "42");
}

}  // namespace
}  // namespace wersa::client
