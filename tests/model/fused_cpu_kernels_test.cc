// The fused CPU kernels (model/kernels/cpu/) against the LibTorch-ops
// reference they replace at inference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "model/depthwise_conv.h"
#include "model/kernels/fused_wersa.h"
#include "model/wersa_attention.h"

namespace wersa {
namespace {

// fp32 sums in another order than the reference's GEMMs, and a polynomial
// erf in GELU (absolute error < 1.5e-7), over inputs of unit scale.
constexpr double kTolerance = 1e-5;

struct LayerShape {
  int64_t d_model;
  int64_t heads;
  int64_t features;
  int64_t levels;
};

kernels::WersaDims DimsOf(const LayerShape& shape) {
  kernels::WersaDims dims;
  dims.heads = shape.heads;
  dims.head_dim = shape.d_model / shape.heads;
  dims.features = shape.features;
  dims.levels = shape.levels;
  return dims;
}

WersaAttention MakeLayer(const LayerShape& shape, bool fused) {
  WersaAttentionOptions options;
  options.d_model = shape.d_model;
  options.num_heads = shape.heads;
  options.random_features = shape.features;
  options.wavelet_levels = shape.levels;
  options.fused_kernels = fused;
  torch::manual_seed(7);  // the same weights for both layers
  WersaAttention layer(options);
  // Band scales of both signs and a bandwidth away from its start, so every
  // band and the feature constant matter.
  torch::NoGradGuard no_grad;
  for (auto& item : layer->named_parameters()) {
    if (item.key() == "band_scale") {
      item.value().copy_(torch::linspace(-0.8, 1.2, item.value().numel()));
    } else if (item.key() == "log_bandwidth") {
      item.value().fill_(0.3);
    }
  }
  layer->eval();
  return layer;
}

void ExpectFusedMatchesReference(const LayerShape& shape,
                                 const std::vector<int64_t>& lengths) {
  if (!kernels::FusedWersaSupported(torch::kCPU, DimsOf(shape))) {
    GTEST_SKIP() << "this CPU has no AVX2/FMA: the fused kernels do not run";
  }
  WersaAttention reference = MakeLayer(shape, /*fused=*/false);
  WersaAttention fused = MakeLayer(shape, /*fused=*/true);
  int64_t n = 0;
  for (const int64_t length : lengths) n = std::max(n, length);
  const auto batch = static_cast<int64_t>(lengths.size());
  torch::manual_seed(11);
  const torch::Tensor x = torch::randn({batch, n, shape.d_model});
  const torch::Tensor length_tensor = torch::tensor(lengths, torch::kInt64);

  torch::InferenceMode inference;
  const torch::Tensor expected = reference->forward(x, length_tensor);
  const torch::Tensor actual = fused->forward(x, length_tensor);
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::isfinite(actual).all().item<bool>());
  for (int64_t b = 0; b < batch; ++b) {
    const torch::Tensor e = expected[b].narrow(0, 0, lengths[b]);
    const torch::Tensor a = actual[b].narrow(0, 0, lengths[b]);
    const double error = (a - e).abs().max().item<double>();
    const double scale = e.abs().max().item<double>();
    EXPECT_LE(error, kTolerance * std::max(1.0, scale))
        << "sequence " << b << " of length " << lengths[b]
        << ": max |fused - reference| = " << error
        << ", max |reference| = " << scale;
  }
}

// The reference layer of docs/benchmarks.md: head_dim 32.
const LayerShape kReferenceShape{128, 4, 128, 3};

TEST(FusedCpuKernelsTest, OneToken) {
  ExpectFusedMatchesReference(kReferenceShape, {1});
}

TEST(FusedCpuKernelsTest, PartialBlockAndTile) {
  ExpectFusedMatchesReference(kReferenceShape, {7});
}

TEST(FusedCpuKernelsTest, ThousandTokens) {
  ExpectFusedMatchesReference(kReferenceShape, {1000});
}

TEST(FusedCpuKernelsTest, SeveralChunks) {
  ExpectFusedMatchesReference(kReferenceShape, {4096 + 37});
}

TEST(FusedCpuKernelsTest, LongestDocument) {
  ExpectFusedMatchesReference(kReferenceShape, {131072});
}

TEST(FusedCpuKernelsTest, MixedLengthBatch) {
  ExpectFusedMatchesReference(kReferenceShape, {1000, 7, 2049, 1, 64});
}

// Every register blocking of the kernels: head_dim 8, 16, 64 and 128;
// features 16 to 1,024; one to six wavelet levels.
TEST(FusedCpuKernelsTest, ShippedModelShape) {
  ExpectFusedMatchesReference({64, 2, 128, 3}, {3000, 17});
}

TEST(FusedCpuKernelsTest, HeadDimEight) {
  ExpectFusedMatchesReference({32, 4, 16, 1}, {513, 100});
}

TEST(FusedCpuKernelsTest, HeadDimSixteenManyFeatures) {
  ExpectFusedMatchesReference({64, 4, 1024, 2}, {700});
}

TEST(FusedCpuKernelsTest, HeadDimSixtyFourSixLevels) {
  ExpectFusedMatchesReference({128, 2, 256, 6}, {1000, 65});
}

TEST(FusedCpuKernelsTest, HeadDimOneTwentyEight) {
  ExpectFusedMatchesReference({256, 2, 48, 4}, {300});
}

TEST(FusedCpuKernelsTest, UnsupportedShapesAreDeclined) {
  kernels::WersaDims dims = DimsOf(kReferenceShape);
  dims.head_dim = 12;
  EXPECT_FALSE(kernels::FusedWersaSupported(torch::kCPU, dims));
  dims = DimsOf(kReferenceShape);
  dims.features = 100;
  EXPECT_FALSE(kernels::FusedWersaSupported(torch::kCPU, dims));
  dims = DimsOf(kReferenceShape);
  dims.levels = 7;
  EXPECT_FALSE(kernels::FusedWersaSupported(torch::kCPU, dims));
}

TEST(FusedCpuKernelsTest, TrainingKeepsTheReference) {
  // With autograd on, the layer must stay differentiable.
  WersaAttention layer = MakeLayer(kReferenceShape, /*fused=*/true);
  layer->train();
  const torch::Tensor x = torch::randn({1, 40, kReferenceShape.d_model});
  const torch::Tensor y =
      layer->forward(x, torch::full({1}, 40, torch::kInt64));
  EXPECT_TRUE(y.requires_grad());
}

// The depthwise convolution of the gate network and the positional encoding:
// the CPU kernel (no autograd) against LibTorch's convolution (autograd on).
TEST(FusedCpuKernelsTest, DepthwiseConvolutionMatchesLibTorch) {
  torch::manual_seed(3);
  for (const int64_t stride : {1, 2}) {
    for (const int64_t n : {1, 2, 31, 1001}) {
      const torch::Tensor x = torch::randn({2, n, 64});
      const torch::Tensor weight = torch::randn({64, 1, 33});
      const torch::Tensor bias = torch::randn({64});
      const torch::Tensor expected =
          DepthwiseConvTokens(x, weight, bias, stride);
      torch::Tensor actual;
      {
        torch::NoGradGuard no_grad;
        actual = DepthwiseConvTokens(x, weight, bias, stride);
      }
      ASSERT_EQ(actual.sizes(), expected.sizes()) << "n " << n;
      EXPECT_LE((actual - expected).abs().max().item<double>(), 1e-5)
          << "n " << n << ", stride " << stride;
    }
  }
}

}  // namespace
}  // namespace wersa
