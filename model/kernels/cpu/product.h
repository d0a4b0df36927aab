#ifndef WERSA_MODEL_KERNELS_CPU_PRODUCT_H_
#define WERSA_MODEL_KERNELS_CPU_PRODUCT_H_

#include <cstdint>

namespace wersa::kernels::cpu {

// C[rows][cols] (+)= A B for the fused stages' small products:
// A[i][k] = a[i sa + k sk] (any strides, so A may be a transposed tile),
// B = b [depth][cols] row-major with rows ldb apart, C rows ldc apart;
// `accumulate` adds to C instead of overwriting it. Each output element is
// one chain of FMAs in k order, so every variant below gives the same bits.
//
// ProductAvx2 needs AVX2 and FMA, and cols a multiple of 8.
void ProductAvx2(int64_t rows, int64_t cols, int64_t depth, const float* a,
                 int64_t sa, int64_t sk, const float* b, int64_t ldb, float* c,
                 int64_t ldc, bool accumulate);

// Whether this CPU runs ProductAvx512 (AVX-512F besides AVX2 and FMA).
bool Avx512Supported();

// ProductAvx2's contract on 16-float vectors: needs Avx512Supported() and
// cols a multiple of 16.
void ProductAvx512(int64_t rows, int64_t cols, int64_t depth, const float* a,
                   int64_t sa, int64_t sk, const float* b, int64_t ldb,
                   float* c, int64_t ldc, bool accumulate);

// The widest variant this CPU and these columns allow (AVX2 and FMA
// required, cols a multiple of 8).
void Product(int64_t rows, int64_t cols, int64_t depth, const float* a,
             int64_t sa, int64_t sk, const float* b, int64_t ldb, float* c,
             int64_t ldc, bool accumulate);

}  // namespace wersa::kernels::cpu

#endif  // WERSA_MODEL_KERNELS_CPU_PRODUCT_H_
