#include "model/depthwise_conv.h"

#include <torch/torch.h>

#ifdef WERSA_CPU_KERNELS
#include "model/kernels/cpu/wersa_kernels_cpu.h"
#endif

namespace wersa {

#ifdef WERSA_CPU_KERNELS
namespace {

// oneDNN's depthwise convolution is fast where it has an AVX-512 JIT kernel
// and slow on AVX2 CPUs (1.7 s of CPU time at 131,072 x 128 on a Zen 3
// EPYC); this loop takes milliseconds on both. It has no backward pass, so
// it serves inference only.
bool UseCpuKernel(const torch::Tensor& x, const torch::Tensor& bias) {
  return x.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
         bias.defined() && !torch::GradMode::is_enabled() &&
         x.size(2) % 8 == 0 && kernels::cpu::Supported();
}

}  // namespace
#endif

torch::Tensor DepthwiseConvTokens(const torch::Tensor& x,
                                  const torch::Tensor& weight,
                                  const torch::Tensor& bias, int64_t stride) {
  const int64_t kernel = weight.size(-1);
#ifdef WERSA_CPU_KERNELS
  if (UseCpuKernel(x, bias)) {
    const torch::Tensor input = x.contiguous();
    const torch::Tensor taps = weight.reshape({x.size(2), kernel}).contiguous();
    const torch::Tensor offsets = bias.contiguous();
    torch::Tensor out = torch::empty(
        {x.size(0), (x.size(1) + stride - 1) / stride, x.size(2)}, x.options());
    kernels::cpu::DepthwiseConvTokens(
        input.data_ptr<float>(), x.size(0), x.size(1), x.size(2),
        taps.data_ptr<float>(), offsets.data_ptr<float>(), kernel, stride,
        out.data_ptr<float>());
    return out;
  }
#endif
  // [B, n, D] viewed as [B, D, 1, n] is channels-last memory.
  return torch::conv2d(
             x.unsqueeze(1).permute({0, 3, 1, 2}), weight.unsqueeze(2), bias,
             /*stride=*/torch::IntArrayRef{1, stride},
             /*padding=*/torch::IntArrayRef{0, kernel / 2},
             /*dilation=*/torch::IntArrayRef{1, 1}, /*groups=*/x.size(2))
      .permute({0, 2, 3, 1})
      .squeeze(1);
}

}  // namespace wersa
