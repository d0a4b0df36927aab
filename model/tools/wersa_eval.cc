// wersa-eval: evaluates a model bundle on a dataset split: accuracy, macro-F1,
// per-class precision/recall/F1, confusion matrix, one-vs-rest ROC-AUC,
// expected calibration error and accuracy by document length; a table, or
// JSON with --json. --predictions also writes every document's scores, for
// error analysis and for comparing or combining models outside this tool.
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "model/bundle.h"
#include "model/tools/tool_main.h"
#include "model/train/corpus.h"
#include "model/train/metrics.h"
#include "model/train/trainer.h"

namespace wersa::tools {
namespace {

using cli::CommandLine;
using cli::FlagSpec;

const std::vector<FlagSpec> kFlags = {
    {"model_dir", "", "the bundle to evaluate"},
    {"data", "",
     "fulltext:TAR_GZ,LABELS_TSV | abstracts:TSV_GZ[,TSV_GZ...] | jsonl:PATH; "
     "a wersa-train --data list reads its first source"},
    {"label_level", "as_read",
     "as_read, or archive: documents' labels mapped to their arXiv archive"},
    {"logit_bias", "bundle",
     "bundle: scores with the bundle's prior correction; none: without it"},
    {"split", "validation",
     "validation, test, train (the split rule of wersa-train) or all"},
    {"max_tokens", "0",
     "tokens read per document (0: the bundle's max_tokens)"},
    {"json", "false", "print the report as JSON"},
    {"predictions", "",
     "also write one JSON line per document to this file: id, true labels, "
     "length in tokens and every label's score"},
    {"threads", "0", "threads (0: one per CPU)"},
    {"help", "false", "show this help"},
};

// One JSON object per line, in the order of `chosen`; scores keyed by label.
absl::Status WritePredictions(const std::string& path, std::ofstream& out,
                              const std::vector<train::Document>& documents,
                              const std::vector<size_t>& chosen,
                              const train::EvaluationInput& input) {
  for (size_t row = 0; row < chosen.size(); ++row) {
    nlohmann::json scores = nlohmann::json::object();
    for (size_t c = 0; c < input.label_names.size(); ++c) {
      scores[input.label_names[c]] = input.scores[row][c];
    }
    nlohmann::json truth = nlohmann::json::array();
    for (const int label : input.truth[row]) {
      truth.push_back(input.label_names[label]);
    }
    const nlohmann::json line = {{"id", documents[chosen[row]].id},
                                 {"labels", truth},
                                 {"tokens", input.lengths[row]},
                                 {"scores", scores}};
    out << line.dump() << '\n';
  }
  out.flush();
  if (!out) {
    return absl::DataLossError(
        absl::StrCat("writing predictions to '", path, "' failed"));
  }
  return absl::OkStatus();
}

absl::Status Run(const CommandLine& flags) {
  if (flags.String("model_dir").empty() || flags.String("data").empty()) {
    return absl::InvalidArgumentError(
        "--model_dir and --data are required (see --help)");
  }
  absl::StatusOr<int64_t> threads_flag = flags.Int("threads");
  absl::StatusOr<int64_t> max_tokens_flag = flags.Int("max_tokens");
  absl::StatusOr<bool> json = flags.Bool("json");
  for (const absl::Status& status :
       {threads_flag.status(), max_tokens_flag.status(), json.status()}) {
    if (!status.ok()) return status;
  }
  const int threads = SetTorchThreads(*threads_flag);

  // Opened first so that a bad path fails before minutes of scoring.
  const std::string& predictions_path = flags.String("predictions");
  std::ofstream predictions;
  if (!predictions_path.empty()) {
    predictions.open(predictions_path, std::ios::trunc);
    if (!predictions) {
      return absl::UnavailableError(
          absl::StrCat("cannot write predictions to '", predictions_path, "'"));
    }
  }

  absl::StatusOr<train::LabelLevel> label_level =
      train::ParseLabelLevel(flags.String("label_level"));
  if (!label_level.ok()) return label_level.status();
  const std::string& logit_bias = flags.String("logit_bias");
  if (logit_bias != "bundle" && logit_bias != "none") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--logit_bias must be bundle or none, got '", logit_bias, "'"));
  }

  absl::StatusOr<ModelBundle> bundle = LoadBundle(flags.String("model_dir"));
  if (!bundle.ok()) return bundle.status();
  if (logit_bias == "none") {
    for (Encoder& member : bundle->members) member->SetLogitBias({});
  }
  const int64_t max_tokens =
      *max_tokens_flag > 0 ? *max_tokens_flag : bundle->config.max_tokens;

  const train::LabelSet labels = train::MakeLabelSet(bundle->labels);
  absl::StatusOr<train::LabelledCorpus> corpus =
      train::LoadLabelledCorpus(flags.String("data"), labels, *label_level);
  if (!corpus.ok()) return corpus.status();
  const std::vector<train::Document>& documents = corpus->documents;
  const train::Split& split = corpus->split;
  std::vector<size_t> chosen;
  const std::string& which = flags.String("split");
  if (which == "validation") {
    chosen = split.validation;
  } else if (which == "test") {
    chosen = split.test;
  } else if (which == "train") {
    chosen = split.train;
  } else if (which == "all") {
    for (size_t i = 0; i < documents.size(); ++i) chosen.push_back(i);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--split must be validation, test, train or all, got '", which, "'"));
  }
  absl::StatusOr<std::vector<train::Example>> examples =
      train::MakeExamples(documents, chosen, bundle->tokenizer, labels,
                          bundle->config.problem_type, threads);
  if (!examples.ok()) return examples.status();
  const train::EvaluationInput input = train::MakeEvaluationInput(
      bundle->members, *examples, bundle->labels, max_tokens);
  absl::StatusOr<train::EvaluationReport> report = train::Evaluate(input);
  if (!report.ok()) return report.status();
  if (predictions.is_open()) {
    if (absl::Status status = WritePredictions(predictions_path, predictions,
                                               documents, chosen, input);
        !status.ok()) {
      return status;
    }
  }

  if (*json) {
    nlohmann::json out = train::ReportToJson(*report);
    out["model"] = bundle->config.name;
    out["model_version"] = bundle->config.version;
    out["data"] = flags.String("data");
    out["split"] = which;
    out["logit_bias"] = logit_bias;
    out["documents_outside_label_set"] = corpus->outside_label_set;
    out["max_tokens"] = max_tokens;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf(
        "model %s (version %s), %s split of %s: %zu documents (%zu outside the "
        "model's labels skipped), up to %lld tokens each\n\n%s",
        bundle->config.name.c_str(), bundle->config.version.c_str(),
        which.c_str(), flags.String("data").c_str(), chosen.size(),
        corpus->outside_label_set, static_cast<long long>(max_tokens),
        train::FormatReport(*report).c_str());
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace wersa::tools

int main(int argc, char** argv) {
  return wersa::tools::ToolMain(
      argc, argv,
      {"wersa-eval", "Evaluates a model bundle on a dataset.",
       &wersa::tools::kFlags, false},
      wersa::tools::Run);
}
