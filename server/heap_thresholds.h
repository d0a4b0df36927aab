#ifndef WERSA_SERVER_HEAP_THRESHOLDS_H_
#define WERSA_SERVER_HEAP_THRESHOLDS_H_

#include <cstddef>

#include "absl/status/status.h"

namespace wersa::server {

// glibc malloc raises its mmap threshold to the size of every mmapped block
// freed (up to 32 MiB) and its trim threshold to twice that, for good. After
// the first multi-megabyte message, each per-thread arena may then keep up
// to 64 MiB of free memory at its top, resident, and malloc_trim(0) does not
// release a per-thread arena's top (only the main arena's). How much a burst
// left behind depended on which arenas' tops it grew: after the abuse test's
// load, RSS was +4% to +15% above its reading after the warm-up with glibc's
// defaults, +0.2% to +0.7% with these thresholds (docs/operations.md).
//
// Fixed thresholds also turn glibc's adjustment off. The mmap threshold is
// where glibc's own adjustment ends anyway, 32 MiB: smaller blocks come from
// the arenas, as they did once the first large message had been freed (a
// 1 MiB threshold bounded RSS as well, and served long documents no faster).
// The trim threshold is what bounds the growth: an arena gives its top back
// once it is over 1 MiB, instead of 64 MiB. Tensors of 1 MiB and more do not
// reach malloc at all: the CachingHostAllocator keeps them.
struct HeapThresholds {
  size_t mmap_threshold = size_t{32} << 20;
  size_t trim_threshold = size_t{1} << 20;
};

// Applies `thresholds`, unless `glibc_tunables` (the GLIBC_TUNABLES
// environment variable, or null) sets either threshold: an operator's
// setting wins. InvalidArgument over INT_MAX (mallopt's argument);
// FailedPrecondition where malloc refuses them (AddressSanitizer's does). Call
// early in main: the thresholds are process-wide.
absl::Status FixHeapThresholds(const HeapThresholds& thresholds,
                               const char* glibc_tunables);

}  // namespace wersa::server

#endif  // WERSA_SERVER_HEAP_THRESHOLDS_H_
