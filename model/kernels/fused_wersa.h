#ifndef WERSA_MODEL_KERNELS_FUSED_WERSA_H_
#define WERSA_MODEL_KERNELS_FUSED_WERSA_H_

#include <torch/torch.h>

#include "model/kernels/kernel_args.h"

namespace wersa::kernels {

// The tensors of one WERSA layer that the fused stages read, on the device
// they run on.
struct FusedWersaWeights {
  torch::Tensor features_q;   // R_q, [head_dim, features]
  torch::Tensor features_k;   // R_k, [head_dim, features]
  torch::Tensor haar_matrix;  // W, [2^L, 2^L]
  torch::Tensor kv_scale;     // scalar c_q c_k applied to [KV | z]
  torch::Tensor norm_weight;  // [head_dim]
  torch::Tensor norm_bias;    // [head_dim]
  double norm_epsilon = 1e-5;
  double epsilon = 1e-6;
};

// Whether fused kernels exist for tensors on `device` with these sizes (and,
// on the CPU, for this processor); otherwise callers use the LibTorch-ops
// reference.
bool FusedWersaSupported(const torch::Device& device, const WersaDims& dims);

// A layer's attention from its q|k|v projection to the head-normalised
// output, fused stages (a), (b) and (c) of kernel_args.h: qkv [B, n, 3D]
// (rows past each length are ignored), gains [B, P / 2^L, 2^L] as
// WersaAttentionImpl::CoefficientGains returns them, lengths int64 [B].
// Returns [B, n, D], zero past each length. Inference only: no autograd.
torch::Tensor FusedWersaAttention(const torch::Tensor& qkv,
                                  const torch::Tensor& gains,
                                  const torch::Tensor& lengths,
                                  const WersaDims& dims,
                                  const FusedWersaWeights& weights);

}  // namespace wersa::kernels

#endif  // WERSA_MODEL_KERNELS_FUSED_WERSA_H_
