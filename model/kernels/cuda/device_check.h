#ifndef WERSA_MODEL_KERNELS_CUDA_DEVICE_CHECK_H_
#define WERSA_MODEL_KERNELS_CUDA_DEVICE_CHECK_H_

// The smallest CUDA path: proves that the project's kernels compile with nvcc,
// link into the model library and run where a GPU exists. Plain C++ types
// only, so hosts without CUDA headers can include it.

#include <string>
#include <vector>

namespace wersa::kernels::cuda {

// Usable CUDA devices; 0 without a driver or GPU.
int DeviceCount();

// y <- a * x + y on device 0. Returns an empty string on success, else the
// CUDA error.
std::string AxpyOnDevice(float a, const std::vector<float>& x,
                         std::vector<float>* y);

}  // namespace wersa::kernels::cuda

#endif  // WERSA_MODEL_KERNELS_CUDA_DEVICE_CHECK_H_
