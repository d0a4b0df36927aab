#include <immintrin.h>

#include <cstdint>

#include "model/kernels/cpu/product.h"

#define WERSA_PRODUCT_TARGET __attribute__((target("avx512f,avx2,fma")))
#include "model/kernels/cpu/blocked_product.h"

namespace wersa::kernels::cpu {
namespace {

struct Avx512 {
  using Vec = __m512;
  static constexpr int64_t kLanes = 16;
  WERSA_PRODUCT_TARGET static Vec Zero() { return _mm512_setzero_ps(); }
  WERSA_PRODUCT_TARGET static Vec Load(const float* p) {
    return _mm512_loadu_ps(p);
  }
  WERSA_PRODUCT_TARGET static void Store(float* p, Vec v) {
    _mm512_storeu_ps(p, v);
  }
  WERSA_PRODUCT_TARGET static Vec Broadcast(const float* p) {
    return _mm512_set1_ps(*p);
  }
  WERSA_PRODUCT_TARGET static Vec Fma(Vec a, Vec b, Vec c) {
    return _mm512_fmadd_ps(a, b, c);
  }
};

}  // namespace

// 32 vector registers: 24 accumulators, the B vectors of one k and a
// broadcast, in whichever shape the columns allow (64, 32 or 16 of them per
// block).
WERSA_PRODUCT_TARGET void ProductAvx512(int64_t rows, int64_t cols,
                                        int64_t depth, const float* a,
                                        int64_t sa, int64_t sk, const float* b,
                                        int64_t ldb, float* c, int64_t ldc,
                                        bool accumulate) {
  if (cols % (4 * Avx512::kLanes) == 0) {
    blocked::BlockedProduct<Avx512, 6, 4>(rows, cols, depth, a, sa, sk, b, ldb,
                                          c, ldc, accumulate);
  } else if (cols % (2 * Avx512::kLanes) == 0) {
    blocked::BlockedProduct<Avx512, 12, 2>(rows, cols, depth, a, sa, sk, b, ldb,
                                           c, ldc, accumulate);
  } else {
    blocked::BlockedProduct<Avx512, 24, 1>(rows, cols, depth, a, sa, sk, b, ldb,
                                           c, ldc, accumulate);
  }
}

}  // namespace wersa::kernels::cpu
