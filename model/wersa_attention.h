#ifndef WERSA_MODEL_WERSA_ATTENTION_H_
#define WERSA_MODEL_WERSA_ATTENTION_H_

#include <torch/torch.h>

#include <cstdint>

#include "model/attention.h"
#include "model/kernels/kernel_args.h"

namespace wersa {

struct WersaAttentionOptions {
  int64_t d_model = 128;
  int64_t num_heads = 4;
  int64_t wavelet_levels = 3;
  int64_t random_features = 128;
  // One random feature matrix for q and k keeps the angular term of the
  // arc-cosine kernel the features estimate (docs/model.md).
  bool shared_qk_features = true;
  int64_t gate_kernel_size = 33;
  double gate_dropout = 0.1;
  double epsilon = 1e-6;
  // Tokens per step of the feature-map loop; 0 chooses about 2 MiB of
  // features per step, so memory stays linear with a small constant.
  int64_t chunk_tokens = 0;
  // Inference on a device with fused kernels (model/kernels/) runs them;
  // false keeps the LibTorch-ops reference everywhere, as training does.
  bool fused_kernels = true;
};

// The sizes the fused kernels see for a layer with these options.
kernels::WersaDims KernelDimsOf(const WersaAttentionOptions& options);

// Wavelet-Enhanced Random Spectral Attention, non-causal (docs/wersa-spec.md,
// with the decisions of docs/model.md): GELU on q and k, an L-level Haar
// transform of both whose bands are scaled by content-adaptive gates, random
// ReLU features, and linear attention out = phi(q) KV / (phi(q) z + eps), then
// a LayerNorm over each head's channels and the output projection.
//
// Batch invariance: pad rows are zeroed in q, k and the gate network's input,
// excluded from KV and z, and each coefficient block takes the gate of the
// first token it covers, so a sequence's output does not depend on what it
// is batched with or on how much padding follows it.
class WersaAttentionImpl : public AttentionLayerImpl {
 public:
  explicit WersaAttentionImpl(const WersaAttentionOptions& options);

  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& lengths) override;

  // The gain of every Haar coefficient, [B, P / 2^L, 2^L] in HaarBlockMatrix
  // order: gate(token) * band scale, where the token is the first one the
  // coefficient covers. x is the layer input, zero past each length.
  torch::Tensor CoefficientGains(const torch::Tensor& x);

  const WersaAttentionOptions& options() const { return options_; }

 private:
  torch::Tensor LinearAttention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v);
  int64_t ChunkTokens(int64_t batch) const;
  bool UseFusedKernels(const torch::Tensor& x) const;
  torch::Tensor FeatureScale() const;

  WersaAttentionOptions options_;
  torch::nn::Linear qkv_{nullptr};
  torch::nn::Linear out_{nullptr};
  torch::nn::Conv1d gate_conv_{nullptr};
  torch::nn::Linear gate_hidden_{nullptr};
  torch::nn::Dropout gate_dropout_{nullptr};
  torch::nn::Linear gate_out_{nullptr};
  torch::nn::LayerNorm head_norm_{nullptr};
  torch::Tensor band_scale_;     // s, [L+1]
  torch::Tensor log_bandwidth_;  // theta, beta = softplus(theta) + 0.1
  torch::Tensor features_q_;     // R_q, [d_head, m], buffer
  torch::Tensor features_k_;     // R_k, [d_head, m], buffer; R_q when shared
};
TORCH_MODULE(WersaAttention);

}  // namespace wersa

#endif  // WERSA_MODEL_WERSA_ATTENTION_H_
