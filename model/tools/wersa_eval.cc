// wersa-eval: evaluates a model bundle on a dataset split: accuracy, macro-F1,
// per-class precision/recall/F1, confusion matrix, one-vs-rest ROC-AUC,
// expected calibration error and accuracy by document length; a table, or
// JSON with --json.
#include <torch/torch.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "model/bundle.h"
#include "model/caching_host_allocator.h"
#include "model/cpu_kernels.h"
#include "model/train/corpus.h"
#include "model/train/metrics.h"
#include "model/train/trainer.h"

namespace wersa::tools {
namespace {

using cli::CommandLine;
using cli::FlagSpec;

const std::vector<FlagSpec> kFlags = {
    {"model_dir", "", "the bundle to evaluate"},
    {"data", "", "fulltext:TAR_GZ,LABELS_TSV | abstracts:TSV_GZ | jsonl:PATH"},
    {"split", "validation",
     "validation, test, train (the split rule of wersa-train) or all"},
    {"max_tokens", "0",
     "tokens read per document (0: the bundle's max_tokens)"},
    {"json", "false", "print the report as JSON"},
    {"threads", "0", "threads (0: one per CPU)"},
    {"help", "false", "show this help"},
};

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
  const int threads =
      *threads_flag > 0 ? static_cast<int>(*threads_flag)
                        : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(threads);

  absl::StatusOr<ModelBundle> bundle = LoadBundle(flags.String("model_dir"));
  if (!bundle.ok()) return bundle.status();
  const int64_t max_tokens =
      *max_tokens_flag > 0 ? *max_tokens_flag : bundle->config.max_tokens;

  absl::StatusOr<std::vector<train::Document>> all =
      train::LoadDocuments(flags.String("data"));
  if (!all.ok()) return all.status();
  const size_t read = all->size();
  const train::LabelSet labels = train::MakeLabelSet(bundle->labels);
  const std::vector<train::Document> documents =
      train::KeepLabelled(*std::move(all), labels);
  const train::Split split = train::SplitByHash(documents);
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
  absl::StatusOr<train::EvaluationReport> report = train::EvaluateExamples(
      bundle->encoder, *examples, bundle->labels, max_tokens);
  if (!report.ok()) return report.status();

  if (*json) {
    nlohmann::json out = train::ReportToJson(*report);
    out["model"] = bundle->config.name;
    out["model_version"] = bundle->config.version;
    out["data"] = flags.String("data");
    out["split"] = which;
    out["documents_outside_label_set"] = read - documents.size();
    out["max_tokens"] = max_tokens;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf(
        "model %s (version %s), %s split of %s: %zu documents (%zu outside the "
        "model's labels skipped), up to %lld tokens each\n\n%s",
        bundle->config.name.c_str(), bundle->config.version.c_str(),
        which.c_str(), flags.String("data").c_str(), chosen.size(),
        read - documents.size(), static_cast<long long>(max_tokens),
        train::FormatReport(*report).c_str());
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace wersa::tools

int main(int argc, char** argv) {
  using wersa::cli::CommandLine;
  const auto kernels = wersa::ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::fprintf(stderr, "wersa-eval: %s\n",
                 std::string(kernels.status().message()).c_str());
    return 1;
  }
  const wersa::CachingHostAllocator host_allocator;
  absl::StatusOr<CommandLine> flags =
      CommandLine::Parse(argc, argv, wersa::tools::kFlags);
  if (!flags.ok()) {
    std::fprintf(stderr, "wersa-eval: %s\n",
                 std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->Has("help")) {
    std::printf("%s",
                CommandLine::Usage("wersa-eval",
                                   "Evaluates a model bundle on a dataset.",
                                   wersa::tools::kFlags)
                    .c_str());
    return 0;
  }
  if (absl::Status status = wersa::tools::Run(*flags); !status.ok()) {
    std::fprintf(stderr, "wersa-eval: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
