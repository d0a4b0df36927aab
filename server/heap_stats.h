#ifndef WERSA_SERVER_HEAP_STATS_H_
#define WERSA_SERVER_HEAP_STATS_H_

#include <cstdint>
#include <optional>

namespace wersa::server {

// The C heap as malloc accounts for it, summed over every arena: the part
// of resident memory outside the host tensor cache that moves with load
// (the rest is code, libraries and thread stacks). The split says whether
// what grows is memory the program holds (in_use) or memory it freed that
// the arenas keep (free: what malloc_trim can give back, as far as whole
// pages of it are resident).
struct HeapStats {
  int64_t in_use_bytes = 0;   // allocated chunks in the arenas
  int64_t free_bytes = 0;     // free chunks in the arenas
  int64_t mmapped_bytes = 0;  // blocks over the mmap threshold, each mapped
};

// mallinfo2(): it takes each arena's lock and walks its free lists, so a
// reading costs time in proportion to the free chunks; read it at scrape
// intervals, not per request. nullopt where malloc is not glibc's.
std::optional<HeapStats> ReadHeapStats();

}  // namespace wersa::server

#endif  // WERSA_SERVER_HEAP_STATS_H_
