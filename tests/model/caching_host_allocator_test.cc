#include "model/caching_host_allocator.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <torch/torch.h>

#include <fstream>
#include <string>

namespace wersa {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

// A float tensor whose block, with the allocator's 64-byte header, is
// exactly `mib` MiB (blocks are whole 2 MiB pages: `mib` even).
torch::Tensor BlockOf(int64_t mib) {
  return torch::empty({(mib * kMiB - 64) / 4});
}

// VmRSS of this process, in bytes.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      int64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 10, '\n');
  }
  return -1;
}

// Blocks bypass malloc (mallinfo2 sees none of them, in arenas or mapped),
// and an evicted block leaves resident memory at once. The server raises
// malloc's mmap threshold to 32 MiB; set here too, a block from malloc would
// have come from an arena and stayed resident there after its free. In a
// child process, as the setting is process-wide.
TEST(CachingHostAllocatorTest, BlocksAreMappedAndUnmappedForThemselves) {
  EXPECT_EXIT(
      {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        const auto heap = [] {
          const struct mallinfo2 info = mallinfo2();
          return static_cast<int64_t>(info.uordblks + info.hblkhd);
        };
        CachingHostAllocator allocator;
        const int64_t heap_before = heap();
        bool ok = true;
        {
          // Above the block, so that the block is not at an arena's top.
          torch::Tensor block = BlockOf(16).fill_(1.0f);
          torch::Tensor fence = torch::ones({64});
          ok = ok && heap() - heap_before < kMiB;
          const int64_t resident = ResidentBytes();
          block = torch::Tensor();
          allocator.ReleaseIdle();
          ok = ok && resident - ResidentBytes() >= 15 * kMiB;
        }
        std::exit(ok ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

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

// Batches of changing shapes: idle blocks that fit none of the new requests
// are given back before new memory is taken, so the cache never holds more
// than twice the most that was live at once (held_per_peak).
TEST(CachingHostAllocatorTest, HoldsAtMostTwiceItsPeakWorkingSet) {
  CachingHostAllocator allocator;
  { torch::Tensor big = BlockOf(64); }
  { torch::Tensor small = BlockOf(4); }  // too small for the 64 MiB block
  EXPECT_EQ(allocator.stats().idle_bytes, 68 * kMiB);
  EXPECT_EQ(allocator.stats().peak_working_set_bytes, 64 * kMiB);
  // Pairs of blocks, live together, of sizes no earlier block fits: 208 MiB
  // more, which would all stay idle without the bound.
  for (int64_t first = 6; first <= 30; first += 6) {
    torch::Tensor a = BlockOf(first);
    torch::Tensor b = BlockOf(first + 2);
    const CachingHostAllocatorStats stats = allocator.stats();
    EXPECT_EQ(stats.in_use_bytes, (2 * first + 2) * kMiB) << first;
    EXPECT_LE(stats.in_use_bytes + stats.idle_bytes, 128 * kMiB) << first;
    EXPECT_EQ(stats.peak_working_set_bytes, 64 * kMiB) << first;
  }
  EXPECT_EQ(allocator.stats().fresh, 12);
  EXPECT_LE(allocator.stats().idle_bytes, 128 * kMiB);
  // Three blocks live at once, 96 MiB: a new peak, and a new bound.
  {
    torch::Tensor a = BlockOf(32);
    torch::Tensor b = BlockOf(32);
    torch::Tensor c = BlockOf(32);
    EXPECT_EQ(allocator.stats().peak_working_set_bytes, 96 * kMiB);
  }
  EXPECT_EQ(allocator.stats().in_use_bytes, 0);
  EXPECT_LE(allocator.stats().idle_bytes, 192 * kMiB);
  EXPECT_GT(allocator.stats().reused, 0);
}

// held_per_peak 1: at most one peak working set.
TEST(CachingHostAllocatorTest, HeldPerPeakOneKeepsOneWorkingSet) {
  CachingHostAllocatorOptions options;
  options.held_per_peak = 1;
  CachingHostAllocator allocator(options);
  { torch::Tensor big = BlockOf(64); }
  {
    torch::Tensor small = BlockOf(4);  // the 64 MiB block goes back first
    EXPECT_EQ(allocator.stats().idle_bytes, 0);
  }
  for (int64_t first = 6; first <= 30; first += 6) {
    torch::Tensor a = BlockOf(first);
    torch::Tensor b = BlockOf(first + 2);
    const CachingHostAllocatorStats stats = allocator.stats();
    EXPECT_LE(stats.in_use_bytes + stats.idle_bytes, 64 * kMiB) << first;
  }
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
