#ifndef WERSA_MODEL_CACHING_HOST_ALLOCATOR_STATS_H_
#define WERSA_MODEL_CACHING_HOST_ALLOCATOR_STATS_H_

#include <cstdint>

namespace wersa {

// A reading of the CachingHostAllocator (model/caching_host_allocator.h).
// Apart from it so that readers (the server's metrics) need no LibTorch
// headers.
struct CachingHostAllocatorStats {
  int64_t in_use_bytes = 0;  // capacity of cached-size blocks held by tensors
  int64_t idle_bytes = 0;    // capacity of freed blocks kept for reuse
  // The most the live tensors' blocks have needed at once, each as a new
  // block would be sized (in_use_bytes can be more: a reused block may be up
  // to a quarter larger than asked). in_use_bytes + idle_bytes stays within
  // CachingHostAllocatorOptions::held_per_peak times this.
  int64_t peak_working_set_bytes = 0;
  int64_t reused = 0;  // allocations served from the cache
  int64_t fresh = 0;   // allocations that needed new memory
};

}  // namespace wersa

#endif  // WERSA_MODEL_CACHING_HOST_ALLOCATOR_STATS_H_
