// wersa-train: trains a SentencePiece tokenizer on the training split, then a
// WERSA classifier, and writes a complete model bundle (docs/model.md), with
// eval.json holding the validation and test reports of the best epoch.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/command_line.h"
#include "cli/progress_line.h"
#include "model/bundle.h"
#include "model/tools/tool_main.h"
#include "model/train/corpus.h"
#include "model/train/metrics.h"
#include "model/train/pretrainer.h"
#include "model/train/trainer.h"

namespace wersa::tools {
namespace {

using cli::Bar;
using cli::CommandLine;
using cli::FlagSpec;
using cli::FormatDuration;
using cli::ProgressLine;

const std::vector<FlagSpec> kFlags = {
    {"data", "",
     "labelled data: SOURCE[@WEIGHT][;SOURCE[@WEIGHT]...], each SOURCE "
     "fulltext:TAR_GZ,LABELS_TSV | abstracts:TSV_GZ[,TSV_GZ...] | jsonl:PATH. "
     "The first is split into train, validation and test; later ones only "
     "train (minus ids of the first). WEIGHT: draws of each document per "
     "epoch, in expectation (default 1)"},
    {"label_level", "as_read",
     "as_read, or archive: every label mapped to its arXiv archive "
     "(math.AC -> math)"},
    {"prior_correction", "none",
     "none, or first_source: store a logit bias that calibrates scores for "
     "the class prior of the first source's training split"},
    {"output", "", "bundle directory to write"},
    {"init_from", "",
     "fine-tune: start from this single-encoder bundle's weights, tokenizer, "
     "labels and architecture (the model flags may then not be given)"},
    {"pretrain_data", "",
     "extra unlabelled text for the tokenizer and masked-token pre-training "
     "(sources as in --data, without weights); documents whose id is in "
     "--data are left out"},
    {"pretrain_epochs", "0",
     "masked-token pre-training epochs over the training split and "
     "--pretrain_data before classification (0: none)"},
    {"pretrain_window", "512", "pre-training window in tokens"},
    {"pretrain_batch_size", "16", "pre-training windows per step"},
    {"pretrain_learning_rate", "0.001", "peak pre-training learning rate"},
    {"labels", "",
     "comma-separated labels to train (default: see --min_label_docs)"},
    {"min_label_docs", "1",
     "without --labels: every primary label with at least this many documents"},
    {"problem_type", "single_label",
     "single_label (softmax) or multi_label (sigmoid per label)"},
    {"name", "wersa-classifier", "model name stored in the bundle"},
    {"version", "1", "model version stored in the bundle"},
    {"vocab_size", "8000", "SentencePiece vocabulary size"},
    {"d_model", "128", "model width"},
    {"num_layers", "2", "encoder blocks"},
    {"num_heads", "4", "attention heads"},
    {"ffn_dim", "256", "feed-forward width"},
    {"attention", "wersa", "wersa or exact"},
    {"wavelet_levels", "3", "Haar levels"},
    {"random_features", "128", "random features per head"},
    {"dropout", "0.1", "dropout"},
    {"pooling", "mean", "mean, attention or mean_max"},
    {"ngram_buckets", "0",
     "hashed token-pair buckets of a bag-of-n-grams branch beside the "
     "encoder (0: no branch)"},
    {"ngram_dim", "64", "width of the n-gram branch"},
    {"encoder_branch", "true",
     "false: the n-gram branch alone, no encoder (a measurement of what the "
     "encoder adds)"},
    {"max_tokens", "131072", "token limit stored in the bundle"},
    {"epochs", "10", "training epochs"},
    {"batch_size", "8", "documents per step"},
    {"window_tokens", "2048",
     "random window of each training document per epoch"},
    {"eval_max_tokens", "131072", "tokens of each document read at evaluation"},
    {"learning_rate", "0.001", "peak AdamW learning rate"},
    {"weight_decay", "0.01", "AdamW weight decay (matrices only)"},
    {"ngram_learning_rate_scale", "1",
     "the n-gram table's learning rate as a multiple of --learning_rate"},
    {"ngram_weight_decay", "-1",
     "the n-gram table's weight decay (negative: --weight_decay's)"},
    {"warmup_fraction", "0.05",
     "share of steps with linear warm-up; cosine decay after"},
    {"max_grad_norm", "1.0", "gradient clipping"},
    {"class_weighting", "inverse_sqrt",
     "loss weight of a class: none, inverse_sqrt (1/sqrt(frequency)) or "
     "inverse (1/frequency)"},
    {"label_smoothing", "0.0", "label smoothing (single_label)"},
    {"token_dropout", "0.0", "fraction of training tokens dropped"},
    {"seed", "1", "random seed (weights, windows, order)"},
    {"threads", "0", "threads (0: one per CPU)"},
    {"checkpoint_dir", "", "per-epoch checkpoint (default OUTPUT.checkpoint)"},
    {"resume", "false", "continue from the checkpoint"},
    {"stop_after_epoch", "0",
     "stop after this epoch (0: all); --resume continues"},
    {"group_by_length", "false",
     "batches of training windows of similar length (less padding when "
     "abstracts and full texts mix)"},
    {"checkpoint_every_steps", "0",
     "also checkpoint every this many steps within an epoch (0: at its end "
     "only)"},
    {"help", "false", "show this help"},
};

// The tokenizer of the run: trained on the training split and the extra
// texts, and kept beside the checkpoint, so that a resumed run reads the
// very pieces it was trained with (SentencePiece's sampling of sentences and
// its threads need not repeat them exactly).
absl::StatusOr<Tokenizer> TrainOrResumeTokenizer(
    const std::vector<train::Document>& documents, const train::Split& split,
    const std::vector<train::Document>& extra, int64_t vocab_size, int threads,
    uint32_t seed, const std::string& checkpoint_dir, bool resume) {
  const std::filesystem::path saved =
      std::filesystem::path(checkpoint_dir) / "tokenizer.model";
  if (resume && std::filesystem::exists(saved)) {
    return Tokenizer::FromFile(saved.string());
  }
  TokenizerTrainingOptions options;
  options.vocab_size = vocab_size;
  options.num_threads = threads;
  options.seed = seed;
  size_t next = 0;
  absl::StatusOr<Tokenizer> tokenizer =
      TrainTokenizer(options, [&](std::string* text) {
        if (next < split.train.size()) {
          *text = documents[split.train[next++]].text;
          return true;
        }
        if (next - split.train.size() < extra.size()) {
          *text = extra[next++ - split.train.size()].text;
          return true;
        }
        return false;
      });
  if (!tokenizer.ok() || checkpoint_dir.empty()) return tokenizer;
  std::error_code error;
  std::filesystem::create_directories(checkpoint_dir, error);
  std::ofstream out(saved, std::ios::binary);
  out << tokenizer->model_proto();
  if (error || !out.flush()) {
    return absl::InternalError(
        absl::StrCat("cannot write '", saved.string(), "'"));
  }
  return tokenizer;
}

// The model flags, which --init_from's bundle replaces.
constexpr const char* kModelFlags[] = {
    "vocab_size", "d_model",        "num_layers",     "num_heads",
    "ffn_dim",    "attention",      "wavelet_levels", "random_features",
    "dropout",    "pooling",        "max_tokens",     "ngram_buckets",
    "ngram_dim",  "encoder_branch", "problem_type"};

// The bundle --init_from names, checked to be one encoder over `labels`, in
// that order, with no model flag given beside it.
absl::StatusOr<ModelBundle> LoadStartingBundle(
    const CommandLine& flags, const std::vector<std::string>& labels) {
  for (const char* name : kModelFlags) {
    if (flags.Has(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name,
                       " cannot be given with --init_from: the "
                       "architecture is the bundle's"));
    }
  }
  absl::StatusOr<ModelBundle> bundle = LoadBundle(flags.String("init_from"));
  if (!bundle.ok()) return bundle.status();
  if (bundle->members.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--init_from '", flags.String("init_from"), "' holds ",
                     bundle->members.size(), " encoders; give one member"));
  }
  if (bundle->labels != labels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--init_from's labels (", absl::StrJoin(bundle->labels, ","),
        ") are not the run's (", absl::StrJoin(labels, ","), ")"));
  }
  return bundle;
}

// The reports of the non-empty held-out splits, validation first.
using HeldOutReports =
    std::vector<std::pair<std::string, train::EvaluationReport>>;

absl::StatusOr<HeldOutReports> EvaluateHeldOut(
    const Encoder& encoder, const std::vector<train::Example>& validation,
    const std::vector<train::Example>& test,
    const std::vector<std::string>& labels, int64_t max_tokens) {
  HeldOutReports reports;
  for (const auto& [name, set] :
       {std::pair{"validation", &validation}, std::pair{"test", &test}}) {
    if (set->empty()) continue;
    absl::StatusOr<train::EvaluationReport> report =
        train::EvaluateExamples({encoder}, *set, labels, max_tokens);
    if (!report.ok()) return report.status();
    reports.emplace_back(name, *std::move(report));
  }
  return reports;
}

absl::Status Run(const CommandLine& flags) {
  const std::string output = flags.String("output");
  if (flags.String("data").empty() || output.empty()) {
    return absl::InvalidArgumentError(
        "--data and --output are required (see --help)");
  }
  const auto start = std::chrono::steady_clock::now();
  ProgressLine progress;

  // Every numeric flag, checked once.
  std::map<std::string, double> number;
  for (const char* name : {"min_label_docs",
                           "vocab_size",
                           "d_model",
                           "num_layers",
                           "num_heads",
                           "ffn_dim",
                           "wavelet_levels",
                           "random_features",
                           "dropout",
                           "max_tokens",
                           "epochs",
                           "batch_size",
                           "window_tokens",
                           "eval_max_tokens",
                           "learning_rate",
                           "weight_decay",
                           "ngram_learning_rate_scale",
                           "ngram_weight_decay",
                           "warmup_fraction",
                           "max_grad_norm",
                           "label_smoothing",
                           "token_dropout",
                           "seed",
                           "threads",
                           "stop_after_epoch",
                           "pretrain_epochs",
                           "pretrain_window",
                           "pretrain_batch_size",
                           "pretrain_learning_rate",
                           "ngram_buckets",
                           "ngram_dim",
                           "checkpoint_every_steps"}) {
    absl::StatusOr<double> value = flags.Double(name);
    if (!value.ok()) return value.status();
    number[name] = *value;
  }
  absl::StatusOr<train::ClassWeighting> class_weighting =
      train::ParseClassWeighting(flags.String("class_weighting"));
  absl::StatusOr<bool> resume = flags.Bool("resume");
  absl::StatusOr<bool> group_by_length = flags.Bool("group_by_length");
  if (!group_by_length.ok()) return group_by_length.status();
  absl::StatusOr<bool> encoder_branch = flags.Bool("encoder_branch");
  if (!encoder_branch.ok()) return encoder_branch.status();
  if (!class_weighting.ok()) return class_weighting.status();
  if (!resume.ok()) return resume.status();
  const int threads = SetTorchThreads(static_cast<int64_t>(number["threads"]));

  ModelConfig config;
  absl::StatusOr<ProblemType> problem_type =
      ParseProblemType(flags.String("problem_type"));
  absl::StatusOr<AttentionKind> attention =
      ParseAttentionKind(flags.String("attention"));
  if (!problem_type.ok()) return problem_type.status();
  if (!attention.ok()) return attention.status();
  config.problem_type = *problem_type;
  config.attention = *attention;
  absl::StatusOr<Pooling> pooling = ParsePooling(flags.String("pooling"));
  if (!pooling.ok()) return pooling.status();
  config.pooling = *pooling;

  absl::StatusOr<std::vector<train::DataSource>> sources =
      train::ParseDataSources(flags.String("data"));
  if (!sources.ok()) return sources.status();
  absl::StatusOr<train::LabelLevel> label_level =
      train::ParseLabelLevel(flags.String("label_level"));
  if (!label_level.ok()) return label_level.status();
  const std::string& prior_correction = flags.String("prior_correction");
  if (prior_correction != "none" && prior_correction != "first_source") {
    return absl::InvalidArgumentError(
        absl::StrCat("--prior_correction must be none or first_source, got '",
                     prior_correction, "'"));
  }
  progress.Print(absl::StrCat("reading ", flags.String("data")));
  absl::StatusOr<train::TrainingCorpus> corpus =
      train::LoadTrainingCorpus(*sources, *label_level, flags.String("labels"),
                                static_cast<int64_t>(number["min_label_docs"]));
  if (!corpus.ok()) return corpus.status();
  const std::vector<train::Document>& documents = corpus->documents;
  const train::LabelSet& labels = corpus->labels;
  const train::Split& split = corpus->split;
  for (const train::TrainingCorpus::Source& source : corpus->sources) {
    progress.Print(absl::StrFormat(
        "%s (weight %g): %d documents, %d kept, %d left out as ids of the "
        "first source",
        source.spec, source.weight, source.read, source.kept,
        source.shared_ids));
  }
  progress.Print(absl::StrFormat(
      "%d documents in %d classes: %d train, %d validation, %d test",
      documents.size(), labels.names.size(), split.train.size(),
      split.validation.size(), split.test.size()));

  std::vector<train::Document> extra;
  if (!flags.String("pretrain_data").empty()) {
    absl::StatusOr<std::vector<train::DataSource>> pretrain_sources =
        train::ParseDataSources(flags.String("pretrain_data"));
    if (!pretrain_sources.ok()) return pretrain_sources.status();
    // Nothing of a validation or test document may reach training, not even
    // its abstract without the label.
    std::set<std::string> main_ids;
    for (const train::Document& document : documents) {
      main_ids.insert(document.id);
    }
    for (const train::DataSource& source : *pretrain_sources) {
      if (source.weight != 1.0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--pretrain_data '", source.spec,
                         "': weights apply to --data only"));
      }
      progress.Print(absl::StrCat("reading ", source.spec));
      absl::StatusOr<std::vector<train::Document>> read =
          train::LoadDocuments(source.spec);
      if (!read.ok()) return read.status();
      size_t kept = 0;
      for (train::Document& document : *read) {
        if (main_ids.insert(document.id).second) {
          extra.push_back(std::move(document));
          ++kept;
        }
      }
      progress.Print(
          absl::StrFormat("%d extra documents (%d ids already read left out)",
                          kept, read->size() - kept));
    }
  }

  const std::string checkpoint_dir = flags.Has("checkpoint_dir")
                                         ? flags.String("checkpoint_dir")
                                         : output + ".checkpoint";
  std::optional<ModelBundle> initial;
  if (flags.Has("init_from")) {
    absl::StatusOr<ModelBundle> loaded =
        LoadStartingBundle(flags, labels.names);
    if (!loaded.ok()) return loaded.status();
    initial = *std::move(loaded);
  }
  absl::StatusOr<Tokenizer> tokenizer =
      initial.has_value()
          ? absl::StatusOr<Tokenizer>(std::move(initial->tokenizer))
          : TrainOrResumeTokenizer(
                documents, split, extra,
                static_cast<int64_t>(number["vocab_size"]), threads,
                static_cast<uint32_t>(number["seed"]), checkpoint_dir, *resume);
  if (!tokenizer.ok()) return tokenizer.status();
  progress.Print(
      absl::StrCat("tokenizer: ", tokenizer->vocab_size(), " pieces"));

  absl::StatusOr<std::vector<train::Example>> train_set = train::MakeExamples(
      documents, split.train, *tokenizer, labels, config.problem_type, threads);
  absl::StatusOr<std::vector<train::Example>> validation_set =
      train::MakeExamples(documents, split.validation, *tokenizer, labels,
                          config.problem_type, threads);
  absl::StatusOr<std::vector<train::Example>> test_set = train::MakeExamples(
      documents, split.test, *tokenizer, labels, config.problem_type, threads);
  for (const auto* set : {&train_set, &validation_set, &test_set}) {
    if (!set->ok()) return set->status();
  }
  for (size_t i = 0; i < split.train.size(); ++i) {
    (*train_set)[i].sampling_weight = corpus->sampling_weights[split.train[i]];
  }

  if (initial.has_value()) {
    config = initial->config;
    config.logit_bias.clear();
  } else {
    config.vocab_size = tokenizer->vocab_size();
    config.d_model = static_cast<int64_t>(number["d_model"]);
    config.num_layers = static_cast<int64_t>(number["num_layers"]);
    config.num_heads = static_cast<int64_t>(number["num_heads"]);
    config.ffn_dim = static_cast<int64_t>(number["ffn_dim"]);
    config.wavelet_levels = static_cast<int64_t>(number["wavelet_levels"]);
    config.random_features = static_cast<int64_t>(number["random_features"]);
    config.dropout = number["dropout"];
    config.max_tokens = static_cast<int64_t>(number["max_tokens"]);
    config.num_labels = static_cast<int64_t>(labels.names.size());
    config.ngram_buckets = static_cast<int64_t>(number["ngram_buckets"]);
    config.ngram_dim = static_cast<int64_t>(number["ngram_dim"]);
    config.encoder_branch = *encoder_branch;
  }
  config.name = flags.String("name");
  config.version = flags.String("version");
  if (!config.encoder_branch && number["pretrain_epochs"] > 0) {
    return absl::InvalidArgumentError(
        "--pretrain_epochs needs the encoder (--encoder_branch true)");
  }
  if (prior_correction == "first_source") {
    // The first source's documents come first in the corpus, so its training
    // examples are those whose index is below its count.
    std::vector<train::Example> reference;
    for (size_t i = 0; i < split.train.size(); ++i) {
      if (split.train[i] < corpus->sources.front().kept) {
        reference.push_back((*train_set)[i]);
      }
    }
    config.logit_bias = train::PriorCorrection(
        *train_set, reference, static_cast<int64_t>(labels.names.size()),
        *class_weighting);
  }
  if (absl::Status valid = ValidateModelConfig(config); !valid.ok()) {
    return valid;
  }

  train::TrainerOptions options;
  options.epochs = static_cast<int>(number["epochs"]);
  options.batch_size = static_cast<int>(number["batch_size"]);
  options.window_tokens = static_cast<int64_t>(number["window_tokens"]);
  options.eval_max_tokens = static_cast<int64_t>(number["eval_max_tokens"]);
  options.learning_rate = number["learning_rate"];
  options.weight_decay = number["weight_decay"];
  options.ngram_learning_rate_scale = number["ngram_learning_rate_scale"];
  options.ngram_weight_decay = number["ngram_weight_decay"];
  options.warmup_fraction = number["warmup_fraction"];
  options.max_grad_norm = number["max_grad_norm"];
  options.class_weighting = *class_weighting;
  options.label_smoothing = number["label_smoothing"];
  options.token_dropout = number["token_dropout"];
  options.seed = static_cast<uint64_t>(number["seed"]);
  options.checkpoints.dir = checkpoint_dir;
  options.checkpoints.resume = *resume;
  options.stop_after_epoch = static_cast<int>(number["stop_after_epoch"]);
  options.group_by_length = *group_by_length;
  options.checkpoints.every_steps =
      static_cast<int64_t>(number["checkpoint_every_steps"]);
  if (options.epochs < 1 || options.batch_size < 1 ||
      options.window_tokens < 1) {
    return absl::InvalidArgumentError(
        "--epochs, --batch_size and --window_tokens must be >= 1");
  }

  torch::manual_seed(options.seed);
  Encoder encoder =
      initial.has_value() ? initial->members.front() : Encoder(config);
  encoder->SetLogitBias(config.logit_bias);
  if (number["pretrain_epochs"] > 0) {
    std::vector<std::vector<int32_t>> texts;
    for (const train::Example& example : *train_set) {
      texts.push_back(example.ids);
    }
    for (const train::Document& document : extra) {
      absl::StatusOr<std::vector<int32_t>> ids =
          tokenizer->Encode(document.text);
      if (!ids.ok()) return ids.status();
      if (!ids->empty()) texts.push_back(*std::move(ids));
    }
    train::PretrainerOptions pretrain;
    pretrain.epochs = static_cast<int>(number["pretrain_epochs"]);
    pretrain.window_tokens = static_cast<int64_t>(number["pretrain_window"]);
    pretrain.batch_size = static_cast<int>(number["pretrain_batch_size"]);
    pretrain.learning_rate = number["pretrain_learning_rate"];
    pretrain.weight_decay = options.weight_decay;
    pretrain.seed = options.seed;
    pretrain.checkpoints = options.checkpoints;
    pretrain.checkpoints.dir += "/pretrain";
    train::Pretrainer pretrainer(encoder, pretrain);
    absl::StatusOr<std::vector<train::PretrainEpochSummary>> pretrained =
        pretrainer.Train(
            texts,
            [&](const train::Progress& p) {
              progress.Update(absl::StrFormat(
                  "pre-train %d/%d %s %d/%d loss %.4f %.1fk tok/s ETA %s",
                  p.epoch, p.epochs,
                  Bar(static_cast<double>(p.step) / p.steps, 20), p.step,
                  p.steps, p.loss, p.tokens_per_second / 1000,
                  FormatDuration(p.eta_seconds)));
            },
            [&](const train::PretrainEpochSummary& e) {
              progress.Print(
                  absl::StrFormat("pre-train epoch %d: masked-token loss %.4f, "
                                  "accuracy %.4f, %d tokens (%s)",
                                  e.epoch, e.loss, e.masked_accuracy, e.tokens,
                                  FormatDuration(e.seconds)));
            });
    if (!pretrained.ok()) return pretrained.status();
  }
  train::Trainer trainer(encoder, options);
  absl::StatusOr<std::vector<train::EpochSummary>> epochs = trainer.Train(
      *train_set, *validation_set,
      [&](const train::Progress& p) {
        progress.Update(absl::StrFormat(
            "epoch %d/%d %s %d/%d loss %.4f %.1fk tok/s ETA %s", p.epoch,
            p.epochs, Bar(static_cast<double>(p.step) / p.steps, 20), p.step,
            p.steps, p.loss, p.tokens_per_second / 1000,
            FormatDuration(p.eta_seconds)));
      },
      [&](const train::EpochSummary& e) {
        progress.Print(absl::StrFormat(
            "epoch %d: train loss %.4f, validation accuracy %.4f, macro-F1 "
            "%.4f (%s)%s",
            e.epoch, e.train_loss, e.validation_accuracy, e.validation_macro_f1,
            FormatDuration(e.seconds), e.best ? " best" : ""));
      });
  if (!epochs.ok()) return epochs.status();

  nlohmann::json eval = {
      {"command", flags.invocation()},
      {"data", flags.String("data")},
      {"sources", train::SourcesToJson(*corpus)},
      {"label_level", flags.String("label_level")},
      {"training_seconds",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
           .count()},
      {"threads", threads},
      {"eval_max_tokens", options.eval_max_tokens},
  };
  eval.update(train::SplitToJson(split));
  nlohmann::json history = nlohmann::json::array();
  for (const train::EpochSummary& e : *epochs) {
    history.push_back({{"epoch", e.epoch},
                       {"train_loss", e.train_loss},
                       {"validation_accuracy", e.validation_accuracy},
                       {"validation_macro_f1", e.validation_macro_f1},
                       {"seconds", e.seconds}});
  }
  eval["epochs"] = history;
  absl::StatusOr<HeldOutReports> reports =
      EvaluateHeldOut(encoder, *validation_set, *test_set, labels.names,
                      options.eval_max_tokens);
  if (!reports.ok()) return reports.status();
  for (const auto& [name, report] : *reports) {
    progress.Print(absl::StrCat(name, ":\n", train::FormatReport(report)));
    eval[name] = train::ReportToJson(report);
  }
  if (!config.logit_bias.empty()) {
    // The same model without its correction: what the bias changes, ECE
    // included.
    nlohmann::json uncorrected = {{"logit_bias", config.logit_bias}};
    encoder->SetLogitBias({});
    reports = EvaluateHeldOut(encoder, *validation_set, *test_set, labels.names,
                              options.eval_max_tokens);
    encoder->SetLogitBias(config.logit_bias);
    if (!reports.ok()) return reports.status();
    for (const auto& [name, report] : *reports) {
      uncorrected[name] = train::ReportToJson(report);
    }
    eval["without_prior_correction"] = uncorrected;
  }

  ModelBundle bundle{config,
                     labels.names,
                     *std::move(tokenizer),
                     {encoder},
                     eval.dump(2) + "\n"};
  if (absl::Status saved = SaveBundle(bundle, output); !saved.ok()) {
    return saved;
  }
  progress.Print(
      absl::StrCat("wrote ", output, " in ",
                   FormatDuration(std::chrono::duration<double>(
                                      std::chrono::steady_clock::now() - start)
                                      .count())));
  return absl::OkStatus();
}

}  // namespace
}  // namespace wersa::tools

int main(int argc, char** argv) {
  return wersa::tools::ToolMain(
      argc, argv,
      {"wersa-train", "Trains a WERSA classifier bundle.",
       &wersa::tools::kFlags, true},
      wersa::tools::Run);
}
