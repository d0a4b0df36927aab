#ifndef WERSA_SERVER_CLASSIFIER_SERVICE_H_
#define WERSA_SERVER_CLASSIFIER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/batcher.h"
#include "server/document_preparer.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "server/worker_pool.h"
#include "wersa/v1/classifier.grpc.pb.h"

namespace wersa::server {

struct ServiceLimits {
  int64_t max_stream_bytes = int64_t{16} << 20;
  int max_batch_documents = 64;
  int max_message_bytes = 8 << 20;
  int64_t max_queue_tokens = int64_t{1} << 20;
  int64_t max_tokenize_queue_bytes = int64_t{256} << 20;
  int64_t max_batch_tokens = 131072;
  int max_batch_size = 32;
};

// What the reactors share: validation and tokenization (on threads of its
// own, `preparation_threads` of them, never on gRPC's), submission to the
// batcher, responses, request logs and metrics, and the count of calls in
// flight. Every request ends in exactly one log line and one
// wersa_requests_total increment.
class ServiceCore {
 public:
  ServiceCore(Batcher& batcher, const DocumentPreparer& preparer,
              const ServiceLimits& limits, Logger& logger, Metrics& metrics,
              int preparation_threads);

  struct Call {
    RpcMethod method = RpcMethod::kClassify;
    std::string request_id;  // the client's, or one made up for the logs
    uint32_t top_k = 0;
    absl::Time arrival;
    absl::Time deadline = absl::InfiniteFuture();
    std::shared_ptr<std::atomic<bool>> cancelled;
  };
  using Finish = std::function<void(const absl::Status&, v1::ClassifyResponse)>;
  // Checks and tokenizes the call's document (what it refers to must live
  // until `finish`).
  using Prepare =
      std::function<absl::StatusOr<PreparedDocument>(const DocumentPreparer&)>;

  // Prepares one document of `input_bytes` (its text, or 4 bytes per token
  // id) on the preparation threads (unless the call is already cancelled or
  // past its deadline) and runs it; `finish` is called exactly once, with
  // the response or the status to return. RESOURCE_EXHAUSTED when documents
  // waiting for tokenization already hold max_tokenize_queue_bytes (one
  // document is always taken when none waits).
  void Classify(const Call& call, int64_t input_bytes, Prepare prepare,
                Finish finish);

  // Logs and counts a call (or document) refused before it was tokenized;
  // the caller then answers `status`.
  void Refuse(const Call& call, const absl::Status& status,
              RejectReason reason);

  // UNAVAILABLE once draining.
  absl::Status Admit() const;
  void StartDraining() { draining_.store(true); }
  void CallStarted();
  void CallEnded();
  // Waits until no call is in flight; false on timeout.
  bool WaitForCalls(absl::Duration timeout);
  // How many calls have ended, when none is in flight; nullopt while some
  // are.
  std::optional<uint64_t> CallsEndedIfIdle();

  Call NewCall(grpc::CallbackServerContext* context, RpcMethod method,
               const std::string& request_id, uint32_t top_k);
  const DocumentPreparer& preparer() const { return preparer_; }
  const ServiceLimits& limits() const { return limits_; }
  const Batcher& batcher() const { return batcher_; }
  Logger& logger() { return logger_; }

 private:
  // The call's document checked and tokenized, or why it was not.
  absl::StatusOr<PreparedDocument> Prepared(const Call& call,
                                            const Prepare& prepare) const;
  // Submits a prepared document to the batcher.
  void Enqueue(const Call& call, absl::StatusOr<PreparedDocument> prepared,
               const Finish& finish);
  // The request's log line and metrics. `document` is null when it was not
  // tokenized, `result` when it never left the queue.
  void Record(const Call& call, const absl::Status& status,
              const PreparedDocument* document, const InferenceResult* result);

  Batcher& batcher_;
  const DocumentPreparer& preparer_;
  const ServiceLimits limits_;
  Logger& logger_;
  Metrics& metrics_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_request_number_{1};
  std::mutex calls_mutex_;
  std::condition_variable calls_done_;
  int64_t calls_in_flight_ = 0;
  uint64_t calls_ended_ = 0;
  // What the documents posted to `preparation_` and not yet tokenized hold:
  // the preparation threads' queue is otherwise bounded only by how many
  // calls clients open.
  std::atomic<int64_t> tokenize_queue_bytes_{0};
  // Last: its threads are joined before the members their tasks use go.
  WorkerPool preparation_;
};

grpc::Status ToGrpc(const absl::Status& status);

// wersa.v1.DocumentClassifier on gRPC's callback API. ClassifyStream reads
// its chunks as bytes and parses them itself: gRPC's typed reader ends the
// upload on a chunk it cannot parse, as if the client had finished, and the
// document read so far would be classified.
class ClassifierService final
    : public v1::DocumentClassifier::WithRawCallbackMethod_ClassifyStream<
          v1::DocumentClassifier::CallbackService> {
 public:
  explicit ClassifierService(ServiceCore& core) : core_(core) {}

  grpc::ServerUnaryReactor* Classify(grpc::CallbackServerContext* context,
                                     const v1::ClassifyRequest* request,
                                     v1::ClassifyResponse* response) override;
  grpc::ServerUnaryReactor* ClassifyBatch(
      grpc::CallbackServerContext* context,
      const v1::ClassifyBatchRequest* request,
      v1::ClassifyBatchResponse* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* ClassifyStream(
      grpc::CallbackServerContext* context,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const v1::GetModelInfoRequest* request,
                                         v1::ModelInfo* response) override;

 private:
  ServiceCore& core_;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_CLASSIFIER_SERVICE_H_
