#include "model/device_memory.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

// Only a LibTorch built with CUDA has c10_cuda to link against; CMake defines
// WERSA_TORCH_CUDA then (model/CMakeLists.txt).
#if defined(WERSA_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace wersa {

std::optional<DeviceMemory> ReadDeviceMemory(absl::string_view device) {
  constexpr absl::string_view kCuda = "cuda:";
  int index = 0;
  if (!absl::StartsWith(device, kCuda) ||
      !absl::SimpleAtoi(device.substr(kCuda.size()), &index) || index < 0) {
    return std::nullopt;
  }
#if defined(WERSA_TORCH_CUDA)
  if (index >= static_cast<int>(c10::cuda::device_count())) return std::nullopt;
  // The parameter is int in LibTorch 1.x, c10::DeviceIndex in 2.x.
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(
      static_cast<c10::DeviceIndex>(index));
  // Index 0 of each StatArray is StatType::AGGREGATE (every pool together).
  DeviceMemory memory;
  memory.allocated_bytes = stats.allocated_bytes[0].current;
  memory.reserved_bytes = stats.reserved_bytes[0].current;
  return memory;
#else
  return std::nullopt;
#endif
}

}  // namespace wersa
