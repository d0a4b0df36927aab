#ifndef WERSA_MODEL_EXACT_ATTENTION_H_
#define WERSA_MODEL_EXACT_ATTENTION_H_

#include <torch/torch.h>

#include <cstdint>

#include "model/attention.h"

namespace wersa {

struct ExactAttentionOptions {
  int64_t d_model = 128;
  int64_t num_heads = 4;
};

// Multi-head softmax attention with a key padding mask: the quadratic
// baseline for tests and benchmarks. It materialises the [B, H, n, n] scores,
// so its time and memory grow as n^2.
class ExactAttentionImpl : public AttentionLayerImpl {
 public:
  explicit ExactAttentionImpl(const ExactAttentionOptions& options);

  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& lengths) override;

 private:
  ExactAttentionOptions options_;
  torch::nn::Linear qkv_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(ExactAttention);

}  // namespace wersa

#endif  // WERSA_MODEL_EXACT_ATTENTION_H_
