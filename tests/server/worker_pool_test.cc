#include "server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"

namespace wersa::server {
namespace {

TEST(WorkerPoolTest, EveryTaskPostedFromManyThreadsRunsExactlyOnce) {
  constexpr size_t kPosters = 6;
  constexpr size_t kPerPoster = 500;
  std::vector<std::atomic<int>> runs(kPosters * kPerPoster);
  std::mutex mutex;
  std::set<std::thread::id> workers;
  {
    WorkerPool pool(3);
    std::vector<std::thread> posters;
    posters.reserve(kPosters);
    for (size_t p = 0; p < kPosters; ++p) {
      posters.emplace_back([&, p] {
        for (size_t k = 0; k < kPerPoster; ++k) {
          pool.Post([&, index = p * kPerPoster + k] {
            ++runs[index];
            const std::lock_guard<std::mutex> lock(mutex);
            workers.insert(std::this_thread::get_id());
          });
        }
      });
    }
    for (std::thread& poster : posters) poster.join();
  }  // the destructor runs what was posted before joining
  for (size_t i = 0; i < runs.size(); ++i) {
    ASSERT_EQ(runs[i].load(), 1) << "task " << i;
  }
  EXPECT_LE(workers.size(), 3u);
  EXPECT_EQ(workers.count(std::this_thread::get_id()), 0u)
      << "tasks run on the pool's threads, not the poster's";
}

TEST(WorkerPoolTest, ABlockedTaskDoesNotStopTheOtherThreads) {
  absl::Notification release;
  absl::Notification second_ran;
  WorkerPool pool(2);
  pool.Post([&] { release.WaitForNotification(); });
  pool.Post([&] { second_ran.Notify(); });
  EXPECT_TRUE(second_ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  release.Notify();
}

TEST(WorkerPoolTest, OneThreadRunsTasksInPostingOrder) {
  std::vector<int> order;
  {
    WorkerPool pool(1);
    for (int i = 0; i < 100; ++i) {
      pool.Post([&order, i] { order.push_back(i); });
    }
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(WorkerPoolTest, ZeroThreadsStillMeansOne) {
  std::atomic<bool> ran{false};
  {
    WorkerPool pool(0);
    pool.Post([&] { ran = true; });
  }
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace wersa::server
