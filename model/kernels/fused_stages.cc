#include "model/kernels/fused_stages.h"

#include <torch/torch.h>

#include <cstdint>

namespace wersa::kernels {
namespace {

// fp32, contiguous, on `device`: the layout the kernels index.
torch::Tensor Float32On(const torch::Tensor& t, const torch::Device& device) {
  return t.to(device, torch::kFloat32).contiguous();
}

}  // namespace

FusedStages PrepareFusedStages(const torch::Tensor& qkv,
                               const torch::Tensor& gains,
                               const torch::Tensor& lengths,
                               const WersaDims& dims,
                               const FusedWersaWeights& weights,
                               int64_t max_length, bool zero_out) {
  const int64_t d_model = dims.heads * dims.head_dim;
  const int64_t block = int64_t{1} << dims.levels;
  TORCH_CHECK(qkv.dim() == 3 && qkv.size(2) == 3 * d_model,
              "FusedWersaAttention: qkv must be [B, n, ", 3 * d_model,
              "], got ", qkv.sizes());
  const int64_t batch = qkv.size(0);
  const int64_t n = qkv.size(1);
  TORCH_CHECK(gains.dim() == 3 && gains.size(0) == batch &&
                  gains.size(1) * block >= n && gains.size(2) == block,
              "FusedWersaAttention: gains must be [", batch,
              ", >= ", (n + block - 1) / block, ", ", block, "], got ",
              gains.sizes());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == batch,
              "FusedWersaAttention: lengths must be [", batch, "], got ",
              lengths.sizes());

  const torch::Device device = qkv.device();
  FusedStages stages;
  stages.qkv = Float32On(qkv, device);
  stages.gains = Float32On(gains, device);
  stages.lengths = lengths.to(device, torch::kInt64).contiguous();
  stages.offsets = torch::arange(batch, stages.lengths.options()) * n;
  stages.haar_matrix = Float32On(weights.haar_matrix, device);
  stages.features_q = Float32On(weights.features_q, device);
  stages.features_k = Float32On(weights.features_k, device);
  TORCH_CHECK(stages.haar_matrix.sizes() == torch::IntArrayRef({block, block}),
              "FusedWersaAttention: haar_matrix must be [", block, ", ", block,
              "], got ", stages.haar_matrix.sizes());
  for (const torch::Tensor* features :
       {&stages.features_q, &stages.features_k}) {
    TORCH_CHECK(
        features->sizes() == torch::IntArrayRef({dims.head_dim, dims.features}),
        "FusedWersaAttention: random features must be [", dims.head_dim, ", ",
        dims.features, "], got ", features->sizes());
  }
  if (weights.norm_weight.defined()) {
    stages.norm_weight = Float32On(weights.norm_weight, device);
    stages.norm_bias = Float32On(weights.norm_bias, device);
    TORCH_CHECK(stages.norm_weight.numel() == dims.head_dim &&
                    stages.norm_bias.numel() == dims.head_dim,
                "FusedWersaAttention: the LayerNorm's weight and bias must "
                "have head_dim = ",
                dims.head_dim, " elements");
  }

  const torch::TensorOptions floats = stages.qkv.options();
  // Stages (b) and (c) read only the rows that (a) wrote.
  stages.filtered = torch::empty({batch, n, 2 * d_model}, floats);
  stages.kv = torch::empty(
      {batch, dims.heads, dims.features, dims.head_dim + 1}, floats);
  stages.out = zero_out ? torch::zeros({batch, n, d_model}, floats)
                        : torch::empty({batch, n, d_model}, floats);

  const SequenceLayout layout{batch, stages.offsets.data_ptr<int64_t>(),
                              stages.lengths.data_ptr<int64_t>(), max_length};
  FilterArgs& filter = stages.filter;
  filter.layout = layout;
  filter.dims = dims;
  filter.qkv = stages.qkv.data_ptr<float>();
  filter.qkv_row_stride = 3 * d_model;
  filter.gains = stages.gains.data_ptr<float>();
  filter.gain_blocks = stages.gains.size(1);
  filter.haar_matrix = stages.haar_matrix.data_ptr<float>();
  filter.filtered = stages.filtered.data_ptr<float>();

  ReduceArgs& reduce = stages.reduce;
  reduce.layout = layout;
  reduce.dims = dims;
  reduce.filtered = filter.filtered;
  reduce.qkv = filter.qkv;
  reduce.qkv_row_stride = filter.qkv_row_stride;
  reduce.features_k = stages.features_k.data_ptr<float>();
  reduce.kv = stages.kv.data_ptr<float>();

  AttendArgs& attend = stages.attend;
  attend.layout = layout;
  attend.dims = dims;
  attend.filtered = filter.filtered;
  attend.features_q = stages.features_q.data_ptr<float>();
  attend.kv = reduce.kv;
  attend.epsilon = static_cast<float>(weights.epsilon);
  if (stages.norm_weight.defined()) {
    attend.norm_weight = stages.norm_weight.data_ptr<float>();
    attend.norm_bias = stages.norm_bias.data_ptr<float>();
  }
  attend.norm_epsilon = static_cast<float>(weights.norm_epsilon);
  attend.out = stages.out.data_ptr<float>();
  return stages;
}

}  // namespace wersa::kernels
