#include "model/encoder.h"

#include <torch/torch.h>

#include <limits>
#include <string>

#include "model/depthwise_conv.h"
#include "model/exact_attention.h"
#include "model/haar.h"
#include "model/wersa_attention.h"

namespace wersa {
namespace {

std::shared_ptr<AttentionLayerImpl> MakeAttention(const ModelConfig& config) {
  if (config.attention == AttentionKind::kExact) {
    return std::make_shared<ExactAttentionImpl>(
        ExactAttentionOptions{config.d_model, config.num_heads});
  }
  WersaAttentionOptions options;
  options.d_model = config.d_model;
  options.num_heads = config.num_heads;
  options.wavelet_levels = config.wavelet_levels;
  options.random_features = config.random_features;
  options.shared_qk_features = config.shared_qk_features;
  options.gate_kernel_size = config.gate_kernel_size;
  options.gate_dropout = config.dropout;
  return std::make_shared<WersaAttentionImpl>(options);
}

}  // namespace

EncoderBlockImpl::EncoderBlockImpl(const ModelConfig& config) {
  const int64_t d = config.d_model;
  attention_norm_ = register_module(
      "attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  attention_ = register_module("attention", MakeAttention(config));
  ffn_norm_ = register_module(
      "ffn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  ffn_in_ = register_module("ffn_in", torch::nn::Linear(d, config.ffn_dim));
  ffn_out_ = register_module("ffn_out", torch::nn::Linear(config.ffn_dim, d));
  dropout_ = register_module("dropout", torch::nn::Dropout(config.dropout));
}

torch::Tensor EncoderBlockImpl::forward(const torch::Tensor& x,
                                        const torch::Tensor& lengths) {
  torch::Tensor h =
      x + dropout_(attention_->forward(attention_norm_(x), lengths));
  return h + dropout_(ffn_out_(dropout_(torch::gelu(ffn_in_(ffn_norm_(h))))));
}

EncoderImpl::EncoderImpl(const ModelConfig& config) : config_(config) {
  const int64_t d = config.d_model;
  embedding_ =
      register_module("embedding", torch::nn::Embedding(config.vocab_size, d));
  position_ = register_module(
      "position",
      torch::nn::Conv1d(
          torch::nn::Conv1dOptions(d, d, config.position_kernel_size)
              .groups(d)
              .padding(config.position_kernel_size / 2)));
  dropout_ = register_module("dropout", torch::nn::Dropout(config.dropout));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_layers; ++i) {
    blocks_->push_back(EncoderBlock(config));
  }
  final_norm_ = register_module(
      "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  if (config.pooling == Pooling::kAttention) {
    pool_score_ = register_module("pool_score", torch::nn::Linear(d, 1));
  }
  const int64_t pooled_width = config.pooling == Pooling::kMeanMax ? 2 * d : d;
  head_ = register_module("head",
                          torch::nn::Linear(pooled_width, config.num_labels));
}

torch::Tensor EncoderImpl::Encode(const torch::Tensor& ids,
                                  const torch::Tensor& lengths) {
  const int64_t n = ids.size(1);
  const bool has_padding = (lengths < n).any().item<bool>();
  torch::Tensor x = embedding_(ids);
  if (has_padding) x = ZeroPastLengths(x, lengths);
  x = dropout_(x + DepthwiseConvTokens(x, position_->weight, position_->bias));
  for (const auto& block : *blocks_) {
    x = block->as<EncoderBlock>()->forward(x, lengths);
  }
  x = final_norm_(x);
  return has_padding ? ZeroPastLengths(x, lengths) : x;
}

torch::Tensor EncoderImpl::Pool(const torch::Tensor& states,
                                const torch::Tensor& lengths) {
  // Encode() zeroed the states past each length, so sums cover real tokens.
  const torch::Tensor mean =
      states.sum(1) / lengths.to(states.scalar_type()).unsqueeze(1);
  if (config_.pooling == Pooling::kMean) return mean;
  const torch::Tensor pad =
      (torch::arange(states.size(1), lengths.options()).unsqueeze(0) >=
       lengths.unsqueeze(1))
          .unsqueeze(-1);  // [B, n, 1]
  const double minus_infinity = -std::numeric_limits<double>::infinity();
  if (config_.pooling == Pooling::kAttention) {
    const torch::Tensor weights =
        torch::softmax(pool_score_(states).masked_fill(pad, minus_infinity), 1);
    return (weights * states).sum(1);
  }
  const torch::Tensor max = states.masked_fill(pad, minus_infinity).amax(1);
  return torch::cat({mean, max}, -1);
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& ids,
                                   const torch::Tensor& lengths) {
  return head_(dropout_(Pool(Encode(ids, lengths), lengths)));
}

torch::Tensor EncoderImpl::Scores(const torch::Tensor& logits) const {
  return config_.problem_type == ProblemType::kMultiLabel
             ? torch::sigmoid(logits)
             : torch::softmax(logits, -1);
}

}  // namespace wersa
