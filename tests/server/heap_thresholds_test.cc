// FixHeapThresholds against glibc's real malloc. Each case that changes the
// process-wide thresholds runs in a child process (EXPECT_EXIT), so the cases
// do not depend on their order, and starts from a trimmed heap. A block
// "mapped for itself" is one malloc serves with its own mmap (mallinfo2's
// hblks), so free() unmaps it; mallinfo2's keepcost is the free memory at
// the top of the main arena, which stays resident until trimmed.
#include "server/heap_thresholds.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "tests/sanitizers.h"

namespace wersa::server {
namespace {

using testing_support::kAddressSanitizer;
using testing_support::kThreadSanitizer;

// Both replace glibc's malloc with their own.
constexpr bool kSanitizerMalloc = kAddressSanitizer || kThreadSanitizer;

constexpr size_t kMiB = size_t{1} << 20;

struct FreeWithMalloc {
  // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
  void operator()(void* block) const { std::free(block); }
};

// Allocates and frees a block with malloc itself, since malloc's own choices
// are what is tested; the block is touched so the compiler cannot drop the
// pair. Returns whether malloc mapped it for itself.
bool MappedForItself(size_t bytes) {
  const size_t before = mallinfo2().hblks;
  // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
  const std::unique_ptr<void, FreeWithMalloc> block(std::malloc(bytes));
  std::memset(block.get(), 1, bytes);
  asm volatile("" : : "r"(block.get()) : "memory");
  return mallinfo2().hblks > before;
}

// Frees a 16 MiB block, then an 8 MiB one, and returns the free memory the
// main arena then keeps at its top, resident (keepcost), or 0 where malloc
// mapped the 8 MiB block for itself (not the arena case these tests need).
// Under glibc's own thresholds the 16 MiB block is mapped, and freeing it
// raises them (mmap to 16 MiB, trim to 32 MiB), so the 8 MiB block comes from
// the arena and stays at its top.
size_t KeptTopAfterLargeBlocks() {
  malloc_trim(0);
  MappedForItself(16 * kMiB);
  if (MappedForItself(8 * kMiB)) return 0;
  return mallinfo2().keepcost;
}

// What the server's thresholds prevent: after one large message, glibc
// keeps an arena's freed top of 8 MiB resident.
TEST(HeapThresholdsTest, GlibcAloneKeepsAFreedTopOfEightMebibytes) {
  if (kSanitizerMalloc) GTEST_SKIP() << "a sanitizer replaces glibc's malloc";
  EXPECT_EXIT(std::exit(KeptTopAfterLargeBlocks() >= 8 * kMiB ? 0 : 1),
              testing::ExitedWithCode(0), "");
}

TEST(HeapThresholdsTest, FixedThresholdsGiveTheTopBack) {
  if (kSanitizerMalloc) GTEST_SKIP() << "a sanitizer replaces glibc's malloc";
  EXPECT_EXIT(
      {
        if (!FixHeapThresholds(HeapThresholds{}, nullptr).ok()) std::exit(2);
        // Over the fixed 32 MiB mmap threshold, a block is still mapped.
        if (!MappedForItself(40 * kMiB)) std::exit(3);
        // The trim threshold plus glibc's 128 KiB top pad, at most.
        const size_t kept = KeptTopAfterLargeBlocks();
        std::exit(kept > 0 && kept < 2 * kMiB ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

TEST(HeapThresholdsTest, AnOperatorsGlibcTunablesWin) {
  if (kSanitizerMalloc) GTEST_SKIP() << "a sanitizer replaces glibc's malloc";
  EXPECT_EXIT(
      {
        if (!FixHeapThresholds(HeapThresholds{},
                               "glibc.malloc.trim_threshold=131072")
                 .ok()) {
          std::exit(2);
        }
        std::exit(KeptTopAfterLargeBlocks() >= 8 * kMiB ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

TEST(HeapThresholdsTest, ThresholdsOverIntMaxAreRefusedBeforeAnyChange) {
  const absl::Status status =
      FixHeapThresholds({.mmap_threshold = size_t{1} << 40}, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("M_MMAP_THRESHOLD"), std::string::npos)
      << status;
}

// ASan's malloc takes no option: the server then warns and runs on. (TSan
// lets glibc's mallopt take them, with no effect on its own allocator.)
TEST(HeapThresholdsTest, AddressSanitizersMallocRefusesThem) {
  if (!kAddressSanitizer) GTEST_SKIP() << "only ASan's malloc refuses them";
  EXPECT_EQ(FixHeapThresholds(HeapThresholds{}, nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace wersa::server
