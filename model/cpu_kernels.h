#ifndef WERSA_MODEL_CPU_KERNELS_H_
#define WERSA_MODEL_CPU_KERNELS_H_

#include <string>

#include "absl/status/statusor.h"

namespace wersa {

// Which CPU kernels the process runs, for logs and benchmark context.
struct CpuKernelInfo {
  std::string blas_library;  // "OpenBLAS 0.3.21 ..." or "not OpenBLAS"
  std::string blas_core;     // the kernel family OpenBLAS runs, e.g. "SkylakeX"
  std::string blas_origin;   // why: environment, detected or selected
  std::string aten_capability;  // ATEN_CPU_CAPABILITY as LibTorch will read it
  std::string aten_origin;
  std::string Describe() const;
};

// Makes OpenBLAS and LibTorch's own kernels use the widest vector
// instructions this CPU supports, then checks the BLAS arithmetic.
//
// LibTorch 1.13 runs its AVX2 kernels even on AVX-512 CPUs unless
// ATEN_CPU_CAPABILITY says otherwise (measured: GELU over 131,072 x 256
// floats, 55 ms with AVX2 and 29 ms with AVX-512 kernels); it reads the
// variable at its first kernel dispatch, so setting it here is in time. A
// value already in the environment is kept, and LibTorch itself falls back
// when the CPU lacks what the value names.
//
// OpenBLAS picks its kernels once, when the library loads, before main() runs,
// and on some virtualised CPUs it detects far less than the CPU offers (SSE3 on
// an AVX-512 Xeon: 6x slower matmuls). Call this first in main(), with main's
// own argv: where the detected kernel family is below what the CPU supports
// and OPENBLAS_CORETYPE is not already set, it sets OPENBLAS_CORETYPE and
// re-executes the program (it does not return then). After that, and in every
// other case, it checks GEMM results against a double-precision reference;
// a failing choice of ours is replaced by the next safer kernel family (by
// re-executing again). An error means that the kernel family the environment
// chose computes wrong results, or that every candidate failed: the program
// must not run on it.
absl::StatusOr<CpuKernelInfo> ConfigureCpuKernels(char** argv);

// Measures single-precision GEMM throughput in GFLOP/s with the current
// thread setting, on square matrices of the given size.
double MeasureGemmGflops(int size, int repetitions);

}  // namespace wersa

#endif  // WERSA_MODEL_CPU_KERNELS_H_
