#include "model/kernels/fused_wersa.h"

#include <torch/torch.h>

#ifdef WERSA_CPU_KERNELS
#include "model/kernels/cpu/wersa_kernels_cpu.h"
#include "model/kernels/fused_stages.h"
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
  const torch::Tensor host_lengths = lengths.to(torch::kInt64);
  const int64_t n = qkv.dim() == 3 ? qkv.size(1) : 0;
  const int64_t max_length = host_lengths.max().item<int64_t>();
  const int64_t min_length = host_lengths.min().item<int64_t>();
  TORCH_CHECK(min_length >= 1 && max_length <= n,
              "FusedWersaAttention: lengths must lie in [1, ", n, "]");
  // Rows past a length are never written by the stages; the layer contract
  // wants them finite, so padded batches start from zeros.
  FusedStages stages =
      PrepareFusedStages(qkv, gains, host_lengths, dims, weights, max_length,
                         /*zero_out=*/min_length < n);
  cpu::FilterQueryKey(stages.filter);
  cpu::ReduceKeyValue(stages.reduce);
  stages.kv.mul_(weights.kv_scale);
  cpu::AttendQuery(stages.attend);
  return stages.out;
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
