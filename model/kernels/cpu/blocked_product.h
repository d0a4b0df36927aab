#ifndef WERSA_MODEL_KERNELS_CPU_BLOCKED_PRODUCT_H_
#define WERSA_MODEL_KERNELS_CPU_BLOCKED_PRODUCT_H_

// The register-blocked product every fused stage is made of, written once
// for any vector instruction set. A translation unit instantiates it for one
// set: it defines WERSA_PRODUCT_TARGET as that set's function attribute
// (e.g. __attribute__((target("avx2,fma")))) before including this header,
// and passes a traits type with
//   using Vec;  static constexpr int64_t kLanes;
//   static Vec Zero(); static Vec Load(const float*);
//   static void Store(float*, Vec); static Vec Broadcast(const float*);
//   static Vec Fma(Vec a, Vec b, Vec c);  // a b + c
// all carrying the same attribute. Each output element is one chain of FMAs
// in k order whatever the vector width, so every instruction set gives
// bit-identical results.

#include <cstdint>
#include <initializer_list>

#ifndef WERSA_PRODUCT_TARGET
#error "define WERSA_PRODUCT_TARGET before including blocked_product.h"
#endif

namespace wersa::kernels::cpu::blocked {

//   C[i][0 : L NV] (+)= sum_k A[i sa + k sk] B[k ldb + 0 : L NV],  i < AB,
// L = Isa::kLanes, with AB x NV accumulators held in registers across the
// k loop.
template <typename Isa, int AB, int NV>
WERSA_PRODUCT_TARGET inline void MicroProduct(int64_t depth, const float* a,
                                              int64_t sa, int64_t sk,
                                              const float* b, int64_t ldb,
                                              float* c, int64_t ldc,
                                              bool accumulate) {
  typename Isa::Vec acc[AB][NV];
  for (int i = 0; i < AB; ++i) {
    for (int v = 0; v < NV; ++v) {
      acc[i][v] =
          accumulate ? Isa::Load(c + i * ldc + v * Isa::kLanes) : Isa::Zero();
    }
  }
  for (int64_t k = 0; k < depth; ++k) {
    typename Isa::Vec bv[NV];
    for (int v = 0; v < NV; ++v) {
      bv[v] = Isa::Load(b + k * ldb + v * Isa::kLanes);
    }
    for (int i = 0; i < AB; ++i) {
      const typename Isa::Vec av = Isa::Broadcast(a + i * sa + k * sk);
      for (int v = 0; v < NV; ++v) {
        acc[i][v] = Isa::Fma(av, bv[v], acc[i][v]);
      }
    }
  }
  for (int i = 0; i < AB; ++i) {
    for (int v = 0; v < NV; ++v) {
      Isa::Store(c + i * ldc + v * Isa::kLanes, acc[i][v]);
    }
  }
}

// MicroProduct with `rows` (1..R) rows chosen at run time.
template <typename Isa, int NV, int R>
WERSA_PRODUCT_TARGET inline void MicroRows(int64_t rows, int64_t depth,
                                           const float* a, int64_t sa,
                                           int64_t sk, const float* b,
                                           int64_t ldb, float* c, int64_t ldc,
                                           bool accumulate) {
  if constexpr (R > 1) {
    if (rows < R) {
      MicroRows<Isa, NV, R - 1>(rows, depth, a, sa, sk, b, ldb, c, ldc,
                                accumulate);
      return;
    }
  }
  MicroProduct<Isa, R, NV>(depth, a, sa, sk, b, ldb, c, ldc, accumulate);
}

// C[rows][cols] (+)= A B with A[i][k] = a[i sa + k sk] and B [depth][cols]
// row-major, cols a multiple of NV * Isa::kLanes.
template <typename Isa, int AB, int NV>
WERSA_PRODUCT_TARGET void BlockedProduct(int64_t rows, int64_t cols,
                                         int64_t depth, const float* a,
                                         int64_t sa, int64_t sk, const float* b,
                                         int64_t ldb, float* c, int64_t ldc,
                                         bool accumulate) {
  // Full blocks of AB rows; the last AB + (rows % AB) rows as two blocks of
  // about equal size, because a block of one or two rows has too few
  // accumulators to hide the FMA latency (32 rows: 6+6+6+6+4+4, not
  // 6+6+6+6+6+1+1).
  const int64_t full = rows / AB;
  const int64_t plain = (rows % AB != 0 && full > 0) ? full - 1 : full;
  const int64_t left = rows - plain * AB;
  const int64_t first_part = left > AB ? (left + 1) / 2 : left;
  for (int64_t col = 0; col < cols; col += NV * Isa::kLanes) {
    for (int64_t row = 0; row < plain * AB; row += AB) {
      MicroProduct<Isa, AB, NV>(depth, a + row * sa, sa, sk, b + col, ldb,
                                c + row * ldc + col, ldc, accumulate);
    }
    int64_t row = plain * AB;
    for (const int64_t part : {first_part, left - first_part}) {
      if (part == 0) continue;
      MicroRows<Isa, NV, AB>(part, depth, a + row * sa, sa, sk, b + col, ldb,
                             c + row * ldc + col, ldc, accumulate);
      row += part;
    }
  }
}

}  // namespace wersa::kernels::cpu::blocked

#endif  // WERSA_MODEL_KERNELS_CPU_BLOCKED_PRODUCT_H_
