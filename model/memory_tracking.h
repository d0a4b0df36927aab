#ifndef WERSA_MODEL_MEMORY_TRACKING_H_
#define WERSA_MODEL_MEMORY_TRACKING_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "model/cpu_allocator_base.h"

namespace wersa {

// Counts the bytes of every CPU tensor allocation while installed, and their
// peak, so benchmarks and tests can state exactly how much tensor memory a
// forward pass needs beyond its inputs. Installs itself as LibTorch's CPU
// allocator for its lifetime and restores the previous one after; allocations
// made while installed may outlive it safely.
class TrackingCpuAllocator final : public CpuAllocatorBase {
 public:
  TrackingCpuAllocator();
  ~TrackingCpuAllocator() override;
  TrackingCpuAllocator(const TrackingCpuAllocator&) = delete;
  TrackingCpuAllocator& operator=(const TrackingCpuAllocator&) = delete;

  c10::DeleterFnPtr raw_deleter() const override;

  int64_t current_bytes() const { return counters_->current.load(); }
  int64_t peak_bytes() const { return counters_->peak.load(); }
  // Restarts peak tracking from the bytes allocated now.
  void ResetPeak() { counters_->peak.store(counters_->current.load()); }

  struct Counters {
    std::atomic<int64_t> current{0};
    std::atomic<int64_t> peak{0};
  };

 protected:
  c10::DataPtr AllocateBytes(size_t bytes) const override;

 private:
  c10::Allocator* previous_;
  std::shared_ptr<Counters> counters_;
};

}  // namespace wersa

#endif  // WERSA_MODEL_MEMORY_TRACKING_H_
