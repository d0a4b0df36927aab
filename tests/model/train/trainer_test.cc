#include "model/train/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "model/train/corpus.h"
#include "tests/model/test_bundle.h"

namespace wersa::train {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;
using testing_support::ExpectSameWeights;
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
    options.checkpoints = {checkpoints, resume};
    options.stop_after_epoch = stop_after;
    Trainer trainer(encoder, options);
    EXPECT_TRUE(trainer.Train(train, validation, nullptr, nullptr).ok());
    return encoder;
  };
  const std::string straight_dir = TemporaryDirectory("straight");
  const std::string sliced_dir = TemporaryDirectory("sliced");
  Encoder straight = run(straight_dir, 0, false);
  run(sliced_dir, 2, false);
  Encoder resumed = run(sliced_dir, 0, true);
  ExpectSameWeights(resumed, straight);
}

TEST(TrainerTest, ResumedMidEpochEqualsUninterruptedRun) {
  const std::vector<Example> train = TopicExamples(48, 4);
  const std::vector<Example> validation = TopicExamples(16, 5);
  const std::string straight_dir = TemporaryDirectory("straight_steps");
  const std::string snapshot_dir = TemporaryDirectory("snapshot_steps");
  const auto run = [&](const std::string& checkpoints, bool resume,
                       bool snapshot) {
    torch::manual_seed(9);
    Encoder encoder(TinyConfig());
    TrainerOptions options = TinyOptions();
    options.epochs = 3;
    options.checkpoints = {checkpoints, resume, 2};
    options.token_dropout = 0.2;
    Trainer trainer(encoder, options);
    // At epoch 2's fifth step the checkpoint of its fourth is on disk: a
    // copy of it is what an interruption there leaves behind.
    const auto copy_mid_epoch = [&](const Progress& p) {
      if (snapshot && p.epoch == 2 && p.step == 5) {
        std::filesystem::copy(
            checkpoints, snapshot_dir,
            std::filesystem::copy_options::recursive |
                std::filesystem::copy_options::overwrite_existing);
      }
    };
    EXPECT_TRUE(trainer.Train(train, validation, copy_mid_epoch, nullptr).ok());
    return encoder;
  };
  Encoder straight = run(straight_dir, false, true);
  ASSERT_TRUE(std::filesystem::exists(snapshot_dir + "/state.json"));
  Encoder resumed = run(snapshot_dir, true, false);
  ExpectSameWeights(resumed, straight);
}

TEST(TrainerTest, NgramTableTrainsAtItsOwnRate) {
  // One step from the same weights on the same batch: AdamW's first update
  // moves each parameter by about its rate, so the table moves ten times as
  // far at scale 10 while every other parameter moves the same.
  const auto one_step = [](double scale) {
    torch::manual_seed(3);
    ModelConfig config = TinyConfig();
    config.ngram_buckets = 64;
    config.ngram_dim = 8;
    Encoder encoder(config);
    const torch::Tensor table_before = encoder->ngram_table().clone();
    TrainerOptions options = TinyOptions();
    options.epochs = 1;
    options.batch_size = 8;
    options.ngram_learning_rate_scale = scale;
    options.ngram_weight_decay = 0.0;
    Trainer trainer(encoder, options);
    EXPECT_TRUE(
        trainer
            .Train(TopicExamples(8, 6), TopicExamples(4, 7), nullptr, nullptr)
            .ok());
    const double moved =
        (encoder->ngram_table() - table_before).abs().max().item<double>();
    return std::make_pair(encoder, moved);
  };
  const auto [plain, plain_moved] = one_step(1.0);
  const auto [fast, fast_moved] = one_step(10.0);
  EXPECT_GT(plain_moved, 0.0);
  EXPECT_NEAR(fast_moved / plain_moved, 10.0, 0.1);
  const auto expected = plain->named_parameters();
  for (const auto& item : fast->named_parameters()) {
    if (item.key() == "ngrams.weight") continue;
    EXPECT_TRUE(torch::allclose(item.value(), expected[item.key()]))
        << item.key();
  }
}

TEST(TrainerTest, EpochDrawsFollowSamplingWeights) {
  std::vector<Example> train(10);
  for (int i = 0; i < 10; ++i) train[i].labels = {0};
  for (int i = 0; i < 4; ++i) train[i].sampling_weight = 2.0;
  for (int i = 4; i < 8; ++i) train[i].sampling_weight = 0.5;
  // 0.25 of two examples rounds to 1 (halves away from zero).
  train[8].sampling_weight = 1.25;
  train[9].sampling_weight = 1.25;
  EXPECT_EQ(ExpectedEpochDraws(train), 8u + 2u + 3u);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    const std::vector<size_t> draws = EpochDraws(train, rng);
    ASSERT_EQ(draws.size(), ExpectedEpochDraws(train));
    std::vector<int> times(10, 0);
    for (const size_t i : draws) ++times[i];
    for (int i = 0; i < 4; ++i) EXPECT_EQ(times[i], 2) << i;
    EXPECT_EQ(times[4] + times[5] + times[6] + times[7], 2);
    for (int i = 4; i < 8; ++i) EXPECT_LE(times[i], 1) << i;
    EXPECT_EQ(times[8] + times[9], 3);
  }
}

TEST(TrainerTest, GroupByLengthKeepsTheDrawsAndBatchesSimilarLengths) {
  std::vector<Example> train(300);
  std::vector<size_t> draws;
  for (size_t i = 0; i < train.size(); ++i) {
    // Alternating short abstracts and long full texts.
    train[i].ids.assign(i % 2 == 0 ? 50 + i : 5000 + i, 1);
    train[i].labels = {0};
    draws.push_back(i);
  }
  std::mt19937_64 rng(3);
  std::shuffle(draws.begin(), draws.end(), rng);
  const std::vector<size_t> grouped = GroupByLength(
      draws, train, /*window_tokens=*/4096, /*batch_size=*/8, rng);
  std::vector<size_t> sorted_before = draws, sorted_after = grouped;
  std::sort(sorted_before.begin(), sorted_before.end());
  std::sort(sorted_after.begin(), sorted_after.end());
  EXPECT_EQ(sorted_after, sorted_before);
  // 300 draws: 37 full batches of 8, then the partial batch of 4 last. One
  // chunk (64 batches) holds them all, so only the batch where the lengths
  // change mixes short and long.
  int mixed = 0;
  for (size_t begin = 0; begin < grouped.size(); begin += 8) {
    const size_t end = std::min(grouped.size(), begin + 8);
    int longs = 0;
    for (size_t k = begin; k < end; ++k) longs += grouped[k] % 2;
    if (longs != 0 && longs != static_cast<int>(end - begin)) ++mixed;
  }
  EXPECT_LE(mixed, 1);
}

TEST(TrainerTest, ClassWeightsCountSamplingWeights) {
  std::vector<Example> train(3);
  train[0].labels = {0};
  train[0].sampling_weight = 3.0;  // counts as three draws of class 0
  train[1].labels = {1};
  train[2].labels = {1};
  const torch::Tensor w = ClassWeights(train, 2, ClassWeighting::kInverse);
  // 1/3 and 1/2, scaled so that the 5 draws weigh 5: 5 / (3/3 + 2/2).
  EXPECT_FLOAT_EQ(w[0].item<float>(), 2.5f / 3.0f);
  EXPECT_FLOAT_EQ(w[1].item<float>(), 2.5f / 2.0f);
}

TEST(TrainerTest, PriorCorrectionIsTheLogRatioOfPriors) {
  // Training mix: class 0 drawn 6 times (3 examples of weight 2), class 1
  // 2 times. Reference: 1 of class 0, 3 of class 1 (+0.5 each).
  std::vector<Example> train(5);
  for (int i = 0; i < 3; ++i) {
    train[i].labels = {0};
    train[i].sampling_weight = 2.0;
  }
  train[3].labels = {1};
  train[4].labels = {1};
  std::vector<Example> reference(4);
  reference[0].labels = {0};
  for (int i = 1; i < 4; ++i) reference[i].labels = {1};
  const std::vector<double> none =
      PriorCorrection(train, reference, 2, ClassWeighting::kNone);
  ASSERT_EQ(none.size(), 2u);
  EXPECT_NEAR(none[0], std::log(1.5 / 5.0) - std::log(6.0 / 8.0), 1e-9);
  EXPECT_NEAR(none[1], std::log(3.5 / 5.0) - std::log(2.0 / 8.0), 1e-9);
  // With inverse weighting the model learns a uniform prior.
  const std::vector<double> inverse =
      PriorCorrection(train, reference, 2, ClassWeighting::kInverse);
  EXPECT_NEAR(inverse[0], std::log(1.5 / 5.0) - std::log(0.5), 1e-6);
  EXPECT_NEAR(inverse[1], std::log(3.5 / 5.0) - std::log(0.5), 1e-6);
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

  // Resumed before its first checkpoint was written, a run has nothing to
  // continue from: it starts at epoch 1 and writes one.
  TrainerOptions resume = TinyOptions();
  resume.epochs = 1;
  resume.checkpoints = {TemporaryDirectory("empty"), true};
  Trainer resuming(encoder, resume);
  absl::StatusOr<std::vector<EpochSummary>> resumed =
      resuming.Train(TopicExamples(4, 9), {}, nullptr, nullptr);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->size(), 1u);
  EXPECT_EQ(resumed->front().epoch, 1);
  EXPECT_TRUE(std::filesystem::exists(resume.checkpoints.dir + "/state.json"));

  // A damaged checkpoint is an error that names it, never a fresh start.
  std::ofstream(resume.checkpoints.dir + "/model.pt") << "not a checkpoint";
  const absl::Status damaged =
      resuming.Train(TopicExamples(4, 9), {}, nullptr, nullptr).status();
  EXPECT_EQ(damaged.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(damaged.message(), HasSubstr(resume.checkpoints.dir));
}

}  // namespace
}  // namespace wersa::train
