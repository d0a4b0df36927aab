#ifndef WERSA_MODEL_TRAIN_METRICS_H_
#define WERSA_MODEL_TRAIN_METRICS_H_

// Evaluation metrics of a classifier, computed from scores the model already
// produced. Plain vectors in, no LibTorch, so wersa-eval's arithmetic builds
// and tests in seconds.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace wersa::train {

enum class EvaluationMode { kSingleLabel, kMultiLabel };

// "single_label" / "multi_label", the spelling of config.json's problem_type.
absl::string_view EvaluationModeName(EvaluationMode mode);

// A label is predicted in multi-label mode when its score reaches this.
inline constexpr double kMultiLabelThreshold = 0.5;
// Equal-width bins over [0, 1] for the expected calibration error.
inline constexpr int kCalibrationBins = 15;

struct EvaluationInput {
  std::vector<std::string> label_names;  // C labels, in score order
  // N x C, each in [0, 1]: softmax probabilities (single-label) or
  // per-label sigmoids (multi-label).
  std::vector<std::vector<float>> scores;
  // N entries. Single-label: exactly one label index each. Multi-label: the
  // set of true label indices (may be empty, no repeats).
  std::vector<std::vector<int>> truth;
  std::vector<int64_t> lengths;  // N document lengths in tokens, >= 0
  EvaluationMode mode = EvaluationMode::kSingleLabel;
};

// One-vs-rest figures of one label. A class is "predicted" for a document as
// described at kMultiLabelThreshold (multi-label) or by the argmax
// (single-label, first index wins ties).
struct ClassMetrics {
  std::string label;
  int64_t support = 0;    // documents whose truth holds the label
  int64_t predicted = 0;  // documents the label was predicted for
  double precision = 0;   // TP / (TP + FP); 0 when never predicted
  double recall = 0;      // TP / (TP + FN); 0 when support is 0
  double f1 = 0;          // 2PR / (P + R); 0 when P + R = 0
  // ROC-AUC of this label's score against "label is true" (Mann-Whitney U
  // with average ranks for ties); NaN without positives or negatives.
  double auc = 0;
};

struct LengthBucketMetrics {
  std::string name;          // "<=1,024" ... ">131,072"
  int64_t upper_tokens = 0;  // inclusive; -1 = no upper bound
  int64_t count = 0;
  double accuracy = 0;  // same definition as EvaluationReport::accuracy
};

// Figures that are undefined for the data (0 / 0) are NaN, never a made-up
// 0 or 1.
struct EvaluationReport {
  EvaluationMode mode = EvaluationMode::kSingleLabel;
  int64_t documents = 0;
  // Single-label: top-1. Multi-label: the predicted set equals the true set.
  double accuracy = 0;
  // Mean F1 over the classes that occur in the truth or in the predictions
  // (support > 0 or predicted > 0). A class in neither has no F1 to speak
  // of, and counting it as 0 would punish label sets with rare classes
  // absent from this split. NaN when no class qualifies.
  double macro_f1 = 0;
  // F1 of TP, FP and FN pooled over classes; equals accuracy in single-label
  // mode. NaN when nothing is true and nothing is predicted.
  double micro_f1 = 0;
  // Mean of the per-class AUCs that are defined; NaN when none is.
  double macro_auc = 0;
  // sum over bins of (bin size / total) * |mean outcome - mean confidence|,
  // kCalibrationBins bins [k/15, (k+1)/15), the last one closed at 1.
  // Single-label: one sample per document, confidence = top-1 probability,
  // outcome = top-1 is right. Multi-label: one sample per (document, label),
  // confidence = its score, outcome = the label is true.
  double expected_calibration_error = 0;
  std::vector<ClassMetrics> per_class;
  // Single-label: C x C counts, rows = truth, columns = predicted.
  // Multi-label: empty.
  std::vector<std::vector<int64_t>> confusion;
  // Buckets <=1,024, <=2,048, <=4,096, <=8,192, <=16,384, <=32,768,
  // <=131,072 and >131,072 tokens, in that order; empty ones left out.
  std::vector<LengthBucketMetrics> by_length;
};

// INVALID_ARGUMENT, naming the offending document, on: no labels, no
// documents, scores / truth / lengths of different counts, a score row not
// C wide, a score that is not finite or outside [0, 1], a label index out of
// range, single-label truth that is not exactly one index, a label repeated
// in a multi-label truth set, a negative length.
absl::StatusOr<EvaluationReport> Evaluate(const EvaluationInput& input);

// Fixed-width text tables for a terminal: summary, per-class figures, the
// confusion matrix (single-label; column labels abbreviated to fit) and the
// length buckets. NaN prints as "n/a".
std::string FormatReport(const EvaluationReport& report);

// Every number of the report. NaN becomes null, as does the upper bound of
// the open-ended length bucket.
nlohmann::json ReportToJson(const EvaluationReport& report);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_METRICS_H_
