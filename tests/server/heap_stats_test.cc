// ReadHeapStats against glibc's real malloc: blocks it serves from an arena
// count as in use until freed and then as free, and blocks over the mmap
// threshold as mmapped. Each case runs in a child process (EXPECT_EXIT) with
// fixed thresholds, so it reads only its own allocations' effect.
#include "server/heap_stats.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "tests/sanitizers.h"

namespace wersa::server {
namespace {

using testing_support::kAddressSanitizer;
using testing_support::kThreadSanitizer;

constexpr int64_t kMiB = int64_t{1} << 20;

struct FreeWithMalloc {
  // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
  void operator()(void* block) const { std::free(block); }
};
using MallocBlock = std::unique_ptr<void, FreeWithMalloc>;

// malloc itself, touched, so the compiler cannot drop the allocation.
MallocBlock Allocate(size_t bytes) {
  // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
  MallocBlock block(std::malloc(bytes));
  std::memset(block.get(), 1, bytes);
  asm volatile("" : : "r"(block.get()) : "memory");
  return block;
}

// Both sanitizers replace glibc's malloc, which mallinfo2 then does not see.
#define SKIP_UNDER_SANITIZER_MALLOC()                                 \
  if (kAddressSanitizer || kThreadSanitizer) {                        \
    GTEST_SKIP() << "the sanitizer's malloc replaces glibc's, whose " \
                    "accounting mallinfo2 reads";                     \
  }

// 64 KiB chunks stay in the arena under a 1 MiB mmap threshold, and a trim
// threshold of 1 GiB keeps the arena from shrinking when they are freed.
void FixThresholds() {
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMiB));
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

HeapStats Read() {
  const std::optional<HeapStats> stats = ReadHeapStats();
  if (!stats.has_value()) std::abort();
  return *stats;
}

TEST(HeapStatsTest, ArenaChunksCountAsInUseThenAsFree) {
  SKIP_UNDER_SANITIZER_MALLOC();
  EXPECT_EXIT(
      {
        FixThresholds();
        const HeapStats before = Read();
        std::vector<MallocBlock> chunks;
        chunks.reserve(512);
        for (int i = 0; i < 512; ++i) chunks.push_back(Allocate(64 << 10));
        // Above the chunks, so freeing them leaves a hole, not a top to trim.
        const MallocBlock fence = Allocate(64);
        const HeapStats held = Read();
        chunks.clear();
        const HeapStats freed = Read();
        const bool ok = held.in_use_bytes - before.in_use_bytes >= 32 * kMiB &&
                        held.in_use_bytes - freed.in_use_bytes >= 32 * kMiB &&
                        freed.free_bytes - held.free_bytes >= 32 * kMiB &&
                        held.mmapped_bytes == before.mmapped_bytes;
        std::exit(ok ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

TEST(HeapStatsTest, BlocksOverTheMmapThresholdCountAsMmapped) {
  SKIP_UNDER_SANITIZER_MALLOC();
  EXPECT_EXIT(
      {
        FixThresholds();
        const HeapStats before = Read();
        std::optional<MallocBlock> block = Allocate(64 * kMiB);
        const HeapStats held = Read();
        block.reset();
        const HeapStats freed = Read();
        const bool ok =
            held.mmapped_bytes - before.mmapped_bytes >= 64 * kMiB &&
            freed.mmapped_bytes == before.mmapped_bytes &&
            held.in_use_bytes - before.in_use_bytes < kMiB;
        std::exit(ok ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace wersa::server
