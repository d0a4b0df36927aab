#include "model/train/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace wersa::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kTolerance = 1e-6;

EvaluationInput SingleLabel(std::vector<std::string> labels,
                            std::vector<std::vector<float>> scores,
                            const std::vector<int>& truth) {
  EvaluationInput input;
  input.label_names = std::move(labels);
  input.scores = std::move(scores);
  for (const int label : truth) input.truth.push_back({label});
  input.lengths.assign(input.scores.size(), 100);
  return input;
}

// Three classes, ten documents; d4 ties classes 0 and 1 and goes to 0.
//
//   doc  truth  scores            predicted
//   d0   0      0.7  0.2  0.1     0
//   d1   0      0.6  0.3  0.1     0
//   d2   0      0.5  0.3  0.2     0
//   d3   0      0.3  0.6  0.1     1
//   d4   1      0.4  0.4  0.2     0 (tie)
//   d5   1      0.2  0.7  0.1     1
//   d6   1      0.1  0.8  0.1     1
//   d7   2      0.2  0.5  0.3     1
//   d8   2      0.1  0.2  0.7     2
//   d9   2      0.1  0.1  0.8     2
//
// Confusion (rows truth, columns predicted):
//   [3 1 0]   support 4
//   [1 2 0]   support 3
//   [0 1 2]   support 3
//   predicted 4 4 2
//
// class 0: TP 3, P = 3/4, R = 3/4, F1 = 3/4
// class 1: TP 2, P = 2/4, R = 2/3, F1 = 2 (1/2)(2/3) / (7/6) = 4/7
// class 2: TP 2, P = 2/2, R = 2/3, F1 = 2 (2/3) / (5/3) = 4/5
// accuracy = 7/10, macro-F1 = (3/4 + 4/7 + 4/5) / 3 = 99/140,
// micro-F1 = accuracy = 7/10.
EvaluationInput ThreeClassExample() {
  return SingleLabel({"cs.LG", "math.ST", "q-bio.NC"},
                     {{0.7f, 0.2f, 0.1f},
                      {0.6f, 0.3f, 0.1f},
                      {0.5f, 0.3f, 0.2f},
                      {0.3f, 0.6f, 0.1f},
                      {0.4f, 0.4f, 0.2f},
                      {0.2f, 0.7f, 0.1f},
                      {0.1f, 0.8f, 0.1f},
                      {0.2f, 0.5f, 0.3f},
                      {0.1f, 0.2f, 0.7f},
                      {0.1f, 0.1f, 0.8f}},
                     {0, 0, 0, 0, 1, 1, 1, 2, 2, 2});
}

TEST(MetricsTest, SingleLabelMatchesHandComputation) {
  const absl::StatusOr<EvaluationReport> report = Evaluate(ThreeClassExample());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->mode, EvaluationMode::kSingleLabel);
  EXPECT_EQ(report->documents, 10);
  EXPECT_THAT(report->confusion,
              ElementsAre(ElementsAre(3, 1, 0), ElementsAre(1, 2, 0),
                          ElementsAre(0, 1, 2)));
  EXPECT_NEAR(report->accuracy, 0.7, kTolerance);
  EXPECT_NEAR(report->macro_f1, 99.0 / 140.0, kTolerance);
  EXPECT_NEAR(report->micro_f1, 0.7, kTolerance);

  ASSERT_EQ(report->per_class.size(), 3u);
  const ClassMetrics& c0 = report->per_class[0];
  const ClassMetrics& c1 = report->per_class[1];
  const ClassMetrics& c2 = report->per_class[2];
  EXPECT_EQ(c0.label, "cs.LG");
  EXPECT_EQ(c1.label, "math.ST");
  EXPECT_EQ(c2.label, "q-bio.NC");
  EXPECT_EQ(c0.support, 4);
  EXPECT_EQ(c1.support, 3);
  EXPECT_EQ(c2.support, 3);
  EXPECT_EQ(c0.predicted, 4);
  EXPECT_EQ(c1.predicted, 4);
  EXPECT_EQ(c2.predicted, 2);
  EXPECT_NEAR(c0.precision, 0.75, kTolerance);
  EXPECT_NEAR(c0.recall, 0.75, kTolerance);
  EXPECT_NEAR(c0.f1, 0.75, kTolerance);
  EXPECT_NEAR(c1.precision, 0.5, kTolerance);
  EXPECT_NEAR(c1.recall, 2.0 / 3.0, kTolerance);
  EXPECT_NEAR(c1.f1, 4.0 / 7.0, kTolerance);
  EXPECT_NEAR(c2.precision, 1.0, kTolerance);
  EXPECT_NEAR(c2.recall, 2.0 / 3.0, kTolerance);
  EXPECT_NEAR(c2.f1, 0.8, kTolerance);
}

// Positives score 0.8, 0.4, 0.4; negatives 0.4, 0.2, 0.4.
// Ascending: 0.2 (neg) rank 1; four 0.4s (2 pos, 2 neg) share ranks 2..5,
// mean 3.5; 0.8 (pos) rank 6. Positive rank sum 3.5 + 3.5 + 6 = 13,
// U = 13 - 3*4/2 = 7, AUC = 7 / (3*3) = 7/9. Pairwise: 0.8 beats all 3
// negatives, each 0.4 beats 0.2 and ties two 0.4s: 3 + 2 + 2 = 7 of 9.
// Class 1 scores are the complement with the complementary truth, so its
// AUC is 7/9 as well.
TEST(MetricsTest, AucCountsTiesAsHalf) {
  const absl::StatusOr<EvaluationReport> report =
      Evaluate(SingleLabel({"pos", "neg"},
                           {{0.8f, 0.2f},
                            {0.4f, 0.6f},
                            {0.4f, 0.6f},  // truth pos
                            {0.4f, 0.6f},
                            {0.2f, 0.8f},
                            {0.4f, 0.6f}},  // truth neg
                           {0, 0, 0, 1, 1, 1}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->per_class[0].auc, 7.0 / 9.0, kTolerance);
  EXPECT_NEAR(report->per_class[1].auc, 7.0 / 9.0, kTolerance);
  EXPECT_NEAR(report->macro_auc, 7.0 / 9.0, kTolerance);
}

TEST(MetricsTest, AucIsOneWhenSeparatedAndHalfWhenConstant) {
  const absl::StatusOr<EvaluationReport> separated = Evaluate(SingleLabel(
      {"a", "b"}, {{0.9f, 0.1f}, {0.6f, 0.4f}, {0.45f, 0.55f}, {0.2f, 0.8f}},
      {0, 0, 1, 1}));
  ASSERT_TRUE(separated.ok()) << separated.status();
  EXPECT_DOUBLE_EQ(separated->per_class[0].auc, 1.0);
  EXPECT_DOUBLE_EQ(separated->per_class[1].auc, 1.0);
  EXPECT_DOUBLE_EQ(separated->macro_auc, 1.0);

  const absl::StatusOr<EvaluationReport> constant = Evaluate(SingleLabel(
      {"a", "b"}, {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}},
      {0, 1, 1, 0}));
  ASSERT_TRUE(constant.ok()) << constant.status();
  EXPECT_DOUBLE_EQ(constant->per_class[0].auc, 0.5);
  EXPECT_DOUBLE_EQ(constant->per_class[1].auc, 0.5);
  EXPECT_DOUBLE_EQ(constant->macro_auc, 0.5);
}

// Class 2 is neither true nor predicted anywhere: its F1 is left out of
// macro-F1 and its AUC (no positives) is NaN and left out of macro-AUC.
// Classes 0 and 1 are predicted perfectly: F1 1, AUC 1.
TEST(MetricsTest, ClassAbsentFromTruthAndPredictionsIsLeftOutOfMacroFigures) {
  const absl::StatusOr<EvaluationReport> report = Evaluate(SingleLabel(
      {"a", "b", "c"}, {{0.8f, 0.1f, 0.1f}, {0.1f, 0.7f, 0.2f}}, {0, 1}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(std::isnan(report->per_class[2].auc));
  EXPECT_EQ(report->per_class[2].f1, 0.0);
  EXPECT_DOUBLE_EQ(report->macro_f1, 1.0);
  EXPECT_DOUBLE_EQ(report->macro_auc, 1.0);
}

// Top-1 confidences and outcomes, bins of width 1/15:
//   0.88 right, 0.92 wrong -> bin 13 (0.867..0.933): mean confidence 0.90,
//                              accuracy 0.5, gap 0.40, weight 2/4 -> 0.2000
//   0.70 right             -> bin 10: gap 0.30, weight 1/4      -> 0.0750
//   0.65 right             -> bin  9: gap 0.35, weight 1/4      -> 0.0875
// ECE = 0.3625.
TEST(MetricsTest, SingleLabelCalibrationErrorMatchesHandComputation) {
  const absl::StatusOr<EvaluationReport> report = Evaluate(SingleLabel(
      {"a", "b"},
      {{0.88f, 0.12f}, {0.92f, 0.08f}, {0.3f, 0.7f}, {0.65f, 0.35f}},
      {0, 1, 1, 0}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->expected_calibration_error, 0.3625, kTolerance);
}

TEST(MetricsTest, PerfectlyCalibratedConfidenceHasNoCalibrationError) {
  // Confidence 0.75 in bin 11, right 3 times out of 4.
  const absl::StatusOr<EvaluationReport> report = Evaluate(SingleLabel(
      {"a", "b"},
      {{0.75f, 0.25f}, {0.75f, 0.25f}, {0.75f, 0.25f}, {0.75f, 0.25f}},
      {0, 0, 0, 1}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->expected_calibration_error, 0.0, kTolerance);
}

// Lengths 1,024 and 0 -> "<=1,024" (1 right of 2); 1,025 -> "<=2,048"
// (right); 131,072 -> "<=131,072" (wrong); 200,000 -> ">131,072" (right).
// The buckets in between are empty and not listed.
TEST(MetricsTest, GroupsAccuracyByDocumentLength) {
  EvaluationInput input = SingleLabel(
      {"a", "b"},
      {{0.9f, 0.1f}, {0.9f, 0.1f}, {0.9f, 0.1f}, {0.9f, 0.1f}, {0.9f, 0.1f}},
      {0, 1, 0, 1, 0});
  input.lengths = {1024, 0, 1025, 131072, 200000};
  const absl::StatusOr<EvaluationReport> report = Evaluate(input);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->by_length.size(), 4u);
  const std::vector<LengthBucketMetrics>& buckets = report->by_length;
  EXPECT_EQ(buckets[0].name, "<=1,024");
  EXPECT_EQ(buckets[0].upper_tokens, 1024);
  EXPECT_EQ(buckets[0].count, 2);
  EXPECT_DOUBLE_EQ(buckets[0].accuracy, 0.5);
  EXPECT_EQ(buckets[1].name, "<=2,048");
  EXPECT_EQ(buckets[1].upper_tokens, 2048);
  EXPECT_EQ(buckets[1].count, 1);
  EXPECT_DOUBLE_EQ(buckets[1].accuracy, 1.0);
  EXPECT_EQ(buckets[2].name, "<=131,072");
  EXPECT_EQ(buckets[2].upper_tokens, 131072);
  EXPECT_EQ(buckets[2].count, 1);
  EXPECT_DOUBLE_EQ(buckets[2].accuracy, 0.0);
  EXPECT_EQ(buckets[3].name, ">131,072");
  EXPECT_EQ(buckets[3].upper_tokens, -1);
  EXPECT_EQ(buckets[3].count, 1);
  EXPECT_DOUBLE_EQ(buckets[3].accuracy, 1.0);
}

// Labels a, b, c; a label is predicted at score >= 0.5.
//
//   doc  truth   scores (a b c)      predicted  exact match
//   d0   {a,c}   0.90 0.15 0.62      {a,c}      yes
//   d1   {b}     0.50 0.85 0.05      {a,b}      no
//   d2   {}      0.10 0.30 0.12      {}         yes
//   d3   {a,b}   0.70 0.25 0.35      {a}        no
//
// accuracy 2/4.
// a: support 2, predicted 3, TP 2: P 2/3, R 1, F1 0.8
// b: support 2, predicted 1, TP 1: P 1, R 1/2, F1 2/3
// c: support 1, predicted 1, TP 1: P 1, R 1, F1 1
// macro-F1 (0.8 + 2/3 + 1) / 3 = 37/45; micro: TP 4, predicted 5,
// support 5: P = R = F1 = 0.8.
// AUC a: positives 0.90 0.70 over negatives 0.50 0.10 -> 1.
// AUC b: positives 0.85 0.25, negatives 0.15 0.30 -> 0.85 beats 2,
//        0.25 beats 1: 3/4.
// AUC c: positive 0.62 over 0.05 0.30 0.35 -> 1. Macro (1 + 3/4 + 1) / 3.
// ECE over the 12 (score, truth) pairs, |sum truth - sum score| per bin:
//   bin 13 {0.90:1} 0.10   bin 2 {0.15:0} 0.15   bin 9 {0.62:1} 0.38
//   bin 7 {0.50:0} 0.50    bin 12 {0.85:1} 0.15  bin 0 {0.05:0} 0.05
//   bin 1 {0.10:0, 0.12:0} 0.22                  bin 4 {0.30:0} 0.30
//   bin 10 {0.70:1} 0.30   bin 3 {0.25:1} 0.75   bin 5 {0.35:0} 0.35
//   sum 3.25, ECE = 3.25 / 12.
TEST(MetricsTest, MultiLabelMatchesHandComputation) {
  EvaluationInput input;
  input.mode = EvaluationMode::kMultiLabel;
  input.label_names = {"a", "b", "c"};
  input.scores = {{0.90f, 0.15f, 0.62f},
                  {0.50f, 0.85f, 0.05f},
                  {0.10f, 0.30f, 0.12f},
                  {0.70f, 0.25f, 0.35f}};
  input.truth = {{2, 0}, {1}, {}, {0, 1}};
  input.lengths = {10, 20, 30, 40};
  const absl::StatusOr<EvaluationReport> report = Evaluate(input);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->mode, EvaluationMode::kMultiLabel);
  EXPECT_TRUE(report->confusion.empty());
  EXPECT_NEAR(report->accuracy, 0.5, kTolerance);
  EXPECT_NEAR(report->macro_f1, 37.0 / 45.0, kTolerance);
  EXPECT_NEAR(report->micro_f1, 0.8, kTolerance);
  EXPECT_NEAR(report->macro_auc, 2.75 / 3.0, kTolerance);
  EXPECT_NEAR(report->expected_calibration_error, 3.25 / 12.0, kTolerance);

  const std::vector<ClassMetrics>& per_class = report->per_class;
  ASSERT_EQ(per_class.size(), 3u);
  EXPECT_EQ(per_class[0].support, 2);
  EXPECT_EQ(per_class[0].predicted, 3);
  EXPECT_NEAR(per_class[0].precision, 2.0 / 3.0, kTolerance);
  EXPECT_NEAR(per_class[0].recall, 1.0, kTolerance);
  EXPECT_NEAR(per_class[0].f1, 0.8, kTolerance);
  EXPECT_NEAR(per_class[0].auc, 1.0, kTolerance);
  EXPECT_EQ(per_class[1].support, 2);
  EXPECT_EQ(per_class[1].predicted, 1);
  EXPECT_NEAR(per_class[1].precision, 1.0, kTolerance);
  EXPECT_NEAR(per_class[1].recall, 0.5, kTolerance);
  EXPECT_NEAR(per_class[1].f1, 2.0 / 3.0, kTolerance);
  EXPECT_NEAR(per_class[1].auc, 0.75, kTolerance);
  EXPECT_EQ(per_class[2].support, 1);
  EXPECT_EQ(per_class[2].predicted, 1);
  EXPECT_NEAR(per_class[2].f1, 1.0, kTolerance);
  EXPECT_NEAR(per_class[2].auc, 1.0, kTolerance);

  ASSERT_EQ(report->by_length.size(), 1u);
  EXPECT_EQ(report->by_length[0].count, 4);
  EXPECT_NEAR(report->by_length[0].accuracy, 0.5, kTolerance);
}

// With nothing true and nothing predicted, F1 has no value at all.
TEST(MetricsTest, MultiLabelWithoutAnyLabelHasUndefinedF1AndAuc) {
  EvaluationInput input;
  input.mode = EvaluationMode::kMultiLabel;
  input.label_names = {"a", "b"};
  input.scores = {{0.1f, 0.2f}, {0.3f, 0.4f}};
  input.truth = {{}, {}};
  input.lengths = {1, 2};
  const absl::StatusOr<EvaluationReport> report = Evaluate(input);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_DOUBLE_EQ(report->accuracy, 1.0);
  EXPECT_TRUE(std::isnan(report->macro_f1));
  EXPECT_TRUE(std::isnan(report->micro_f1));
  EXPECT_TRUE(std::isnan(report->macro_auc));
}

struct InvalidCase {
  std::string name;
  std::function<void(EvaluationInput&)> break_input;
  std::string message;
};

TEST(MetricsTest, RejectsInconsistentInput) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const InvalidCase cases[] = {
      {"no labels", [](EvaluationInput& in) { in.label_names.clear(); },
       "no label names"},
      {"no documents",
       [](EvaluationInput& in) {
         in.scores.clear();
         in.truth.clear();
         in.lengths.clear();
       },
       "no documents"},
      {"truth count", [](EvaluationInput& in) { in.truth.pop_back(); },
       "one entry per document"},
      {"length count", [](EvaluationInput& in) { in.lengths.push_back(5); },
       "one entry per document"},
      {"short score row", [](EvaluationInput& in) { in.scores[1].pop_back(); },
       "document 1: 1 scores for 2 labels"},
      {"NaN score", [&](EvaluationInput& in) { in.scores[0][1] = kNaN; },
       "document 0: score of label 'b'"},
      {"infinite score", [&](EvaluationInput& in) { in.scores[1][0] = kInf; },
       "document 1: score of label 'a'"},
      {"negative score", [](EvaluationInput& in) { in.scores[0][0] = -0.1f; },
       "not a probability"},
      {"score above one", [](EvaluationInput& in) { in.scores[0][0] = 1.5f; },
       "not a probability"},
      {"label index too large", [](EvaluationInput& in) { in.truth[1] = {2}; },
       "document 1: label index 2 outside [0, 2)"},
      {"negative label index", [](EvaluationInput& in) { in.truth[0] = {-1}; },
       "label index -1"},
      {"single-label truth empty",
       [](EvaluationInput& in) { in.truth[0] = {}; },
       "exactly one label index, got 0"},
      {"single-label truth with two labels",
       [](EvaluationInput& in) {
         in.truth[0] = {0, 1};
       },
       "exactly one label index, got 2"},
      {"multi-label truth with a repeat",
       [](EvaluationInput& in) {
         in.mode = EvaluationMode::kMultiLabel;
         in.truth[1] = {1, 0, 1};
       },
       "repeated"},
      {"multi-label label index out of range",
       [](EvaluationInput& in) {
         in.mode = EvaluationMode::kMultiLabel;
         in.truth[1] = {0, 3};
       },
       "label index 3"},
      {"negative length", [](EvaluationInput& in) { in.lengths[1] = -1; },
       "negative length"},
  };
  const EvaluationInput valid =
      SingleLabel({"a", "b"}, {{0.6f, 0.4f}, {0.2f, 0.8f}}, {0, 1});
  ASSERT_TRUE(Evaluate(valid).ok());
  for (const InvalidCase& invalid : cases) {
    SCOPED_TRACE(invalid.name);
    EvaluationInput input = valid;
    invalid.break_input(input);
    const absl::StatusOr<EvaluationReport> report = Evaluate(input);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(report.status().message(), HasSubstr(invalid.message));
  }
}

TEST(MetricsTest, FormatReportShowsLabelsAccuracyAndTables) {
  const absl::StatusOr<EvaluationReport> report = Evaluate(ThreeClassExample());
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string text = FormatReport(*report);
  EXPECT_THAT(text, HasSubstr("cs.LG"));
  EXPECT_THAT(text, HasSubstr("math.ST"));
  EXPECT_THAT(text, HasSubstr("q-bio.NC"));
  EXPECT_THAT(text, HasSubstr("accuracy"));
  EXPECT_THAT(text, HasSubstr("0.7000"));
  EXPECT_THAT(text, HasSubstr("Confusion matrix"));
  EXPECT_THAT(text, HasSubstr("<=1,024"));
}

// Confusion columns are at most 8 wide: long names keep both ends.
TEST(MetricsTest, FormatReportAbbreviatesLongLabelsInTheConfusionMatrix) {
  const absl::StatusOr<EvaluationReport> report = Evaluate(SingleLabel(
      {"astro-ph.CO", "astro-ph.GA"}, {{0.9f, 0.1f}, {0.2f, 0.8f}}, {0, 1}));
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string text = FormatReport(*report);
  EXPECT_THAT(text, HasSubstr("astr~.CO"));
  EXPECT_THAT(text, HasSubstr("astr~.GA"));
  EXPECT_THAT(text, HasSubstr("astro-ph.CO"));  // full in the rows
}

TEST(MetricsTest, FormatReportOfMultiLabelHasNoConfusionMatrix) {
  EvaluationInput input;
  input.mode = EvaluationMode::kMultiLabel;
  input.label_names = {"a", "b"};
  input.scores = {{0.9f, 0.2f}, {0.1f, 0.3f}};
  input.truth = {{0}, {0}};
  input.lengths = {1, 2};
  const absl::StatusOr<EvaluationReport> report = Evaluate(input);
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string text = FormatReport(*report);
  EXPECT_THAT(text, HasSubstr("multi_label"));
  EXPECT_THAT(text, HasSubstr("n/a"));  // AUC of a (no negatives) and b
  EXPECT_THAT(text, ::testing::Not(HasSubstr("Confusion")));
}

TEST(MetricsTest, ReportToJsonRoundTripsTheNumbers) {
  EvaluationInput input = ThreeClassExample();
  input.lengths.back() = 200000;
  const absl::StatusOr<EvaluationReport> report = Evaluate(input);
  ASSERT_TRUE(report.ok()) << report.status();
  const nlohmann::json json =
      nlohmann::json::parse(ReportToJson(*report).dump());

  EXPECT_EQ(json.at("mode"), "single_label");
  EXPECT_EQ(json.at("documents"), 10);
  EXPECT_DOUBLE_EQ(json.at("accuracy").get<double>(), report->accuracy);
  EXPECT_DOUBLE_EQ(json.at("macro_f1").get<double>(), report->macro_f1);
  EXPECT_DOUBLE_EQ(json.at("micro_f1").get<double>(), report->micro_f1);
  EXPECT_DOUBLE_EQ(json.at("macro_auc").get<double>(), report->macro_auc);
  EXPECT_DOUBLE_EQ(json.at("expected_calibration_error").get<double>(),
                   report->expected_calibration_error);
  EXPECT_EQ(json.at("confusion").get<std::vector<std::vector<int64_t>>>(),
            report->confusion);

  const nlohmann::json& per_class = json.at("per_class");
  ASSERT_EQ(per_class.size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    const ClassMetrics& metrics = report->per_class[c];
    EXPECT_EQ(per_class[c].at("label"), metrics.label);
    EXPECT_EQ(per_class[c].at("support"), metrics.support);
    EXPECT_EQ(per_class[c].at("predicted"), metrics.predicted);
    EXPECT_DOUBLE_EQ(per_class[c].at("precision").get<double>(),
                     metrics.precision);
    EXPECT_DOUBLE_EQ(per_class[c].at("recall").get<double>(), metrics.recall);
    EXPECT_DOUBLE_EQ(per_class[c].at("f1").get<double>(), metrics.f1);
    EXPECT_DOUBLE_EQ(per_class[c].at("auc").get<double>(), metrics.auc);
  }

  const nlohmann::json& by_length = json.at("by_length");
  ASSERT_EQ(by_length.size(), 2u);
  EXPECT_EQ(by_length[0].at("name"), "<=1,024");
  EXPECT_EQ(by_length[0].at("upper_tokens"), 1024);
  EXPECT_EQ(by_length[0].at("count"), 9);
  EXPECT_DOUBLE_EQ(by_length[0].at("accuracy").get<double>(), 6.0 / 9.0);
  EXPECT_EQ(by_length[1].at("name"), ">131,072");
  EXPECT_TRUE(by_length[1].at("upper_tokens").is_null());
  EXPECT_EQ(by_length[1].at("count"), 1);
  EXPECT_DOUBLE_EQ(by_length[1].at("accuracy").get<double>(), 1.0);
}

TEST(MetricsTest, ReportToJsonWritesUndefinedFiguresAsNull) {
  const absl::StatusOr<EvaluationReport> report = Evaluate(SingleLabel(
      {"a", "b", "c"}, {{0.8f, 0.1f, 0.1f}, {0.1f, 0.7f, 0.2f}}, {0, 1}));
  ASSERT_TRUE(report.ok()) << report.status();
  const nlohmann::json json =
      nlohmann::json::parse(ReportToJson(*report).dump());
  EXPECT_TRUE(json.at("per_class")[2].at("auc").is_null());
  EXPECT_DOUBLE_EQ(json.at("per_class")[0].at("auc").get<double>(), 1.0);
}

}  // namespace
}  // namespace wersa::train
