// The shipped bundle's known answers: the CC-licensed part C documents of
// tests/data/unarxive (papers of the 11 archives), each with the scores the
// bundle gave it when it shipped (known_answers.jsonl, written by wersa-eval
// --predictions; tests/data/unarxive/README.md). A change of tokenizer, label
// order, normalisation, prior correction or weights that moves any score by
// more than 1e-4 fails here. tests/server/known_answers_server_test.cc checks
// the same answers through the running server.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/bundle.h"
#include "model/predictor.h"
#include "model/train/dataset.h"

namespace wersa {
namespace {

constexpr double kTolerance = 1e-4;

struct KnownAnswer {
  std::string id;
  std::map<std::string, double> scores;
};

std::vector<KnownAnswer> ReadKnownAnswers(const std::string& path) {
  std::vector<KnownAnswer> answers;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json json = nlohmann::json::parse(line);
    answers.push_back({json.at("id").get<std::string>(),
                       json.at("scores").get<std::map<std::string, double>>()});
  }
  return answers;
}

TEST(KnownAnswersTest, ShippedBundleGivesItsRecordedScores) {
  absl::StatusOr<std::vector<train::Document>> documents =
      train::ReadJsonl(WERSA_UNARXIVE_DIR "/documents.jsonl");
  ASSERT_TRUE(documents.ok()) << documents.status();
  const std::vector<KnownAnswer> answers =
      ReadKnownAnswers(WERSA_UNARXIVE_DIR "/known_answers.jsonl");
  ASSERT_EQ(answers.size(), documents->size());

  absl::StatusOr<ModelBundle> bundle = LoadBundle(WERSA_SHIPPED_MODEL);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const std::vector<std::string> labels = bundle->labels;
  std::vector<std::vector<int32_t>> ids;
  for (const train::Document& document : *documents) {
    absl::StatusOr<std::vector<int32_t>> encoded =
        bundle->tokenizer.Encode(document.text);
    ASSERT_TRUE(encoded.ok()) << document.id;
    // Every fixture fits the token limit: nothing is truncated.
    ASSERT_LE(static_cast<int64_t>(encoded->size()), bundle->config.max_tokens);
    ids.push_back(*std::move(encoded));
  }
  absl::StatusOr<std::unique_ptr<Predictor>> predictor =
      Predictor::Create(*std::move(bundle), PredictorOptions{1, "cpu"});
  ASSERT_TRUE(predictor.ok()) << predictor.status();
  // One document a call, as a client sends them.
  for (size_t d = 0; d < documents->size(); ++d) {
    ASSERT_EQ(answers[d].id, (*documents)[d].id);
    absl::StatusOr<std::vector<std::vector<float>>> scores =
        (*predictor)->Predict({ids[d]});
    ASSERT_TRUE(scores.ok()) << scores.status();
    ASSERT_EQ(answers[d].scores.size(), labels.size());
    for (size_t c = 0; c < labels.size(); ++c) {
      EXPECT_NEAR((*scores)[0][c], answers[d].scores.at(labels[c]), kTolerance)
          << answers[d].id << " " << labels[c];
    }
  }
}

}  // namespace
}  // namespace wersa
