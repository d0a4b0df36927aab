#ifndef WERSA_MODEL_ENCODER_H_
#define WERSA_MODEL_ENCODER_H_

#include <torch/torch.h>

#include <memory>
#include <vector>

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
  // [B]. Returns logits [B, num_labels]; in eval mode they include
  // config().logit_bias.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& lengths);

  // The token states [B, n, D] that forward() pools (after the final
  // LayerNorm, zero past each length): what self-supervised pre-training
  // predicts tokens from.
  torch::Tensor Encode(const torch::Tensor& ids, const torch::Tensor& lengths);

  // One vector per document from its token states (config().pooling).
  torch::Tensor Pool(const torch::Tensor& states, const torch::Tensor& lengths);

  // [vocab_size, D]: a masked-token head ties its output weights to it.
  // Only with config().encoder_branch.
  const torch::Tensor& embedding_weight() const { return embedding_->weight; }

  // The n-gram branch's table [vocab_size + ngram_buckets, ngram_dim]
  // (undefined without the branch): trainers give it its own rate.
  torch::Tensor ngram_table() const {
    return ngrams_ ? ngrams_->weight : torch::Tensor();
  }

  // Label scores from logits: softmax for single_label, sigmoid for
  // multi_label.
  torch::Tensor Scores(const torch::Tensor& logits) const;

  const ModelConfig& config() const { return config_; }

  // Replaces config().logit_bias (empty: none, else num_labels values).
  void SetLogitBias(const std::vector<double>& bias);

 private:
  // The n-gram branch: the mean over each document's real tokens and pairs of
  // their learned vectors [B, ngram_dim].
  torch::Tensor NgramMean(const torch::Tensor& ids,
                          const torch::Tensor& lengths);

  ModelConfig config_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Conv1d position_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::nn::Linear pool_score_{nullptr};    // attention pooling only
  torch::nn::EmbeddingBag ngrams_{nullptr};  // ngram_buckets > 0 only
  torch::nn::Linear head_{nullptr};
  torch::Tensor logit_bias_;  // undefined without config().logit_bias
};
TORCH_MODULE(Encoder);

// The rows of the n-gram branch's table a document [B, n] reads: its n token
// ids, then for each pair of neighbours a bucket in
// [vocab_size, vocab_size + buckets). [B, 2n - 1] (n >= 1).
torch::Tensor NgramFeatures(const torch::Tensor& ids, int64_t vocab_size,
                            int64_t buckets);

}  // namespace wersa

#endif  // WERSA_MODEL_ENCODER_H_
