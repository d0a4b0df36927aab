#include "model/exact_attention.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace wersa {

ExactAttentionImpl::ExactAttentionImpl(const ExactAttentionOptions& options)
    : options_(options) {
  TORCH_CHECK(
      options.num_heads >= 1 && options.d_model % options.num_heads == 0,
      "d_model ", options.d_model, " is not a multiple of num_heads ",
      options.num_heads);
  qkv_ = register_module(
      "qkv", torch::nn::Linear(options.d_model, 3 * options.d_model));
  out_ = register_module("out",
                         torch::nn::Linear(options.d_model, options.d_model));
}

torch::Tensor ExactAttentionImpl::forward(const torch::Tensor& x,
                                          const torch::Tensor& lengths) {
  const int64_t batch = x.size(0);
  const int64_t n = x.size(1);
  const int64_t heads = options_.num_heads;
  const int64_t d_head = options_.d_model / heads;
  // [B, n, 3, H, d_head] -> three [B, H, n, d_head].
  const torch::Tensor qkv =
      qkv_(x).view({batch, n, 3, heads, d_head}).permute({2, 0, 3, 1, 4});
  const torch::Tensor q = qkv[0];
  const torch::Tensor k = qkv[1];
  const torch::Tensor v = qkv[2];

  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) /
                         std::sqrt(static_cast<double>(d_head));
  const torch::Tensor pad_keys =
      torch::arange(n, lengths.options()).unsqueeze(0) >=
      lengths.unsqueeze(1);  // [B, n]
  scores = scores.masked_fill(pad_keys.view({batch, 1, 1, n}),
                              -std::numeric_limits<double>::infinity());
  const torch::Tensor attended = torch::matmul(torch::softmax(scores, -1), v);
  return out_(attended.transpose(1, 2).reshape({batch, n, options_.d_model}));
}

}  // namespace wersa
