#include "model/memory_tracking.h"

#include <c10/core/CPUAllocator.h>

#include <new>

namespace wersa {
namespace {

// Above the default CPU allocator's 0; SetCPUAllocator replaces an allocator
// of equal or lower priority, so restoring and reinstalling both work.
constexpr uint8_t kPriority = 100;

// Stored in front of each block. Some LibTorch code frees through
// raw_deleter() with only the data pointer, so the size and the counters to
// update must be found from that pointer. 64 bytes keep LibTorch's alignment.
struct alignas(64) BlockHeader {
  int64_t bytes;
  std::shared_ptr<TrackingCpuAllocator::Counters> counters;
  c10::Allocator* base;
};

void FreeTracked(void* data) {
  BlockHeader* header = static_cast<BlockHeader*>(data) - 1;
  header->counters->current.fetch_sub(header->bytes);
  c10::Allocator* base = header->base;
  header->~BlockHeader();
  base->raw_deallocate(header);
}

}  // namespace

TrackingCpuAllocator::TrackingCpuAllocator()
    : previous_(c10::GetCPUAllocator()),
      counters_(std::make_shared<Counters>()) {
  c10::SetCPUAllocator(this, kPriority);
}

TrackingCpuAllocator::~TrackingCpuAllocator() {
  c10::SetCPUAllocator(previous_, kPriority);
}

c10::DeleterFnPtr TrackingCpuAllocator::raw_deleter() const {
  return &FreeTracked;
}

c10::DataPtr TrackingCpuAllocator::AllocateBytes(size_t bytes) const {
  void* block = previous_->raw_allocate(sizeof(BlockHeader) + bytes);
  const auto size = static_cast<int64_t>(bytes);
  // The block is owned by the DataPtr returned below and freed by FreeTracked.
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
  auto* header = new (block) BlockHeader{size, counters_, previous_};
  const int64_t now = counters_->current.fetch_add(size) + size;
  int64_t peak = counters_->peak.load();
  while (now > peak && !counters_->peak.compare_exchange_weak(peak, now)) {
  }
  void* data = header + 1;
  return {data, data, &FreeTracked, c10::Device(c10::DeviceType::CPU)};
}

}  // namespace wersa
