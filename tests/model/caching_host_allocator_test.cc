#include "model/caching_host_allocator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace wersa {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(CachingHostAllocatorTest, ReusesFreedLargeBlocks) {
  CachingHostAllocator allocator;
  {
    torch::Tensor a = torch::empty({8 * kMiB / 4});  // 8 MiB
    a.fill_(1.0f);
    EXPECT_EQ(allocator.stats().fresh, 1);
    EXPECT_GE(allocator.stats().in_use_bytes, 8 * kMiB);
  }
  EXPECT_GE(allocator.stats().idle_bytes, 8 * kMiB);
  EXPECT_EQ(allocator.stats().in_use_bytes, 0);
  {
    torch::Tensor b =
        torch::zeros({7 * kMiB / 4});  // fits the idle 8 MiB block
    EXPECT_EQ(allocator.stats().reused, 1);
    EXPECT_EQ(allocator.stats().fresh, 1);
    EXPECT_EQ(b.sum().item<float>(), 0.0f);
  }
  {
    torch::Tensor tiny =
        torch::ones({16});  // below the cached size: not counted
    EXPECT_EQ(allocator.stats().fresh, 1);
    EXPECT_EQ(allocator.stats().reused, 1);
  }
}

TEST(CachingHostAllocatorTest, DoesNotHandOutBlocksFarTooLarge) {
  CachingHostAllocator allocator;
  { torch::Tensor big = torch::empty({64 * kMiB / 4}); }
  { torch::Tensor small = torch::empty({4 * kMiB / 4}); }
  EXPECT_EQ(allocator.stats().reused, 0);
  EXPECT_EQ(allocator.stats().fresh, 2);
}

TEST(CachingHostAllocatorTest, IdleMemoryIsBounded) {
  CachingHostAllocatorOptions options;
  options.max_idle_bytes = 20 * kMiB;
  CachingHostAllocator allocator(options);
  {
    torch::Tensor a = torch::empty({8 * kMiB / 4});
    torch::Tensor b = torch::empty({16 * kMiB / 4});
    torch::Tensor c = torch::empty({12 * kMiB / 4});
  }
  EXPECT_LE(allocator.stats().idle_bytes, 20 * kMiB);
  allocator.ReleaseIdle();
  EXPECT_EQ(allocator.stats().idle_bytes, 0);
}

TEST(CachingHostAllocatorTest, BlocksMayOutliveTheAllocator) {
  torch::Tensor survivor;
  {
    CachingHostAllocator allocator;
    survivor = torch::full({4 * kMiB}, 3.0f);
  }
  EXPECT_EQ(survivor.sum().item<double>(), 3.0 * 4 * kMiB);
  survivor =
      torch::Tensor();  // freed through the pool the allocator left behind
  torch::Tensor after = torch::ones({4 * kMiB});
  EXPECT_EQ(after.sum().item<double>(), 4.0 * kMiB);
}

}  // namespace
}  // namespace wersa
