#include "server/idle_memory_trimmer.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"

namespace wersa::server {
namespace {

// Polls `trimmer` until it has trimmed `count` times or 10 s pass.
bool AwaitTrims(const IdleMemoryTrimmer& trimmer, int64_t count) {
  for (const absl::Time stop = absl::Now() + absl::Seconds(10);
       absl::Now() < stop; absl::SleepFor(absl::Milliseconds(5))) {
    if (trimmer.trims() >= count) return true;
  }
  return false;
}

TEST(IdleMemoryTrimmerTest, TrimsExactlyWhenTheServerSaysItIsIdleAfterWork) {
  // The server answers: busy, idle after work, idle after work, then idle
  // with nothing new served, for ever.
  std::atomic<int> asked{0};
  IdleMemoryTrimmer trimmer(absl::Milliseconds(1), [&asked] {
    const int question = asked.fetch_add(1);
    return question == 1 || question == 2;
  });
  ASSERT_TRUE(AwaitTrims(trimmer, 2));
  const int asked_then = asked.load();
  while (asked.load() < asked_then + 20) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(trimmer.trims(), 2);
}

TEST(IdleMemoryTrimmerTest, StopsWithoutWaitingOutItsPeriod) {
  std::atomic<int> asked{0};
  const absl::Time start = absl::Now();
  {
    IdleMemoryTrimmer trimmer(absl::Hours(1), [&asked] {
      ++asked;
      return true;
    });
  }
  EXPECT_LT(absl::Now() - start, absl::Minutes(1));
  EXPECT_EQ(asked.load(), 0) << "asked before its first period ended";
}

}  // namespace
}  // namespace wersa::server
