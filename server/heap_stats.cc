#include "server/heap_stats.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace wersa::server {

std::optional<HeapStats> ReadHeapStats() {
#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  HeapStats stats;
  stats.in_use_bytes = static_cast<int64_t>(info.uordblks);
  stats.free_bytes = static_cast<int64_t>(info.fordblks);
  stats.mmapped_bytes = static_cast<int64_t>(info.hblkhd);
  return stats;
#else
  return std::nullopt;
#endif
}

}  // namespace wersa::server
