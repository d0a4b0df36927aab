// The real wersa-server binary's HTTP operations endpoint: a live /metrics
// scrape checked by promtool and by value, /healthz and /readyz through a
// drain, the endpoint switched off, and a real Prometheus server scraping the
// service while it answers a known number of requests, queried with PromQL.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "model/bundle.h"
#include "tests/model/test_bundle.h"
#include "tests/server/exposition.h"
#include "tests/server/http_client.h"
#include "tests/server/prometheus_process.h"
#include "tests/server/server_process.h"
#include "tests/subprocess.h"
#include "wersa/v1/classifier.grpc.pb.h"

namespace wersa {
namespace {

using testing::HasSubstr;
using testing::Not;
using testing_support::HttpGet;
using testing_support::HttpResponse;
using testing_support::PrometheusProcess;
using testing_support::Sample;
using testing_support::ServerProcess;

std::string BundleDirectory() {
  static const std::string dir = [] {
    std::string path = ::testing::TempDir() + "/metrics_test_bundle." +
                       std::to_string(getpid());
    ModelConfig config = testing_support::SmallConfig();
    config.version = "test-7";
    EXPECT_TRUE(
        SaveBundle(testing_support::RandomBundle(config, 78), path).ok());
    return path;
  }();
  return dir;
}

std::string Text(int words, uint32_t seed) {
  return testing_support::GeneratedDocuments(1, 4, words, seed).front();
}

class MetricsEndpointTest : public testing::Test {
 protected:
  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--model_dir", BundleDirectory(),
                                          "--threads", "1"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(WERSA_SERVER_BINARY, arguments);
    ASSERT_TRUE(server_->started()) << absl::StrJoin(server_->Lines(), "\n");
    channel_ = grpc::CreateChannel(server_->target(),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::DocumentClassifier::NewStub(channel_);
  }

  grpc::Status Classify(const std::string& text,
                        v1::ClassifyResponse* response) {
    v1::ClassifyRequest request;
    request.set_text(text);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    return stub_->Classify(&context, request, response);
  }

  std::string Scrape() {
    const HttpResponse response = HttpGet(server_->metrics_port(), "/metrics");
    EXPECT_EQ(response.status, 200);
    return response.body;
  }

  // Scrapes until `name` reads `value` (at most 10 s); the last reading.
  std::optional<double> AwaitSample(const std::string& name, double value) {
    std::optional<double> reading;
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    do {
      reading = Sample(Scrape(), name);
      if (reading == value) break;
      absl::SleepFor(absl::Milliseconds(20));
    } while (absl::Now() < give_up);
    return reading;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DocumentClassifier::Stub> stub_;
};

TEST_F(MetricsEndpointTest, LiveScrapePassesPromtoolAndCountsWhatHappened) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_tokens", "500"}));
  ASSERT_GT(server_->metrics_port(), 0);
  int64_t tokens = 0;
  for (const int words : {40, 200, 600}) {  // the last is truncated to 500
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(Text(words, words), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    tokens += response.num_tokens();
  }
  v1::ClassifyResponse response;
  EXPECT_EQ(Classify("", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const HttpResponse scrape = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_THAT(scrape.content_type, HasSubstr("text/plain; version=0.0.4"));
  const std::string& text = scrape.body;

  // promtool parses and lints the live exposition.
  const std::string file = ::testing::TempDir() + "/metrics_test_scrape." +
                           std::to_string(getpid()) + ".txt";
  std::ofstream(file) << text;
  const testing_support::CommandResult promtool = testing_support::RunCommand(
      absl::StrCat(PROMTOOL_BINARY, " check metrics < '", file, "'"));
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output << "\n" << text;
  std::remove(file.c_str());

  for (const char* family :
       {"# TYPE wersa_requests_total counter",
        "# TYPE wersa_request_duration_seconds histogram",
        "# TYPE wersa_queue_duration_seconds histogram",
        "# TYPE wersa_tokenize_duration_seconds histogram",
        "# TYPE wersa_inference_duration_seconds histogram",
        "# TYPE wersa_batch_size histogram",
        "# TYPE wersa_batch_tokens histogram",
        "# TYPE wersa_request_tokens histogram",
        "# TYPE wersa_tokens_total counter",
        "# TYPE wersa_truncated_total counter",
        "# TYPE wersa_rejected_total counter",
        "# TYPE wersa_queue_tokens gauge",
        "# TYPE wersa_inflight_requests gauge",
        "# TYPE wersa_model_info gauge",
        "# TYPE wersa_queue_capacity_tokens gauge",
        "# TYPE wersa_ready gauge",
        "# TYPE wersa_heap_bytes gauge",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_resident_memory_max_bytes gauge",
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_open_fds gauge",
        "# TYPE process_start_time_seconds gauge"}) {
    EXPECT_THAT(text, HasSubstr(family));
  }

  EXPECT_EQ(Sample(text, "wersa_requests_total",
                   {{"method", "Classify"}, {"code", "OK"}}),
            3);
  EXPECT_EQ(Sample(text, "wersa_requests_total",
                   {{"method", "Classify"}, {"code", "INVALID_ARGUMENT"}}),
            1);
  EXPECT_EQ(Sample(text, "wersa_requests_total",
                   {{"method", "ClassifyBatch"}, {"code", "OK"}}),
            0);
  EXPECT_EQ(Sample(text, "wersa_rejected_total", {{"reason", "invalid"}}), 1);
  EXPECT_EQ(Sample(text, "wersa_rejected_total", {{"reason", "queue_full"}}),
            0);
  EXPECT_EQ(Sample(text, "wersa_truncated_total"), 1);
  EXPECT_EQ(Sample(text, "wersa_tokens_total"), tokens);
  EXPECT_EQ(Sample(text, "wersa_request_tokens_count"), 3);
  EXPECT_EQ(Sample(text, "wersa_request_tokens_sum"), tokens);
  // All three are at most 4k tokens; the empty one was never tokenized.
  for (const char* histogram : {"wersa_request_duration_seconds_count",
                                "wersa_queue_duration_seconds_count",
                                "wersa_tokenize_duration_seconds_count",
                                "wersa_inference_duration_seconds_count"}) {
    EXPECT_EQ(Sample(text, histogram, {{"length_bucket", "4k"}}), 3)
        << histogram;
    EXPECT_EQ(Sample(text, histogram, {{"length_bucket", "128k"}}), 0)
        << histogram;
  }
  EXPECT_EQ(Sample(text, "wersa_request_duration_seconds_bucket",
                   {{"length_bucket", "4k"}, {"le", "+Inf"}}),
            3);
  EXPECT_GT(Sample(text, "wersa_request_duration_seconds_sum",
                   {{"length_bucket", "4k"}})
                .value_or(0),
            0);
  // Each document ran in exactly one batch.
  EXPECT_EQ(Sample(text, "wersa_batch_size_sum"), 3);
  EXPECT_GE(Sample(text, "wersa_batch_tokens_sum").value_or(0), tokens);
  EXPECT_EQ(Sample(text, "wersa_queue_tokens"), 0);
  EXPECT_EQ(Sample(text, "wersa_queue_capacity_tokens"), 1 << 20);
  EXPECT_EQ(Sample(text, "wersa_ready"), 1);
  EXPECT_EQ(Sample(text, "wersa_model_info",
                   {{"model", "test-classifier"},
                    {"version", "test-7"},
                    {"device", "cpu"}}),
            1);
  EXPECT_EQ(AwaitSample("wersa_inflight_requests", 0), 0);

  const double rss = Sample(text, "process_resident_memory_bytes").value_or(0);
  EXPECT_GT(rss, 10e6);
  EXPECT_GE(Sample(text, "process_resident_memory_max_bytes").value_or(0), rss);
  EXPECT_GT(Sample(text, "process_cpu_seconds_total").value_or(0), 0);
  EXPECT_GT(Sample(text, "process_open_fds").value_or(0), 3);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_NEAR(Sample(text, "process_start_time_seconds").value_or(0), now, 300);
  // No GPU here: no device memory gauges.
  EXPECT_THAT(text, Not(HasSubstr("wersa_device_memory")));
}

// The model's cache of large tensor blocks (model/caching_host_allocator.h)
// through the server: a long document fills it, the same document again runs
// on its blocks alone, and what it holds stays within twice its peak.
TEST_F(MetricsEndpointTest, HostCacheGaugesFollowLongDocuments) {
  ASSERT_NO_FATAL_FAILURE(Start());
  struct Reading {
    double in_use, idle, peak, reused, fresh;
  };
  const auto read = [this] {
    const std::string text = Scrape();
    return Reading{
        Sample(text, "wersa_host_cache_bytes", {{"state", "in_use"}})
            .value_or(-1),
        Sample(text, "wersa_host_cache_bytes", {{"state", "idle"}})
            .value_or(-1),
        Sample(text, "wersa_host_cache_peak_working_set_bytes").value_or(-1),
        Sample(text, "wersa_host_cache_allocations_total",
               {{"source", "reused"}})
            .value_or(-1),
        Sample(text, "wersa_host_cache_allocations_total",
               {{"source", "fresh"}})
            .value_or(-1)};
  };
  const Reading before = read();
  ASSERT_GE(before.in_use, 0) << "no host cache gauges";
  ASSERT_GE(before.fresh, 0);

  // 65,536 tokens: [65536, 32] activations are 8 MiB, cached blocks.
  v1::ClassifyRequest request;
  for (int i = 0; i < 65536; ++i) {
    request.mutable_token_ids()->add_ids(3 + i % 50);
  }
  const auto classify = [&] {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    v1::ClassifyResponse response;
    const grpc::Status status = stub_->Classify(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  };
  classify();
  const Reading first = read();
  EXPECT_GT(first.fresh, before.fresh);
  EXPECT_EQ(first.in_use, before.in_use) << "the request's blocks were freed";
  EXPECT_GT(first.idle, before.idle) << "and kept for the next one";
  EXPECT_GE(first.peak, 8 << 20);
  EXPECT_LE(first.in_use + first.idle, 2 * first.peak);

  classify();
  const Reading second = read();
  EXPECT_EQ(second.fresh, first.fresh) << "no new memory";
  EXPECT_EQ(second.reused - first.reused,
            (first.fresh - before.fresh) + (first.reused - before.reused))
      << "every block of the first pass, reused";
  EXPECT_EQ(second.peak, first.peak);
  EXPECT_EQ(second.idle, first.idle);
}

TEST_F(MetricsEndpointTest, HealthzAndReadyzFollowTheServerThroughADrain) {
  ASSERT_NO_FATAL_FAILURE(Start({"--drain_timeout", "30s"}));
  const int port = server_->metrics_port();
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  EXPECT_EQ(HttpGet(port, "/readyz").status, 200);
  EXPECT_EQ(HttpGet(port, "/no/such/path").status, 404);

  // An upload left open holds the drain open for as long as the test needs.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::ClassifyResponse response;
  auto writer = stub_->ClassifyStream(&context, &response);
  v1::DocumentChunk chunk;
  chunk.set_text(Text(50, 3));
  ASSERT_TRUE(writer->Write(chunk));
  ASSERT_EQ(AwaitSample("wersa_inflight_requests", 1), 1);

  server_->Signal(SIGTERM);
  ASSERT_TRUE(server_->WaitForLine("\"draining\"", absl::Seconds(10)));
  const HttpResponse ready = HttpGet(port, "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  EXPECT_EQ(Sample(Scrape(), "wersa_ready"), 0);

  writer->WritesDone();
  writer->Finish();  // its answer does not matter here; that it ends does
  EXPECT_EQ(server_->Wait(absl::Seconds(30)), 0);
}

TEST_F(MetricsEndpointTest, NegativeMetricsPortTurnsTheEndpointOff) {
  ASSERT_NO_FATAL_FAILURE(Start({"--metrics_port", "-1"}));
  EXPECT_EQ(server_->metrics_port(), 0);
  EXPECT_THAT(absl::StrJoin(server_->Lines(), "\n"),
              Not(HasSubstr("metrics_listening")));
  v1::ClassifyResponse response;
  EXPECT_TRUE(Classify(Text(30, 1), &response).ok());

  ServerProcess bad(WERSA_SERVER_BINARY, {"--metrics_port", "-2"});
  EXPECT_EQ(bad.Wait(absl::Seconds(30)), 2);
  EXPECT_THAT(absl::StrJoin(bad.Lines(), "\n"),
              HasSubstr("--metrics_port must be an integer in [-1, 65535]"));
}

// A real Prometheus scrapes the server every second while it answers N
// requests; PromQL over its HTTP API sees exactly N and a sane p99.
TEST_F(MetricsEndpointTest, PrometheusScrapesExactCountsAndLatency) {
  ASSERT_NO_FATAL_FAILURE(Start());
  PrometheusProcess prometheus(PROMETHEUS_BINARY, server_->metrics_port());
  ASSERT_TRUE(prometheus.ready()) << prometheus.Log();

  // Wait for a first successful scrape, so the counters' zero is recorded.
  std::optional<double> up;
  const absl::Time scraped_by = absl::Now() + absl::Seconds(20);
  while (absl::Now() < scraped_by) {
    up = prometheus.QueryValue(R"(up{job="wersa"})");
    if (up == 1) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(up, 1) << prometheus.Log();

  constexpr int kRequests = 24;
  std::vector<std::thread> clients;
  clients.reserve(4);
  std::atomic<int> ok{0};
  for (int client = 0; client < 4; ++client) {
    clients.emplace_back([&, client] {
      for (int i = 0; i < kRequests / 4; ++i) {
        v1::ClassifyResponse response;
        if (Classify(Text(20 + 150 * i, 10 * client + i), &response).ok()) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& thread : clients) thread.join();
  ASSERT_EQ(ok.load(), kRequests);

  const std::string count = R"(sum(wersa_requests_total{method="Classify"}))";
  std::optional<double> seen;
  const absl::Time counted_by = absl::Now() + absl::Seconds(20);
  while (absl::Now() < counted_by) {
    seen = prometheus.QueryValue(count);
    if (seen == kRequests) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_EQ(seen, kRequests) << prometheus.Log();
  EXPECT_EQ(prometheus.QueryValue(
                R"(sum(wersa_requests_total{method="Classify",code="OK"}))"),
            kRequests);
  EXPECT_EQ(
      prometheus.QueryValue(R"(sum(wersa_request_duration_seconds_count))"),
      kRequests);

  const std::optional<double> p99 = prometheus.QueryValue(
      "histogram_quantile(0.99, sum by (le) "
      "(rate(wersa_request_duration_seconds_bucket[1m])))");
  ASSERT_TRUE(p99.has_value());
  EXPECT_TRUE(std::isfinite(*p99)) << *p99;
  EXPECT_GT(*p99, 0);
  EXPECT_LT(*p99, 30) << "seconds";

  // Every query of the Grafana dashboard runs, and finds series (those of a
  // GPU or a container memory limit aside).
  std::ifstream file(WERSA_DASHBOARD);
  const nlohmann::json dashboard = nlohmann::json::parse(file, nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded()) << WERSA_DASHBOARD;
  int queries = 0;
  for (const nlohmann::json& panel : dashboard["panels"]) {
    for (const nlohmann::json& target : panel["targets"]) {
      const std::string expr = absl::StrReplaceAll(
          target["expr"].get<std::string>(),
          {{"$job", "wersa"}, {"$instance", ".*"}, {"$__rate_interval", "1m"}});
      const std::optional<size_t> series = prometheus.QuerySeriesCount(expr);
      ASSERT_TRUE(series.has_value()) << expr;
      if (!absl::StrContains(expr, "device_memory") &&
          !absl::StrContains(expr, "memory_limit")) {
        EXPECT_GT(*series, 0u) << expr;
      }
      ++queries;
    }
  }
  EXPECT_GE(queries, 10);
}

}  // namespace
}  // namespace wersa
