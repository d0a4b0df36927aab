#include "model/kernels/fused_wersa.h"

#include <torch/torch.h>

#ifdef WERSA_CPU_KERNELS
#include "model/kernels/cpu/wersa_kernels_cpu.h"
#endif
#ifdef WERSA_TORCH_CUDA
#include "model/kernels/cuda/wersa_kernels.h"
#include "model/kernels/fused_wersa_cuda.h"
#endif

namespace wersa::kernels {
namespace {

#ifdef WERSA_CPU_KERNELS
torch::Tensor FusedWersaAttentionCpu(const torch::Tensor& qkv,
                                     const torch::Tensor& gains,
                                     const torch::Tensor& lengths,
                                     const WersaDims& dims,
                                     const FusedWersaWeights& weights) {
  const int64_t batch = qkv.size(0);
  const int64_t n = qkv.size(1);
  const int64_t width = dims.heads * dims.head_dim;
  TORCH_CHECK(qkv.dim() == 3 && qkv.size(2) == 3 * width,
              "FusedWersaAttention: qkv must be [B, n, ", 3 * width, "], got ",
              qkv.sizes());
  const auto float_cpu = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor qkv_rows = qkv.to(torch::kFloat32).contiguous();
  const torch::Tensor gain_rows = gains.to(torch::kFloat32).contiguous();
  const torch::Tensor seq_lengths = lengths.to(torch::kInt64).contiguous();
  const torch::Tensor offsets = torch::arange(batch, torch::kInt64) * n;
  const torch::Tensor features_q = weights.features_q.contiguous();
  const torch::Tensor features_k = weights.features_k.contiguous();
  const torch::Tensor haar = weights.haar_matrix.contiguous();
  const torch::Tensor norm_weight = weights.norm_weight.contiguous();
  const torch::Tensor norm_bias = weights.norm_bias.contiguous();
  const int64_t max_length = seq_lengths.max().item<int64_t>();
  const int64_t min_length = seq_lengths.min().item<int64_t>();
  TORCH_CHECK(min_length >= 1 && max_length <= n,
              "FusedWersaAttention: lengths must lie in [1, ", n, "]");
  // Rows past a length are never written by the stages; the layer contract
  // wants them finite, so padded batches start from zeros.
  const bool padded = min_length < n;
  const auto make = [&](torch::IntArrayRef sizes) {
    return padded ? torch::zeros(sizes, float_cpu)
                  : torch::empty(sizes, float_cpu);
  };

  const SequenceLayout layout{batch, offsets.data_ptr<int64_t>(),
                              seq_lengths.data_ptr<int64_t>(), max_length};
  torch::Tensor filtered = make({batch, n, 2 * width});
  FilterArgs filter;
  filter.layout = layout;
  filter.dims = dims;
  filter.qkv = qkv_rows.data_ptr<float>();
  filter.qkv_row_stride = 3 * width;
  filter.gains = gain_rows.data_ptr<float>();
  filter.gain_blocks = gain_rows.size(1);
  filter.haar_matrix = haar.data_ptr<float>();
  filter.filtered = filtered.data_ptr<float>();
  cpu::FilterQueryKey(filter);

  torch::Tensor kv = torch::empty(
      {batch, dims.heads, dims.features, dims.head_dim + 1}, float_cpu);
  ReduceArgs reduce;
  reduce.layout = layout;
  reduce.dims = dims;
  reduce.filtered = filter.filtered;
  reduce.qkv = filter.qkv;
  reduce.qkv_row_stride = filter.qkv_row_stride;
  reduce.features_k = features_k.data_ptr<float>();
  reduce.kv = kv.data_ptr<float>();
  cpu::ReduceKeyValue(reduce);
  kv.mul_(weights.kv_scale);

  torch::Tensor out = make({batch, n, width});
  AttendArgs attend;
  attend.layout = layout;
  attend.dims = dims;
  attend.filtered = filter.filtered;
  attend.features_q = features_q.data_ptr<float>();
  attend.kv = kv.data_ptr<float>();
  attend.epsilon = static_cast<float>(weights.epsilon);
  attend.norm_weight = norm_weight.data_ptr<float>();
  attend.norm_bias = norm_bias.data_ptr<float>();
  attend.norm_epsilon = static_cast<float>(weights.norm_epsilon);
  attend.out = out.data_ptr<float>();
  cpu::AttendQuery(attend);
  return out;
}
#endif  // WERSA_CPU_KERNELS

}  // namespace

bool FusedWersaSupported(const torch::Device& device, const WersaDims& dims) {
#ifdef WERSA_CPU_KERNELS
  if (device.is_cpu()) return cpu::Supported() && cpu::SupportsDims(dims);
#endif
#ifdef WERSA_TORCH_CUDA
  if (device.is_cuda()) return cuda::StagesSupport(dims);
#endif
  return false;
}

torch::Tensor FusedWersaAttention(const torch::Tensor& qkv,
                                  const torch::Tensor& gains,
                                  const torch::Tensor& lengths,
                                  const WersaDims& dims,
                                  const FusedWersaWeights& weights) {
  TORCH_CHECK(FusedWersaSupported(qkv.device(), dims),
              "FusedWersaAttention: no fused kernels for ", qkv.device(),
              " with head_dim ", dims.head_dim, ", ", dims.features,
              " features, ", dims.levels, " levels");
#ifdef WERSA_TORCH_CUDA
  if (qkv.is_cuda()) {
    return FusedWersaAttentionCuda(qkv, gains, lengths, dims, weights);
  }
#endif
#ifdef WERSA_CPU_KERNELS
  return FusedWersaAttentionCpu(qkv, gains, lengths, dims, weights);
#else
  TORCH_CHECK(false, "unreachable: no fused kernels in this build");
#endif
}

}  // namespace wersa::kernels
