#include "model/wersa_attention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "model/memory_tracking.h"

namespace wersa {
namespace {

using Matrix = std::vector<std::vector<double>>;

Matrix ToMatrix(const torch::Tensor& t) {  // 2-D tensor -> rows of doubles
  const torch::Tensor d = t.to(torch::kFloat64).contiguous();
  Matrix m(d.size(0), std::vector<double>(d.size(1)));
  for (int64_t i = 0; i < d.size(0); ++i) {
    for (int64_t j = 0; j < d.size(1); ++j) m[i][j] = d[i][j].item<double>();
  }
  return m;
}

std::vector<double> ToVector(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kFloat64).contiguous().view({-1});
  return std::vector<double>(d.data_ptr<double>(),
                             d.data_ptr<double>() + d.numel());
}

// y = x W^T + b for x [n, in], W [out, in].
Matrix Affine(const Matrix& x, const Matrix& w, const std::vector<double>& b) {
  Matrix y(x.size(), std::vector<double>(w.size()));
  for (size_t t = 0; t < x.size(); ++t) {
    for (size_t o = 0; o < w.size(); ++o) {
      double sum = b.empty() ? 0.0 : b[o];
      for (size_t i = 0; i < w[o].size(); ++i) sum += x[t][i] * w[o][i];
      y[t][o] = sum;
    }
  }
  return y;
}

double Gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Haar analysis, a gain per coefficient and synthesis of one channel, written
// from the definitions: pad to a multiple of 2^L, a = (e+o)/sqrt2,
// d = (e-o)/sqrt2, coefficient j of level l scaled by gain(l, first token j
// 2^l).
std::vector<double> GatedHaar(const std::vector<double>& signal, int levels,
                              const std::function<double(int, int)>& gain) {
  const size_t block = size_t{1} << levels;
  const size_t padded = (signal.size() + block - 1) / block * block;
  std::vector<double> a(signal);
  a.resize(padded, 0.0);
  const double r = 1.0 / std::sqrt(2.0);
  std::vector<std::vector<double>> details;
  for (int level = 1; level <= levels; ++level) {
    std::vector<double> next(a.size() / 2), detail(a.size() / 2);
    for (size_t j = 0; j < next.size(); ++j) {
      next[j] = (a[2 * j] + a[2 * j + 1]) * r;
      detail[j] = (a[2 * j] - a[2 * j + 1]) * r;
      detail[j] *= gain(level - 1, static_cast<int>(j << level));
    }
    details.push_back(detail);
    a = next;
  }
  for (size_t j = 0; j < a.size(); ++j) {
    a[j] *= gain(levels, static_cast<int>(j << levels));
  }
  for (int level = levels; level >= 1; --level) {
    const std::vector<double>& detail = details[level - 1];
    std::vector<double> up(a.size() * 2);
    for (size_t j = 0; j < a.size(); ++j) {
      up[2 * j] = (a[j] + detail[j]) * r;
      up[2 * j + 1] = (a[j] - detail[j]) * r;
    }
    a = up;
  }
  a.resize(signal.size());
  return a;
}

// The whole layer for one sequence x [n, D], from the formulas of
// docs/wersa-spec.md with the decisions of docs/model.md, in double.
Matrix NaiveWersa(WersaAttentionImpl& layer, const Matrix& x) {
  const WersaAttentionOptions& o = layer.options();
  std::map<std::string, torch::Tensor> p;
  for (const auto& item : layer.named_parameters()) {
    p[item.key()] = item.value().detach();
  }
  for (const auto& item : layer.named_buffers()) {
    p[item.key()] = item.value().detach();
  }
  const int n = static_cast<int>(x.size());
  const int d = static_cast<int>(o.d_model);
  const int heads = static_cast<int>(o.num_heads);
  const int dh = d / heads;
  const int m = static_cast<int>(o.random_features);
  const int levels = static_cast<int>(o.wavelet_levels);

  const Matrix qkv =
      Affine(x, ToMatrix(p["qkv.weight"]), ToVector(p["qkv.bias"]));
  Matrix q(n, std::vector<double>(d)), k = q, v = q;
  for (int t = 0; t < n; ++t) {
    for (int c = 0; c < d; ++c) {
      q[t][c] = Gelu(qkv[t][c]);
      k[t][c] = Gelu(qkv[t][d + c]);
      v[t][c] = qkv[t][2 * d + c];
    }
  }

  // Gate network on the layer input: depthwise conv (zero padding), MLP.
  const std::vector<double> conv_w =
      ToVector(p["gate_conv.weight"]);  // [D, 1, K]
  const std::vector<double> conv_b = ToVector(p["gate_conv.bias"]);
  const int kernel = static_cast<int>(o.gate_kernel_size);
  Matrix pooled(n, std::vector<double>(d));
  for (int t = 0; t < n; ++t) {
    for (int c = 0; c < d; ++c) {
      double sum = conv_b[c];
      for (int j = 0; j < kernel; ++j) {
        const int s = t + j - kernel / 2;
        if (s >= 0 && s < n) sum += conv_w[c * kernel + j] * x[s][c];
      }
      pooled[t][c] = sum;
    }
  }
  Matrix hidden = Affine(pooled, ToMatrix(p["gate_hidden.weight"]),
                         ToVector(p["gate_hidden.bias"]));
  for (auto& row : hidden) {
    for (double& h : row) h = std::max(0.0, h);
  }
  const Matrix gate_logits = Affine(hidden, ToMatrix(p["gate_out.weight"]),
                                    ToVector(p["gate_out.bias"]));
  const std::vector<double> scale = ToVector(p["band_scale"]);
  const auto gain = [&](int band, int token) {
    return token < n ? Sigmoid(gate_logits[token][band]) * scale[band] : 0.0;
  };

  Matrix q_filtered(n, std::vector<double>(d)), k_filtered = q_filtered;
  for (int c = 0; c < d; ++c) {
    std::vector<double> qc(n), kc(n);
    for (int t = 0; t < n; ++t) {
      qc[t] = q[t][c];
      kc[t] = k[t][c];
    }
    const std::vector<double> qf = GatedHaar(qc, levels, gain);
    const std::vector<double> kf = GatedHaar(kc, levels, gain);
    for (int t = 0; t < n; ++t) {
      q_filtered[t][c] = qf[t];
      k_filtered[t][c] = kf[t];
    }
  }

  const double beta =
      std::log1p(std::exp(p["log_bandwidth"].item<double>())) + 0.1;
  const Matrix rq = ToMatrix(p["random_features_q"]);
  const Matrix rk =
      o.shared_qk_features ? rq : ToMatrix(p["random_features_k"]);
  const std::vector<double> ln_w = ToVector(p["head_norm.weight"]);
  const std::vector<double> ln_b = ToVector(p["head_norm.bias"]);
  const auto features = [&](const Matrix& xs, const Matrix& r, int t, int h) {
    std::vector<double> phi(m);
    for (int f = 0; f < m; ++f) {
      double dot = 0.0;
      for (int i = 0; i < dh; ++i) dot += xs[t][h * dh + i] / beta * r[i][f];
      phi[f] = std::max(0.0, dot) / std::sqrt(static_cast<double>(m));
    }
    return phi;
  };

  Matrix attended(n, std::vector<double>(d));
  for (int h = 0; h < heads; ++h) {
    Matrix kv(m, std::vector<double>(dh, 0.0));
    std::vector<double> z(m, 0.0);
    for (int t = 0; t < n; ++t) {
      const std::vector<double> phi = features(k_filtered, rk, t, h);
      for (int f = 0; f < m; ++f) {
        z[f] += phi[f];
        for (int i = 0; i < dh; ++i) kv[f][i] += phi[f] * v[t][h * dh + i];
      }
    }
    for (int t = 0; t < n; ++t) {
      const std::vector<double> phi = features(q_filtered, rq, t, h);
      double denominator = o.epsilon;
      for (int f = 0; f < m; ++f) denominator += phi[f] * z[f];
      std::vector<double> out(dh, 0.0);
      for (int i = 0; i < dh; ++i) {
        for (int f = 0; f < m; ++f) out[i] += phi[f] * kv[f][i];
        out[i] /= denominator;
      }
      double mean = 0.0, var = 0.0;
      for (double value : out) mean += value / dh;
      for (double value : out) var += (value - mean) * (value - mean) / dh;
      for (int i = 0; i < dh; ++i) {
        attended[t][h * dh + i] =
            (out[i] - mean) / std::sqrt(var + 1e-5) * ln_w[i] + ln_b[i];
      }
    }
  }
  return Affine(attended, ToMatrix(p["out.weight"]), ToVector(p["out.bias"]));
}

// Parameters away from their initial values, so that every term of the
// formulas matters: band scales of both signs, a bandwidth other than the
// default, non-trivial LayerNorm affine.
void Perturb(WersaAttentionImpl& layer, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& item : layer.named_parameters()) {
    if (item.key() == "band_scale") {
      item.value().copy_(torch::randn(item.value().sizes()));
    } else if (item.key() == "log_bandwidth") {
      item.value().fill_(-0.7);
    } else if (item.key().rfind("head_norm", 0) == 0) {
      item.value().add_(torch::randn(item.value().sizes()) * 0.3);
    }
  }
}

WersaAttentionOptions SmallOptions(int64_t levels, bool shared) {
  WersaAttentionOptions o;
  o.d_model = 16;
  o.num_heads = 2;
  o.wavelet_levels = levels;
  o.random_features = 24;
  o.shared_qk_features = shared;
  o.gate_kernel_size = 5;
  return o;
}

struct NaiveCase {
  int64_t n;
  int64_t levels;
  bool shared;
};

// Names the case in test output (CTest shows parameters in test names).
void PrintTo(const NaiveCase& c, std::ostream* os) {
  *os << "n=" << c.n << " L=" << c.levels
      << (c.shared ? " shared" : " separate");
}

class WersaNaiveTest : public testing::TestWithParam<NaiveCase> {};

TEST_P(WersaNaiveTest, MatchesNaiveRecomputation) {
  const NaiveCase c = GetParam();
  torch::manual_seed(11);
  WersaAttentionImpl layer(SmallOptions(c.levels, c.shared));
  layer.eval();
  Perturb(layer, 5);
  const torch::Tensor x = torch::randn({1, c.n, 16});
  const Matrix expected = NaiveWersa(layer, ToMatrix(x[0]));
  torch::Tensor got;
  {
    torch::InferenceMode inference;
    got = layer.forward(x, torch::full({1}, c.n, torch::kInt64))[0].to(
        torch::kFloat64);
  }
  double max_error = 0.0;
  for (int64_t t = 0; t < c.n; ++t) {
    for (int64_t j = 0; j < 16; ++j) {
      max_error = std::max(max_error,
                           std::abs(got[t][j].item<double>() - expected[t][j]));
    }
  }
  EXPECT_LT(max_error, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    LengthsLevelsAndFeatureSharing, WersaNaiveTest,
    testing::Values(NaiveCase{1, 3, true}, NaiveCase{7, 3, true},
                    NaiveCase{8, 3, false}, NaiveCase{37, 1, true},
                    NaiveCase{64, 2, false}, NaiveCase{100, 4, true},
                    NaiveCase{256, 3, true}, NaiveCase{255, 2, false}),
    [](const testing::TestParamInfo<NaiveCase>& info) {
      return "n" + std::to_string(info.param.n) + "_L" +
             std::to_string(info.param.levels) +
             (info.param.shared ? "_shared" : "_separate");
    });

// Padded batch: each row must equal the naive recomputation on its own length.
TEST(WersaAttentionTest, PaddedBatchMatchesNaivePerSequence) {
  torch::manual_seed(12);
  WersaAttentionImpl layer(SmallOptions(3, true));
  layer.eval();
  Perturb(layer, 6);
  const std::vector<int64_t> lengths = {37, 90, 5, 64};
  const torch::Tensor x = torch::randn({4, 90, 16});
  torch::Tensor got;
  {
    torch::InferenceMode inference;
    got = layer.forward(x, torch::tensor(lengths, torch::kInt64))
              .to(torch::kFloat64);
  }
  for (size_t b = 0; b < lengths.size(); ++b) {
    const Matrix expected =
        NaiveWersa(layer, ToMatrix(x[b].narrow(0, 0, lengths[b])));
    double max_error = 0.0;
    for (int64_t t = 0; t < lengths[b]; ++t) {
      for (int64_t j = 0; j < 16; ++j) {
        max_error = std::max(
            max_error, std::abs(got[b][t][j].item<double>() - expected[t][j]));
      }
    }
    EXPECT_LT(max_error, 1e-5) << "sequence " << b;
  }
}

// A sequence's output alone and inside padded batches of other lengths.
TEST(WersaAttentionTest, BatchInvariant) {
  torch::manual_seed(13);
  WersaAttentionOptions options;  // the reference layer's shape
  WersaAttentionImpl layer(options);
  layer.eval();
  Perturb(layer, 7);
  torch::InferenceMode inference;
  const std::vector<int64_t> lengths = {300, 1029, 17, 512};
  const torch::Tensor x = torch::randn({4, 1500, options.d_model});
  const torch::Tensor batched =
      layer.forward(x, torch::tensor(lengths, torch::kInt64));
  for (size_t b = 0; b < lengths.size(); ++b) {
    const torch::Tensor alone =
        layer.forward(x[b].narrow(0, 0, lengths[b]).unsqueeze(0),
                      torch::full({1}, lengths[b], torch::kInt64))[0];
    const double difference = (batched[b].narrow(0, 0, lengths[b]) - alone)
                                  .abs()
                                  .max()
                                  .item<double>();
    EXPECT_LT(difference, 1e-5) << "sequence " << b;
  }
}

// Gradients by autograd agree with central differences in double precision,
// for the input and for every parameter, with padding in the batch.
TEST(WersaAttentionTest, GradientsMatchFiniteDifferences) {
  torch::manual_seed(14);
  WersaAttentionOptions options = SmallOptions(2, false);
  options.d_model = 8;
  options.random_features = 6;
  WersaAttentionImpl layer(options);
  layer.to(torch::kFloat64);
  layer.eval();  // dropout off: the loss is a deterministic function
  Perturb(layer, 8);
  const torch::Tensor lengths = torch::tensor({13, 9}, torch::kInt64);
  const torch::Tensor valid =
      (torch::arange(13).unsqueeze(0) < lengths.unsqueeze(1))
          .unsqueeze(-1)
          .to(torch::kFloat64);
  const torch::Tensor x =
      torch::randn({2, 13, 8}, torch::kFloat64).requires_grad_(true);
  const torch::Tensor weights = torch::randn({2, 13, 8}, torch::kFloat64);
  const auto loss = [&]() {
    return (layer.forward(x, lengths) * weights * valid).sum();
  };
  loss().backward();

  std::vector<std::pair<std::string, torch::Tensor>> inputs = {{"x", x}};
  for (const auto& item : layer.named_parameters()) {
    inputs.emplace_back(item.key(), item.value());
  }
  constexpr double kStep = 1e-6;
  for (const auto& [name, tensor] : inputs) {
    ASSERT_TRUE(tensor.grad().defined()) << name;
    const torch::Tensor grad = tensor.grad().reshape({-1});
    EXPECT_GT(grad.abs().max().item<double>(), 0.0)
        << name << " gets no gradient";
    const int64_t count = tensor.numel();
    for (const int64_t i : {int64_t{0}, count / 3, 2 * count / 3, count - 1}) {
      torch::NoGradGuard no_grad;
      torch::Tensor flat = tensor.view({-1});
      const double original = flat[i].item<double>();
      flat[i] = original + kStep;
      const double plus = loss().item<double>();
      flat[i] = original - kStep;
      const double minus = loss().item<double>();
      flat[i] = original;
      const double numeric = (plus - minus) / (2 * kStep);
      EXPECT_NEAR(grad[i].item<double>(), numeric,
                  1e-6 + 1e-5 * std::abs(numeric))
          << name << "[" << i << "]";
    }
  }
}

// One layer over 131,072 tokens allocates memory linear in n: far below the
// n x n floats (64 GiB) an attention matrix would need.
TEST(WersaAttentionTest, LongSequenceNeverAllocatesQuadraticMemory) {
  constexpr int64_t kTokens = 131072;
  torch::manual_seed(15);
  WersaAttentionImpl layer{WersaAttentionOptions{}};
  layer.eval();
  torch::InferenceMode inference;
  const torch::Tensor x = torch::randn({1, kTokens, 128});
  TrackingCpuAllocator tracker;
  const int64_t before = tracker.current_bytes();
  const torch::Tensor y =
      layer.forward(x, torch::full({1}, kTokens, torch::kInt64));
  const int64_t peak_extra = tracker.peak_bytes() - before;
  const int64_t quadratic =
      kTokens * kTokens * static_cast<int64_t>(sizeof(float));
  EXPECT_LT(peak_extra, quadratic / 32);
  EXPECT_LT(peak_extra, int64_t{3} << 29)
      << "peak " << (peak_extra >> 20) << " MiB";
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
}

}  // namespace
}  // namespace wersa
