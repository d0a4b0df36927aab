// wersa-train and wersa-eval as a user runs them: a tiny model trained in
// seconds on generated JSONL documents, saved, reloaded and evaluated, and
// the evaluator's printed figures checked against a confusion matrix
// computed here from the bundle's own predictions, and the per-document
// scores it writes checked against the Predictor's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

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
using testing_support::ExpectSameWeights;
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

// A wersa-train command for a tiny model (200 pieces, one block, small
// windows, one thread) over `data` into `output`; `extra` adds the flags
// each test varies.
std::string TinyTrainCommand(const std::string& data, const std::string& output,
                             const std::string& extra) {
  return std::string(WERSA_TRAIN_BINARY) + " --data " + data + " --output " +
         output +
         " --vocab_size 200 --num_layers 1 --num_heads 2 --ffn_dim 64"
         " --random_features 16 --batch_size 8 --window_tokens 128"
         " --learning_rate 0.01 --threads 1" +
         extra;
}

TEST(TrainToolsTest, TrainSaveReloadAndEvaluate) {
  const std::string dir = TemporaryDirectory("tools");
  const std::string data = "jsonl:" + WriteJsonl(dir);
  const std::string bundle_dir = dir + "/bundle";
  const CommandResult trained = RunCommand(
      TinyTrainCommand(data, bundle_dir, " --d_model 32 --epochs 6 --seed 3"));
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
  EXPECT_THAT(eval["split_rule"].get<std::string>(), HasSubstr("sha1"));
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
  std::vector<std::string> validation_ids;
  for (const size_t i : split.validation) {
    validation_ids.push_back((*documents)[i].id);
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

  const std::string predictions = dir + "/predictions.jsonl";
  const CommandResult evaluated =
      RunCommand(std::string(WERSA_EVAL_BINARY) + " --model_dir " + bundle_dir +
                 " --data " + data + " --split validation --json --threads 1" +
                 " --predictions " + predictions);
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  const nlohmann::json report = nlohmann::json::parse(evaluated.output);
  EXPECT_EQ(report["documents"], 18);
  EXPECT_EQ(report["confusion"], nlohmann::json(confusion));
  EXPECT_DOUBLE_EQ(report["accuracy"].get<double>(), correct / 18.0);
  EXPECT_EQ(report["per_class"].size(), 3u);
  EXPECT_EQ(report["documents_outside_label_set"], 0);

  // One line per validation document, in split order, with the scores the
  // serving path gives it.
  std::ifstream lines(predictions);
  std::string line;
  size_t row = 0;
  const std::vector<std::string> label_names = {"topic-a", "topic-b",
                                                "topic-c"};
  while (std::getline(lines, line)) {
    ASSERT_LT(row, validation_ids.size());
    const nlohmann::json prediction = nlohmann::json::parse(line);
    EXPECT_EQ(prediction["id"], validation_ids[row]);
    EXPECT_EQ(prediction["labels"],
              nlohmann::json::array({label_names[truth[row]]}));
    EXPECT_EQ(prediction["tokens"], ids[row].size());
    ASSERT_EQ(prediction["scores"].size(), 3u);
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(prediction["scores"][label_names[c]].get<double>(),
                  (*scores)[row][labels.index.at(label_names[c])], 1e-5)
          << validation_ids[row] << " " << label_names[c];
    }
    ++row;
  }
  EXPECT_EQ(row, validation_ids.size());
  const CommandResult unwritable = RunCommand(
      std::string(WERSA_EVAL_BINARY) + " --model_dir " + bundle_dir +
      " --data " + data + " --predictions /nonexistent/predictions.jsonl");
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_THAT(unwritable.output, HasSubstr("cannot write predictions to "
                                           "'/nonexistent/predictions.jsonl'"));

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

// Several sources in one run: the first split, a second for training only
// (its ids shared with the first left out) drawn half of it per epoch,
// labels mapped to archives, the n-gram branch and the prior correction,
// all as the bundle and its eval.json record them.
TEST(TrainToolsTest, SeveralSourcesWithWeightsPriorCorrectionAndNgrams) {
  const std::string dir = TemporaryDirectory("sources");
  const std::vector<std::string> texts = GeneratedDocuments(150, 3, 120, 13);
  const char* categories[] = {"math.AC", "cs.DS", "q-bio.GN"};
  const char* other_categories[] = {"math.GR", "cs.PL", "q-bio.PE"};
  {
    std::ofstream first(dir + "/first.jsonl");
    std::ofstream second(dir + "/second.jsonl");
    for (size_t i = 0; i < texts.size(); ++i) {
      const bool in_first = i < 90;
      // The second source repeats ids doc-0 .. doc-9 of the first.
      const std::string id =
          "doc-" + std::to_string(in_first ? i : (i < 100 ? i - 90 : i));
      const char* label =
          in_first ? categories[i % 3] : other_categories[i % 3];
      (in_first ? first : second)
          << nlohmann::json{{"id", id}, {"text", texts[i]}, {"label", label}}
                 .dump()
          << "\n";
    }
  }
  const std::string data =
      "'jsonl:" + dir + "/first.jsonl;jsonl:" + dir + "/second.jsonl@0.5'";
  const std::string bundle_dir = dir + "/bundle";
  const CommandResult trained = RunCommand(
      TinyTrainCommand(data, bundle_dir,
                       " --label_level archive --prior_correction first_source"
                       " --ngram_buckets 512 --ngram_dim 8"
                       " --group_by_length true --d_model 32 --epochs 3"
                       " --seed 3"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_THAT(trained.output,
              HasSubstr("second.jsonl (weight 0.5): 60 documents, 50 kept, "
                        "10 left out as ids of the first source"));
  // The first source's 90 documents and the second's 50, all for training.
  EXPECT_THAT(trained.output, HasSubstr("140 documents in 3 classes"));

  absl::StatusOr<ModelBundle> bundle = LoadBundle(bundle_dir);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_THAT(bundle->labels,
              testing::UnorderedElementsAre("math", "cs", "q-bio"));
  EXPECT_EQ(bundle->config.ngram_buckets, 512);
  ASSERT_EQ(bundle->config.logit_bias.size(), 3u);
  const nlohmann::json eval = nlohmann::json::parse(*bundle->eval_json);
  ASSERT_EQ(eval["sources"].size(), 2u);
  EXPECT_EQ(eval["sources"][1]["weight"], 0.5);
  EXPECT_EQ(eval["sources"][1]["shared_ids_left_out"], 10);
  EXPECT_EQ(eval["label_level"], "archive");
  EXPECT_EQ(eval["without_prior_correction"]["logit_bias"],
            nlohmann::json(bundle->config.logit_bias));
  EXPECT_TRUE(eval["without_prior_correction"].contains("validation"));

  // wersa-eval reads the first source of the same list, with and without
  // the bundle's correction.
  const auto evaluate = [&](const std::string& logit_bias) {
    const CommandResult result = RunCommand(
        std::string(WERSA_EVAL_BINARY) + " --model_dir " + bundle_dir +
        " --data " + data + " --label_level archive --split validation" +
        " --json --threads 1 --logit_bias " + logit_bias);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return nlohmann::json::parse(result.output);
  };
  const nlohmann::json corrected = evaluate("bundle");
  const nlohmann::json uncorrected = evaluate("none");
  EXPECT_EQ(corrected["documents"], eval["validation"]["documents"]);
  EXPECT_NEAR(corrected["expected_calibration_error"].get<double>(),
              eval["validation"]["expected_calibration_error"].get<double>(),
              1e-9);
  EXPECT_NEAR(uncorrected["expected_calibration_error"].get<double>(),
              eval["without_prior_correction"]["validation"]
                  ["expected_calibration_error"]
                      .get<double>(),
              1e-9);
}

// Fine-tuning: a run that starts from a bundle keeps its tokenizer, labels
// and architecture, starts from its weights, and refuses model flags.
TEST(TrainToolsTest, FineTunesFromABundle) {
  const std::string dir = TemporaryDirectory("fine_tune");
  const std::string data = "jsonl:" + WriteJsonl(dir);
  const std::string base = dir + "/base";
  const CommandResult trained = RunCommand(
      TinyTrainCommand(data, base,
                       " --d_model 32 --ngram_buckets 64 --ngram_dim 4"
                       " --epochs 2 --seed 3"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;

  // Zero epochs are not allowed, so one epoch at a learning rate of zero
  // must leave every weight as the base bundle had it.
  const std::string tuned = dir + "/tuned";
  const CommandResult fine_tuned = RunCommand(
      std::string(WERSA_TRAIN_BINARY) + " --init_from " + base + " --data " +
      data + " --output " + tuned +
      " --epochs 1 --batch_size 8 --window_tokens 128 --learning_rate 0"
      " --weight_decay 0 --threads 1 --version 2");
  ASSERT_EQ(fine_tuned.exit_code, 0) << fine_tuned.output;
  absl::StatusOr<ModelBundle> before = LoadBundle(base);
  absl::StatusOr<ModelBundle> after = LoadBundle(tuned);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(after->tokenizer.model_proto(), before->tokenizer.model_proto());
  EXPECT_EQ(after->labels, before->labels);
  EXPECT_EQ(after->config.version, "2");
  EXPECT_EQ(after->config.ngram_buckets, 64);
  EXPECT_EQ(after->config.d_model, 32);
  ExpectSameWeights(after->members.front(), before->members.front());

  const CommandResult with_model_flag = RunCommand(
      std::string(WERSA_TRAIN_BINARY) + " --init_from " + base + " --data " +
      data + " --output " + dir + "/refused --d_model 64");
  EXPECT_EQ(with_model_flag.exit_code, 1);
  EXPECT_THAT(with_model_flag.output,
              HasSubstr("--d_model cannot be given with --init_from"));
  const CommandResult other_labels = RunCommand(
      std::string(WERSA_TRAIN_BINARY) + " --init_from " + base + " --data " +
      data + " --output " + dir + "/refused --labels topic-b,topic-a,topic-c");
  EXPECT_EQ(other_labels.exit_code, 1);
  EXPECT_THAT(other_labels.output, HasSubstr("are not the run's"));
}

// Trains the tiny model of TrainSaveReloadAndEvaluate into `bundle_dir`.
void TrainTinyBundle(const std::string& data, const std::string& bundle_dir,
                     int seed, int d_model) {
  const CommandResult trained = RunCommand(
      TinyTrainCommand(data, bundle_dir,
                       " --d_model " + std::to_string(d_model) +
                           " --epochs 3 --seed " + std::to_string(seed)));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
}

TEST(TrainToolsTest, EnsembleOfTwoSeeds) {
  const std::string dir = TemporaryDirectory("ensemble");
  const std::string data = "jsonl:" + WriteJsonl(dir);
  TrainTinyBundle(data, dir + "/seed3", 3, 32);
  TrainTinyBundle(data, dir + "/seed4", 4, 32);
  TrainTinyBundle(data, dir + "/narrow", 3, 16);

  const std::string ensemble_dir = dir + "/ensemble";
  const CommandResult combined =
      RunCommand(std::string(WERSA_ENSEMBLE_BINARY) + " --members " + dir +
                 "/seed3," + dir + "/seed4 --output " + ensemble_dir +
                 " --data " + data + " --version 2 --threads 1");
  ASSERT_EQ(combined.exit_code, 0) << combined.output;
  EXPECT_THAT(combined.output,
              HasSubstr("wrote " + ensemble_dir + ": 2 encoders"));

  // Each member's weights file is the bundle it came from, byte for byte.
  const auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(bytes(ensemble_dir + "/weights.pt"),
            bytes(dir + "/seed3/weights.pt"));
  EXPECT_EQ(bytes(ensemble_dir + "/weights.1.pt"),
            bytes(dir + "/seed4/weights.pt"));
  absl::StatusOr<ModelBundle> bundle = LoadBundle(ensemble_dir);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->config.ensemble_members, 2);
  EXPECT_EQ(bundle->config.version, "2");

  // eval.json holds what wersa-eval reports on the combined bundle.
  ASSERT_TRUE(bundle->eval_json.has_value());
  const nlohmann::json eval = nlohmann::json::parse(*bundle->eval_json);
  EXPECT_EQ(eval["members"].size(), 2u);
  EXPECT_EQ(eval["split_sizes"]["validation"], 18);
  EXPECT_THAT(eval["split_rule"].get<std::string>(), HasSubstr("sha1"));
  EXPECT_THAT(eval["members"][1]["command"].get<std::string>(),
              HasSubstr("--seed 4"));
  const CommandResult evaluated = RunCommand(
      std::string(WERSA_EVAL_BINARY) + " --model_dir " + ensemble_dir +
      " --data " + data + " --split test --json --threads 1");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  const nlohmann::json report = nlohmann::json::parse(evaluated.output);
  EXPECT_EQ(report["confusion"], eval["test"]["confusion"]);
  EXPECT_DOUBLE_EQ(report["macro_auc"].get<double>(),
                   eval["test"]["macro_auc"].get<double>());

  CommandResult refused =
      RunCommand(std::string(WERSA_ENSEMBLE_BINARY) + " --members " + dir +
                 "/seed3," + dir + "/narrow --output " + dir + "/mixed");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output,
              HasSubstr("/narrow: its config.json (architecture) differs"));
  refused = RunCommand(std::string(WERSA_ENSEMBLE_BINARY) + " --members " +
                       dir + "/seed3 --output " + dir + "/alone");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("at least two bundles"));
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
