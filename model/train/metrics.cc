#include "model/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace wersa::train {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct LengthBucket {
  int64_t upper_tokens;  // inclusive; -1 = no upper bound
  const char* name;
};

// The context sizes a long-document model is usually trained or truncated
// at, so accuracy can be read against "did the document fit".
constexpr LengthBucket kLengthBuckets[] = {
    {1024, "<=1,024"},     {2048, "<=2,048"},   {4096, "<=4,096"},
    {8192, "<=8,192"},     {16384, "<=16,384"}, {32768, "<=32,768"},
    {131072, "<=131,072"}, {-1, ">131,072"},
};
constexpr size_t kNumLengthBuckets = std::size(kLengthBuckets);

size_t LengthBucketIndex(int64_t length) {
  for (size_t i = 0; i + 1 < kNumLengthBuckets; ++i) {
    if (length <= kLengthBuckets[i].upper_tokens) return i;
  }
  return kNumLengthBuckets - 1;
}

absl::Status DocumentError(size_t document, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("document ", document, ": ", what));
}

absl::Status Validate(const EvaluationInput& input) {
  const size_t num_labels = input.label_names.size();
  const size_t documents = input.scores.size();
  if (num_labels == 0) return absl::InvalidArgumentError("no label names");
  if (documents == 0) return absl::InvalidArgumentError("no documents");
  if (input.truth.size() != documents || input.lengths.size() != documents) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scores, truth and lengths must have one entry per document; got ",
        documents, ", ", input.truth.size(), " and ", input.lengths.size()));
  }
  const bool single_label = input.mode == EvaluationMode::kSingleLabel;
  for (size_t d = 0; d < documents; ++d) {
    const std::vector<float>& row = input.scores[d];
    if (row.size() != num_labels) {
      return DocumentError(
          d, absl::StrCat(row.size(), " scores for ", num_labels, " labels"));
    }
    for (size_t c = 0; c < num_labels; ++c) {
      // A NaN fails both comparisons and an infinity the range.
      if (!(row[c] >= 0.0f && row[c] <= 1.0f)) {
        return DocumentError(
            d, absl::StrCat("score of label '", input.label_names[c], "' is ",
                            row[c], ", not a probability in [0, 1]"));
      }
    }
    const std::vector<int>& truth = input.truth[d];
    if (single_label && truth.size() != 1) {
      return DocumentError(
          d, absl::StrCat("single-label truth needs exactly one label index, "
                          "got ",
                          truth.size()));
    }
    for (const int label : truth) {
      if (label < 0 || static_cast<size_t>(label) >= num_labels) {
        return DocumentError(d, absl::StrCat("label index ", label,
                                             " outside [0, ", num_labels, ")"));
      }
    }
    std::vector<int> sorted = truth;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return DocumentError(d, "a label index is repeated in the truth set");
    }
    if (input.lengths[d] < 0) {
      return DocumentError(d,
                           absl::StrCat("negative length ", input.lengths[d]));
    }
  }
  return absl::OkStatus();
}

// Predicted label indices of one document, ascending.
std::vector<int> Predict(const std::vector<float>& row, EvaluationMode mode) {
  if (mode == EvaluationMode::kSingleLabel) {
    // max_element returns the first maximum, so ties go to the lower index.
    return {static_cast<int>(std::max_element(row.begin(), row.end()) -
                             row.begin())};
  }
  std::vector<int> predicted;
  for (size_t c = 0; c < row.size(); ++c) {
    if (row[c] >= kMultiLabelThreshold)
      predicted.push_back(static_cast<int>(c));
  }
  return predicted;
}

// Precision and recall are defined as 0 where their denominator is 0.
double RatioOrZero(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / denominator;
}

double F1(double precision, double recall) {
  const double sum = precision + recall;
  return sum == 0 ? 0.0 : 2 * precision * recall / sum;
}

// One-vs-rest ROC-AUC of label `label` via the Mann-Whitney U statistic:
// U = (rank sum of positives) - P(P+1)/2 with tied scores sharing their mean
// rank, AUC = U / (P * N). Tied positive/negative pairs thereby count half.
double RocAuc(const std::vector<std::vector<float>>& scores,
              const std::vector<char>& truth_flags, size_t label,
              size_t num_labels) {
  const size_t documents = scores.size();
  std::vector<std::pair<float, bool>> samples;
  samples.reserve(documents);
  int64_t positives = 0;
  for (size_t d = 0; d < documents; ++d) {
    const bool positive = truth_flags[d * num_labels + label] != 0;
    positives += positive;
    samples.emplace_back(scores[d][label], positive);
  }
  const int64_t negatives = static_cast<int64_t>(documents) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  std::sort(samples.begin(), samples.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  double positive_rank_sum = 0;
  for (size_t begin = 0; begin < documents;) {
    size_t end = begin;
    int64_t tied_positives = 0;
    while (end < documents && samples[end].first == samples[begin].first) {
      tied_positives += samples[end].second;
      ++end;
    }
    // 1-based ranks begin + 1 .. end share their mean.
    const double mean_rank = (static_cast<double>(begin + 1) + end) / 2;
    positive_rank_sum += mean_rank * tied_positives;
    begin = end;
  }
  const double u = positive_rank_sum - positives * (positives + 1) / 2.0;
  return u / (static_cast<double>(positives) * negatives);
}

class CalibrationBins {
 public:
  void Add(double confidence, bool outcome) {
    const int bin = std::min(static_cast<int>(confidence * kCalibrationBins),
                             kCalibrationBins - 1);
    ++count_[bin];
    confidence_sum_[bin] += confidence;
    outcome_sum_[bin] += outcome;
  }

  double ExpectedError() const {
    int64_t total = 0;
    double weighted_gap = 0;
    for (int b = 0; b < kCalibrationBins; ++b) {
      total += count_[b];
      // count * |mean outcome - mean confidence| = |outcome sum - conf sum|.
      weighted_gap += std::abs(outcome_sum_[b] - confidence_sum_[b]);
    }
    return weighted_gap / total;
  }

 private:
  int64_t count_[kCalibrationBins] = {};
  double confidence_sum_[kCalibrationBins] = {};
  double outcome_sum_[kCalibrationBins] = {};
};

std::string FormatFigure(double value) {
  return std::isnan(value) ? "n/a" : absl::StrFormat("%.4f", value);
}

// Keeps both ends of a long label: arXiv categories share prefixes
// ("astro-ph.CO", "astro-ph.GA") and differ at the end. Widths are bytes
// (width >= 1); UTF-8 sequences are not cut, so such names may come out a
// little short.
std::string Abbreviate(absl::string_view name, size_t width) {
  if (name.size() <= width) return std::string(name);
  const auto is_continuation = [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) == 0x80;
  };
  size_t tail = (width - 1) / 2;
  size_t head = width - 1 - tail;
  while (head > 0 && is_continuation(name[head])) --head;
  while (tail > 0 && is_continuation(name[name.size() - tail])) --tail;
  return absl::StrCat(name.substr(0, head), "~",
                      name.substr(name.size() - tail));
}

constexpr size_t kMaxLabelWidth = 24;
constexpr size_t kMaxConfusionColumnWidth = 8;

size_t LongestLabel(const EvaluationReport& report) {
  size_t longest = 0;
  for (const ClassMetrics& metrics : report.per_class) {
    longest = std::max(longest, metrics.label.size());
  }
  return longest;
}

void AppendSummary(const EvaluationReport& report, std::string* out) {
  absl::StrAppendFormat(out, "Evaluation (%s), %d documents\n",
                        EvaluationModeName(report.mode), report.documents);
  const std::pair<const char*, double> rows[] = {
      {"accuracy", report.accuracy},
      {"macro F1", report.macro_f1},
      {"micro F1", report.micro_f1},
      {"macro ROC-AUC", report.macro_auc},
      {"expected calibration error", report.expected_calibration_error},
  };
  for (const auto& [name, value] : rows) {
    absl::StrAppendFormat(out, "  %-27s %s\n", name, FormatFigure(value));
  }
}

void AppendPerClass(const EvaluationReport& report, size_t label_width,
                    std::string* out) {
  absl::StrAppend(out, "\nPer class\n");
  absl::StrAppendFormat(out, "  %-*s %9s %9s %9s %9s %9s %9s\n", label_width,
                        "label", "support", "predicted", "precision", "recall",
                        "f1", "auc");
  for (const ClassMetrics& metrics : report.per_class) {
    absl::StrAppendFormat(out, "  %-*s %9d %9d %9s %9s %9s %9s\n", label_width,
                          Abbreviate(metrics.label, label_width),
                          metrics.support, metrics.predicted,
                          FormatFigure(metrics.precision),
                          FormatFigure(metrics.recall),
                          FormatFigure(metrics.f1), FormatFigure(metrics.auc));
  }
}

void AppendConfusion(const EvaluationReport& report, size_t label_width,
                     std::string* out) {
  int64_t largest = 0;
  for (const std::vector<int64_t>& row : report.confusion) {
    for (const int64_t count : row) largest = std::max(largest, count);
  }
  const size_t column_width =
      std::max(absl::StrCat(largest).size(),
               std::min(LongestLabel(report), kMaxConfusionColumnWidth));
  absl::StrAppend(out,
                  "\nConfusion matrix (rows = truth, columns = predicted)\n");
  absl::StrAppendFormat(out, "  %-*s", label_width, "");
  for (const ClassMetrics& metrics : report.per_class) {
    absl::StrAppendFormat(out, " %*s", column_width,
                          Abbreviate(metrics.label, column_width));
  }
  absl::StrAppend(out, "\n");
  for (size_t row = 0; row < report.confusion.size(); ++row) {
    absl::StrAppendFormat(out, "  %-*s", label_width,
                          Abbreviate(report.per_class[row].label, label_width));
    for (const int64_t count : report.confusion[row]) {
      absl::StrAppendFormat(out, " %*d", column_width, count);
    }
    absl::StrAppend(out, "\n");
  }
}

void AppendLengthBuckets(const EvaluationReport& report, std::string* out) {
  absl::StrAppend(out, "\nBy document length (tokens)\n");
  absl::StrAppendFormat(out, "  %-10s %9s %9s\n", "length", "documents",
                        "accuracy");
  for (const LengthBucketMetrics& bucket : report.by_length) {
    absl::StrAppendFormat(out, "  %-10s %9d %9s\n", bucket.name, bucket.count,
                          FormatFigure(bucket.accuracy));
  }
}

nlohmann::json NumberOrNull(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

}  // namespace

absl::string_view EvaluationModeName(EvaluationMode mode) {
  return mode == EvaluationMode::kSingleLabel ? "single_label" : "multi_label";
}

absl::StatusOr<EvaluationReport> Evaluate(const EvaluationInput& input) {
  if (absl::Status valid = Validate(input); !valid.ok()) return valid;
  const size_t num_labels = input.label_names.size();
  const size_t documents = input.scores.size();
  const bool single_label = input.mode == EvaluationMode::kSingleLabel;

  std::vector<char> truth_flags(documents * num_labels, 0);
  for (size_t d = 0; d < documents; ++d) {
    for (const int label : input.truth[d]) {
      truth_flags[d * num_labels + label] = 1;
    }
  }

  EvaluationReport report;
  report.mode = input.mode;
  report.documents = static_cast<int64_t>(documents);
  if (single_label) {
    report.confusion.assign(num_labels, std::vector<int64_t>(num_labels, 0));
  }
  std::vector<int64_t> support(num_labels, 0);
  std::vector<int64_t> predicted(num_labels, 0);
  std::vector<int64_t> true_positives(num_labels, 0);
  int64_t correct_documents = 0;
  int64_t bucket_count[kNumLengthBuckets] = {};
  int64_t bucket_correct[kNumLengthBuckets] = {};
  CalibrationBins calibration;

  for (size_t d = 0; d < documents; ++d) {
    const std::vector<float>& row = input.scores[d];
    const std::vector<int> prediction = Predict(row, input.mode);
    // Truth has no repeats, so equal sizes and every predicted label true
    // means equal sets.
    bool correct = prediction.size() == input.truth[d].size();
    for (const int label : prediction) {
      ++predicted[label];
      if (truth_flags[d * num_labels + label]) {
        ++true_positives[label];
      } else {
        correct = false;
      }
    }
    for (const int label : input.truth[d]) ++support[label];
    correct_documents += correct;

    const size_t bucket = LengthBucketIndex(input.lengths[d]);
    ++bucket_count[bucket];
    bucket_correct[bucket] += correct;

    if (single_label) {
      ++report.confusion[input.truth[d][0]][prediction[0]];
      calibration.Add(row[prediction[0]], correct);
    } else {
      for (size_t c = 0; c < num_labels; ++c) {
        calibration.Add(row[c], truth_flags[d * num_labels + c] != 0);
      }
    }
  }

  report.accuracy = RatioOrZero(correct_documents, report.documents);
  report.expected_calibration_error = calibration.ExpectedError();

  int64_t total_tp = 0;
  int64_t total_predicted = 0;
  int64_t total_support = 0;
  double f1_sum = 0;
  int64_t f1_classes = 0;
  double auc_sum = 0;
  int64_t auc_classes = 0;
  for (size_t c = 0; c < num_labels; ++c) {
    ClassMetrics metrics;
    metrics.label = input.label_names[c];
    metrics.support = support[c];
    metrics.predicted = predicted[c];
    metrics.precision = RatioOrZero(true_positives[c], predicted[c]);
    metrics.recall = RatioOrZero(true_positives[c], support[c]);
    metrics.f1 = F1(metrics.precision, metrics.recall);
    metrics.auc = RocAuc(input.scores, truth_flags, c, num_labels);
    if (support[c] > 0 || predicted[c] > 0) {
      f1_sum += metrics.f1;
      ++f1_classes;
    }
    if (!std::isnan(metrics.auc)) {
      auc_sum += metrics.auc;
      ++auc_classes;
    }
    total_tp += true_positives[c];
    total_predicted += predicted[c];
    total_support += support[c];
    report.per_class.push_back(std::move(metrics));
  }
  report.macro_f1 = f1_classes > 0 ? f1_sum / f1_classes : kNaN;
  report.micro_f1 = total_predicted + total_support > 0
                        ? F1(RatioOrZero(total_tp, total_predicted),
                             RatioOrZero(total_tp, total_support))
                        : kNaN;
  report.macro_auc = auc_classes > 0 ? auc_sum / auc_classes : kNaN;

  for (size_t b = 0; b < kNumLengthBuckets; ++b) {
    if (bucket_count[b] == 0) continue;
    report.by_length.push_back(
        {kLengthBuckets[b].name, kLengthBuckets[b].upper_tokens,
         bucket_count[b], RatioOrZero(bucket_correct[b], bucket_count[b])});
  }
  return report;
}

std::string FormatReport(const EvaluationReport& report) {
  const size_t label_width = std::clamp(
      LongestLabel(report), absl::string_view("label").size(), kMaxLabelWidth);
  std::string out;
  AppendSummary(report, &out);
  AppendPerClass(report, label_width, &out);
  if (!report.confusion.empty()) AppendConfusion(report, label_width, &out);
  AppendLengthBuckets(report, &out);
  return out;
}

nlohmann::json ReportToJson(const EvaluationReport& report) {
  nlohmann::json per_class = nlohmann::json::array();
  for (const ClassMetrics& metrics : report.per_class) {
    per_class.push_back({{"label", metrics.label},
                         {"support", metrics.support},
                         {"predicted", metrics.predicted},
                         {"precision", metrics.precision},
                         {"recall", metrics.recall},
                         {"f1", metrics.f1},
                         {"auc", NumberOrNull(metrics.auc)}});
  }
  nlohmann::json by_length = nlohmann::json::array();
  for (const LengthBucketMetrics& bucket : report.by_length) {
    by_length.push_back(
        {{"name", bucket.name},
         {"upper_tokens", bucket.upper_tokens < 0
                              ? nlohmann::json(nullptr)
                              : nlohmann::json(bucket.upper_tokens)},
         {"count", bucket.count},
         {"accuracy", bucket.accuracy}});
  }
  return {
      {"mode", std::string(EvaluationModeName(report.mode))},
      {"documents", report.documents},
      {"accuracy", report.accuracy},
      {"macro_f1", NumberOrNull(report.macro_f1)},
      {"micro_f1", NumberOrNull(report.micro_f1)},
      {"macro_auc", NumberOrNull(report.macro_auc)},
      {"expected_calibration_error", report.expected_calibration_error},
      {"per_class", std::move(per_class)},
      {"confusion", report.confusion},
      {"by_length", std::move(by_length)},
  };
}

}  // namespace wersa::train
