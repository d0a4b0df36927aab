#include "server/batcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "model/predictor.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "tests/model/test_bundle.h"

// The batcher in process, with a real (small, untrained) model: many
// threads submitting at once, batches closing on size, the queue budget,
// dropped work and shutdown. scripts/sanitize.sh tsan runs it under
// ThreadSanitizer.
namespace wersa::server {
namespace {

using testing::HasSubstr;
using testing_support::SmallConfig;

constexpr uint64_t kWeightsSeed = 17;

std::unique_ptr<Predictor> MakePredictor() {
  return testing_support::RandomPredictor(SmallConfig(), kWeightsSeed);
}

std::vector<int32_t> RandomIds(int64_t length, uint32_t seed) {
  return testing_support::RandomTokenIds(length, SmallConfig().vocab_size,
                                         seed);
}

// What each request's done callback saw, and how often it was called.
struct Outcome {
  InferenceResult result;
  int calls = 0;
};

class Outcomes {
 public:
  explicit Outcomes(size_t count) : outcomes_(count) {}

  std::function<void(InferenceResult)> Recorder(size_t index) {
    return [this, index](InferenceResult result) {
      const std::lock_guard<std::mutex> lock(mutex_);
      outcomes_[index].result = std::move(result);
      ++outcomes_[index].calls;
    };
  }
  Outcome Get(size_t index) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return outcomes_[index];
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Outcome> outcomes_;
};

class BatcherTest : public testing::Test {
 protected:
  InferenceRequest Request(std::vector<int32_t> ids,
                           std::function<void(InferenceResult)> done) {
    InferenceRequest request;
    request.ids = std::move(ids);
    request.done = std::move(done);
    request.request_id = "test";
    return request;
  }

  Logger logger_{LogLevel::kError};
  Metrics metrics_;
};

TEST_F(BatcherTest, ConcurrentSubmissionsEachGetTheirOwnDocumentsScores) {
  constexpr size_t kThreads = 8;
  constexpr size_t kPerThread = 12;
  constexpr size_t kRequests = kThreads * kPerThread;
  std::vector<std::vector<int32_t>> documents;
  documents.reserve(kRequests);
  for (size_t i = 0; i < kRequests; ++i) {
    documents.push_back(
        RandomIds(1 + static_cast<int64_t>((i * 37) % 300), 100 + i));
  }
  // Expected: each document alone, through a second predictor with the same
  // weights.
  std::unique_ptr<Predictor> reference = MakePredictor();
  std::vector<std::vector<float>> expected;
  expected.reserve(kRequests);
  for (const auto& document : documents) {
    auto scores = reference->Predict({document});
    ASSERT_TRUE(scores.ok()) << scores.status();
    expected.push_back((*scores)[0]);
  }

  Outcomes outcomes(kRequests);
  {
    BatcherOptions options;
    options.max_batch_size = 8;
    options.max_batch_delay = absl::Milliseconds(20);
    Batcher batcher(MakePredictor(), options, logger_, metrics_);
    std::vector<std::thread> submitters;
    submitters.reserve(kThreads);
    for (size_t t = 0; t < kThreads; ++t) {
      submitters.emplace_back([&, t] {
        for (size_t k = 0; k < kPerThread; ++k) {
          const size_t index = t * kPerThread + k;
          EXPECT_TRUE(
              batcher
                  .Submit(Request(documents[index], outcomes.Recorder(index)))
                  .ok());
        }
      });
    }
    for (std::thread& submitter : submitters) submitter.join();
    EXPECT_TRUE(batcher.WaitIdle(absl::Seconds(120)));
    EXPECT_EQ(batcher.queued_tokens(), 0);
  }

  int batched_with_others = 0;
  for (size_t i = 0; i < kRequests; ++i) {
    const Outcome outcome = outcomes.Get(i);
    ASSERT_EQ(outcome.calls, 1) << "request " << i;
    ASSERT_TRUE(outcome.result.status.ok()) << outcome.result.status;
    ASSERT_EQ(outcome.result.scores.size(), expected[i].size());
    for (size_t j = 0; j < expected[i].size(); ++j) {
      EXPECT_NEAR(outcome.result.scores[j], expected[i][j], 1e-5)
          << "request " << i << ", label " << j;
    }
    EXPECT_GE(outcome.result.batch_size, 1);
    EXPECT_LE(outcome.result.batch_size, 8);
    if (outcome.result.batch_size > 1) ++batched_with_others;
  }
  // 96 requests from 8 threads within a 20 ms batching window: some share.
  EXPECT_GT(batched_with_others, 0);
}

TEST_F(BatcherTest, ABatchClosesAsSoonAsItIsFull) {
  BatcherOptions options;
  options.max_batch_size = 4;
  options.max_batch_delay = absl::Seconds(60);  // only fullness closes it
  Outcomes outcomes(4);
  Batcher batcher(MakePredictor(), options, logger_, metrics_);
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(
        batcher.Submit(Request(RandomIds(20, 7 + i), outcomes.Recorder(i)))
            .ok());
  }
  ASSERT_TRUE(batcher.WaitIdle(absl::Seconds(30)));
  for (size_t i = 0; i < 4; ++i) {
    const Outcome outcome = outcomes.Get(i);
    EXPECT_EQ(outcome.calls, 1);
    EXPECT_TRUE(outcome.result.status.ok()) << outcome.result.status;
    EXPECT_EQ(outcome.result.batch_size, 4);
  }
}

TEST_F(BatcherTest, QueueBudgetRefusesWhatWouldPassIt) {
  BatcherOptions options;
  options.max_queue_tokens = 100;
  options.max_batch_delay = absl::Seconds(60);  // the first request waits
  Outcomes outcomes(3);
  {
    Batcher batcher(MakePredictor(), options, logger_, metrics_);
    ASSERT_TRUE(
        batcher.Submit(Request(RandomIds(60, 1), outcomes.Recorder(0))).ok());
    const absl::Status refused =
        batcher.Submit(Request(RandomIds(41, 2), outcomes.Recorder(1)));
    EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(refused.message(), HasSubstr("budget of 100"));
    EXPECT_TRUE(
        batcher.Submit(Request(RandomIds(40, 3), outcomes.Recorder(2))).ok())
        << "exactly at the budget still fits";
    EXPECT_EQ(batcher.queued_tokens(), 100);
  }  // the destructor runs what was queued
  EXPECT_EQ(outcomes.Get(0).calls, 1);
  EXPECT_TRUE(outcomes.Get(0).result.status.ok());
  EXPECT_EQ(outcomes.Get(1).calls, 0) << "a refused request is not called";
  EXPECT_EQ(outcomes.Get(2).calls, 1);
  EXPECT_TRUE(outcomes.Get(2).result.status.ok());
}

TEST_F(BatcherTest, OneDocumentOverTheBudgetStillFitsAnEmptyQueue) {
  BatcherOptions options;
  options.max_queue_tokens = 10;
  Outcomes outcomes(1);
  Batcher batcher(MakePredictor(), options, logger_, metrics_);
  ASSERT_TRUE(
      batcher.Submit(Request(RandomIds(50, 4), outcomes.Recorder(0))).ok());
  ASSERT_TRUE(batcher.WaitIdle(absl::Seconds(30)));
  EXPECT_TRUE(outcomes.Get(0).result.status.ok());
}

TEST_F(BatcherTest, ExpiredAndCancelledRequestsAreDroppedUnrun) {
  Outcomes outcomes(3);
  Batcher batcher(MakePredictor(), BatcherOptions{}, logger_, metrics_);
  InferenceRequest expired = Request(RandomIds(30, 5), outcomes.Recorder(0));
  expired.deadline = absl::Now() - absl::Seconds(1);
  InferenceRequest cancelled = Request(RandomIds(30, 6), outcomes.Recorder(1));
  cancelled.cancelled = std::make_shared<const std::atomic<bool>>(true);
  InferenceRequest live = Request(RandomIds(30, 7), outcomes.Recorder(2));
  live.cancelled = std::make_shared<const std::atomic<bool>>(false);
  ASSERT_TRUE(batcher.Submit(std::move(expired)).ok());
  ASSERT_TRUE(batcher.Submit(std::move(cancelled)).ok());
  ASSERT_TRUE(batcher.Submit(std::move(live)).ok());
  ASSERT_TRUE(batcher.WaitIdle(absl::Seconds(30)));

  EXPECT_EQ(outcomes.Get(0).result.status.code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(outcomes.Get(1).result.status.code(), absl::StatusCode::kCancelled);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(outcomes.Get(i).calls, 1);
    EXPECT_EQ(outcomes.Get(i).result.batch_size, 0) << "dropped, never run";
    EXPECT_TRUE(outcomes.Get(i).result.scores.empty());
  }
  EXPECT_TRUE(outcomes.Get(2).result.status.ok());
  EXPECT_EQ(outcomes.Get(2).result.batch_size, 1);
}

TEST_F(BatcherTest, StopAcceptingRefusesNewWorkAndFinishesQueuedWork) {
  BatcherOptions options;
  options.max_batch_delay = absl::Milliseconds(200);
  Outcomes outcomes(2);
  Batcher batcher(MakePredictor(), options, logger_, metrics_);
  ASSERT_TRUE(
      batcher.Submit(Request(RandomIds(30, 8), outcomes.Recorder(0))).ok());
  batcher.StopAccepting();
  const absl::Status refused =
      batcher.Submit(Request(RandomIds(30, 9), outcomes.Recorder(1)));
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(batcher.WaitIdle(absl::Seconds(30)));
  EXPECT_EQ(outcomes.Get(0).calls, 1);
  EXPECT_TRUE(outcomes.Get(0).result.status.ok());
  EXPECT_EQ(outcomes.Get(1).calls, 0);
}

TEST_F(BatcherTest, DestructionWhileSubmittersRaceItLosesNothingAccepted) {
  // Submitters keep going while the batcher stops accepting, and it is
  // destroyed with work still queued: every accepted request is answered
  // exactly once, every refused one never.
  constexpr size_t kThreads = 4;
  constexpr size_t kPerThread = 50;
  Outcomes outcomes(kThreads * kPerThread);
  std::vector<std::atomic<bool>> accepted(kThreads * kPerThread);
  {
    BatcherOptions options;
    options.max_batch_delay = absl::Milliseconds(1);
    Batcher batcher(MakePredictor(), options, logger_, metrics_);
    absl::Notification started;
    std::vector<std::thread> submitters;
    submitters.reserve(kThreads);
    for (size_t t = 0; t < kThreads; ++t) {
      submitters.emplace_back([&, t] {
        started.WaitForNotification();
        for (size_t k = 0; k < kPerThread; ++k) {
          const size_t index = t * kPerThread + k;
          const absl::Status status = batcher.Submit(
              Request(RandomIds(10, 1000 + index), outcomes.Recorder(index)));
          EXPECT_TRUE(status.ok() ||
                      status.code() == absl::StatusCode::kUnavailable)
              << status;
          accepted[index] = status.ok();
        }
      });
    }
    started.Notify();
    absl::SleepFor(absl::Milliseconds(5));
    batcher.StopAccepting();
    for (std::thread& submitter : submitters) submitter.join();
  }
  for (size_t i = 0; i < accepted.size(); ++i) {
    const Outcome outcome = outcomes.Get(i);
    EXPECT_EQ(outcome.calls, accepted[i] ? 1 : 0) << "request " << i;
    if (accepted[i]) {
      EXPECT_TRUE(outcome.result.status.ok());
    }
  }
}

}  // namespace
}  // namespace wersa::server
