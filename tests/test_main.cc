// Shared main of the test programs: the same BLAS set-up as the product's
// binaries (it may re-execute the program with OPENBLAS_CORETYPE set), then
// GoogleTest.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <string>

#include "model/cpu_kernels.h"

int main(int argc, char** argv) {
  const auto kernels = wersa::ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::fprintf(stderr, "CPU kernel check failed: %s\n",
                 std::string(kernels.status().message()).c_str());
    return 1;
  }
  torch::set_num_threads(1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
