#include "model/kernels/fused_wersa_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include <string>

#include "model/kernels/cuda/wersa_kernels.h"
#include "model/kernels/fused_stages.h"

namespace wersa::kernels {
namespace {

void CheckStage(const std::string& error, const char* stage) {
  TORCH_CHECK(error.empty(), "FusedWersaAttentionCuda: ", stage, ": ", error);
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
  const int64_t n = qkv.dim() == 3 ? qkv.size(1) : 0;
  // Checking lengths on the device would cost a synchronisation.
  if (!lengths.is_cuda() && lengths.numel() > 0) {
    TORCH_CHECK(lengths.min().item<int64_t>() >= 1 &&
                    lengths.max().item<int64_t>() <= n,
                "FusedWersaAttentionCuda: lengths must lie in [1, ", n, "]");
  }

  const c10::cuda::CUDAGuard device_guard(qkv.device());
  void* const stream = c10::cuda::getCurrentCUDAStream().stream();
  // n bounds every length, and the kernels need no more than a bound: the
  // true maximum would cost a device-to-host copy. Stage (c) leaves the rows
  // past each length untouched, so out starts from zeros.
  FusedStages stages = PrepareFusedStages(qkv, gains, lengths, dims, weights,
                                          /*max_length=*/n,
                                          /*zero_out=*/true);
  CheckStage(cuda::FilterQueryKey(stages.filter, stream), "filter");
  // From the caching allocator on the current stream, which is where the
  // kernels run, so its reuse after this function returns is ordered after
  // them.
  const torch::Tensor workspace = torch::empty(
      {cuda::ReduceWorkspaceFloats(stages.reduce)}, stages.qkv.options());
  CheckStage(
      cuda::ReduceKeyValue(stages.reduce, workspace.data_ptr<float>(), stream),
      "reduce");
  stages.kv.mul_(weights.kv_scale.to(stages.kv.device(), torch::kFloat32));
  CheckStage(cuda::AttendQuery(stages.attend, stream), "attend");
  return stages.out;
}

}  // namespace wersa::kernels
