#ifndef WERSA_MODEL_KERNELS_LINEAR_H_
#define WERSA_MODEL_KERNELS_LINEAR_H_

#include <torch/torch.h>

namespace wersa::kernels {

// linear(x) as torch::nn::Linear computes it, for inference: through the CPU
// kernels' AVX-512 product (kernels/cpu/) where it applies (a float32 CPU
// input, autograd off, a CPU with AVX-512F, out_features a multiple of 16),
// and through the module itself elsewhere. The products of the fused
// attention's projections are skinny (128 inputs at the reference shape),
// where the BLAS's AVX2 kernels leave half of an AVX-512 core unused.
torch::Tensor InferenceLinear(const torch::nn::Linear& linear,
                              const torch::Tensor& x);

}  // namespace wersa::kernels

#endif  // WERSA_MODEL_KERNELS_LINEAR_H_
