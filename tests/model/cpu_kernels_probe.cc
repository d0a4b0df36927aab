// Prints what ConfigureCpuKernels chose, for cpu_kernels_test to run in a
// child process with a controlled environment.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/cpu_kernels.h"

int main(int /*argc*/, char** argv) {
  const auto kernels = wersa::ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::printf("error: %s\n", std::string(kernels.status().message()).c_str());
    return 1;
  }
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("core=%s\norigin=%s\naten=%s\nenv=%s\n",
              kernels->blas_core.c_str(), kernels->blas_origin.c_str(),
              kernels->aten_capability.c_str(), core != nullptr ? core : "");
  return 0;
}
