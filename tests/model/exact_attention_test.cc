#include "model/exact_attention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace wersa {
namespace {

// softmax(q k^T / sqrt(d)) v per head over the first `length` keys, in double.
torch::Tensor NaiveAttention(ExactAttentionImpl& layer, const torch::Tensor& x,
                             int64_t length) {
  torch::NoGradGuard no_grad;
  const auto p = layer.named_parameters();
  const torch::Tensor xd = x.to(torch::kFloat64);
  const torch::Tensor qkv =
      torch::linear(xd, p["qkv.weight"].to(torch::kFloat64),
                    p["qkv.bias"].to(torch::kFloat64));
  const int64_t n = x.size(0), d = x.size(1), heads = 4, dh = d / heads;
  torch::Tensor out = torch::zeros({n, d}, torch::kFloat64);
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t t = 0; t < n; ++t) {
      std::vector<double> weights(length);
      double max_score = -1e300, total = 0.0;
      for (int64_t s = 0; s < length; ++s) {
        double score = 0.0;
        for (int64_t i = 0; i < dh; ++i) {
          score += qkv[t][h * dh + i].item<double>() *
                   qkv[s][d + h * dh + i].item<double>();
        }
        weights[s] = score / std::sqrt(static_cast<double>(dh));
        max_score = std::max(max_score, weights[s]);
      }
      for (double& w : weights) total += (w = std::exp(w - max_score));
      for (int64_t i = 0; i < dh; ++i) {
        double value = 0.0;
        for (int64_t s = 0; s < length; ++s) {
          value +=
              weights[s] / total * qkv[s][2 * d + h * dh + i].item<double>();
        }
        out[t][h * dh + i] = value;
      }
    }
  }
  return torch::linear(out, p["out.weight"].to(torch::kFloat64),
                       p["out.bias"].to(torch::kFloat64));
}

TEST(ExactAttentionTest, MatchesNaiveSoftmaxAttentionWithPadding) {
  torch::manual_seed(41);
  ExactAttentionImpl layer(ExactAttentionOptions{16, 4});
  const torch::Tensor x = torch::randn({2, 20, 16});
  const torch::Tensor lengths = torch::tensor({20, 11}, torch::kInt64);
  torch::InferenceMode inference;
  const torch::Tensor got = layer.forward(x, lengths).to(torch::kFloat64);
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t length = lengths[b].item<int64_t>();
    const torch::Tensor expected = NaiveAttention(layer, x[b], length);
    EXPECT_LT((got[b].narrow(0, 0, length) - expected.narrow(0, 0, length))
                  .abs()
                  .max()
                  .item<double>(),
              1e-5)
        << "sequence " << b;
  }
}

}  // namespace
}  // namespace wersa
