// wersa-train and wersa-eval as a user runs them: a tiny model trained in
// seconds on generated JSONL documents, saved, reloaded and evaluated, and
// the evaluator's printed figures checked against a confusion matrix
// computed here from the bundle's own predictions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "model/bundle.h"
#include "model/predictor.h"
#include "model/train/corpus.h"
#include "model/train/dataset.h"
#include "tests/model/test_bundle.h"
#include "tests/subprocess.h"

namespace wersa::train {
namespace {

using testing::HasSubstr;
using testing_support::CommandResult;
using testing_support::GeneratedDocuments;
using testing_support::RunCommand;
using testing_support::TemporaryDirectory;

std::string WriteJsonl(const std::string& dir) {
  const std::vector<std::string> texts = GeneratedDocuments(120, 3, 150, 11);
  std::string path = dir + "/documents.jsonl";
  std::ofstream out(path);
  for (size_t i = 0; i < texts.size(); ++i) {
    out << nlohmann::json{{"id", "doc-" + std::to_string(i)},
                          {"text", texts[i]},
                          {"label", std::string("topic-") +
                                        static_cast<char>('a' + i % 3)}}
               .dump()
        << "\n";
  }
  return path;
}

TEST(TrainToolsTest, TrainSaveReloadAndEvaluate) {
  const std::string dir = TemporaryDirectory("tools");
  const std::string data = "jsonl:" + WriteJsonl(dir);
  const std::string bundle_dir = dir + "/bundle";
  const CommandResult trained = RunCommand(
      std::string(WERSA_TRAIN_BINARY) + " --data " + data + " --output " +
      bundle_dir +
      " --vocab_size 200 --d_model 32 --num_layers 1 --num_heads 2"
      " --ffn_dim 64 --random_features 16 --epochs 6 --batch_size 8"
      " --window_tokens 128 --learning_rate 0.01 --threads 1 --seed 3");
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_THAT(
      trained.output,
      HasSubstr(
          "120 documents in 3 classes: 84 train, 18 validation, 18 test"));
  EXPECT_THAT(trained.output, HasSubstr("epoch 6:"));
  EXPECT_THAT(trained.output, HasSubstr("wrote " + bundle_dir));

  absl::StatusOr<ModelBundle> bundle = LoadBundle(bundle_dir);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  ASSERT_TRUE(bundle->eval_json.has_value());
  const nlohmann::json eval = nlohmann::json::parse(*bundle->eval_json);
  EXPECT_EQ(eval["split_sizes"]["validation"], 18);
  EXPECT_THAT(eval["command"].get<std::string>(), HasSubstr("--epochs 6"));

  // The validation split, scored here through the Predictor (the serving
  // path), and its confusion matrix counted by hand.
  absl::StatusOr<std::vector<Document>> documents =
      ReadJsonl(dir + "/documents.jsonl");
  ASSERT_TRUE(documents.ok());
  const LabelSet labels = MakeLabelSet(bundle->labels);
  const Split split = SplitByHash(*documents);
  std::vector<std::vector<int32_t>> ids;
  std::vector<int> truth;
  for (const size_t i : split.validation) {
    ids.push_back(*bundle->tokenizer.Encode((*documents)[i].text));
    truth.push_back(labels.index.at((*documents)[i].labels.front()));
  }
  absl::StatusOr<std::unique_ptr<Predictor>> predictor =
      Predictor::Create(*std::move(bundle), PredictorOptions{1, "cpu"});
  ASSERT_TRUE(predictor.ok());
  const auto scores = (*predictor)->Predict(ids);
  ASSERT_TRUE(scores.ok());
  std::vector<std::vector<int64_t>> confusion(3, std::vector<int64_t>(3, 0));
  int correct = 0;
  for (size_t k = 0; k < truth.size(); ++k) {
    const auto& row = (*scores)[k];
    const int predicted = static_cast<int>(
        std::max_element(row.begin(), row.end()) - row.begin());
    ++confusion[truth[k]][predicted];
    correct += predicted == truth[k];
  }
  EXPECT_GE(correct, 15) << "the topics are separable";

  const CommandResult evaluated =
      RunCommand(std::string(WERSA_EVAL_BINARY) + " --model_dir " + bundle_dir +
                 " --data " + data + " --split validation --json --threads 1");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  const nlohmann::json report = nlohmann::json::parse(evaluated.output);
  EXPECT_EQ(report["documents"], 18);
  EXPECT_EQ(report["confusion"], nlohmann::json(confusion));
  EXPECT_DOUBLE_EQ(report["accuracy"].get<double>(), correct / 18.0);
  EXPECT_EQ(report["per_class"].size(), 3u);
  EXPECT_EQ(report["documents_outside_label_set"], 0);

  const CommandResult table =
      RunCommand(std::string(WERSA_EVAL_BINARY) + " --model_dir " + bundle_dir +
                 " --data " + data + " --split validation --threads 1");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  char accuracy[32];
  std::snprintf(accuracy, sizeof accuracy, "%.4f", correct / 18.0);
  EXPECT_THAT(table.output, HasSubstr(accuracy));
  EXPECT_THAT(table.output, HasSubstr("topic-a"));
  EXPECT_THAT(table.output, HasSubstr("Confusion matrix"));
}

TEST(TrainToolsTest, ClearErrorsForBadCommandLines) {
  CommandResult result =
      RunCommand(std::string(WERSA_TRAIN_BINARY) + " --epochz 3");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("unknown flag --epochz"));
  result = RunCommand(std::string(WERSA_TRAIN_BINARY) + " --output /tmp/x");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--data and --output are required"));
  result = RunCommand(std::string(WERSA_TRAIN_BINARY) +
                      " --data csv:/x --output /tmp/x");
  EXPECT_THAT(result.output, HasSubstr("expected fulltext:TAR_GZ,LABELS_TSV"));
  result = RunCommand(std::string(WERSA_TRAIN_BINARY) +
                      " --data jsonl:/x --output /tmp/x --class_weighting yes");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("class weighting 'yes'"));
  result = RunCommand(std::string(WERSA_EVAL_BINARY) +
                      " --model_dir /nonexistent --data jsonl:/x");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("/nonexistent: not a bundle directory"));
  result = RunCommand(std::string(WERSA_TRAIN_BINARY) + " --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("--window_tokens"));
}

}  // namespace
}  // namespace wersa::train
