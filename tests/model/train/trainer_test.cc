#include "model/train/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "model/train/corpus.h"
#include "tests/model/test_bundle.h"

namespace wersa::train {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;
using testing_support::GeneratedDocuments;
using testing_support::SmallTokenizer;
using testing_support::TemporaryDirectory;

constexpr int kTopics = 4;

// Generated documents cycle through the topics; document i has topic i % 4.
std::vector<Example> TopicExamples(int count, uint32_t seed,
                                   bool multi_label = false) {
  const std::vector<std::string> texts =
      GeneratedDocuments(count, kTopics, 200, seed);
  std::vector<Example> examples;
  for (int i = 0; i < count; ++i) {
    Example example;
    example.ids = *SmallTokenizer().Encode(texts[i]);
    example.labels = {i % kTopics};
    if (multi_label && i % 2 == 0) example.labels.push_back((i + 1) % kTopics);
    examples.push_back(example);
  }
  return examples;
}

ModelConfig TinyConfig(ProblemType problem = ProblemType::kSingleLabel) {
  ModelConfig config;
  config.vocab_size = SmallTokenizer().vocab_size();
  config.d_model = 32;
  config.num_layers = 1;
  config.num_heads = 2;
  config.ffn_dim = 64;
  config.random_features = 16;
  config.gate_kernel_size = 5;
  config.position_kernel_size = 5;
  config.num_labels = kTopics;
  config.problem_type = problem;
  return config;
}

TrainerOptions TinyOptions() {
  TrainerOptions options;
  options.epochs = 8;
  options.batch_size = 8;
  options.window_tokens = 128;
  options.learning_rate = 1e-2;
  options.seed = 5;
  return options;
}

TEST(TrainerTest, ClassWeightsHaveMeanOneOverTheExamples) {
  std::vector<Example> train(4);
  for (int i = 0; i < 3; ++i) train[i].labels = {0};
  train[3].labels = {1};
  // Three labels; label 2 has no example and weighs 0.
  const auto weights = [&](ClassWeighting weighting) {
    const torch::Tensor w = ClassWeights(train, 3, weighting);
    return std::vector<float>(w.data_ptr<float>(), w.data_ptr<float>() + 3);
  };
  EXPECT_THAT(weights(ClassWeighting::kNone),
              ElementsAre(FloatEq(1.0f), FloatEq(1.0f), FloatEq(0.0f)));
  // 1/3 and 1, scaled by 4 / (3 * 1/3 + 1).
  EXPECT_THAT(weights(ClassWeighting::kInverse),
              ElementsAre(FloatEq(2.0f / 3.0f), FloatEq(2.0f), FloatEq(0.0f)));
  // 1/sqrt(3) and 1, scaled by 4 / (sqrt(3) + 1).
  const float scale = 4.0f / (std::sqrt(3.0f) + 1.0f);
  EXPECT_THAT(weights(ClassWeighting::kInverseSqrt),
              ElementsAre(FloatEq(scale / std::sqrt(3.0f)), FloatEq(scale),
                          FloatEq(0.0f)));
}

TEST(TrainerTest, ParsesClassWeighting) {
  EXPECT_EQ(*ParseClassWeighting("none"), ClassWeighting::kNone);
  EXPECT_EQ(*ParseClassWeighting("inverse_sqrt"), ClassWeighting::kInverseSqrt);
  EXPECT_EQ(*ParseClassWeighting("inverse"), ClassWeighting::kInverse);
  const absl::StatusOr<ClassWeighting> bad = ParseClassWeighting("true");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("expected none, inverse_sqrt or inverse"));
}

TEST(TrainerTest, LearnsSeparableTopics) {
  torch::manual_seed(1);
  Encoder encoder(TinyConfig());
  std::vector<EpochSummary> summaries;
  Trainer trainer(encoder, TinyOptions());
  int64_t progress_calls = 0;
  absl::StatusOr<std::vector<EpochSummary>> result = trainer.Train(
      TopicExamples(160, 2), TopicExamples(40, 3),
      [&](const Progress& p) {
        ++progress_calls;
        EXPECT_GT(p.tokens_per_second, 0.0);
        EXPECT_LE(p.step, p.steps);
      },
      [&](const EpochSummary& e) { summaries.push_back(e); });
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->size(), 8u);
  EXPECT_EQ(progress_calls, 8 * 20);
  EXPECT_LT(result->back().train_loss, result->front().train_loss);
  double best_accuracy = 0.0;
  for (const EpochSummary& e : *result) {
    best_accuracy = std::max(best_accuracy, e.validation_accuracy);
  }
  EXPECT_GE(best_accuracy, 0.9);

  // The encoder holds the best epoch's weights: scoring reproduces its
  // accuracy.
  absl::StatusOr<EvaluationReport> report = EvaluateExamples(
      {encoder}, TopicExamples(40, 3), {"a", "b", "c", "d"}, 131072);
  ASSERT_TRUE(report.ok());
  EXPECT_DOUBLE_EQ(report->accuracy, best_accuracy);
}

TEST(TrainerTest, ResumedRunEqualsUninterruptedRun) {
  const std::vector<Example> train = TopicExamples(48, 4);
  const std::vector<Example> validation = TopicExamples(16, 5);
  const auto run = [&](const std::string& checkpoints, int stop_after,
                       bool resume) {
    torch::manual_seed(9);
    Encoder encoder(TinyConfig());
    TrainerOptions options = TinyOptions();
    options.epochs = 3;
    options.checkpoint_dir = checkpoints;
    options.stop_after_epoch = stop_after;
    options.resume = resume;
    Trainer trainer(encoder, options);
    EXPECT_TRUE(trainer.Train(train, validation, nullptr, nullptr).ok());
    return encoder;
  };
  const std::string straight_dir = TemporaryDirectory("straight");
  const std::string sliced_dir = TemporaryDirectory("sliced");
  Encoder straight = run(straight_dir, 0, false);
  run(sliced_dir, 2, false);
  Encoder resumed = run(sliced_dir, 0, true);
  const auto expected = straight->named_parameters();
  for (const auto& item : resumed->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), expected[item.key()])) << item.key();
  }
}

TEST(TrainerTest, MultiLabelTraining) {
  torch::manual_seed(2);
  Encoder encoder(TinyConfig(ProblemType::kMultiLabel));
  Trainer trainer(encoder, TinyOptions());
  absl::StatusOr<std::vector<EpochSummary>> result =
      trainer.Train(TopicExamples(160, 6, true), TopicExamples(40, 7, true),
                    nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<std::vector<float>> scores =
      ScoreExamples({encoder}, TopicExamples(8, 7, true), 131072);
  for (const auto& row : scores) {
    for (const float score : row) {
      EXPECT_GT(score, 0.0f);
      EXPECT_LT(score, 1.0f);
    }
  }
  EXPECT_GT(result->back().validation_macro_f1, 0.5);
}

TEST(TrainerTest, RejectsBadInput) {
  Encoder encoder(TinyConfig());
  Trainer trainer(encoder, TinyOptions());
  EXPECT_EQ(trainer.Train({}, {}, nullptr, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<Example> bad = TopicExamples(4, 8);
  bad[1].labels = {kTopics};
  EXPECT_THAT(
      std::string(trainer.Train(bad, {}, nullptr, nullptr).status().message()),
      testing::HasSubstr("label index 4 out of range"));

  // LibTorch throws on it; Train() returns that as a status.
  std::vector<Example> bad_id = TopicExamples(4, 8);
  // Every token of one example, so the random window holds some.
  std::fill(bad_id[2].ids.begin(), bad_id[2].ids.end(),
            static_cast<int32_t>(SmallTokenizer().vocab_size()));
  const absl::Status torch_error =
      trainer.Train(bad_id, {}, nullptr, nullptr).status();
  EXPECT_EQ(torch_error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(torch_error.message(), HasSubstr("training failed"));

  TrainerOptions resume = TinyOptions();
  resume.resume = true;
  resume.checkpoint_dir = TemporaryDirectory("empty");
  Trainer resuming(encoder, resume);
  EXPECT_EQ(
      resuming.Train(TopicExamples(4, 9), {}, nullptr, nullptr).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace wersa::train
