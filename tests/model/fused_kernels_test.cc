// The fused kernels (model/kernels/) against the LibTorch-ops reference they
// replace at inference, on each device: the CPU kernels (kernels/cpu/) and
// the CUDA branch (kernels/fused_wersa_cuda.cc), the two layers on the same
// device with the same weights and input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "model/depthwise_conv.h"
#include "model/kernels/fused_wersa.h"
#include "model/wersa_attention.h"

namespace wersa {
namespace {

// CPU: fp32 sums in another order than the reference's GEMMs, and a
// polynomial erf in GELU (absolute error < 1.5e-7), over inputs of unit
// scale. CUDA: the same stages in fp32 with FMA contraction against cuBLAS
// fp32 products (TF32 is off for cuBLAS by default), whose split-K sums
// reorder more; 1e-4 still fails any wrong coefficient, gain, feature or
// normalisation, whose errors are of order 1e-2 and more.
constexpr double kCpuTolerance = 1e-5;
constexpr double kCudaTolerance = 1e-4;

struct LayerShape {
  int64_t d_model;
  int64_t heads;
  int64_t features;
  int64_t levels;
};

WersaAttentionOptions OptionsOf(const LayerShape& shape, bool fused) {
  WersaAttentionOptions options;
  options.d_model = shape.d_model;
  options.num_heads = shape.heads;
  options.random_features = shape.features;
  options.wavelet_levels = shape.levels;
  options.fused_kernels = fused;
  return options;
}

kernels::WersaDims DimsOf(const LayerShape& shape) {
  return KernelDimsOf(OptionsOf(shape, /*fused=*/true));
}

WersaAttention MakeLayer(const LayerShape& shape, bool fused,
                         const torch::Device& device) {
  torch::manual_seed(7);  // the same weights for both layers
  WersaAttention layer(OptionsOf(shape, fused));
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
  layer->to(device);
  layer->eval();
  return layer;
}

// The device a test runs on, by name: "cpu" or "cuda".
class FusedKernelsTest : public testing::TestWithParam<std::string> {
 protected:
  void ExpectFusedMatchesReference(const LayerShape& shape,
                                   const std::vector<int64_t>& lengths) {
    const torch::Device device(GetParam());
    if (device.is_cuda() && !torch::cuda::is_available()) {
      GTEST_SKIP() << "no CUDA device (torch::cuda::is_available() is false)";
    }
    if (!kernels::FusedWersaSupported(device, DimsOf(shape))) {
      GTEST_SKIP() << (device.is_cpu()
                           ? "this CPU has no AVX2/FMA: the fused kernels do "
                             "not run"
                           : "this build has no CUDA branch (LibTorch without "
                             "CUDA, or no nvcc at configure time)");
    }
    const double tolerance = device.is_cuda() ? kCudaTolerance : kCpuTolerance;
    WersaAttention reference = MakeLayer(shape, /*fused=*/false, device);
    WersaAttention fused = MakeLayer(shape, /*fused=*/true, device);
    int64_t n = 0;
    for (const int64_t length : lengths) n = std::max(n, length);
    const auto batch = static_cast<int64_t>(lengths.size());
    torch::manual_seed(11);
    const torch::Tensor x = torch::randn({batch, n, shape.d_model}).to(device);
    const torch::Tensor length_tensor =
        torch::tensor(lengths, torch::kInt64).to(device);

    torch::InferenceMode inference;
    const torch::Tensor expected =
        reference->forward(x, length_tensor).to(torch::kCPU);
    const torch::Tensor actual =
        fused->forward(x, length_tensor).to(torch::kCPU);
    ASSERT_EQ(actual.sizes(), expected.sizes());
    EXPECT_TRUE(torch::isfinite(actual).all().item<bool>());
    for (int64_t b = 0; b < batch; ++b) {
      const torch::Tensor e = expected[b].narrow(0, 0, lengths[b]);
      const torch::Tensor a = actual[b].narrow(0, 0, lengths[b]);
      const double error = (a - e).abs().max().item<double>();
      const double scale = e.abs().max().item<double>();
      // The measured error, for docs/gpu.md and docs/benchmarks.md.
      std::printf(
          "[ measured ] %s length %lld: max |fused - reference| = "
          "%.3g, max |reference| = %.3g\n",
          GetParam().c_str(), static_cast<long long>(lengths[b]), error, scale);
      EXPECT_LE(error, tolerance * std::max(1.0, scale))
          << "sequence " << b << " of length " << lengths[b]
          << ": max |fused - reference| = " << error
          << ", max |reference| = " << scale;
    }
  }
};

// The reference layer of docs/benchmarks.md: head_dim 32.
const LayerShape kReferenceShape{128, 4, 128, 3};

TEST_P(FusedKernelsTest, OneToken) {
  ExpectFusedMatchesReference(kReferenceShape, {1});
}

TEST_P(FusedKernelsTest, PartialBlockAndTile) {
  ExpectFusedMatchesReference(kReferenceShape, {7});
}

TEST_P(FusedKernelsTest, ThousandTokens) {
  ExpectFusedMatchesReference(kReferenceShape, {1000});
}

TEST_P(FusedKernelsTest, SeveralChunks) {
  ExpectFusedMatchesReference(kReferenceShape, {4096 + 37});
}

TEST_P(FusedKernelsTest, LongestDocument) {
  ExpectFusedMatchesReference(kReferenceShape, {131072});
}

TEST_P(FusedKernelsTest, MixedLengthBatch) {
  ExpectFusedMatchesReference(kReferenceShape, {1000, 7, 2049, 1, 64});
}

// Every register blocking of the kernels: head_dim 8, 16, 64 and 128;
// features 16 to 1,024; one to six wavelet levels.
TEST_P(FusedKernelsTest, ShippedModelShape) {
  ExpectFusedMatchesReference({64, 2, 128, 3}, {3000, 17});
}

TEST_P(FusedKernelsTest, HeadDimEight) {
  ExpectFusedMatchesReference({32, 4, 16, 1}, {513, 100});
}

TEST_P(FusedKernelsTest, HeadDimSixteenManyFeatures) {
  ExpectFusedMatchesReference({64, 4, 1024, 2}, {700});
}

TEST_P(FusedKernelsTest, HeadDimSixtyFourSixLevels) {
  ExpectFusedMatchesReference({128, 2, 256, 6}, {1000, 65});
}

TEST_P(FusedKernelsTest, HeadDimOneTwentyEight) {
  ExpectFusedMatchesReference({256, 2, 48, 4}, {300});
}

INSTANTIATE_TEST_SUITE_P(Devices, FusedKernelsTest,
                         testing::Values("cpu", "cuda"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

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
  WersaAttention layer =
      MakeLayer(kReferenceShape, /*fused=*/true, torch::kCPU);
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
