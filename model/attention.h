#ifndef WERSA_MODEL_ATTENTION_H_
#define WERSA_MODEL_ATTENTION_H_

#include <torch/torch.h>

namespace wersa {

// A bidirectional self-attention layer over a padded batch.
//
// x: [B, n, D]; lengths: int64 [B] on x's device, 1 <= lengths[b] <= n. Rows of
// x at and past lengths[b] are padding: they must not change any row before
// lengths[b], and the rows the layer returns there are unspecified but finite.
class AttentionLayerImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x,
                                const torch::Tensor& lengths) = 0;
};

}  // namespace wersa

#endif  // WERSA_MODEL_ATTENTION_H_
