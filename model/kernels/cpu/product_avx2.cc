#include <immintrin.h>

#include <cstdint>

#include "model/kernels/cpu/product.h"

#define WERSA_PRODUCT_TARGET __attribute__((target("avx2,fma")))
#include "model/kernels/cpu/blocked_product.h"

namespace wersa::kernels::cpu {
namespace {

struct Avx2 {
  using Vec = __m256;
  static constexpr int64_t kLanes = 8;
  WERSA_PRODUCT_TARGET static Vec Zero() { return _mm256_setzero_ps(); }
  WERSA_PRODUCT_TARGET static Vec Load(const float* p) {
    return _mm256_loadu_ps(p);
  }
  WERSA_PRODUCT_TARGET static void Store(float* p, Vec v) {
    _mm256_storeu_ps(p, v);
  }
  WERSA_PRODUCT_TARGET static Vec Broadcast(const float* p) {
    return _mm256_broadcast_ss(p);
  }
  WERSA_PRODUCT_TARGET static Vec Fma(Vec a, Vec b, Vec c) {
    return _mm256_fmadd_ps(a, b, c);
  }
};

}  // namespace

// Twelve accumulators: Zen 3 and Skylake keep 8 FMAs in flight (latency 4,
// two pipes), and 12 of the 16 vector registers leave room for the B
// vectors and a broadcast.
WERSA_PRODUCT_TARGET void ProductAvx2(int64_t rows, int64_t cols, int64_t depth,
                                      const float* a, int64_t sa, int64_t sk,
                                      const float* b, int64_t ldb, float* c,
                                      int64_t ldc, bool accumulate) {
  if ((cols / Avx2::kLanes) % 2 == 0) {
    blocked::BlockedProduct<Avx2, 6, 2>(rows, cols, depth, a, sa, sk, b, ldb, c,
                                        ldc, accumulate);
  } else {
    blocked::BlockedProduct<Avx2, 12, 1>(rows, cols, depth, a, sa, sk, b, ldb,
                                         c, ldc, accumulate);
  }
}

}  // namespace wersa::kernels::cpu
