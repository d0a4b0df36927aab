#ifndef WERSA_SERVER_BATCHER_H_
#define WERSA_SERVER_BATCHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "model/predictor.h"
#include "server/logger.h"
#include "server/metrics.h"

namespace wersa::server {

struct BatcherOptions {
  // Admission: tokens queued at once. Past it Submit answers
  // RESOURCE_EXHAUSTED; a single document always fits an empty queue.
  int64_t max_queue_tokens = int64_t{1} << 20;
  // A batch closes at this many padded tokens (documents x longest)...
  int64_t max_batch_tokens = 131072;
  // ...or this many documents...
  int max_batch_size = 32;
  // ...or when its oldest request has waited this long.
  absl::Duration max_batch_delay = absl::Milliseconds(5);
};

struct InferenceResult {
  absl::Status status;
  std::vector<float> scores;  // label order of the bundle
  int batch_size = 0;
  absl::Duration
      queue_time;  // submission to the start of its batch (or to its drop)
  absl::Duration inference_time;
};

struct InferenceRequest {
  std::vector<int32_t>
      ids;  // validated: 1..max_tokens ids inside the vocabulary
  absl::Time deadline = absl::InfiniteFuture();
  // Set by the RPC layer when the client goes away.
  std::shared_ptr<const std::atomic<bool>> cancelled;
  // Called exactly once per accepted request, on the worker thread.
  std::function<void(InferenceResult)> done;
  std::string request_id;  // for logs
};

// Dynamic batching in front of one worker thread that owns the model
// (docs/architecture.md): token-budget admission, batches of similar
// lengths, a short wait for company, and expired or cancelled work dropped
// before it runs. gRPC threads never touch the model.
class Batcher {
 public:
  // Records queue tokens, batches and the requests it refuses or drops in
  // `metrics`, which must outlive it.
  Batcher(std::unique_ptr<Predictor> predictor, const BatcherOptions& options,
          Logger& logger, Metrics& metrics);
  ~Batcher();  // finishes queued work, then stops the worker
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE once draining.
  absl::Status Submit(InferenceRequest request);

  // Refuses new work (UNAVAILABLE); queued work still runs.
  void StopAccepting();
  // Waits until nothing is queued or running; false on timeout.
  bool WaitIdle(absl::Duration timeout);

  int64_t queued_tokens() const;
  // The loaded model's immutable parts (config, labels, tokenizer), safe to
  // read from any thread; its encoder belongs to the worker.
  const ModelBundle& bundle() const { return predictor_->bundle(); }
  const std::string& device() const { return predictor_->device(); }

 private:
  struct Pending {
    InferenceRequest request;
    absl::Time submitted;
  };

  void Run();
  // Picks the next batch around the oldest request; caller holds mutex_.
  std::vector<Pending> TakeBatch();
  static bool Expired(const Pending& pending, absl::Time now);

  std::unique_ptr<Predictor> predictor_;
  const BatcherOptions options_;
  Logger& logger_;
  Metrics& metrics_;

  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;  // arrival order
  int64_t queued_tokens_ = 0;
  bool accepting_ = true;
  bool stopping_ = false;
  bool running_batch_ = false;
  std::thread worker_;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_BATCHER_H_
