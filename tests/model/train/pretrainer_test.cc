#include "model/train/pretrainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/model/test_bundle.h"

namespace wersa::train {
namespace {

using ::testing::HasSubstr;
using testing_support::ExpectSameWeights;
using testing_support::GeneratedDocuments;
using testing_support::SmallConfig;
using testing_support::SmallTokenizer;
using testing_support::TemporaryDirectory;

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

// Interrupted part-way through its second epoch and resumed from the last
// mid-epoch checkpoint, a run ends with the weights and figures of one that
// ran straight through.
TEST(PretrainerTest, ResumedMidEpochEqualsUninterruptedRun) {
  const std::vector<std::vector<int32_t>> texts = GeneratedTexts(24);
  const std::string straight_dir = TemporaryDirectory("pretrain_straight");
  const std::string snapshot_dir = TemporaryDirectory("pretrain_snapshot");
  const auto run = [&](const std::string& checkpoints, bool resume,
                       bool snapshot,
                       std::vector<PretrainEpochSummary>* epochs) {
    torch::manual_seed(4);
    Encoder encoder(SmallConfig());
    PretrainerOptions options = TinyOptions();
    options.checkpoints = {checkpoints, resume, 2};
    Pretrainer pretrainer(encoder, options);
    // At epoch 2's fourth step the checkpoint of its second is on disk.
    const auto copy_mid_epoch = [&](const Progress& p) {
      if (snapshot && p.epoch == 2 && p.step == 4) {
        std::filesystem::copy(
            checkpoints, snapshot_dir,
            std::filesystem::copy_options::recursive |
                std::filesystem::copy_options::overwrite_existing);
      }
    };
    absl::StatusOr<std::vector<PretrainEpochSummary>> result =
        pretrainer.Train(texts, copy_mid_epoch, nullptr);
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok()) *epochs = *result;
    return encoder;
  };
  std::vector<PretrainEpochSummary> straight_epochs;
  std::vector<PretrainEpochSummary> resumed_epochs;
  Encoder straight = run(straight_dir, false, true, &straight_epochs);
  ASSERT_TRUE(std::filesystem::exists(snapshot_dir + "/state.json"));
  Encoder resumed = run(snapshot_dir, true, false, &resumed_epochs);
  ASSERT_EQ(straight_epochs.size(), 3U);
  // The resumed run reports the epochs it finished: the second and third.
  ASSERT_EQ(resumed_epochs.size(), 2U);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(resumed_epochs[i].epoch, straight_epochs[i + 1].epoch);
    EXPECT_DOUBLE_EQ(resumed_epochs[i].loss, straight_epochs[i + 1].loss);
    EXPECT_EQ(resumed_epochs[i].tokens, straight_epochs[i + 1].tokens);
  }
  ExpectSameWeights(resumed, straight);
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
