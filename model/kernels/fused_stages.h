#ifndef WERSA_MODEL_KERNELS_FUSED_STAGES_H_
#define WERSA_MODEL_KERNELS_FUSED_STAGES_H_

// The tensors the three fused stages read and write, and their arguments
// (kernel_args.h) pointing at them, built in one place for the CPU branch
// (fused_wersa.cc) and the CUDA branch (fused_wersa_cuda.cc).

#include <torch/torch.h>

#include <cstdint>

#include "model/kernels/fused_wersa.h"
#include "model/kernels/kernel_args.h"

namespace wersa::kernels {

// Owns every tensor whose data pointer the arguments carry, so the arguments
// stay valid for as long as this lives.
struct FusedStages {
  torch::Tensor qkv;
  torch::Tensor gains;
  torch::Tensor offsets;
  torch::Tensor lengths;
  torch::Tensor haar_matrix;
  torch::Tensor features_q;
  torch::Tensor features_k;
  torch::Tensor norm_weight;  // undefined: no LayerNorm
  torch::Tensor norm_bias;
  torch::Tensor filtered;  // [B, n, 2D]
  torch::Tensor kv;        // [B, heads, features, head_dim + 1]
  torch::Tensor out;       // [B, n, D]
  FilterArgs filter;
  ReduceArgs reduce;
  AttendArgs attend;
};

// The stages of one padded batch on qkv's device: qkv [B, n, 3D], gains and
// the weights converted to contiguous fp32 there, lengths to int64, the
// outputs allocated, and the arguments bound to them. `max_length` is any
// bound on the lengths (the grids are sized by it). Stage (c) never writes
// the rows past a length, so `zero_out` starts out from zeros for a padded
// batch. Checks the shapes with TORCH_CHECK; lengths are not read (they may
// be on a device).
FusedStages PrepareFusedStages(const torch::Tensor& qkv,
                               const torch::Tensor& gains,
                               const torch::Tensor& lengths,
                               const WersaDims& dims,
                               const FusedWersaWeights& weights,
                               int64_t max_length, bool zero_out);

}  // namespace wersa::kernels

#endif  // WERSA_MODEL_KERNELS_FUSED_STAGES_H_
