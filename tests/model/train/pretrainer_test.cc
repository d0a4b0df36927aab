#include "model/train/pretrainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/model/test_bundle.h"

namespace wersa::train {
namespace {

using ::testing::HasSubstr;
using testing_support::GeneratedDocuments;
using testing_support::SmallConfig;
using testing_support::SmallTokenizer;

std::vector<std::vector<int32_t>> GeneratedTexts(int count) {
  std::vector<std::vector<int32_t>> texts;
  for (const std::string& text : GeneratedDocuments(count, 4, 200, 3)) {
    texts.push_back(*SmallTokenizer().Encode(text));
  }
  return texts;
}

PretrainerOptions TinyOptions() {
  PretrainerOptions options;
  options.epochs = 3;
  options.batch_size = 8;
  options.window_tokens = 64;
  options.learning_rate = 1e-2;
  return options;
}

TEST(PretrainerTest, MaskedTokenLossFalls) {
  torch::manual_seed(1);
  Pretrainer pretrainer(Encoder(SmallConfig()), TinyOptions());
  const absl::StatusOr<std::vector<PretrainEpochSummary>> epochs =
      pretrainer.Train(GeneratedTexts(32), nullptr, nullptr);
  ASSERT_TRUE(epochs.ok()) << epochs.status();
  ASSERT_EQ(epochs->size(), 3U);
  EXPECT_LT(epochs->back().loss, epochs->front().loss);
  EXPECT_GT(epochs->back().masked_accuracy, 0.0);
}

// LibTorch throws on an embedding index past the table; both trainers return
// that as a status instead of letting the exception reach their caller.
TEST(PretrainerTest, TokenIdPastTheVocabularyIsAStatus) {
  std::vector<std::vector<int32_t>> texts = GeneratedTexts(4);
  // Every token of one text: masking replaces only some of them.
  std::fill(texts[2].begin(), texts[2].end(),
            static_cast<int32_t>(SmallTokenizer().vocab_size()));
  PretrainerOptions options = TinyOptions();
  options.epochs = 1;
  Pretrainer pretrainer(Encoder(SmallConfig()), options);
  const absl::StatusOr<std::vector<PretrainEpochSummary>> epochs =
      pretrainer.Train(texts, nullptr, nullptr);
  EXPECT_EQ(epochs.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(epochs.status().message(), HasSubstr("pre-training failed"));
}

}  // namespace
}  // namespace wersa::train
