#include <cuda_runtime.h>

#include <memory>

#include "model/kernels/cuda/device_check.h"

namespace wersa::kernels::cuda {
namespace {

__global__ void AxpyKernel(float a, const float* x, float* y, size_t n) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

struct DeviceFree {
  void operator()(float* p) const { cudaFree(p); }
};
using DeviceBuffer = std::unique_ptr<float, DeviceFree>;

std::string ErrorText(cudaError_t error) {
  return std::string(cudaGetErrorName(error)) + ": " +
         cudaGetErrorString(error);
}

}  // namespace

int DeviceCount() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

std::string AxpyOnDevice(float a, const std::vector<float>& x,
                         std::vector<float>* y) {
  if (x.size() != y->size()) return "x and y differ in size";
  const size_t n = x.size();
  const size_t bytes = n * sizeof(float);
  float* raw_x = nullptr;
  float* raw_y = nullptr;
  if (cudaError_t e = cudaMalloc(&raw_x, bytes); e != cudaSuccess)
    return ErrorText(e);
  DeviceBuffer device_x(raw_x);
  if (cudaError_t e = cudaMalloc(&raw_y, bytes); e != cudaSuccess)
    return ErrorText(e);
  DeviceBuffer device_y(raw_y);
  if (cudaError_t e =
          cudaMemcpy(raw_x, x.data(), bytes, cudaMemcpyHostToDevice);
      e != cudaSuccess) {
    return ErrorText(e);
  }
  if (cudaError_t e =
          cudaMemcpy(raw_y, y->data(), bytes, cudaMemcpyHostToDevice);
      e != cudaSuccess) {
    return ErrorText(e);
  }
  constexpr unsigned kThreads = 256;
  const auto blocks = static_cast<unsigned>((n + kThreads - 1) / kThreads);
  AxpyKernel<<<blocks, kThreads>>>(a, raw_x, raw_y, n);
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return ErrorText(e);
  if (cudaError_t e =
          cudaMemcpy(y->data(), raw_y, bytes, cudaMemcpyDeviceToHost);
      e != cudaSuccess) {
    return ErrorText(e);
  }
  return {};
}

}  // namespace wersa::kernels::cuda
