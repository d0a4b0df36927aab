#include "model/depthwise_conv.h"

#include <torch/torch.h>

namespace wersa {

torch::Tensor DepthwiseConvTokens(const torch::Tensor& x,
                                  const torch::Tensor& weight,
                                  const torch::Tensor& bias, int64_t stride) {
  const int64_t kernel = weight.size(-1);
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
