// The CUDA build path: compiles everywhere nvcc exists, runs where a GPU does.
#include <gtest/gtest.h>

#include <vector>

#ifdef WERSA_WITH_CUDA
#include "model/kernels/cuda/device_check.h"
#endif

namespace {

TEST(CudaKernelsTest, AxpyOnDeviceMatchesHost) {
#ifndef WERSA_WITH_CUDA
  GTEST_SKIP()
      << "built without CUDA (WERSA_CUDA=OFF or no nvcc at configure time)";
#else
  if (wersa::kernels::cuda::DeviceCount() == 0) {
    GTEST_SKIP() << "no CUDA device on this machine; the kernel compiled and "
                    "linked only";
  }
  std::vector<float> x(100003), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i % 17) - 8.0f;
    y[i] = static_cast<float>(i % 5);
  }
  std::vector<float> expected(y);
  for (size_t i = 0; i < x.size(); ++i) expected[i] = 2.5f * x[i] + y[i];
  ASSERT_EQ(wersa::kernels::cuda::AxpyOnDevice(2.5f, x, &y), "");
  EXPECT_EQ(y, expected);
#endif
}

}  // namespace
