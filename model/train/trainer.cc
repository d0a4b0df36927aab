#include "model/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/ensemble.h"
#include "model/train/metrics.h"
#include "model/train/training_support.h"

namespace wersa::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kModelCheckpoint[] = "model.pt";
constexpr char kBestCheckpoint[] = "best.pt";
constexpr char kOptimizerCheckpoint[] = "optimizer.pt";
constexpr char kStateCheckpoint[] = "state.json";
constexpr char kTorchRngCheckpoint[] = "torch_rng.pt";

struct Batch {
  torch::Tensor ids;
  torch::Tensor lengths;
  torch::Tensor targets;
  int64_t tokens = 0;
};

// A random window of each example, with token dropout: the augmentation.
Batch TrainingBatch(const std::vector<Example>& examples,
                    const std::vector<size_t>& indices,
                    const TrainerOptions& options, const ModelConfig& config,
                    std::mt19937_64& rng) {
  std::vector<std::vector<int32_t>> windows;
  windows.reserve(indices.size());
  Batch batch;
  const bool multi_label = config.problem_type == ProblemType::kMultiLabel;
  torch::Tensor targets =
      multi_label
          ? torch::zeros(
                {static_cast<int64_t>(indices.size()), config.num_labels})
          : torch::empty({static_cast<int64_t>(indices.size())}, torch::kInt64);
  std::bernoulli_distribution keep(1.0 - options.token_dropout);
  for (size_t i = 0; i < indices.size(); ++i) {
    const Example& example = examples[indices[i]];
    const auto length = static_cast<int64_t>(example.ids.size());
    const int64_t window = std::min(length, options.window_tokens);
    const int64_t start =
        std::uniform_int_distribution<int64_t>(0, length - window)(rng);
    std::vector<int32_t> ids;
    ids.reserve(window);
    for (int64_t t = start; t < start + window; ++t) {
      if (options.token_dropout <= 0.0 || keep(rng)) {
        ids.push_back(example.ids[t]);
      }
    }
    if (ids.empty()) ids.push_back(example.ids[start]);
    batch.tokens += static_cast<int64_t>(ids.size());
    windows.push_back(std::move(ids));
    if (multi_label) {
      for (const int label : example.labels) {
        targets[static_cast<int64_t>(i)][label] = 1.0f;
      }
    } else {
      targets[static_cast<int64_t>(i)] = example.labels.front();
    }
  }
  std::tie(batch.ids, batch.lengths) = PadSequences(windows);
  batch.targets = targets;
  return batch;
}

using NamedTensors = std::map<std::string, torch::Tensor>;

NamedTensors CloneState(Encoder& encoder) {
  NamedTensors state;
  for (const auto& item : encoder->named_parameters()) {
    state[item.key()] = item.value().detach().clone();
  }
  for (const auto& item : encoder->named_buffers()) {
    state[item.key()] = item.value().detach().clone();
  }
  return state;
}

void RestoreState(Encoder& encoder, const NamedTensors& state) {
  torch::NoGradGuard no_grad;
  for (auto& item : encoder->named_parameters()) {
    item.value().copy_(state.at(item.key()));
  }
  for (auto& item : encoder->named_buffers()) {
    item.value().copy_(state.at(item.key()));
  }
}

void SaveNamed(const NamedTensors& state, const fs::path& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : state) dict.insert(name, tensor);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

NamedTensors LoadNamed(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  NamedTensors state;
  for (const auto& entry : torch::pickle_load(bytes).toGenericDict()) {
    state[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return state;
}

struct Selection {
  double macro_f1 = -1.0;
  double accuracy = -1.0;
  bool Improves(const Selection& other) const {
    return macro_f1 > other.macro_f1 ||
           (macro_f1 == other.macro_f1 && accuracy > other.accuracy);
  }
};

absl::StatusOr<Selection> Validate(Encoder& encoder,
                                   const std::vector<Example>& validation,
                                   const TrainerOptions& options) {
  if (validation.empty()) return Selection{};
  std::vector<std::string> names;
  for (int64_t c = 0; c < encoder->config().num_labels; ++c) {
    names.push_back(std::to_string(c));
  }
  absl::StatusOr<EvaluationReport> report =
      EvaluateExamples({encoder}, validation, names, options.eval_max_tokens);
  if (!report.ok()) return report.status();
  return Selection{report->macro_f1, report->accuracy};
}

// What an epoch draws of `train`, before any randomness: example i
// floor(w_i) times (`whole`), and the examples whose weights share a
// fractional part f, of which FractionTaken(f, n) are drawn once more.
struct DrawPlan {
  std::vector<size_t> whole;
  std::map<double, std::vector<size_t>> by_fraction;
};

DrawPlan PlanDraws(const std::vector<Example>& train) {
  DrawPlan plan;
  for (size_t i = 0; i < train.size(); ++i) {
    const double whole = std::floor(train[i].sampling_weight);
    plan.whole.insert(plan.whole.end(), static_cast<size_t>(whole), i);
    const double fraction = train[i].sampling_weight - whole;
    if (fraction > 0) plan.by_fraction[fraction].push_back(i);
  }
  return plan;
}

size_t FractionTaken(double fraction, size_t members) {
  return static_cast<size_t>(
      std::llround(fraction * static_cast<double>(members)));
}

// The encoder's parameters in the usual groups, and the n-gram table in its
// own when its rate or decay differ from the encoder's.
ScheduledAdamW MakeTrainerAdamW(const EncoderImpl& encoder,
                                const TrainerOptions& options) {
  const double ngram_weight_decay = options.ngram_weight_decay < 0.0
                                        ? options.weight_decay
                                        : options.ngram_weight_decay;
  const torch::Tensor table = encoder.ngram_table();
  if (!table.defined() || (options.ngram_learning_rate_scale == 1.0 &&
                           ngram_weight_decay == options.weight_decay)) {
    return MakeAdamW(encoder.parameters(), options.learning_rate,
                     options.weight_decay);
  }
  std::vector<torch::Tensor> rest;
  for (const torch::Tensor& p : encoder.parameters()) {
    if (!p.is_same(table)) rest.push_back(p);
  }
  return MakeAdamW(rest, options.learning_rate, options.weight_decay,
                   {{table}, options.ngram_learning_rate_scale,
                    ngram_weight_decay});
}

}  // namespace

absl::StatusOr<ClassWeighting> ParseClassWeighting(absl::string_view name) {
  if (name == "none") return ClassWeighting::kNone;
  if (name == "inverse_sqrt") return ClassWeighting::kInverseSqrt;
  if (name == "inverse") return ClassWeighting::kInverse;
  return absl::InvalidArgumentError(absl::StrCat(
      "class weighting '", name, "': expected none, inverse_sqrt or inverse"));
}

torch::Tensor ClassWeights(const std::vector<Example>& train,
                           int64_t num_labels, ClassWeighting weighting) {
  std::vector<double> counts(num_labels, 0.0);
  double draws = 0.0;
  for (const Example& example : train) {
    counts[example.labels.front()] += example.sampling_weight;
    draws += example.sampling_weight;
  }
  torch::Tensor weights = torch::zeros({num_labels});
  double total = 0.0;
  for (int64_t c = 0; c < num_labels; ++c) {
    if (counts[c] == 0) continue;
    double w = 1.0;
    if (weighting == ClassWeighting::kInverseSqrt) {
      w = 1.0 / std::sqrt(counts[c]);
    }
    if (weighting == ClassWeighting::kInverse) w = 1.0 / counts[c];
    weights[c] = w;
    total += w * counts[c];
  }
  return weights * (draws / total);
}

std::vector<double> PriorCorrection(const std::vector<Example>& train,
                                    const std::vector<Example>& reference,
                                    int64_t num_labels,
                                    ClassWeighting weighting) {
  const torch::Tensor class_weights =
      ClassWeights(train, num_labels, weighting).to(torch::kFloat64);
  const double* class_weight = class_weights.data_ptr<double>();
  std::vector<double> effective(num_labels, 0.0);
  std::vector<double> target(num_labels, 0.5);
  for (const Example& example : train) {
    const int c = example.labels.front();
    effective[c] += example.sampling_weight * class_weight[c];
  }
  for (const Example& example : reference) target[example.labels.front()] += 1;
  const double effective_total =
      std::accumulate(effective.begin(), effective.end(), 0.0);
  const double target_total =
      std::accumulate(target.begin(), target.end(), 0.0);
  std::vector<double> bias(num_labels, 0.0);
  for (int64_t c = 0; c < num_labels; ++c) {
    if (effective[c] <= 0) continue;
    bias[c] = std::log(target[c] / target_total) -
              std::log(effective[c] / effective_total);
  }
  return bias;
}

std::vector<size_t> EpochDraws(const std::vector<Example>& train,
                               std::mt19937_64& rng) {
  DrawPlan plan = PlanDraws(train);
  std::vector<size_t> draws = std::move(plan.whole);
  for (auto& [fraction, members] : plan.by_fraction) {
    std::shuffle(members.begin(), members.end(), rng);
    draws.insert(draws.end(), members.begin(),
                 members.begin() + static_cast<std::ptrdiff_t>(FractionTaken(
                                       fraction, members.size())));
  }
  std::shuffle(draws.begin(), draws.end(), rng);
  return draws;
}

std::vector<size_t> GroupByLength(std::vector<size_t> draws,
                                  const std::vector<Example>& train,
                                  int64_t window_tokens, size_t batch_size,
                                  std::mt19937_64& rng) {
  constexpr size_t kBatchesPerChunk = 64;
  const auto length = [&](size_t i) {
    return std::min(static_cast<int64_t>(train[i].ids.size()), window_tokens);
  };
  const size_t chunk = batch_size * kBatchesPerChunk;
  std::vector<std::vector<size_t>> batches;
  std::vector<size_t> partial;
  for (size_t begin = 0; begin < draws.size(); begin += chunk) {
    const auto first = draws.begin() + static_cast<std::ptrdiff_t>(begin);
    const auto last = draws.begin() + static_cast<std::ptrdiff_t>(std::min(
                                          begin + chunk, draws.size()));
    std::stable_sort(first, last,
                     [&](size_t a, size_t b) { return length(a) < length(b); });
    for (auto it = first; it < last;
         it += static_cast<std::ptrdiff_t>(batch_size)) {
      const auto end =
          std::distance(it, last) > static_cast<std::ptrdiff_t>(batch_size)
              ? it + static_cast<std::ptrdiff_t>(batch_size)
              : last;
      if (static_cast<size_t>(std::distance(it, end)) == batch_size) {
        batches.emplace_back(it, end);
      } else {
        partial.assign(it, end);
      }
    }
  }
  std::shuffle(batches.begin(), batches.end(), rng);
  std::vector<size_t> grouped;
  grouped.reserve(draws.size());
  for (const std::vector<size_t>& batch : batches) {
    grouped.insert(grouped.end(), batch.begin(), batch.end());
  }
  grouped.insert(grouped.end(), partial.begin(), partial.end());
  return grouped;
}

size_t ExpectedEpochDraws(const std::vector<Example>& train) {
  const DrawPlan plan = PlanDraws(train);
  size_t draws = plan.whole.size();
  for (const auto& [fraction, members] : plan.by_fraction) {
    draws += FractionTaken(fraction, members.size());
  }
  return draws;
}

EvaluationInput MakeEvaluationInput(const std::vector<Encoder>& members,
                                    const std::vector<Example>& examples,
                                    const std::vector<std::string>& label_names,
                                    int64_t max_tokens) {
  EvaluationInput input;
  input.label_names = label_names;
  input.scores = ScoreExamples(members, examples, max_tokens);
  input.mode =
      members.front()->config().problem_type == ProblemType::kMultiLabel
          ? EvaluationMode::kMultiLabel
          : EvaluationMode::kSingleLabel;
  for (const Example& example : examples) {
    input.truth.push_back(example.labels);
    input.lengths.push_back(std::min<int64_t>(
        static_cast<int64_t>(example.ids.size()), max_tokens));
  }
  return input;
}

absl::StatusOr<EvaluationReport> EvaluateExamples(
    const std::vector<Encoder>& members, const std::vector<Example>& examples,
    const std::vector<std::string>& label_names, int64_t max_tokens) {
  return Evaluate(
      MakeEvaluationInput(members, examples, label_names, max_tokens));
}

std::vector<std::vector<float>> ScoreExamples(
    const std::vector<Encoder>& members, const std::vector<Example>& examples,
    int64_t max_tokens, int64_t batch_tokens) {
  torch::NoGradGuard no_grad;
  std::vector<bool> was_training;
  for (Encoder member : members) {
    was_training.push_back(member->is_training());
    member->eval();
  }
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  const auto length = [&](size_t i) {
    return std::min<int64_t>(static_cast<int64_t>(examples[i].ids.size()),
                             max_tokens);
  };
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return length(a) < length(b); });
  std::vector<std::vector<float>> scores(examples.size());
  size_t begin = 0;
  while (begin < order.size()) {
    // Sorted ascending, so the last member is the longest: B * longest <=
    // budget.
    size_t end = begin + 1;
    while (end < order.size() &&
           static_cast<int64_t>(end - begin + 1) * length(order[end]) <=
               batch_tokens) {
      ++end;
    }
    std::vector<std::vector<int32_t>> sequences;
    for (size_t k = begin; k < end; ++k) {
      const auto& ids = examples[order[k]].ids;
      sequences.emplace_back(ids.begin(), ids.begin() + length(order[k]));
    }
    auto [ids, lengths] = PadSequences(sequences);
    const torch::Tensor probabilities =
        EnsembleScores(members, ids, lengths).to(torch::kFloat32).contiguous();
    for (size_t k = begin; k < end; ++k) {
      const float* row =
          probabilities[static_cast<int64_t>(k - begin)].data_ptr<float>();
      scores[order[k]].assign(row, row + probabilities.size(1));
    }
    begin = end;
  }
  for (size_t m = 0; m < members.size(); ++m) {
    Encoder member = members[m];
    if (was_training[m]) member->train();
  }
  return scores;
}

Trainer::Trainer(Encoder encoder, TrainerOptions options)
    : encoder_(std::move(encoder)), options_(std::move(options)) {}

absl::StatusOr<std::vector<EpochSummary>> Trainer::Train(
    const std::vector<Example>& train, const std::vector<Example>& validation,
    const std::function<void(const Progress&)>& on_progress,
    const std::function<void(const EpochSummary&)>& on_epoch) {
  return StatusFromTorchErrors("training", [&] {
    return TrainEpochs(train, validation, on_progress, on_epoch);
  });
}

absl::StatusOr<std::vector<EpochSummary>> Trainer::TrainEpochs(
    const std::vector<Example>& train, const std::vector<Example>& validation,
    const std::function<void(const Progress&)>& on_progress,
    const std::function<void(const EpochSummary&)>& on_epoch) {
  if (train.empty()) return absl::InvalidArgumentError("no training examples");
  const ModelConfig& config = encoder_->config();
  for (const auto* set : {&train, &validation}) {
    for (const Example& example : *set) {
      if (example.ids.empty() || example.labels.empty()) {
        return absl::InvalidArgumentError(
            "an example has no tokens or no label");
      }
      for (const int label : example.labels) {
        if (label < 0 || label >= config.num_labels) {
          return absl::InvalidArgumentError(
              absl::StrCat("label index ", label, " out of range"));
        }
      }
    }
  }

  ScheduledAdamW adamw = MakeTrainerAdamW(*encoder_, options_);
  torch::optim::AdamW& optimizer = *adamw.optimizer;

  const torch::Tensor class_weights =
      ClassWeights(train, config.num_labels, options_.class_weighting);
  const bool multi_label = config.problem_type == ProblemType::kMultiLabel;
  const auto steps_per_epoch = static_cast<int64_t>(
      (ExpectedEpochDraws(train) + options_.batch_size - 1) /
      options_.batch_size);
  if (steps_per_epoch == 0) {
    return absl::InvalidArgumentError("an epoch draws no training example");
  }
  const int64_t total_steps = steps_per_epoch * options_.epochs;

  std::vector<EpochSummary> summaries;
  Selection best;
  NamedTensors best_state;
  int first_epoch = 1;
  // Where an interrupted epoch resumes: its first step not yet taken, and the
  // state of both generators and of the running figures at that step.
  struct PartialEpoch {
    int64_t step = 0;
    double loss_sum = 0.0;
    int64_t tokens = 0;
    std::string rng;
    torch::Tensor torch_rng;
  };
  std::optional<PartialEpoch> partial;
  const fs::path checkpoints(options_.checkpoint_dir);
  // A run interrupted before its first checkpoint has nothing to resume
  // from: it starts at epoch 1, as the pre-trainer does.
  if (options_.resume && !options_.checkpoint_dir.empty() &&
      fs::exists(checkpoints / kStateCheckpoint)) {
    try {
      torch::load(encoder_, (checkpoints / kModelCheckpoint).string());
      torch::load(optimizer, (checkpoints / kOptimizerCheckpoint).string());
      best_state = LoadNamed(checkpoints / kBestCheckpoint);
      std::ifstream state_file(checkpoints / kStateCheckpoint);
      const nlohmann::json state = nlohmann::json::parse(state_file);
      first_epoch = state.at("epoch").get<int>() + 1;
      best = Selection{state.at("best_macro_f1").get<double>(),
                       state.at("best_accuracy").get<double>()};
      if (const auto within = state.find("within_epoch");
          within != state.end()) {
        PartialEpoch resumed;
        resumed.step = within->at("step").get<int64_t>();
        resumed.loss_sum = within->at("loss_sum").get<double>();
        resumed.tokens = within->at("tokens").get<int64_t>();
        resumed.rng = within->at("rng").get<std::string>();
        torch::load(resumed.torch_rng,
                    (checkpoints / kTorchRngCheckpoint).string());
        partial = std::move(resumed);
      }
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat(
          "cannot resume from '", options_.checkpoint_dir, "': ", e.what()));
    }
  }

  // Everything a resumed run needs; `within` (step, figures, generators)
  // when the epoch is not finished.
  const auto save_checkpoint = [&](int completed_epoch,
                                   const nlohmann::json& within,
                                   const torch::Tensor& torch_rng) {
    fs::create_directories(checkpoints);
    torch::save(encoder_, (checkpoints / kModelCheckpoint).string());
    torch::save(optimizer, (checkpoints / kOptimizerCheckpoint).string());
    SaveNamed(best_state, checkpoints / kBestCheckpoint);
    nlohmann::json state = {{"epoch", completed_epoch},
                            {"best_macro_f1", best.macro_f1},
                            {"best_accuracy", best.accuracy}};
    if (!within.is_null()) {
      state["within_epoch"] = within;
      torch::save(torch_rng, (checkpoints / kTorchRngCheckpoint).string());
    }
    // Written last and renamed into place: a checkpoint interrupted while
    // being written leaves the previous state.json, never a torn one.
    const fs::path temporary =
        checkpoints / (std::string(kStateCheckpoint) + ".tmp");
    std::ofstream(temporary) << state.dump(2) << "\n";
    fs::rename(temporary, checkpoints / kStateCheckpoint);
  };

  const auto run_start = Clock::now();
  int64_t steps_done_this_run = 0;
  const int last_epoch =
      options_.stop_after_epoch > 0
          ? std::min(options_.epochs, options_.stop_after_epoch)
          : options_.epochs;
  for (int epoch = first_epoch; epoch <= last_epoch; ++epoch) {
    const auto epoch_start = Clock::now();
    // Seeding per epoch makes a resumed run continue exactly as an
    // uninterrupted one would.
    std::mt19937_64 rng(options_.seed * 1000003ULL +
                        static_cast<uint64_t>(epoch));
    torch::manual_seed(options_.seed * 7919ULL + static_cast<uint64_t>(epoch));
    std::vector<size_t> order = EpochDraws(train, rng);
    if (options_.group_by_length) {
      order = GroupByLength(std::move(order), train, options_.window_tokens,
                            static_cast<size_t>(options_.batch_size), rng);
    }

    encoder_->train();
    double loss_sum = 0.0;
    int64_t tokens = 0;
    int64_t first_step = 0;
    int64_t tokens_before_this_run = 0;
    if (partial.has_value()) {
      first_step = partial->step;
      loss_sum = partial->loss_sum;
      tokens = partial->tokens;
      tokens_before_this_run = tokens;
      std::istringstream(partial->rng) >> rng;
      // A copy of the handle shares the generator itself.
      at::Generator generator = at::detail::getDefaultCPUGenerator();
      generator.set_state(partial->torch_rng);
      partial.reset();
    }
    for (int64_t step = first_step; step < steps_per_epoch; ++step) {
      const size_t from = static_cast<size_t>(step * options_.batch_size);
      const size_t to = std::min(order.size(), from + options_.batch_size);
      const std::vector<size_t> indices(order.begin() + from,
                                        order.begin() + to);
      const Batch batch = TrainingBatch(train, indices, options_, config, rng);

      const int64_t global_step = (epoch - 1) * steps_per_epoch + step;
      adamw.SetLearningRate(ScheduledLearningRate(options_.learning_rate,
                                                  options_.warmup_fraction,
                                                  global_step, total_steps));
      optimizer.zero_grad();
      const torch::Tensor logits = encoder_->forward(batch.ids, batch.lengths);
      torch::Tensor loss;
      if (multi_label) {
        loss = torch::binary_cross_entropy_with_logits(logits, batch.targets);
      } else {
        auto loss_options =
            torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
                options_.label_smoothing);
        loss_options.weight(class_weights);
        loss = torch::nn::functional::cross_entropy(logits, batch.targets,
                                                    loss_options);
      }
      loss.backward();
      torch::nn::utils::clip_grad_norm_(encoder_->parameters(),
                                        options_.max_grad_norm);
      optimizer.step();

      loss_sum += loss.item<double>();
      tokens += batch.tokens;
      ++steps_done_this_run;
      if (on_progress) {
        const double elapsed =
            std::chrono::duration<double>(Clock::now() - epoch_start).count();
        const double run_elapsed =
            std::chrono::duration<double>(Clock::now() - run_start).count();
        const int64_t remaining = (options_.epochs - epoch) * steps_per_epoch +
                                  (steps_per_epoch - step - 1);
        on_progress(
            Progress{epoch, options_.epochs, step + 1, steps_per_epoch,
                     loss_sum / static_cast<double>(step + 1),
                     static_cast<double>(tokens - tokens_before_this_run) /
                         std::max(elapsed, 1e-9),
                     run_elapsed / static_cast<double>(steps_done_this_run) *
                         static_cast<double>(remaining)});
      }
      if (!options_.checkpoint_dir.empty() &&
          options_.checkpoint_every_steps > 0 && step + 1 < steps_per_epoch &&
          (step + 1) % options_.checkpoint_every_steps == 0) {
        std::ostringstream rng_state;
        rng_state << rng;
        try {
          save_checkpoint(epoch - 1,
                          {{"step", step + 1},
                           {"loss_sum", loss_sum},
                           {"tokens", tokens},
                           {"rng", rng_state.str()}},
                          at::detail::getDefaultCPUGenerator().get_state());
        } catch (const std::exception& e) {
          return absl::InternalError(
              absl::StrCat("writing the checkpoint: ", e.what()));
        }
      }
    }

    absl::StatusOr<Selection> selection =
        Validate(encoder_, validation, options_);
    if (!selection.ok()) return selection.status();
    EpochSummary summary;
    summary.epoch = epoch;
    summary.train_loss = loss_sum / static_cast<double>(steps_per_epoch);
    summary.validation_macro_f1 = selection->macro_f1;
    summary.validation_accuracy = selection->accuracy;
    summary.best =
        validation.empty() || best_state.empty() || selection->Improves(best);
    if (summary.best) {
      best = *selection;
      best_state = CloneState(encoder_);
    }
    summary.seconds =
        std::chrono::duration<double>(Clock::now() - epoch_start).count();
    summaries.push_back(summary);
    if (on_epoch) on_epoch(summary);

    if (!options_.checkpoint_dir.empty()) {
      try {
        save_checkpoint(epoch, nullptr, torch::Tensor());
      } catch (const std::exception& e) {
        return absl::InternalError(
            absl::StrCat("writing the checkpoint: ", e.what()));
      }
    }
  }
  if (!best_state.empty()) RestoreState(encoder_, best_state);
  encoder_->eval();
  return summaries;
}

}  // namespace wersa::train
