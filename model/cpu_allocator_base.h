#ifndef WERSA_MODEL_CPU_ALLOCATOR_BASE_H_
#define WERSA_MODEL_CPU_ALLOCATOR_BASE_H_

#include <c10/core/Allocator.h>
#include <torch/version.h>

#include <cstddef>
#include <cstring>

namespace wersa {

// The one place that knows how c10::Allocator's interface differs between the
// LibTorch lines we build against: 2.3 made allocate() non-const and added a
// pure copy_data() (Debian's 1.13 on the servers, pip's 2.x on the GPU
// machine). Our CPU allocators implement AllocateBytes() and build on both.
class CpuAllocatorBase : public c10::Allocator {
 public:
#if TORCH_VERSION_MAJOR > 2 || \
    (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t bytes) final { return AllocateBytes(bytes); }
  void copy_data(void* destination, const void* source,
                 size_t bytes) const final {
    std::memcpy(destination, source, bytes);
  }
#else
  c10::DataPtr allocate(size_t bytes) const final {
    return AllocateBytes(bytes);
  }
#endif

 protected:
  virtual c10::DataPtr AllocateBytes(size_t bytes) const = 0;
};

}  // namespace wersa

#endif  // WERSA_MODEL_CPU_ALLOCATOR_BASE_H_
