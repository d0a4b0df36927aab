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
  dropout_ = register_module("dropout", torch::nn::Dropout(config.dropout));
  int64_t pooled_width = 0;
  if (config.encoder_branch) {
    embedding_ = register_module("embedding",
                                 torch::nn::Embedding(config.vocab_size, d));
    position_ = register_module(
        "position",
        torch::nn::Conv1d(
            torch::nn::Conv1dOptions(d, d, config.position_kernel_size)
                .groups(d)
                .padding(config.position_kernel_size / 2)));
    blocks_ = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < config.num_layers; ++i) {
      blocks_->push_back(EncoderBlock(config));
    }
    final_norm_ = register_module(
        "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    if (config.pooling == Pooling::kAttention) {
      pool_score_ = register_module("pool_score", torch::nn::Linear(d, 1));
    }
    pooled_width = config.pooling == Pooling::kMeanMax ? 2 * d : d;
  }
  if (config.ngram_buckets > 0) {
    // Rows [0, vocab) are the tokens, then the pair buckets.
    ngrams_ = register_module(
        "ngrams",
        torch::nn::EmbeddingBag(
            torch::nn::EmbeddingBagOptions(
                config.vocab_size + config.ngram_buckets, config.ngram_dim)
                .mode(torch::kSum)));
    pooled_width += config.ngram_dim;
    // Small, so that the mean of a few thousand of them starts near zero
    // beside the pooled encoder state.
    torch::NoGradGuard no_grad;
    ngrams_->weight.normal_(0.0, 0.1);
  }
  head_ = register_module("head",
                          torch::nn::Linear(pooled_width, config.num_labels));
  SetLogitBias(config.logit_bias);
}

torch::Tensor NgramFeatures(const torch::Tensor& ids, int64_t vocab_size,
                            int64_t buckets) {
  // A multiplicative hash of the pair's index a * V + b, kept to its low 32
  // bits: neighbouring pairs land in unrelated buckets.
  constexpr int64_t kMultiplier = 2654435761;
  constexpr int64_t kLow32 = (int64_t{1} << 32) - 1;
  const torch::Tensor pair = ids.narrow(1, 0, ids.size(1) - 1) * vocab_size +
                             ids.narrow(1, 1, ids.size(1) - 1);
  const torch::Tensor bucket =
      torch::bitwise_and(pair * kMultiplier, kLow32).remainder(buckets) +
      vocab_size;
  return torch::cat({ids, bucket}, 1);
}

torch::Tensor EncoderImpl::NgramMean(const torch::Tensor& ids,
                                     const torch::Tensor& lengths) {
  const int64_t n = ids.size(1);
  const torch::Tensor features =
      NgramFeatures(ids, config_.vocab_size, config_.ngram_buckets);
  // A token counts where t < length, a pair (t, t + 1) where t + 1 < length;
  // each document's features weigh 1 / their number, so the bag sum is their
  // mean.
  const torch::Tensor positions = torch::arange(n, lengths.options());
  const torch::Tensor token_valid =
      positions.unsqueeze(0) < lengths.unsqueeze(1);
  const torch::Tensor pair_valid =
      positions.narrow(0, 1, n - 1).unsqueeze(0) < lengths.unsqueeze(1);
  const torch::Tensor valid = torch::cat({token_valid, pair_valid}, 1)
                                  .to(ngrams_->weight.scalar_type());
  const torch::Tensor weights =
      valid / valid.sum(1, /*keepdim=*/true).clamp_min(1.0);
  return ngrams_->forward(features, torch::Tensor(), weights);
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
  torch::Tensor mean =
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
  torch::Tensor pooled;
  if (config_.encoder_branch) pooled = Pool(Encode(ids, lengths), lengths);
  if (ngrams_) {
    const torch::Tensor bag = NgramMean(ids, lengths);
    pooled = pooled.defined() ? torch::cat({pooled, bag}, -1) : bag;
  }
  torch::Tensor logits = head_(dropout_(pooled));
  if (logit_bias_.defined() && !is_training()) {
    logits = logits + logit_bias_.to(logits.device(), logits.scalar_type());
  }
  return logits;
}

void EncoderImpl::SetLogitBias(const std::vector<double>& bias) {
  config_.logit_bias = bias;
  logit_bias_ =
      bias.empty() ? torch::Tensor() : torch::tensor(bias, torch::kFloat32);
}

torch::Tensor EncoderImpl::Scores(const torch::Tensor& logits) const {
  return config_.problem_type == ProblemType::kMultiLabel
             ? torch::sigmoid(logits)
             : torch::softmax(logits, -1);
}

}  // namespace wersa
