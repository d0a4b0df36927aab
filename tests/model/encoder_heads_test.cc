// The parts of the encoder around the attention stack: the bag-of-n-grams
// branch (its features, its mean over real tokens only) and the prior
// correction's logit bias (eval mode only), against values computed here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/encoder.h"
#include "model/model_config.h"
#include "tests/model/test_bundle.h"

namespace wersa {
namespace {

using testing_support::RandomTokenIds;
using testing_support::SmallConfig;

ModelConfig NgramConfig() {
  ModelConfig config = SmallConfig();
  config.ngram_buckets = 97;
  config.ngram_dim = 8;
  return config;
}

torch::Tensor Row(const std::vector<int32_t>& ids, int64_t padded_to) {
  torch::Tensor row = torch::zeros({1, padded_to}, torch::kInt64);
  for (size_t i = 0; i < ids.size(); ++i) {
    row[0][static_cast<int64_t>(i)] = ids[i];
  }
  return row;
}

TEST(NgramBranchTest, FeaturesAreTokensThenHashedPairs) {
  const torch::Tensor ids = torch::tensor({{3, 7, 3, 7}}, torch::kInt64);
  const torch::Tensor features = NgramFeatures(ids, /*vocab_size=*/10, 97);
  ASSERT_EQ(features.sizes(), (std::vector<int64_t>{1, 7}));
  // The tokens themselves, then pairs (3,7), (7,3), (3,7).
  const auto at = [&](int64_t k) { return features[0][k].item<int64_t>(); };
  EXPECT_EQ(at(0), 3);
  EXPECT_EQ(at(1), 7);
  const auto bucket = [](int64_t pair) {
    return ((pair * 2654435761LL) & 0xFFFFFFFFLL) % 97 + 10;
  };
  EXPECT_EQ(at(4), bucket(37));
  EXPECT_EQ(at(5), bucket(73));
  EXPECT_EQ(at(6), bucket(37));
  EXPECT_NE(at(4), at(5));
  for (int64_t k = 4; k < 7; ++k) {
    EXPECT_GE(at(k), 10);
    EXPECT_LT(at(k), 10 + 97);
  }
}

TEST(NgramBranchTest, PaddingDoesNotChangeTheLogits) {
  torch::manual_seed(3);
  Encoder encoder(NgramConfig());
  encoder->eval();
  const std::vector<int32_t> tokens =
      RandomTokenIds(30, NgramConfig().vocab_size, 11);
  const torch::Tensor alone =
      encoder->forward(Row(tokens, 30), torch::tensor({30}, torch::kInt64));
  // The same document beside a longer one, padded with ids that would read
  // as real tokens if they counted.
  torch::Tensor ids = torch::full({2, 50}, 5, torch::kInt64);
  ids[0].narrow(0, 0, 30).copy_(Row(tokens, 30)[0]);
  const torch::Tensor batched =
      encoder->forward(ids, torch::tensor({30, 50}, torch::kInt64));
  EXPECT_TRUE(torch::allclose(batched[0], alone[0], 1e-5, 1e-5))
      << batched[0] << alone[0];
}

TEST(NgramBranchTest, TheBranchChangesTheLogitsAndLearns) {
  torch::manual_seed(3);
  Encoder encoder(NgramConfig());
  const std::vector<int32_t> tokens =
      RandomTokenIds(20, NgramConfig().vocab_size, 12);
  const torch::Tensor logits =
      encoder->forward(Row(tokens, 20), torch::tensor({20}, torch::kInt64));
  logits.sum().backward();
  // Rows of the tokens and pairs read get a gradient; others none.
  const torch::Tensor grad =
      encoder->named_parameters()["ngrams.weight"].grad();
  ASSERT_TRUE(grad.defined());
  const int64_t rows_touched = (grad.abs().sum(1) > 0).sum().item<int64_t>();
  EXPECT_GT(rows_touched, 10);
  EXPECT_LE(rows_touched, 20 + 19);
}

TEST(NgramBranchTest, WithoutTheEncoderTheHeadReadsTheBagAlone) {
  ModelConfig config = NgramConfig();
  config.encoder_branch = false;
  ASSERT_TRUE(ValidateModelConfig(config).ok());
  torch::manual_seed(6);
  Encoder bag_only(config);
  std::vector<std::string> names;
  for (const auto& item : bag_only->named_parameters()) {
    names.push_back(item.key());
  }
  EXPECT_THAT(names, testing::UnorderedElementsAre("ngrams.weight",
                                                   "head.weight", "head.bias"));
  bag_only->eval();
  const std::vector<int32_t> tokens = RandomTokenIds(12, config.vocab_size, 8);
  const torch::Tensor ids = Row(tokens, 12);
  const torch::Tensor lengths = torch::tensor({12}, torch::kInt64);
  // The head applied to the mean of the 12 token rows and 11 pair rows.
  const torch::Tensor rows =
      NgramFeatures(ids, config.vocab_size, config.ngram_buckets)[0];
  const torch::Tensor table = bag_only->named_parameters()["ngrams.weight"];
  const torch::Tensor mean = table.index_select(0, rows).mean(0);
  const torch::Tensor expected =
      torch::matmul(bag_only->named_parameters()["head.weight"], mean) +
      bag_only->named_parameters()["head.bias"];
  EXPECT_TRUE(torch::allclose(bag_only->forward(ids, lengths)[0], expected,
                              1e-5, 1e-6));
  config.ngram_buckets = 0;
  EXPECT_THAT(std::string(ValidateModelConfig(config).message()),
              testing::HasSubstr("'encoder_branch' may be false only"));
}

TEST(LogitBiasTest, AddedInEvalModeOnly) {
  ModelConfig config = SmallConfig();
  torch::manual_seed(4);
  Encoder plain(config);
  std::vector<double> bias(static_cast<size_t>(config.num_labels));
  for (size_t c = 0; c < bias.size(); ++c) bias[c] = 0.25 * c - 0.5;
  config.logit_bias = bias;
  torch::manual_seed(4);
  Encoder corrected(config);
  const std::vector<int32_t> tokens = RandomTokenIds(16, config.vocab_size, 7);
  const torch::Tensor ids = Row(tokens, 16);
  const torch::Tensor lengths = torch::tensor({16}, torch::kInt64);
  plain->eval();
  corrected->eval();
  const torch::Tensor expected =
      plain->forward(ids, lengths) + torch::tensor(bias, torch::kFloat32);
  EXPECT_TRUE(torch::allclose(corrected->forward(ids, lengths), expected));
  // Training sees the raw logits (dropout off, so both are deterministic).
  plain->train();
  corrected->train();
  torch::manual_seed(5);
  const torch::Tensor raw_plain = plain->forward(ids, lengths);
  torch::manual_seed(5);
  EXPECT_TRUE(torch::allclose(corrected->forward(ids, lengths), raw_plain));
  // And SetLogitBias({}) takes the correction away.
  corrected->eval();
  corrected->SetLogitBias({});
  plain->eval();
  EXPECT_TRUE(torch::allclose(corrected->forward(ids, lengths),
                              plain->forward(ids, lengths)));
}

}  // namespace
}  // namespace wersa
