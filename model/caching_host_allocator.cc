#include "model/caching_host_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <new>

namespace wersa {
namespace {

// Above the default allocator's 0. TrackingCpuAllocator uses the same value:
// SetCPUAllocator only replaces an allocator of equal or lower priority.
constexpr uint8_t kPriority = 100;
constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t value, size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// Large blocks are mapped for themselves, not taken from malloc: a block
// the cache lets go then goes back to the system at once. From malloc, blocks
// under its mmap threshold (32 MiB in the server) came from its arenas, and
// an evicted one stayed resident there as free heap until a trim; under load
// that never pauses no trim runs, and the arenas' free memory grew (the soak,
// docs/benchmarks.md). Each block is aligned to huge pages, so that
// MADV_HUGEPAGE can back it with 2 MiB pages.
struct UnmapBlock {
  size_t bytes = 0;
  void operator()(void* block) const { munmap(block, bytes); }
};
using HugeBlock = std::unique_ptr<void, UnmapBlock>;

// `bytes` (a multiple of kHugePage) at a huge-page boundary: maps a huge page
// more and unmaps the ends around the aligned part.
HugeBlock MapHugeAligned(size_t bytes) {
  const size_t mapped = bytes + kHugePage;
  void* start = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (start == MAP_FAILED) throw std::bad_alloc();
  const auto address = reinterpret_cast<uintptr_t>(start);
  const size_t lead = RoundUp(address, kHugePage) - address;
  char* const block = static_cast<char*>(start) + lead;
  if (lead > 0) munmap(start, lead);
  if (mapped > lead + bytes) munmap(block + bytes, mapped - lead - bytes);
  // Advice only: where transparent huge pages are off, nothing changes.
  madvise(block, bytes, MADV_HUGEPAGE);
  return HugeBlock(block, UnmapBlock{bytes});
}

}  // namespace

// Free lists of large blocks, shared with every block it handed out so that
// blocks freed after the allocator is gone still find their way back.
class CachingHostAllocator::Pool {
 public:
  Pool(c10::Allocator* small, const CachingHostAllocatorOptions& options)
      : small_(small), options_(options) {}
  ~Pool() { ReleaseIdle(); }

  // Header stored in front of every block: the deleter only gets the data
  // pointer. 64 bytes keep LibTorch's alignment.
  struct alignas(64) Header {
    size_t capacity;   // whole block, header included; 0 for small blocks
    size_t requested;  // what the allocation needed, rounded as a new block
    std::shared_ptr<Pool> pool;
  };

  void* Allocate(size_t bytes, const std::shared_ptr<Pool>& self) {
    const size_t needed = bytes + sizeof(Header);
    if (needed < options_.min_cached_bytes) {
      void* block = small_->raw_allocate(needed);
      return Stamp(block, 0, 0, self);
    }
    const size_t capacity = RoundUp(needed, kHugePage);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Best fit, wasting at most a quarter of the request.
      const auto fit = idle_by_size_.lower_bound(capacity);
      if (fit != idle_by_size_.end() && fit->first <= capacity + capacity / 4) {
        void* block = fit->second->block.release();
        const size_t found = fit->first;
        idle_order_.erase(fit->second);
        idle_by_size_.erase(fit);
        idle_bytes_ -= found;
        in_use_bytes_ += found;
        working_set_bytes_ += capacity;
        peak_working_set_bytes_ =
            std::max(peak_working_set_bytes_, working_set_bytes_);
        ++reused_;
        return Stamp(block, found, capacity, self);
      }
    }
    // New memory: first, idle blocks go back until what the cache holds,
    // this block included, is within held_per_peak of the peak working set.
    std::list<IdleBlock> evicted;  // freed after the lock is released
    {
      std::lock_guard<std::mutex> lock(mutex_);
      working_set_bytes_ += capacity;
      peak_working_set_bytes_ =
          std::max(peak_working_set_bytes_, working_set_bytes_);
      const size_t most_held =
          peak_working_set_bytes_ *
          static_cast<size_t>(std::max(options_.held_per_peak, 1));
      while (!idle_order_.empty() &&
             in_use_bytes_ + idle_bytes_ + capacity > most_held) {
        evicted.splice(evicted.end(), idle_order_, OldestIdle());
      }
      in_use_bytes_ += capacity;
      ++fresh_;
    }
    evicted.clear();
    try {
      return Stamp(MapHugeAligned(capacity).release(), capacity, capacity,
                   self);
    } catch (const std::bad_alloc&) {
      std::lock_guard<std::mutex> lock(mutex_);
      in_use_bytes_ -= capacity;
      working_set_bytes_ -= capacity;
      --fresh_;
      throw;
    }
  }

  static void Free(void* data) {
    Header* header = static_cast<Header*>(data) - 1;
    std::shared_ptr<Pool> pool = std::move(header->pool);
    const size_t capacity = header->capacity;
    const size_t requested = header->requested;
    header->~Header();
    pool->Release(header, capacity, requested);
  }

  CachingHostAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {static_cast<int64_t>(in_use_bytes_),
            static_cast<int64_t>(idle_bytes_),
            static_cast<int64_t>(peak_working_set_bytes_), reused_, fresh_};
  }

  void ReleaseIdle() {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_order_.clear();
    idle_by_size_.clear();
    idle_bytes_ = 0;
  }

 private:
  struct IdleBlock {
    HugeBlock block;
    std::multimap<size_t, std::list<IdleBlock>::iterator>::iterator by_size;
  };

  static void* Stamp(void* block, size_t capacity, size_t requested,
                     const std::shared_ptr<Pool>& self) {
    // The header lives inside the block; Free() destroys it from the data
    // pointer LibTorch hands back.
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
    auto* header = new (block) Header{capacity, requested, self};
    return header + 1;
  }

  // The least recently freed idle block, out of the size index and the
  // count; still in idle_order_ for the caller to move or erase.
  std::list<IdleBlock>::iterator OldestIdle() {
    const auto oldest = idle_order_.begin();
    idle_bytes_ -= oldest->by_size->first;
    idle_by_size_.erase(oldest->by_size);
    return oldest;
  }

  void Release(void* block, size_t capacity, size_t requested) {
    if (capacity == 0) {
      small_->raw_deallocate(block);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_bytes_ -= capacity;
    working_set_bytes_ -= requested;
    idle_order_.push_back(
        IdleBlock{HugeBlock(block, UnmapBlock{capacity}), {}});
    idle_order_.back().by_size =
        idle_by_size_.emplace(capacity, std::prev(idle_order_.end()));
    idle_bytes_ += capacity;
    while (idle_bytes_ > options_.max_idle_bytes && !idle_order_.empty()) {
      idle_order_.erase(OldestIdle());  // frees the block
    }
  }

  c10::Allocator* small_;
  CachingHostAllocatorOptions options_;
  std::mutex mutex_;
  std::list<IdleBlock> idle_order_;  // least recently freed first
  std::multimap<size_t, std::list<IdleBlock>::iterator> idle_by_size_;
  size_t idle_bytes_ = 0;
  size_t in_use_bytes_ = 0;
  // What the live blocks' allocations needed (a reused block may be up to a
  // quarter larger), and the most that has been.
  size_t working_set_bytes_ = 0;
  size_t peak_working_set_bytes_ = 0;
  int64_t reused_ = 0;
  int64_t fresh_ = 0;
};

CachingHostAllocator::CachingHostAllocator(
    const CachingHostAllocatorOptions& options)
    : previous_(c10::GetCPUAllocator()),
      pool_(std::make_shared<Pool>(previous_, options)) {
  c10::SetCPUAllocator(this, kPriority);
}

CachingHostAllocator::~CachingHostAllocator() {
  c10::SetCPUAllocator(previous_, kPriority);
  pool_->ReleaseIdle();
}

c10::DataPtr CachingHostAllocator::AllocateBytes(size_t bytes) const {
  void* data = pool_->Allocate(bytes, pool_);
  return {data, data, &Pool::Free, c10::Device(c10::DeviceType::CPU)};
}

c10::DeleterFnPtr CachingHostAllocator::raw_deleter() const {
  return &Pool::Free;
}

CachingHostAllocatorStats CachingHostAllocator::stats() const {
  return pool_->stats();
}

void CachingHostAllocator::ReleaseIdle() { pool_->ReleaseIdle(); }

}  // namespace wersa
