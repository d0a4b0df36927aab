#ifndef WERSA_MODEL_DEPTHWISE_CONV_H_
#define WERSA_MODEL_DEPTHWISE_CONV_H_

#include <torch/torch.h>

#include <cstdint>

namespace wersa {

// A depthwise convolution along the token axis of x [B, n, D], with the
// weight [D, 1, K] and bias [D] of a torch::nn::Conv1d(D, D, K, groups=D),
// zero padding K/2 on both sides, and the given stride; returns
// [B, ceil(n / stride), D].
//
// LibTorch 1.13's conv1d would copy x to channels-first and take a slow
// depthwise path (230 ms at 131,072 x 128); the same convolution as a
// channels-last conv2d over a view of x takes 5 ms.
torch::Tensor DepthwiseConvTokens(const torch::Tensor& x,
                                  const torch::Tensor& weight,
                                  const torch::Tensor& bias,
                                  int64_t stride = 1);

}  // namespace wersa

#endif  // WERSA_MODEL_DEPTHWISE_CONV_H_
