#ifndef WERSA_MODEL_CACHING_HOST_ALLOCATOR_H_
#define WERSA_MODEL_CACHING_HOST_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "model/caching_host_allocator_stats.h"
#include "model/cpu_allocator_base.h"

namespace wersa {

struct CachingHostAllocatorOptions {
  // Blocks at least this large are cached; smaller ones go to the previous
  // allocator (glibc malloc serves them from its heaps without page faults).
  size_t min_cached_bytes = size_t{1} << 20;
  // Freed blocks kept for reuse, at most; the least recently freed go back
  // to the system first.
  size_t max_idle_bytes = size_t{2} << 30;
  // What the cache holds (blocks in use and idle) stays within this multiple
  // of the most its tensors have held at once: before new memory is taken,
  // idle blocks go back, the least recently freed first. Passes over one
  // shape of input keep reusing their blocks (one long document's pass
  // needed 1.4 times its peak to run again with no new memory); batches of
  // many shapes leave at most this much behind, not a set of blocks per
  // shape up to max_idle_bytes. Values below 1 count as 1.
  int held_per_peak = 2;
};

// LibTorch's CPU allocator for inference on long inputs.
//
// glibc serves every block over 32 MiB with a fresh mmap and returns it with
// munmap, so each forward pass over 131,072 tokens page-faults and zeroes
// its ~1 GB of activations again: measured, half of the layer's time. This
// allocator keeps freed large blocks and hands them to later allocations of
// similar size. It maps each new block for itself (backed by transparent
// huge pages), so a block it lets go is unmapped at once rather than left
// as free memory in malloc's arenas. Installs
// itself as the CPU allocator for its lifetime (own it in main) and restores
// the previous one after; blocks may outlive it.
class CachingHostAllocator final : public CpuAllocatorBase {
 public:
  explicit CachingHostAllocator(
      const CachingHostAllocatorOptions& options = {});
  ~CachingHostAllocator() override;
  CachingHostAllocator(const CachingHostAllocator&) = delete;
  CachingHostAllocator& operator=(const CachingHostAllocator&) = delete;

  c10::DeleterFnPtr raw_deleter() const override;

  CachingHostAllocatorStats stats() const;
  // Returns every idle block to the system.
  void ReleaseIdle();

  class Pool;

 protected:
  c10::DataPtr AllocateBytes(size_t bytes) const override;

 private:
  c10::Allocator* previous_;
  std::shared_ptr<Pool> pool_;
};

}  // namespace wersa

#endif  // WERSA_MODEL_CACHING_HOST_ALLOCATOR_H_
