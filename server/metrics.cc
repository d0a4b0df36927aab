#include "server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <initializer_list>
#include <utility>
#include <vector>

#include "server/heap_stats.h"
#include "server/process_stats.h"

namespace wersa::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

constexpr const char* kMethodNames[kRpcMethodCount] = {
    "Classify", "ClassifyBatch", "ClassifyStream"};
constexpr const char* kReasonNames[kRejectReasonCount] = {
    "queue_full", "too_large", "invalid", "draining", "deadline", "cancelled"};
constexpr const char* kLengthNames[kLengthBucketCount] = {"4k", "16k", "64k",
                                                          "128k"};
constexpr int64_t kLengthLimits[kLengthBucketCount] = {4096, 16384, 65536,
                                                       131072};

// 1 ms to 120 s.
Histogram::BucketBoundaries DurationBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
          0.5,   1.0,    2.5,   5.0,  10.0,  25.0, 60.0, 120.0};
}

Histogram::BucketBoundaries PowersOfTwo(int64_t first, int64_t last) {
  Histogram::BucketBoundaries bounds;
  for (int64_t bound = first; bound <= last; bound *= 2) {
    bounds.push_back(static_cast<double>(bound));
  }
  return bounds;
}

std::array<Histogram*, kLengthBucketCount> DurationsByLength(
    prometheus::Registry& registry, const char* name, const char* help) {
  auto& family = BuildHistogram().Name(name).Help(help).Register(registry);
  std::array<Histogram*, kLengthBucketCount> children{};
  for (int i = 0; i < kLengthBucketCount; ++i) {
    children[i] =
        &family.Add({{"length_bucket", kLengthNames[i]}}, DurationBuckets());
  }
  return children;
}

prometheus::ClientMetric Value(
    prometheus::MetricType type, double value,
    std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

prometheus::MetricFamily OneValue(const char* name, const char* help,
                                  prometheus::MetricType type, double value) {
  return {name, help, type, {Value(type, value)}};
}

// One family, one sample per value of `label`.
prometheus::MetricFamily ValuesByLabel(
    const char* name, const char* help, prometheus::MetricType type,
    const char* label,
    std::initializer_list<std::pair<const char*, int64_t>> values) {
  prometheus::MetricFamily family{name, help, type, {}};
  for (const auto& [label_value, value] : values) {
    family.metric.push_back(
        Value(type, static_cast<double>(value), {{label, label_value}}));
  }
  return family;
}

}  // namespace

absl::string_view RpcMethodName(RpcMethod method) {
  return kMethodNames[static_cast<int>(method)];
}

absl::string_view RejectReasonName(RejectReason reason) {
  return kReasonNames[static_cast<int>(reason)];
}

int LengthBucket(int64_t tokens) {
  for (int i = 0; i < kLengthBucketCount - 1; ++i) {
    if (tokens <= kLengthLimits[i]) return i;
  }
  return kLengthBucketCount - 1;
}

absl::string_view LengthBucketName(int bucket) { return kLengthNames[bucket]; }

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& registry = *registry_;
  auto& requests =
      BuildCounter()
          .Name("wersa_requests_total")
          .Help(
              "Finished classification requests (one per document; a call "
              "refused as a whole counts once), by RPC method and gRPC code")
          .Register(registry);
  for (int method = 0; method < kRpcMethodCount; ++method) {
    for (int code = 0; code < kStatusCodeCount; ++code) {
      requests_[method][code] = &requests.Add(
          {{"method", kMethodNames[method]},
           {"code",
            absl::StatusCodeToString(static_cast<absl::StatusCode>(code))}});
    }
  }
  request_duration_ = DurationsByLength(
      registry, "wersa_request_duration_seconds",
      "Arrival to answer of each tokenized request, by document length");
  queue_duration_ =
      DurationsByLength(registry, "wersa_queue_duration_seconds",
                        "Time in the batcher's queue, by document length");
  tokenize_duration_ = DurationsByLength(
      registry, "wersa_tokenize_duration_seconds",
      "Tokenization and validation of each document, by document length");
  inference_duration_ = DurationsByLength(
      registry, "wersa_inference_duration_seconds",
      "Model time of the batch each request ran in, by document length");
  batch_size_ = &BuildHistogram()
                     .Name("wersa_batch_size")
                     .Help("Documents per batch run by the model")
                     .Register(registry)
                     .Add({}, PowersOfTwo(1, 256));
  batch_tokens_ =
      &BuildHistogram()
           .Name("wersa_batch_tokens")
           .Help("Padded tokens (documents x longest) per batch run")
           .Register(registry)
           .Add({}, PowersOfTwo(256, 1 << 21));
  request_tokens_ = &BuildHistogram()
                         .Name("wersa_request_tokens")
                         .Help("Tokens per tokenized request, after truncation")
                         .Register(registry)
                         .Add({}, PowersOfTwo(64, 131072));
  tokens_ = &BuildCounter()
                 .Name("wersa_tokens_total")
                 .Help("Tokens of the requests the model classified")
                 .Register(registry)
                 .Add({});
  truncated_ = &BuildCounter()
                    .Name("wersa_truncated_total")
                    .Help("Requests cut to the token limit")
                    .Register(registry)
                    .Add({});
  auto& rejected =
      BuildCounter()
          .Name("wersa_rejected_total")
          .Help("Requests refused, or dropped before they ran, by reason")
          .Register(registry);
  for (int reason = 0; reason < kRejectReasonCount; ++reason) {
    rejected_[reason] = &rejected.Add({{"reason", kReasonNames[reason]}});
  }
  queue_tokens_ = &BuildGauge()
                       .Name("wersa_queue_tokens")
                       .Help("Tokens waiting in the batcher's queue")
                       .Register(registry)
                       .Add({});
  queue_capacity_ = &BuildGauge()
                         .Name("wersa_queue_capacity_tokens")
                         .Help("The queue's token budget (--max_queue_tokens)")
                         .Register(registry)
                         .Add({});
  ready_ = &BuildGauge()
                .Name("wersa_ready")
                .Help(
                    "1 while the model is loaded and the server is not "
                    "draining (what /readyz answers), else 0")
                .Register(registry)
                .Add({});
  inflight_ = &BuildGauge()
                   .Name("wersa_inflight_requests")
                   .Help("Classification calls in progress")
                   .Register(registry)
                   .Add({});
  model_info_ = &BuildGauge()
                     .Name("wersa_model_info")
                     .Help("The loaded model (always 1)")
                     .Register(registry);
}

Metrics::~Metrics() = default;

void Metrics::RecordRequest(const RequestRecord& record) {
  const int code = static_cast<int>(record.code);
  requests_[static_cast<int>(record.method)]
           [code >= 0 && code < kStatusCodeCount
                ? code
                : static_cast<int>(absl::StatusCode::kUnknown)]
               ->Increment();
  if (record.tokens < 0) return;
  const int bucket = LengthBucket(record.tokens);
  const double tokens = static_cast<double>(record.tokens);
  request_duration_[bucket]->Observe(absl::ToDoubleSeconds(record.total));
  tokenize_duration_[bucket]->Observe(absl::ToDoubleSeconds(record.tokenize));
  request_tokens_->Observe(tokens);
  if (record.truncated) truncated_->Increment();
  if (record.dequeued) {
    queue_duration_[bucket]->Observe(absl::ToDoubleSeconds(record.queue));
  }
  if (record.ran) {
    inference_duration_[bucket]->Observe(
        absl::ToDoubleSeconds(record.inference));
    if (record.code == absl::StatusCode::kOk) tokens_->Increment(tokens);
  }
}

void Metrics::RecordRejected(RejectReason reason) {
  rejected_[static_cast<int>(reason)]->Increment();
}

void Metrics::SetInflightRequests(int64_t calls) {
  inflight_->Set(static_cast<double>(calls));
}

void Metrics::RecordBatch(int documents, int64_t padded_tokens) {
  batch_size_->Observe(documents);
  batch_tokens_->Observe(static_cast<double>(padded_tokens));
}

void Metrics::SetQueueTokens(int64_t tokens) {
  queue_tokens_->Set(static_cast<double>(tokens));
}

void Metrics::SetQueueCapacity(int64_t tokens) {
  queue_capacity_->Set(static_cast<double>(tokens));
}

void Metrics::SetReady(bool ready) { ready_->Set(ready ? 1 : 0); }

void Metrics::SetModelInfo(const std::string& model, const std::string& version,
                           const std::string& device) {
  model_info_->Add({{"model", model}, {"version", version}, {"device", device}})
      .Set(1);
}

void Metrics::SetDeviceMemorySource(DeviceMemorySource source) {
  const std::lock_guard<std::mutex> lock(source_mutex_);
  device_memory_ = std::move(source);
}

void Metrics::SetHostCacheSource(HostCacheSource source) {
  const std::lock_guard<std::mutex> lock(source_mutex_);
  host_cache_ = std::move(source);
}

std::string Metrics::Scrape() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  using prometheus::MetricType;
  // Process readings: a scrape without them is still a scrape.
  if (const absl::StatusOr<ProcessStats> process = ReadProcessStats();
      process.ok()) {
    families.push_back(OneValue(
        "process_resident_memory_bytes", "Resident memory size in bytes",
        MetricType::Gauge, static_cast<double>(process->resident_bytes)));
    families.push_back(OneValue(
        "process_resident_memory_max_bytes",
        "Peak resident memory size in bytes (VmHWM)", MetricType::Gauge,
        static_cast<double>(process->max_resident_bytes)));
    families.push_back(OneValue("process_cpu_seconds_total",
                                "User and system CPU time in seconds",
                                MetricType::Counter, process->cpu_seconds));
    families.push_back(OneValue("process_open_fds", "Open file descriptors",
                                MetricType::Gauge,
                                static_cast<double>(process->open_fds)));
    families.push_back(
        OneValue("process_start_time_seconds",
                 "Start time of the process since the Unix epoch in seconds",
                 MetricType::Gauge, process->start_time_seconds));
    if (process->memory_limit_bytes.has_value()) {
      families.push_back(OneValue(
          "wersa_memory_limit_bytes",
          "The memory limit of the process's control group (container)",
          MetricType::Gauge,
          static_cast<double>(*process->memory_limit_bytes)));
    }
  }
  if (const std::optional<HeapStats> heap = ReadHeapStats(); heap.has_value()) {
    families.push_back(ValuesByLabel(
        "wersa_heap_bytes",
        "The C heap (malloc): chunks allocated (in_use) or freed and kept by "
        "the arenas (free), and blocks mapped on their own (mmapped)",
        MetricType::Gauge, "state",
        {{"in_use", heap->in_use_bytes},
         {"free", heap->free_bytes},
         {"mmapped", heap->mmapped_bytes}}));
  }
  std::optional<DeviceMemory> device;
  std::optional<CachingHostAllocatorStats> host_cache;
  {
    const std::lock_guard<std::mutex> lock(source_mutex_);
    if (device_memory_) device = device_memory_();
    if (host_cache_) host_cache = host_cache_();
  }
  if (host_cache.has_value()) {
    families.push_back(ValuesByLabel(
        "wersa_host_cache_bytes",
        "Tensor blocks of 1 MiB and more in the host cache: held by tensors "
        "(in_use) or kept for reuse (idle)",
        MetricType::Gauge, "state",
        {{"in_use", host_cache->in_use_bytes},
         {"idle", host_cache->idle_bytes}}));
    families.push_back(OneValue(
        "wersa_host_cache_peak_working_set_bytes",
        "The most the live tensors' cached blocks have needed at once; the "
        "host cache holds at most twice this",
        MetricType::Gauge,
        static_cast<double>(host_cache->peak_working_set_bytes)));
    families.push_back(ValuesByLabel(
        "wersa_host_cache_allocations_total",
        "Tensor blocks of 1 MiB and more allocated: from the cache (reused) "
        "or new memory (fresh)",
        MetricType::Counter, "source",
        {{"reused", host_cache->reused}, {"fresh", host_cache->fresh}}));
  }
  if (device.has_value()) {
    families.push_back(OneValue(
        "wersa_device_memory_allocated_bytes",
        "GPU memory held by live tensors (LibTorch's allocator)",
        MetricType::Gauge, static_cast<double>(device->allocated_bytes)));
    families.push_back(OneValue(
        "wersa_device_memory_reserved_bytes",
        "GPU memory LibTorch's caching allocator has reserved",
        MetricType::Gauge, static_cast<double>(device->reserved_bytes)));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace wersa::server
