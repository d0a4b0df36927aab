// wersa-ensemble: combines bundles trained alike (same architecture, labels
// and tokenizer; different seeds) into one bundle whose scores are their
// normalised geometric mean (model/ensemble.h). With --data it evaluates the
// result on the validation and test splits and writes eval.json.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
    {"members", "",
     "comma-separated bundle directories to combine (bundles that are "
     "ensembles contribute every member)"},
    {"output", "", "bundle directory to write"},
    {"name", "", "model name stored in the bundle (default: the first's)"},
    {"version", "",
     "model version stored in the bundle (default: the first's)"},
    {"data", "",
     "evaluate the ensemble on this dataset's validation and test splits and "
     "write eval.json (same forms as wersa-eval --data)"},
    {"label_level", "as_read",
     "as_read, or archive: documents' labels mapped to their arXiv archive"},
    {"threads", "0", "threads (0: one per CPU)"},
    {"help", "false", "show this help"},
};

// The config with what may differ between members set aside.
std::string Architecture(ModelConfig config) {
  config.name = "-";
  config.version = "-";
  config.ensemble_members = 1;
  return SerializeModelConfig(config);
}

absl::Status Run(const CommandLine& flags) {
  const std::string& output = flags.String("output");
  const std::vector<std::string> directories =
      absl::StrSplit(flags.String("members"), ',', absl::SkipEmpty());
  if (directories.size() < 2 || output.empty()) {
    return absl::InvalidArgumentError(
        "--members with at least two bundles and --output are required (see "
        "--help)");
  }
  absl::StatusOr<int64_t> threads_flag = flags.Int("threads");
  if (!threads_flag.ok()) return threads_flag.status();
  const int threads = SetTorchThreads(*threads_flag);

  std::vector<ModelBundle> bundles;
  for (const std::string& directory : directories) {
    absl::StatusOr<ModelBundle> bundle = LoadBundle(directory);
    if (!bundle.ok()) return bundle.status();
    const ModelBundle* first = bundles.empty() ? &*bundle : &bundles.front();
    const auto differs = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(
          directory, ": its ", what, " differs from ", directories.front(),
          "'s; members must be trained alike"));
    };
    if (Architecture(bundle->config) != Architecture(first->config)) {
      return differs("config.json (architecture)");
    }
    if (bundle->labels != first->labels) return differs("labels.txt");
    if (bundle->tokenizer.model_proto() != first->tokenizer.model_proto()) {
      return differs("tokenizer.model");
    }
    bundles.push_back(*std::move(bundle));
  }

  ModelBundle ensemble{bundles.front().config,
                       bundles.front().labels,
                       std::move(bundles.front().tokenizer),
                       {},
                       std::nullopt};
  nlohmann::json members = nlohmann::json::array();
  for (size_t b = 0; b < bundles.size(); ++b) {
    for (const Encoder& member : bundles[b].members) {
      ensemble.members.push_back(member);
    }
    nlohmann::json about = {{"bundle", directories[b]},
                            {"encoders", bundles[b].members.size()}};
    if (bundles[b].eval_json) {
      const nlohmann::json eval = nlohmann::json::parse(*bundles[b].eval_json);
      if (eval.contains("command")) about["command"] = eval["command"];
    }
    members.push_back(std::move(about));
  }
  if (static_cast<int64_t>(ensemble.members.size()) > kMaxEnsembleMembers) {
    return absl::InvalidArgumentError(
        absl::StrCat(ensemble.members.size(), " encoders in all, over the ",
                     kMaxEnsembleMembers, " an ensemble may hold"));
  }
  ensemble.config.ensemble_members =
      static_cast<int64_t>(ensemble.members.size());
  if (flags.Has("name")) ensemble.config.name = flags.String("name");
  if (flags.Has("version")) ensemble.config.version = flags.String("version");

  if (flags.Has("data")) {
    absl::StatusOr<train::LabelLevel> label_level =
        train::ParseLabelLevel(flags.String("label_level"));
    if (!label_level.ok()) return label_level.status();
    const train::LabelSet labels = train::MakeLabelSet(ensemble.labels);
    absl::StatusOr<train::LabelledCorpus> corpus =
        train::LoadLabelledCorpus(flags.String("data"), labels, *label_level);
    if (!corpus.ok()) return corpus.status();
    nlohmann::json eval = {
        {"command", flags.invocation()},
        {"members", members},
        {"data", flags.String("data")},
        {"eval_max_tokens", ensemble.config.max_tokens},
    };
    eval.update(train::SplitToJson(corpus->split));
    for (const auto& [name, indices] :
         {std::pair{"validation", &corpus->split.validation},
          std::pair{"test", &corpus->split.test}}) {
      absl::StatusOr<std::vector<train::Example>> examples =
          train::MakeExamples(corpus->documents, *indices, ensemble.tokenizer,
                              labels, ensemble.config.problem_type, threads);
      if (!examples.ok()) return examples.status();
      absl::StatusOr<train::EvaluationReport> report =
          train::EvaluateExamples(ensemble.members, *examples, ensemble.labels,
                                  ensemble.config.max_tokens);
      if (!report.ok()) return report.status();
      std::printf("%s:\n%s", name, train::FormatReport(*report).c_str());
      eval[name] = train::ReportToJson(*report);
    }
    ensemble.eval_json = eval.dump(2) + "\n";
  }
  if (absl::Status saved = SaveBundle(ensemble, output); !saved.ok()) {
    return saved;
  }
  std::printf("wrote %s: %zu encoders\n", output.c_str(),
              ensemble.members.size());
  return absl::OkStatus();
}

}  // namespace
}  // namespace wersa::tools

int main(int argc, char** argv) {
  return wersa::tools::ToolMain(
      argc, argv,
      {"wersa-ensemble",
       "Combines bundles trained alike from different seeds into one.",
       &wersa::tools::kFlags, false},
      wersa::tools::Run);
}
