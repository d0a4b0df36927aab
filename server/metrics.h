#ifndef WERSA_SERVER_METRICS_H_
#define WERSA_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "model/caching_host_allocator_stats.h"
#include "model/device_memory.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace wersa::server {

// The RPCs that classify documents, in the order of Metrics' tables.
enum class RpcMethod { kClassify = 0, kClassifyBatch, kClassifyStream };
inline constexpr int kRpcMethodCount = 3;
absl::string_view RpcMethodName(RpcMethod method);

// Why a request was refused or dropped without running.
enum class RejectReason {
  kQueueFull = 0,  // the queue's token budget (RESOURCE_EXHAUSTED)
  kTooLarge,       // a stream or a batch over its limit (RESOURCE_EXHAUSTED)
  kInvalid,        // INVALID_ARGUMENT
  kDraining,       // shutting down (UNAVAILABLE)
  kDeadline,       // the deadline passed before it ran
  kCancelled,      // the client went away before it ran
};
inline constexpr int kRejectReasonCount = 6;
absl::string_view RejectReasonName(RejectReason reason);

// Documents by length for the latency histograms: <=4k, <=16k, <=64k and
// <=128k tokens (longer ones count as 128k).
inline constexpr int kLengthBucketCount = 4;
int LengthBucket(int64_t tokens);
absl::string_view LengthBucketName(int bucket);

// One finished request (a document of a call, or a call refused as a whole):
// what the request log line says, in numbers.
struct RequestRecord {
  RpcMethod method = RpcMethod::kClassify;
  absl::StatusCode code = absl::StatusCode::kOk;
  absl::Duration total;  // arrival to answer
  // Tokens after truncation; negative when it never got that far.
  int64_t tokens = -1;
  bool truncated = false;
  absl::Duration tokenize;
  bool dequeued = false;  // left the queue (ran, or was dropped there)
  absl::Duration queue;
  bool ran = false;  // reached the model
  absl::Duration inference;
};

// The service's Prometheus metrics (docs/operations.md lists them): one
// registry, every family and every label combination created up front, so
// recording is a lock-free counter or gauge update or a histogram's short
// lock, and never allocates. Process readings (/proc) and device memory are
// read when scraped. Thread-safe.
class Metrics {
 public:
  using DeviceMemorySource = std::function<std::optional<DeviceMemory>()>;
  using HostCacheSource = std::function<CachingHostAllocatorStats()>;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The service.
  void RecordRequest(const RequestRecord& record);
  void RecordRejected(RejectReason reason);
  void SetInflightRequests(int64_t calls);
  // The batcher.
  void RecordBatch(int documents, int64_t padded_tokens);
  void SetQueueTokens(int64_t tokens);
  void SetQueueCapacity(int64_t tokens);  // --max_queue_tokens
  // main: what /readyz answers, for Prometheus too.
  void SetReady(bool ready);
  // Start-up, once the model is loaded (not on the hot path).
  void SetModelInfo(const std::string& model, const std::string& version,
                    const std::string& device);
  // Where device memory gauges come from; without one (or while it answers
  // nullopt, as on a CPU) they are not exposed.
  void SetDeviceMemorySource(DeviceMemorySource source);
  // Where the host tensor-block cache's gauges come from (main's
  // CachingHostAllocator); without one they are not exposed.
  void SetHostCacheSource(HostCacheSource source);

  // Prometheus text exposition format 0.0.4 of everything above.
  std::string Scrape() const;

 private:
  using HistogramsByLength =
      std::array<prometheus::Histogram*, kLengthBucketCount>;
  static constexpr int kStatusCodeCount = 17;  // absl::StatusCode 0..16

  std::shared_ptr<prometheus::Registry> registry_;
  std::array<std::array<prometheus::Counter*, kStatusCodeCount>,
             kRpcMethodCount>
      requests_{};
  HistogramsByLength request_duration_{};
  HistogramsByLength queue_duration_{};
  HistogramsByLength tokenize_duration_{};
  HistogramsByLength inference_duration_{};
  prometheus::Histogram* batch_size_ = nullptr;
  prometheus::Histogram* batch_tokens_ = nullptr;
  prometheus::Histogram* request_tokens_ = nullptr;
  prometheus::Counter* tokens_ = nullptr;
  prometheus::Counter* truncated_ = nullptr;
  std::array<prometheus::Counter*, kRejectReasonCount> rejected_{};
  prometheus::Gauge* queue_tokens_ = nullptr;
  prometheus::Gauge* queue_capacity_ = nullptr;
  prometheus::Gauge* ready_ = nullptr;
  prometheus::Gauge* inflight_ = nullptr;
  prometheus::Family<prometheus::Gauge>* model_info_ = nullptr;

  mutable std::mutex source_mutex_;
  DeviceMemorySource device_memory_;
  HostCacheSource host_cache_;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_METRICS_H_
