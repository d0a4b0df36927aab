#ifndef WERSA_MODEL_ENCODER_H_
#define WERSA_MODEL_ENCODER_H_

#include <torch/torch.h>

#include <memory>

#include "model/attention.h"
#include "model/model_config.h"

namespace wersa {

// Pre-norm transformer block: x + Attn(LN(x)), then x + FFN(LN(x)).
class EncoderBlockImpl : public torch::nn::Module {
 public:
  explicit EncoderBlockImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& lengths);

 private:
  torch::nn::LayerNorm attention_norm_{nullptr};
  std::shared_ptr<AttentionLayerImpl> attention_;
  torch::nn::LayerNorm ffn_norm_{nullptr};
  torch::nn::Linear ffn_in_{nullptr};
  torch::nn::Linear ffn_out_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(EncoderBlock);

// Document classifier: token embeddings, a convolutional positional encoding,
// N encoder blocks, a final LayerNorm, pooling over each document's own
// tokens (config().pooling) and a linear head.
//
// Position: a depthwise convolution over the embeddings, added to them
// (docs/model.md). It encodes relative position within a window, has no
// table to outgrow, and shows a token at position 131,071 the same
// neighbourhood statistics it saw in training on short documents.
class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const ModelConfig& config);

  // ids: int64 [B, n] (entries past each length are ignored); lengths: int64
  // [B]. Returns logits [B, num_labels].
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& lengths);

  // The token states [B, n, D] that forward() pools (after the final
  // LayerNorm, zero past each length): what self-supervised pre-training
  // predicts tokens from.
  torch::Tensor Encode(const torch::Tensor& ids, const torch::Tensor& lengths);

  // One vector per document from its token states (config().pooling).
  torch::Tensor Pool(const torch::Tensor& states, const torch::Tensor& lengths);

  // [vocab_size, D]: a masked-token head ties its output weights to it.
  const torch::Tensor& embedding_weight() const { return embedding_->weight; }

  // Label scores from logits: softmax for single_label, sigmoid for
  // multi_label.
  torch::Tensor Scores(const torch::Tensor& logits) const;

  const ModelConfig& config() const { return config_; }

 private:
  ModelConfig config_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Conv1d position_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::nn::Linear pool_score_{nullptr};  // attention pooling only
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(Encoder);

}  // namespace wersa

#endif  // WERSA_MODEL_ENCODER_H_
