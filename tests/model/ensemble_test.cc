// EnsembleScores against the combination rule computed here from each
// member's own logits, and the Predictor serving a two-member bundle.
#include "model/ensemble.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "model/predictor.h"
#include "tests/model/test_bundle.h"

namespace wersa {
namespace {

using testing_support::RandomBundle;
using testing_support::RandomTokenIds;
using testing_support::SmallConfig;

ModelConfig EnsembleConfig(int64_t members, ProblemType problem_type) {
  ModelConfig config = SmallConfig();
  config.ensemble_members = members;
  config.problem_type = problem_type;
  return config;
}

// Two documents of different lengths, padded.
std::pair<torch::Tensor, torch::Tensor> Batch(int64_t vocab) {
  const std::vector<int32_t> a = RandomTokenIds(40, vocab, 5);
  const std::vector<int32_t> b = RandomTokenIds(25, vocab, 6);
  torch::Tensor ids = torch::zeros({2, 40}, torch::kInt64);
  for (size_t i = 0; i < a.size(); ++i) ids[0][static_cast<int64_t>(i)] = a[i];
  for (size_t i = 0; i < b.size(); ++i) ids[1][static_cast<int64_t>(i)] = b[i];
  return {ids, torch::tensor({40, 25}, torch::kInt64)};
}

TEST(EnsembleTest, OneMemberGivesItsOwnScoresExactly) {
  const ModelBundle bundle =
      RandomBundle(EnsembleConfig(1, ProblemType::kSingleLabel), 41);
  const auto [ids, lengths] = Batch(SmallConfig().vocab_size);
  torch::NoGradGuard no_grad;
  Encoder member = bundle.members.front();
  EXPECT_TRUE(torch::equal(EnsembleScores(bundle.members, ids, lengths),
                           member->Scores(member->forward(ids, lengths))));
}

TEST(EnsembleTest, SingleLabelIsTheNormalisedGeometricMean) {
  const ModelBundle bundle =
      RandomBundle(EnsembleConfig(3, ProblemType::kSingleLabel), 42);
  const auto [ids, lengths] = Batch(SmallConfig().vocab_size);
  torch::NoGradGuard no_grad;
  const torch::Tensor scores = EnsembleScores(bundle.members, ids, lengths);
  ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{2, 4}));
  torch::Tensor product = torch::ones({2, 4}, torch::kFloat64);
  for (Encoder member : bundle.members) {
    product *= torch::softmax(member->forward(ids, lengths), -1)
                   .to(torch::kFloat64)
                   .pow(1.0 / 3.0);
  }
  const torch::Tensor expected = product / product.sum(-1, true);
  EXPECT_TRUE(torch::allclose(scores.to(torch::kFloat64), expected, 1e-5, 1e-6))
      << scores << expected;
  // Not simply the first member's scores.
  Encoder first = bundle.members.front();
  EXPECT_FALSE(torch::allclose(
      scores, first->Scores(first->forward(ids, lengths)), 1e-4, 1e-5));
}

TEST(EnsembleTest, MultiLabelIsTheSigmoidOfTheMeanLogit) {
  const ModelBundle bundle =
      RandomBundle(EnsembleConfig(2, ProblemType::kMultiLabel), 43);
  const auto [ids, lengths] = Batch(SmallConfig().vocab_size);
  torch::NoGradGuard no_grad;
  Encoder a = bundle.members[0];
  Encoder b = bundle.members[1];
  const torch::Tensor expected =
      torch::sigmoid((a->forward(ids, lengths) + b->forward(ids, lengths)) / 2);
  EXPECT_TRUE(torch::allclose(EnsembleScores(bundle.members, ids, lengths),
                              expected, 1e-6, 1e-7));
}

TEST(EnsembleTest, PredictorServesEveryMember) {
  const ModelConfig config = EnsembleConfig(2, ProblemType::kSingleLabel);
  ModelBundle bundle = RandomBundle(config, 44);
  const std::vector<int32_t> document =
      RandomTokenIds(60, config.vocab_size, 7);
  torch::Tensor ids = torch::zeros({1, 60}, torch::kInt64);
  for (size_t i = 0; i < document.size(); ++i) {
    ids[0][static_cast<int64_t>(i)] = document[i];
  }
  const torch::Tensor lengths = torch::tensor({60}, torch::kInt64);
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = EnsembleScores(bundle.members, ids, lengths);
  }
  absl::StatusOr<std::unique_ptr<Predictor>> predictor =
      Predictor::Create(std::move(bundle), PredictorOptions{1, "cpu"});
  ASSERT_TRUE(predictor.ok()) << predictor.status();
  const auto scores = (*predictor)->Predict({document});
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ((*scores)[0].size(), 4u);
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR((*scores)[0][c], expected[0][c].item<float>(), 1e-6);
  }
}

}  // namespace
}  // namespace wersa
