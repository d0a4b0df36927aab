#include "model/kernels/cpu/product.h"

#include <cstdint>

namespace wersa::kernels::cpu {

bool Avx512Supported() {
  // GCC's check includes the operating system's support for the ZMM state.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
}

void Product(int64_t rows, int64_t cols, int64_t depth, const float* a,
             int64_t sa, int64_t sk, const float* b, int64_t ldb, float* c,
             int64_t ldc, bool accumulate) {
  static const bool avx512 = Avx512Supported();
  if (avx512 && cols % 16 == 0) {
    ProductAvx512(rows, cols, depth, a, sa, sk, b, ldb, c, ldc, accumulate);
  } else {
    ProductAvx2(rows, cols, depth, a, sa, sk, b, ldb, c, ldc, accumulate);
  }
}

}  // namespace wersa::kernels::cpu
