#ifndef WERSA_MODEL_DEVICE_MEMORY_H_
#define WERSA_MODEL_DEVICE_MEMORY_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace wersa {

// LibTorch's caching allocator on one GPU: bytes held by live tensors, and
// bytes the allocator has taken from the driver (allocated plus its cache).
struct DeviceMemory {
  int64_t allocated_bytes = 0;
  int64_t reserved_bytes = 0;
};

// The reading for `device` ("cuda:N"); nullopt for "cpu", for a malformed
// name, and in a build whose LibTorch has no CUDA (then no GPU can be used
// anyway). Safe to call from any thread; it neither allocates on nor
// synchronises the device.
std::optional<DeviceMemory> ReadDeviceMemory(absl::string_view device);

}  // namespace wersa

#endif  // WERSA_MODEL_DEVICE_MEMORY_H_
