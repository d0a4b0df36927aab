#include "server/batcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace wersa::server {
namespace {

int64_t Tokens(const InferenceRequest& request) {
  return static_cast<int64_t>(request.ids.size());
}

std::chrono::steady_clock::time_point SteadyDeadline(absl::Time when) {
  return std::chrono::steady_clock::now() +
         absl::ToChronoNanoseconds(when - absl::Now());
}

}  // namespace

Batcher::Batcher(std::unique_ptr<Predictor> predictor,
                 const BatcherOptions& options, Logger& logger,
                 Metrics& metrics)
    : predictor_(std::move(predictor)),
      options_(options),
      logger_(logger),
      metrics_(metrics) {
  metrics_.SetQueueCapacity(options_.max_queue_tokens);
  metrics_.SetQueueTokens(0);
  worker_ = std::thread([this] { Run(); });
}

Batcher::~Batcher() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = false;
    stopping_ = true;
  }
  work_available_.notify_all();
  worker_.join();
}

absl::Status Batcher::Submit(InferenceRequest request) {
  const int64_t tokens = Tokens(request);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!accepting_) {
      metrics_.RecordRejected(RejectReason::kDraining);
      return absl::UnavailableError("the server is draining; retry elsewhere");
    }
    if (!queue_.empty() &&
        queued_tokens_ + tokens > options_.max_queue_tokens) {
      metrics_.RecordRejected(RejectReason::kQueueFull);
      return absl::ResourceExhaustedError(
          absl::StrCat("queue full: ", queued_tokens_, " tokens queued, ",
                       tokens, " more would pass the budget of ",
                       options_.max_queue_tokens, "; retry later"));
    }
    queued_tokens_ += tokens;
    metrics_.SetQueueTokens(queued_tokens_);
    queue_.push_back(Pending{std::move(request), absl::Now()});
  }
  work_available_.notify_one();
  return absl::OkStatus();
}

void Batcher::StopAccepting() {
  const std::lock_guard<std::mutex> lock(mutex_);
  accepting_ = false;
}

bool Batcher::WaitIdle(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_.wait_until(lock, SteadyDeadline(absl::Now() + timeout),
                          [this] { return queue_.empty() && !running_batch_; });
}

int64_t Batcher::queued_tokens() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return queued_tokens_;
}

bool Batcher::Expired(const Pending& pending, absl::Time now) {
  return now >= pending.request.deadline ||
         (pending.request.cancelled != nullptr &&
          pending.request.cancelled->load());
}

std::vector<Batcher::Pending> Batcher::TakeBatch() {
  // The oldest request always runs next (no starvation, and one document over
  // the batch budget runs alone); the rest are the queued requests closest
  // to it in length, so the batch pads little.
  const int64_t anchor_length = Tokens(queue_.front().request);
  std::vector<size_t> candidates(queue_.size() - 1);
  for (size_t i = 1; i < queue_.size(); ++i) candidates[i - 1] = i;
  std::stable_sort(
      candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
        return std::abs(Tokens(queue_[a].request) - anchor_length) <
               std::abs(Tokens(queue_[b].request) - anchor_length);
      });
  std::vector<size_t> chosen = {0};
  int64_t longest = anchor_length;
  for (const size_t i : candidates) {
    if (static_cast<int>(chosen.size()) >= options_.max_batch_size) break;
    const int64_t length = std::max(longest, Tokens(queue_[i].request));
    if (length * static_cast<int64_t>(chosen.size() + 1) >
        options_.max_batch_tokens)
      continue;
    chosen.push_back(i);
    longest = length;
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<Pending> batch;
  for (auto it = chosen.rbegin(); it != chosen.rend(); ++it) {
    queued_tokens_ -= Tokens(queue_[*it].request);
    batch.push_back(std::move(queue_[*it]));
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(*it));
  }
  std::sort(batch.begin(), batch.end(), [](const Pending& a, const Pending& b) {
    return Tokens(a.request) < Tokens(b.request);
  });
  return batch;
}

void Batcher::Run() {
  while (true) {
    std::vector<Pending> batch;
    std::vector<Pending> dropped;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_available_.wait(lock,
                           [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and nothing left to do
      // Wait for company until the oldest request has waited long enough or
      // a batch is full.
      const absl::Time close_at =
          queue_.front().submitted + options_.max_batch_delay;
      work_available_.wait_until(lock, SteadyDeadline(close_at), [&] {
        return stopping_ || queued_tokens_ >= options_.max_batch_tokens ||
               static_cast<int>(queue_.size()) >= options_.max_batch_size;
      });
      const absl::Time now = absl::Now();
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (Expired(*it, now)) {
          queued_tokens_ -= Tokens(it->request);
          dropped.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      if (!queue_.empty()) batch = TakeBatch();
      metrics_.SetQueueTokens(queued_tokens_);
      running_batch_ = true;
    }

    const absl::Time start = absl::Now();
    for (Pending& pending : dropped) {
      // gRPC also cancels a call whose deadline passed: the deadline decides.
      const bool cancelled = start < pending.request.deadline;
      InferenceResult result;
      result.status =
          cancelled ? absl::CancelledError("the client cancelled the request")
                    : absl::DeadlineExceededError(
                          "the deadline passed while the request was queued; "
                          "it did not run");
      result.queue_time = start - pending.submitted;
      metrics_.RecordRejected(cancelled ? RejectReason::kCancelled
                                        : RejectReason::kDeadline);
      logger_.Log(LogLevel::kDebug, "request_dropped",
                  {{"request_id", pending.request.request_id},
                   {"reason", cancelled ? "cancelled" : "deadline"},
                   {"tokens", Tokens(pending.request)}});
      pending.request.done(std::move(result));
    }

    if (!batch.empty()) {
      std::vector<std::vector<int32_t>> documents;
      documents.reserve(batch.size());
      for (const Pending& pending : batch)
        documents.push_back(pending.request.ids);
      // Sorted by length: the last is the longest, the length all are padded
      // to.
      metrics_.RecordBatch(
          static_cast<int>(batch.size()),
          Tokens(batch.back().request) * static_cast<int64_t>(batch.size()));
      absl::StatusOr<std::vector<std::vector<float>>> scores =
          predictor_->Predict(documents);
      const absl::Duration inference_time = absl::Now() - start;
      if (!scores.ok()) {
        logger_.Log(LogLevel::kError, "inference_failed",
                    {{"message", std::string(scores.status().message())},
                     {"batch_size", batch.size()}});
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        InferenceResult result;
        result.status = scores.status();
        if (scores.ok()) result.scores = std::move((*scores)[i]);
        result.batch_size = static_cast<int>(batch.size());
        result.queue_time = start - batch[i].submitted;
        result.inference_time = inference_time;
        batch[i].request.done(std::move(result));
      }
    }

    {
      const std::lock_guard<std::mutex> lock(mutex_);
      running_batch_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace wersa::server
