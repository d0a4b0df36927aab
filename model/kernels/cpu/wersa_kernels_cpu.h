#ifndef WERSA_MODEL_KERNELS_CPU_WERSA_KERNELS_CPU_H_
#define WERSA_MODEL_KERNELS_CPU_WERSA_KERNELS_CPU_H_

#include <cstdint>

#include "model/kernels/kernel_args.h"

namespace wersa::kernels::cpu {

// Whether this processor runs the CPU kernels (x86-64 with AVX2 and FMA).
// Every function below requires it.
bool Supported();

// Whether the kernels handle these sizes: head_dim a multiple of 8 up to 128,
// features a multiple of 8, levels 1..6.
bool SupportsDims(const WersaDims& dims);

// The stages of kernel_args.h on host memory, parallel over LibTorch's
// intra-op threads. Results do not depend on the thread count.
void FilterQueryKey(const FilterArgs& args);
void ReduceKeyValue(const ReduceArgs& args);
void AttendQuery(const AttendArgs& args);

// Whether Linear takes these sizes on this CPU: AVX-512F (where its product
// beats the BLAS's AVX2 kernels), out_features a multiple of 16.
bool LinearSupported(int64_t in_features, int64_t out_features);

// y[r][:] = bias + x[r][:] W^T for r < rows: x [rows][in_features],
// weight_t = W^T [in_features][out_features], bias [out_features] or
// nullptr, y [rows][out_features], all row-major. Parallel over rows; each
// output is bias plus one FMA chain in input order, so results do not
// depend on the thread count. Needs LinearSupported.
void Linear(const float* x, int64_t rows, int64_t in_features,
            const float* weight_t, const float* bias, int64_t out_features,
            float* y);

// Depthwise convolution along the token axis, channels last:
// out[b][t][c] = bias[c] + sum_j weight[c][j] x[b][t * stride + j - K/2][c],
// x zero outside [0, n). x [batch, n, channels]; out [batch, ceil(n /
// stride), channels]; weight [channels, K], K odd.
void DepthwiseConvTokens(const float* x, int64_t batch, int64_t n,
                         int64_t channels, const float* weight,
                         const float* bias, int64_t kernel, int64_t stride,
                         float* out);

}  // namespace wersa::kernels::cpu

#endif  // WERSA_MODEL_KERNELS_CPU_WERSA_KERNELS_CPU_H_
