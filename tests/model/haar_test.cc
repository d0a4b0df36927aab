#include "model/haar.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace wersa {
namespace {

torch::Tensor SumOfSquaresPerSequence(const HaarBands& bands) {
  torch::Tensor energy = bands.approximation.square().sum({1, 2});
  for (const torch::Tensor& detail : bands.details) {
    energy = energy + detail.square().sum({1, 2});
  }
  return energy;
}

// Every length 1..4,100 at once: sequence b has length b + 1 inside a batch
// padded to 4,100 rows, so each is transformed with its own length.
TEST(HaarTest, ReconstructsEveryLengthAndKeepsEnergy) {
  constexpr int64_t kMaxLength = 4100;
  torch::manual_seed(7);
  const torch::Tensor lengths = torch::arange(1, kMaxLength + 1, torch::kInt64);
  const torch::Tensor x =
      ZeroPastLengths(torch::randn({kMaxLength, kMaxLength, 2}), lengths);
  const torch::Tensor input_energy = x.to(torch::kFloat64).square().sum({1, 2});
  for (int64_t levels = 1; levels <= 4; ++levels) {
    SCOPED_TRACE(testing::Message() << "levels " << levels);
    const HaarBands bands = HaarAnalysis(x, levels);
    ASSERT_EQ(bands.details.size(), static_cast<size_t>(levels));
    const int64_t padded = HaarPaddedLength(kMaxLength, levels);
    for (int64_t level = 1; level <= levels; ++level) {
      EXPECT_EQ(bands.details[level - 1].size(1), padded >> level);
    }
    EXPECT_EQ(bands.approximation.size(1), padded >> levels);

    const torch::Tensor reconstructed = HaarSynthesis(bands, kMaxLength);
    const double max_error = (reconstructed - x).abs().max().item<double>();
    EXPECT_LT(max_error, 1e-5);

    const torch::Tensor energy =
        SumOfSquaresPerSequence(bands).to(torch::kFloat64);
    const double max_relative =
        ((energy - input_energy).abs() / input_energy).max().item<double>();
    EXPECT_LT(max_relative, 1e-5);
  }
}

// The transform of an impulse basis is an orthonormal matrix: W W^T = I.
TEST(HaarTest, IsOrthonormal) {
  for (int64_t levels = 1; levels <= 4; ++levels) {
    const int64_t n = int64_t{1} << levels;
    const HaarBands bands = HaarAnalysis(
        torch::eye(n, torch::kFloat64).unsqueeze(-1), levels);  // [n, n, 1]
    std::vector<torch::Tensor> rows(bands.details.begin(), bands.details.end());
    rows.push_back(bands.approximation);
    const torch::Tensor w = torch::cat(rows, 1).squeeze(-1);  // [n, n]
    EXPECT_TRUE(torch::allclose(torch::mm(w, w.t()),
                                torch::eye(n, torch::kFloat64), 0, 1e-12))
        << "levels " << levels;
  }
}

TEST(HaarTest, MatchesTheDefinitionOnTwoLevels) {
  const torch::Tensor x =
      torch::tensor({1.0, 2.0, 3.0, 5.0}, torch::kFloat64).view({1, 4, 1});
  const HaarBands bands = HaarAnalysis(x, 2);
  const double r = 1.0 / std::sqrt(2.0);
  const torch::Tensor d1 =
      torch::tensor({(1.0 - 2.0) * r, (3.0 - 5.0) * r}, torch::kFloat64)
          .view({1, 2, 1});
  const double a1_0 = (1.0 + 2.0) * r;
  const double a1_1 = (3.0 + 5.0) * r;
  EXPECT_TRUE(torch::allclose(bands.details[0], d1));
  EXPECT_NEAR(bands.details[1].item<double>(), (a1_0 - a1_1) * r, 1e-12);
  EXPECT_NEAR(bands.approximation.item<double>(), (a1_0 + a1_1) * r, 1e-12);
}

// Coefficients of a sequence do not depend on the batch around it or on how
// far the batch is padded.
TEST(HaarTest, SequenceInBatchMatchesSequenceAlone) {
  torch::manual_seed(3);
  const torch::Tensor lengths = torch::tensor({37, 100, 5}, torch::kInt64);
  const torch::Tensor batch =
      ZeroPastLengths(torch::randn({3, 100, 4}), lengths);
  const HaarBands batched = HaarAnalysis(batch, 3);
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t length = lengths[b].item<int64_t>();
    const HaarBands alone =
        HaarAnalysis(batch.narrow(0, b, 1).narrow(1, 0, length), 3);
    for (size_t level = 0; level < alone.details.size(); ++level) {
      const torch::Tensor band = batched.details[level].narrow(0, b, 1);
      const int64_t rows = alone.details[level].size(1);
      EXPECT_TRUE(torch::equal(band.narrow(1, 0, rows), alone.details[level]));
      EXPECT_EQ(
          band.narrow(1, rows, band.size(1) - rows).abs().sum().item<float>(),
          0.0f);
    }
  }
}

TEST(HaarTest, ZeroPastLengthsClearsOnlyPadRows) {
  const torch::Tensor x = torch::ones({2, 2, 5, 3});
  const torch::Tensor masked =
      ZeroPastLengths(x, torch::tensor({5, 2}, torch::kInt64));
  EXPECT_EQ(masked[0].sum().item<float>(), 30.0f);
  EXPECT_EQ(masked[1].sum().item<float>(), 12.0f);
  EXPECT_EQ(masked[1].narrow(1, 2, 3).abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace wersa
