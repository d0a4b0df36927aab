// kernels::InferenceLinear (model/kernels/linear.h) against LibTorch's
// linear, on the CPU kernels' AVX-512 path and on its fallbacks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "model/kernels/cpu/product.h"
#include "model/kernels/linear.h"

namespace wersa::kernels {
namespace {

// Outputs of unit scale (LibTorch's initialisation bounds each weight by
// 1 / sqrt(in)), summed in another order than the BLAS's.
constexpr double kTolerance = 1e-5;

double MaxError(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(InferenceLinearTest, MatchesLibTorch) {
  if (!cpu::Avx512Supported()) {
    GTEST_SKIP() << "no AVX-512F: InferenceLinear is LibTorch's linear here";
  }
  struct Case {
    std::vector<int64_t> input_sizes;  // [..., in]
    int64_t out;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{1, 1, 128}, 384, true},   {{1, 131, 128}, 384, true},
      {{3, 1000, 64}, 192, true}, {{2, 65, 128}, 128, false},
      {{4097, 32}, 16, true},     {{7, 768}, 2304, true},
      {{1, 64, 1}, 32, true},
  };
  for (const Case& c : cases) {
    torch::manual_seed(c.out + c.input_sizes.back());
    torch::nn::Linear linear(
        torch::nn::LinearOptions(c.input_sizes.back(), c.out).bias(c.bias));
    const torch::Tensor x = torch::randn(c.input_sizes);
    torch::InferenceMode inference;
    const torch::Tensor expected = linear(x);
    const torch::Tensor actual = InferenceLinear(linear, x);
    ASSERT_EQ(actual.sizes(), expected.sizes());
    EXPECT_LE(MaxError(actual, expected), kTolerance)
        << "input " << x.sizes() << ", " << c.out << " outputs";
  }
}

TEST(InferenceLinearTest, NonContiguousInput) {
  torch::manual_seed(5);
  torch::nn::Linear linear(64, 48);
  const torch::Tensor x = torch::randn({2, 64, 100}).transpose(1, 2);
  torch::InferenceMode inference;
  EXPECT_LE(MaxError(InferenceLinear(linear, x), linear(x)), kTolerance);
}

TEST(InferenceLinearTest, FallsBackWhereTheKernelDoesNotApply) {
  torch::manual_seed(9);
  torch::nn::Linear odd_outputs(32, 10);  // not a multiple of 16
  const torch::Tensor x = torch::randn({5, 32});
  {
    torch::InferenceMode inference;
    EXPECT_TRUE(torch::equal(InferenceLinear(odd_outputs, x), odd_outputs(x)));
    const torch::Tensor x64 = x.to(torch::kFloat64);
    torch::nn::Linear doubles(32, 16);
    doubles->to(torch::kFloat64);
    EXPECT_TRUE(torch::equal(InferenceLinear(doubles, x64), doubles(x64)));
  }
  // With autograd on, the result must stay differentiable.
  torch::nn::Linear linear(32, 16);
  const torch::Tensor y = InferenceLinear(linear, x);
  EXPECT_TRUE(y.requires_grad());
}

}  // namespace
}  // namespace wersa::kernels
