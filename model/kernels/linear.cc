#include "model/kernels/linear.h"

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#ifdef WERSA_CPU_KERNELS
#include "model/kernels/cpu/wersa_kernels_cpu.h"
#endif

namespace wersa::kernels {

torch::Tensor InferenceLinear(const torch::nn::Linear& linear,
                              const torch::Tensor& x) {
#ifdef WERSA_CPU_KERNELS
  const torch::Tensor& weight = linear->weight;
  const int64_t in_features = weight.size(1);
  const int64_t out_features = weight.size(0);
  if (x.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
      weight.scalar_type() == torch::kFloat32 &&
      !torch::GradMode::is_enabled() && x.dim() >= 1 &&
      x.size(-1) == in_features &&
      cpu::LinearSupported(in_features, out_features)) {
    const torch::Tensor rows = x.contiguous();
    const torch::Tensor weight_t = weight.t().contiguous();
    const torch::Tensor bias =
        linear->bias.defined() ? linear->bias.contiguous() : torch::Tensor();
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = out_features;
    torch::Tensor y = torch::empty(sizes, rows.options());
    cpu::Linear(rows.data_ptr<float>(), rows.numel() / in_features, in_features,
                weight_t.data_ptr<float>(),
                bias.defined() ? bias.data_ptr<float>() : nullptr, out_features,
                y.data_ptr<float>());
    return y;
  }
#endif
  return torch::nn::functional::linear(x, linear->weight, linear->bias);
}

}  // namespace wersa::kernels
