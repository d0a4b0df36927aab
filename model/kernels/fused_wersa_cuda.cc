#include "model/kernels/fused_wersa_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include <string>

#include "model/kernels/cuda/wersa_kernels.h"

namespace wersa::kernels {
namespace {

void CheckStage(const std::string& error, const char* stage) {
  TORCH_CHECK(error.empty(), "FusedWersaAttentionCuda: ", stage, ": ", error);
}

// fp32, contiguous, on `device`: the layout the kernels index.
torch::Tensor Float32On(const torch::Tensor& t, const torch::Device& device) {
  return t.to(device, torch::kFloat).contiguous();
}

}  // namespace

torch::Tensor FusedWersaAttentionCuda(const torch::Tensor& qkv,
                                      const torch::Tensor& gains,
                                      const torch::Tensor& lengths,
                                      const WersaDims& dims,
                                      const FusedWersaWeights& weights) {
  TORCH_CHECK(qkv.is_cuda(), "FusedWersaAttentionCuda: qkv is on ",
              qkv.device());
  TORCH_CHECK(cuda::StagesSupport(dims),
              "FusedWersaAttentionCuda: unsupported sizes, head_dim ",
              dims.head_dim, ", levels ", dims.levels);
  const int64_t d_model = dims.heads * dims.head_dim;
  const int64_t block = int64_t{1} << dims.levels;
  TORCH_CHECK(qkv.dim() == 3 && qkv.size(2) == 3 * d_model,
              "FusedWersaAttentionCuda: qkv must be [B, n, ", 3 * d_model,
              "], got ", qkv.sizes());
  const int64_t batch = qkv.size(0);
  const int64_t n = qkv.size(1);
  TORCH_CHECK(gains.dim() == 3 && gains.size(0) == batch &&
                  gains.size(1) * block >= n && gains.size(2) == block,
              "FusedWersaAttentionCuda: gains must be [", batch,
              ", >= ", (n + block - 1) / block, ", ", block, "], got ",
              gains.sizes());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == batch,
              "FusedWersaAttentionCuda: lengths must be [", batch, "], got ",
              lengths.sizes());
  // Checking lengths on the device would cost a synchronisation.
  if (!lengths.is_cuda() && batch > 0) {
    TORCH_CHECK(lengths.min().item<int64_t>() >= 1 &&
                    lengths.max().item<int64_t>() <= n,
                "FusedWersaAttentionCuda: lengths must lie in [1, ", n, "]");
  }

  const torch::Device device = qkv.device();
  const c10::cuda::CUDAGuard device_guard(device);
  void* const stream = c10::cuda::getCurrentCUDAStream().stream();
  const torch::Tensor x = Float32On(qkv, device);
  const torch::Tensor gain_table = Float32On(gains, device);
  const torch::Tensor haar = Float32On(weights.haar_matrix, device);
  const torch::Tensor features_q = Float32On(weights.features_q, device);
  const torch::Tensor features_k = Float32On(weights.features_k, device);
  TORCH_CHECK(haar.sizes() == torch::IntArrayRef({block, block}),
              "FusedWersaAttentionCuda: haar_matrix must be [", block, ", ",
              block, "], got ", haar.sizes());
  for (const torch::Tensor* features : {&features_q, &features_k}) {
    TORCH_CHECK(
        features->sizes() == torch::IntArrayRef({dims.head_dim, dims.features}),
        "FusedWersaAttentionCuda: random features must be [", dims.head_dim,
        ", ", dims.features, "], got ", features->sizes());
  }
  const torch::Tensor device_lengths =
      lengths.to(device, torch::kInt64).contiguous();
  const torch::Tensor offsets =
      torch::arange(batch, device_lengths.options()) * n;

  SequenceLayout layout;
  layout.batch = batch;
  layout.offsets = offsets.data_ptr<int64_t>();
  layout.lengths = device_lengths.data_ptr<int64_t>();
  // n bounds every length, and the kernels need no more than a bound: the
  // true maximum would cost a device-to-host copy.
  layout.max_length = n;

  const torch::Tensor filtered =
      torch::empty({batch, n, 2 * d_model}, x.options());
  FilterArgs filter;
  filter.layout = layout;
  filter.dims = dims;
  filter.qkv = x.data_ptr<float>();
  filter.qkv_row_stride = 3 * d_model;
  filter.gains = gain_table.data_ptr<float>();
  filter.gain_blocks = gain_table.size(1);
  filter.haar_matrix = haar.data_ptr<float>();
  filter.filtered = filtered.data_ptr<float>();
  CheckStage(cuda::FilterQueryKey(filter, stream), "filter");

  const torch::Tensor kv = torch::empty(
      {batch, dims.heads, dims.features, dims.head_dim + 1}, x.options());
  ReduceArgs reduce;
  reduce.layout = layout;
  reduce.dims = dims;
  reduce.filtered = filtered.data_ptr<float>();
  reduce.qkv = x.data_ptr<float>();
  reduce.qkv_row_stride = 3 * d_model;
  reduce.features_k = features_k.data_ptr<float>();
  reduce.kv = kv.data_ptr<float>();
  // From the caching allocator on the current stream, which is where the
  // kernels run, so its reuse after this function returns is ordered after
  // them.
  const torch::Tensor workspace =
      torch::empty({cuda::ReduceWorkspaceFloats(reduce)}, x.options());
  CheckStage(cuda::ReduceKeyValue(reduce, workspace.data_ptr<float>(), stream),
             "reduce");
  kv.mul_(Float32On(weights.kv_scale, device));

  // Zero past each length, which stage (c) leaves untouched.
  const torch::Tensor out = torch::zeros({batch, n, d_model}, x.options());
  AttendArgs attend;
  attend.layout = layout;
  attend.dims = dims;
  attend.filtered = filtered.data_ptr<float>();
  attend.features_q = features_q.data_ptr<float>();
  attend.kv = kv.data_ptr<float>();
  attend.epsilon = static_cast<float>(weights.epsilon);
  torch::Tensor norm_weight;
  torch::Tensor norm_bias;
  if (weights.norm_weight.defined()) {
    norm_weight = Float32On(weights.norm_weight, device);
    norm_bias = Float32On(weights.norm_bias, device);
    TORCH_CHECK(norm_weight.numel() == dims.head_dim &&
                    norm_bias.numel() == dims.head_dim,
                "FusedWersaAttentionCuda: the LayerNorm's weight and bias "
                "must have head_dim = ",
                dims.head_dim, " elements");
    attend.norm_weight = norm_weight.data_ptr<float>();
    attend.norm_bias = norm_bias.data_ptr<float>();
  }
  attend.norm_epsilon = static_cast<float>(weights.norm_epsilon);
  attend.out = out.data_ptr<float>();
  CheckStage(cuda::AttendQuery(attend, stream), "attend");
  return out;
}

}  // namespace wersa::kernels
