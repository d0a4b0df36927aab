#include "model/train/pretrainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <utility>

#include "model/train/epoch_loop.h"
#include "model/train/training_support.h"

namespace wersa::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Window batches are formed among this many batches' worth of windows sorted
// by length, so short windows (abstracts) share batches and pad little.
constexpr size_t kBucketBatches = 64;

constexpr char kOutputBiasCheckpoint[] = "output_bias.pt";

struct Window {
  size_t document;
  int64_t start;
  int64_t length;
};

std::vector<Window> CutWindows(
    const std::vector<std::vector<int32_t>>& documents, int64_t window_tokens) {
  std::vector<Window> windows;
  for (size_t d = 0; d < documents.size(); ++d) {
    const auto length = static_cast<int64_t>(documents[d].size());
    for (int64_t start = 0; start < length; start += window_tokens) {
      windows.push_back({d, start, std::min(window_tokens, length - start)});
    }
  }
  return windows;
}

// Batches of window indices: shuffled, bucketed by length, batch order
// shuffled.
std::vector<std::vector<size_t>> PlanBatches(const std::vector<Window>& windows,
                                             int batch_size,
                                             std::mt19937_64& rng) {
  std::vector<size_t> order(windows.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t bucket = kBucketBatches * static_cast<size_t>(batch_size);
  for (size_t begin = 0; begin < order.size(); begin += bucket) {
    const auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(
                                         order.size(), begin + bucket));
    std::sort(order.begin() + static_cast<std::ptrdiff_t>(begin), end,
              [&](size_t a, size_t b) {
                return windows[a].length < windows[b].length;
              });
  }
  std::vector<std::vector<size_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += batch_size) {
    batches.emplace_back(
        order.begin() + static_cast<std::ptrdiff_t>(begin),
        order.begin() + static_cast<std::ptrdiff_t>(
                            std::min(order.size(), begin + batch_size)));
  }
  std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

// Masked-token pre-training in the epoch loop: a share of each window's
// tokens replaced by the mask id and predicted from the encoder's states
// through the tied embedding matrix and an output bias of its own.
class MaskedTokenTask : public EpochTask {
 public:
  MaskedTokenTask(Encoder encoder, const PretrainerOptions& options,
                  const std::vector<std::vector<int32_t>>& documents,
                  const std::vector<Window>& windows,
                  std::function<void(const PretrainEpochSummary&)> on_epoch)
      : encoder_(std::move(encoder)),
        options_(options),
        documents_(documents),
        windows_(windows),
        on_epoch_(std::move(on_epoch)),
        output_bias_(torch::zeros({encoder_->config().vocab_size},
                                  torch::requires_grad())),
        parameters_(WithOutputBias(encoder_->parameters(), output_bias_)),
        adamw_(MakeAdamW(parameters_, options.learning_rate,
                         options.weight_decay)),
        steps_per_epoch_(static_cast<int64_t>(
            (windows.size() + options.batch_size - 1) / options.batch_size)) {}

  torch::optim::Optimizer& optimizer() { return *adamw_.optimizer; }

  int64_t StepsPerEpoch() const override { return steps_per_epoch_; }

  void StartEpoch(int epoch, std::mt19937_64& rng) override {
    batches_ = PlanBatches(windows_, options_.batch_size, rng);
    figures_ = PretrainEpochSummary{};
    figures_.epoch = epoch;
    loss_sum_ = 0.0;
    masked_total_ = 0;
    masked_right_ = 0;
  }

  int64_t Step(int epoch, int64_t step, std::mt19937_64& rng) override {
    std::bernoulli_distribution masked(options_.mask_fraction);
    std::vector<std::vector<int32_t>> inputs;
    std::vector<int64_t> targets;
    std::vector<std::pair<int64_t, int64_t>> masked_at;  // (row, token)
    int64_t tokens = 0;
    for (const size_t w : batches_[step]) {
      const Window& window = windows_[w];
      const auto& ids = documents_[window.document];
      std::vector<int32_t> input(ids.begin() + window.start,
                                 ids.begin() + window.start + window.length);
      for (int64_t t = 0; t < window.length; ++t) {
        if (masked(rng)) {
          masked_at.emplace_back(static_cast<int64_t>(inputs.size()), t);
          targets.push_back(input[t]);
          input[t] = options_.mask_id;
        }
      }
      tokens += window.length;
      inputs.push_back(std::move(input));
    }
    figures_.tokens += tokens;
    if (targets.empty()) return tokens;
    auto [ids, lengths] = PadSequences(inputs);
    // Flat indices b * longest + t of the masked tokens.
    std::vector<int64_t> positions;
    positions.reserve(masked_at.size());
    for (const auto& [row, token] : masked_at) {
      positions.push_back(row * ids.size(1) + token);
    }

    adamw_.SetLearningRate(
        ScheduledLearningRate(options_.learning_rate, options_.warmup_fraction,
                              (epoch - 1) * steps_per_epoch_ + step,
                              steps_per_epoch_ * options_.epochs));
    adamw_.optimizer->zero_grad();
    const torch::Tensor states = encoder_->Encode(ids, lengths);
    const torch::Tensor picked = states.reshape({-1, states.size(2)})
                                     .index_select(0, torch::tensor(positions));
    const torch::Tensor logits =
        torch::matmul(picked, encoder_->embedding_weight().t()) + output_bias_;
    const torch::Tensor truth = torch::tensor(targets);
    const torch::Tensor loss = torch::cross_entropy_loss(logits, truth);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(parameters_, options_.max_grad_norm);
    adamw_.optimizer->step();

    loss_sum_ += loss.item<double>() * static_cast<double>(targets.size());
    masked_total_ += static_cast<int64_t>(targets.size());
    masked_right_ += (logits.argmax(1) == truth).sum().item<int64_t>();
    return tokens;
  }

  double RunningLoss(int64_t /*steps*/) const override {
    return masked_total_ > 0 ? loss_sum_ / static_cast<double>(masked_total_)
                             : 0.0;
  }

  nlohmann::json RunningFigures() const override {
    return {{"loss_sum", loss_sum_},
            {"masked_total", masked_total_},
            {"masked_right", masked_right_},
            {"epoch_tokens", figures_.tokens}};
  }
  void RestoreRunningFigures(const nlohmann::json& figures) override {
    loss_sum_ = figures.at("loss_sum").get<double>();
    masked_total_ = figures.at("masked_total").get<int64_t>();
    masked_right_ = figures.at("masked_right").get<int64_t>();
    figures_.tokens = figures.at("epoch_tokens").get<int64_t>();
  }

  absl::Status FinishEpoch(int /*epoch*/, Clock::time_point started) override {
    figures_.loss = RunningLoss(0);
    figures_.masked_accuracy = masked_total_ > 0
                                   ? static_cast<double>(masked_right_) /
                                         static_cast<double>(masked_total_)
                                   : 0.0;
    figures_.seconds =
        std::chrono::duration<double>(Clock::now() - started).count();
    summaries_.push_back(figures_);
    if (on_epoch_) on_epoch_(figures_);
    return absl::OkStatus();
  }

  void SaveState(const fs::path& directory,
                 nlohmann::json& /*state*/) const override {
    torch::save(output_bias_, (directory / kOutputBiasCheckpoint).string());
  }
  void LoadState(const fs::path& directory,
                 const nlohmann::json& /*state*/) override {
    torch::Tensor bias;
    torch::load(bias, (directory / kOutputBiasCheckpoint).string());
    torch::NoGradGuard no_grad;
    output_bias_.copy_(bias);
  }

  const std::vector<PretrainEpochSummary>& summaries() const {
    return summaries_;
  }

 private:
  static std::vector<torch::Tensor> WithOutputBias(
      std::vector<torch::Tensor> parameters, const torch::Tensor& bias) {
    parameters.push_back(bias);
    return parameters;
  }

  Encoder encoder_;
  const PretrainerOptions& options_;
  const std::vector<std::vector<int32_t>>& documents_;
  const std::vector<Window>& windows_;
  const std::function<void(const PretrainEpochSummary&)> on_epoch_;
  torch::Tensor output_bias_;
  const std::vector<torch::Tensor> parameters_;
  ScheduledAdamW adamw_;
  const int64_t steps_per_epoch_;
  std::vector<std::vector<size_t>> batches_;
  PretrainEpochSummary figures_;
  double loss_sum_ = 0.0;
  int64_t masked_total_ = 0;
  int64_t masked_right_ = 0;
  std::vector<PretrainEpochSummary> summaries_;
};

}  // namespace

Pretrainer::Pretrainer(Encoder encoder, PretrainerOptions options)
    : encoder_(std::move(encoder)), options_(std::move(options)) {}

absl::StatusOr<std::vector<PretrainEpochSummary>> Pretrainer::Train(
    const std::vector<std::vector<int32_t>>& documents,
    const std::function<void(const Progress&)>& on_progress,
    const std::function<void(const PretrainEpochSummary&)>& on_epoch) {
  return StatusFromTorchErrors("pre-training", [&] {
    return TrainEpochs(documents, on_progress, on_epoch);
  });
}

absl::StatusOr<std::vector<PretrainEpochSummary>> Pretrainer::TrainEpochs(
    const std::vector<std::vector<int32_t>>& documents,
    const std::function<void(const Progress&)>& on_progress,
    const std::function<void(const PretrainEpochSummary&)>& on_epoch) {
  const std::vector<Window> windows =
      CutWindows(documents, options_.window_tokens);
  if (windows.empty()) {
    return absl::InvalidArgumentError("no pre-training text");
  }
  MaskedTokenTask task(encoder_, options_, documents, windows, on_epoch);
  EpochLoopOptions loop;
  loop.epochs = options_.epochs;
  loop.generator_seed = options_.seed * 1000033ULL;
  loop.torch_seed = options_.seed * 104729ULL;
  loop.checkpoints = options_.checkpoints;
  if (absl::Status ran = RunEpochs(task, *encoder_, task.optimizer(), loop,
                                   "pre-training", on_progress);
      !ran.ok()) {
    return ran;
  }
  return task.summaries();
}

}  // namespace wersa::train
