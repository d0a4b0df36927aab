#include "model/train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/ensemble.h"
#include "model/train/epoch_loop.h"
#include "model/train/metrics.h"
#include "model/train/training_support.h"

namespace wersa::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kBestCheckpoint[] = "best.pt";

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
  return MakeAdamW(
      rest, options.learning_rate, options.weight_decay,
      {{table}, options.ngram_learning_rate_scale, ngram_weight_decay});
}

// Every example has tokens and labels in range.
absl::Status CheckExamples(const std::vector<Example>& examples,
                           const ModelConfig& config) {
  for (const Example& example : examples) {
    if (example.ids.empty() || example.labels.empty()) {
      return absl::InvalidArgumentError("an example has no tokens or no label");
    }
    for (const int label : example.labels) {
      if (label < 0 || label >= config.num_labels) {
        return absl::InvalidArgumentError(
            absl::StrCat("label index ", label, " out of range"));
      }
    }
  }
  return absl::OkStatus();
}

// Supervised classification in the epoch loop: windows of the drawn examples,
// (weighted) cross-entropy, validation after each epoch and the best epoch's
// weights kept.
class ClassificationTask : public EpochTask {
 public:
  ClassificationTask(Encoder encoder, ScheduledAdamW& adamw,
                     const TrainerOptions& options,
                     const std::vector<Example>& train,
                     const std::vector<Example>& validation,
                     std::function<void(const EpochSummary&)> on_epoch)
      : encoder_(std::move(encoder)),
        adamw_(adamw),
        options_(options),
        train_(train),
        validation_(validation),
        on_epoch_(std::move(on_epoch)),
        class_weights_(ClassWeights(train, encoder_->config().num_labels,
                                    options.class_weighting)),
        steps_per_epoch_(static_cast<int64_t>(
            (ExpectedEpochDraws(train) + options.batch_size - 1) /
            options.batch_size)) {}

  int64_t StepsPerEpoch() const override { return steps_per_epoch_; }

  void StartEpoch(int /*epoch*/, std::mt19937_64& rng) override {
    order_ = EpochDraws(train_, rng);
    if (options_.group_by_length) {
      order_ = GroupByLength(std::move(order_), train_, options_.window_tokens,
                             static_cast<size_t>(options_.batch_size), rng);
    }
    loss_sum_ = 0.0;
  }

  int64_t Step(int epoch, int64_t step, std::mt19937_64& rng) override {
    const size_t from = static_cast<size_t>(step * options_.batch_size);
    const size_t to = std::min(order_.size(), from + options_.batch_size);
    const std::vector<size_t> indices(order_.begin() + from,
                                      order_.begin() + to);
    const ModelConfig& config = encoder_->config();
    const Batch batch = TrainingBatch(train_, indices, options_, config, rng);
    adamw_.SetLearningRate(
        ScheduledLearningRate(options_.learning_rate, options_.warmup_fraction,
                              (epoch - 1) * steps_per_epoch_ + step,
                              steps_per_epoch_ * options_.epochs));
    adamw_.optimizer->zero_grad();
    const torch::Tensor logits = encoder_->forward(batch.ids, batch.lengths);
    torch::Tensor loss;
    if (config.problem_type == ProblemType::kMultiLabel) {
      loss = torch::binary_cross_entropy_with_logits(logits, batch.targets);
    } else {
      auto loss_options =
          torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
              options_.label_smoothing);
      loss_options.weight(class_weights_);
      loss = torch::nn::functional::cross_entropy(logits, batch.targets,
                                                  loss_options);
    }
    loss.backward();
    torch::nn::utils::clip_grad_norm_(encoder_->parameters(),
                                      options_.max_grad_norm);
    adamw_.optimizer->step();
    loss_sum_ += loss.item<double>();
    return batch.tokens;
  }

  double RunningLoss(int64_t steps) const override {
    return loss_sum_ / static_cast<double>(steps);
  }

  nlohmann::json RunningFigures() const override {
    return {{"loss_sum", loss_sum_}};
  }
  void RestoreRunningFigures(const nlohmann::json& figures) override {
    loss_sum_ = figures.at("loss_sum").get<double>();
  }

  absl::Status FinishEpoch(int epoch, Clock::time_point started) override {
    absl::StatusOr<Selection> selection =
        Validate(encoder_, validation_, options_);
    if (!selection.ok()) return selection.status();
    EpochSummary summary;
    summary.epoch = epoch;
    summary.train_loss = loss_sum_ / static_cast<double>(steps_per_epoch_);
    summary.validation_macro_f1 = selection->macro_f1;
    summary.validation_accuracy = selection->accuracy;
    summary.best = validation_.empty() || best_state_.empty() ||
                   selection->Improves(best_);
    if (summary.best) {
      best_ = *selection;
      best_state_ = CloneState(encoder_);
    }
    summary.seconds =
        std::chrono::duration<double>(Clock::now() - started).count();
    summaries_.push_back(summary);
    if (on_epoch_) on_epoch_(summary);
    return absl::OkStatus();
  }

  void SaveState(const fs::path& directory,
                 nlohmann::json& state) const override {
    SaveNamed(best_state_, directory / kBestCheckpoint);
    state["best_macro_f1"] = best_.macro_f1;
    state["best_accuracy"] = best_.accuracy;
  }
  void LoadState(const fs::path& directory,
                 const nlohmann::json& state) override {
    best_state_ = LoadNamed(directory / kBestCheckpoint);
    best_ = Selection{state.at("best_macro_f1").get<double>(),
                      state.at("best_accuracy").get<double>()};
  }

  // The encoder back at the best epoch's weights.
  void RestoreBest() {
    if (!best_state_.empty()) RestoreState(encoder_, best_state_);
  }

  const std::vector<EpochSummary>& summaries() const { return summaries_; }

 private:
  Encoder encoder_;
  ScheduledAdamW& adamw_;
  const TrainerOptions& options_;
  const std::vector<Example>& train_;
  const std::vector<Example>& validation_;
  const std::function<void(const EpochSummary&)> on_epoch_;
  const torch::Tensor class_weights_;
  const int64_t steps_per_epoch_;
  std::vector<size_t> order_;
  double loss_sum_ = 0.0;
  Selection best_;
  NamedTensors best_state_;
  std::vector<EpochSummary> summaries_;
};

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
  if (absl::Status valid = CheckExamples(train, encoder_->config());
      !valid.ok()) {
    return valid;
  }
  if (absl::Status valid = CheckExamples(validation, encoder_->config());
      !valid.ok()) {
    return valid;
  }
  ScheduledAdamW adamw = MakeTrainerAdamW(*encoder_, options_);
  ClassificationTask task(encoder_, adamw, options_, train, validation,
                          on_epoch);
  if (task.StepsPerEpoch() == 0) {
    return absl::InvalidArgumentError("an epoch draws no training example");
  }
  EpochLoopOptions loop;
  loop.epochs = options_.epochs;
  loop.stop_after_epoch = options_.stop_after_epoch;
  loop.generator_seed = options_.seed * 1000003ULL;
  loop.torch_seed = options_.seed * 7919ULL;
  loop.checkpoints = options_.checkpoints;
  if (absl::Status ran = RunEpochs(task, *encoder_, *adamw.optimizer, loop,
                                   "training", on_progress);
      !ran.ok()) {
    return ran;
  }
  task.RestoreBest();
  encoder_->eval();
  return task.summaries();
}

}  // namespace wersa::train
