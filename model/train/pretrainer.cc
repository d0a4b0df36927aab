#include "model/train/pretrainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/train/training_support.h"

namespace wersa::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Window batches are formed among this many batches' worth of windows sorted
// by length, so short windows (abstracts) share batches and pad little.
constexpr size_t kBucketBatches = 64;

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
  const int64_t vocab = encoder_->config().vocab_size;

  // The output bias of the masked-token head; its weights are the embeddings.
  torch::Tensor output_bias = torch::zeros({vocab}, torch::requires_grad());
  std::vector<torch::Tensor> parameters = encoder_->parameters();
  parameters.push_back(output_bias);
  ScheduledAdamW adamw =
      MakeAdamW(parameters, options_.learning_rate, options_.weight_decay);
  torch::optim::AdamW& optimizer = *adamw.optimizer;

  const auto steps_per_epoch = static_cast<int64_t>(
      (windows.size() + options_.batch_size - 1) / options_.batch_size);
  const int64_t total_steps = steps_per_epoch * options_.epochs;

  const fs::path checkpoints(options_.checkpoint_dir);
  int first_epoch = 1;
  if (options_.resume && fs::exists(checkpoints / "state.json")) {
    try {
      torch::load(encoder_, (checkpoints / "model.pt").string());
      torch::load(optimizer, (checkpoints / "optimizer.pt").string());
      torch::Tensor bias;
      torch::load(bias, (checkpoints / "output_bias.pt").string());
      torch::NoGradGuard no_grad;
      output_bias.copy_(bias);
      std::ifstream state(checkpoints / "state.json");
      first_epoch = nlohmann::json::parse(state).at("epoch").get<int>() + 1;
    } catch (const std::exception& e) {
      return absl::DataLossError(
          absl::StrCat("cannot resume pre-training from '",
                       options_.checkpoint_dir, "': ", e.what()));
    }
  }

  std::vector<PretrainEpochSummary> summaries;
  const auto run_start = Clock::now();
  int64_t steps_this_run = 0;
  for (int epoch = first_epoch; epoch <= options_.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    std::mt19937_64 rng(options_.seed * 1000033ULL +
                        static_cast<uint64_t>(epoch));
    torch::manual_seed(options_.seed * 104729ULL +
                       static_cast<uint64_t>(epoch));
    const std::vector<std::vector<size_t>> batches =
        PlanBatches(windows, options_.batch_size, rng);
    encoder_->train();
    std::bernoulli_distribution masked(options_.mask_fraction);
    PretrainEpochSummary summary;
    summary.epoch = epoch;
    double loss_sum = 0.0;
    int64_t masked_total = 0;
    int64_t masked_right = 0;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      std::vector<std::vector<int32_t>> inputs;
      std::vector<int64_t>
          positions;  // flat index b * longest + t, filled below
      std::vector<int64_t> targets;
      std::vector<std::pair<int64_t, int64_t>> masked_at;  // (row, token)
      for (const size_t w : batches[step]) {
        const Window& window = windows[w];
        const auto& ids = documents[window.document];
        std::vector<int32_t> input(ids.begin() + window.start,
                                   ids.begin() + window.start + window.length);
        for (int64_t t = 0; t < window.length; ++t) {
          if (masked(rng)) {
            masked_at.emplace_back(static_cast<int64_t>(inputs.size()), t);
            targets.push_back(input[t]);
            input[t] = options_.mask_id;
          }
        }
        summary.tokens += window.length;
        inputs.push_back(std::move(input));
      }
      if (targets.empty()) continue;
      auto [ids, lengths] = PadSequences(inputs);
      positions.reserve(masked_at.size());
      for (const auto& [row, token] : masked_at) {
        positions.push_back(row * ids.size(1) + token);
      }

      adamw.SetLearningRate(ScheduledLearningRate(
          options_.learning_rate, options_.warmup_fraction,
          (epoch - 1) * steps_per_epoch + step, total_steps));
      optimizer.zero_grad();
      const torch::Tensor states = encoder_->Encode(ids, lengths);
      const torch::Tensor picked =
          states.reshape({-1, states.size(2)})
              .index_select(0, torch::tensor(positions));
      const torch::Tensor logits =
          torch::matmul(picked, encoder_->embedding_weight().t()) + output_bias;
      const torch::Tensor truth = torch::tensor(targets);
      const torch::Tensor loss = torch::cross_entropy_loss(logits, truth);
      loss.backward();
      torch::nn::utils::clip_grad_norm_(parameters, options_.max_grad_norm);
      optimizer.step();

      loss_sum += loss.item<double>() * static_cast<double>(targets.size());
      masked_total += static_cast<int64_t>(targets.size());
      masked_right += (logits.argmax(1) == truth).sum().item<int64_t>();
      ++steps_this_run;
      if (on_progress) {
        const double elapsed =
            std::chrono::duration<double>(Clock::now() - epoch_start).count();
        const double run_elapsed =
            std::chrono::duration<double>(Clock::now() - run_start).count();
        const int64_t remaining = (options_.epochs - epoch) * steps_per_epoch +
                                  (steps_per_epoch - step - 1);
        on_progress(Progress{
            epoch, options_.epochs, step + 1, steps_per_epoch,
            loss_sum / static_cast<double>(masked_total),
            static_cast<double>(summary.tokens) / std::max(elapsed, 1e-9),
            run_elapsed / static_cast<double>(steps_this_run) *
                static_cast<double>(remaining)});
      }
    }
    summary.loss =
        masked_total > 0 ? loss_sum / static_cast<double>(masked_total) : 0.0;
    summary.masked_accuracy = masked_total > 0
                                  ? static_cast<double>(masked_right) /
                                        static_cast<double>(masked_total)
                                  : 0.0;
    summary.seconds =
        std::chrono::duration<double>(Clock::now() - epoch_start).count();
    summaries.push_back(summary);
    if (on_epoch) on_epoch(summary);
    if (!options_.checkpoint_dir.empty()) {
      try {
        fs::create_directories(checkpoints);
        torch::save(encoder_, (checkpoints / "model.pt").string());
        torch::save(optimizer, (checkpoints / "optimizer.pt").string());
        torch::save(output_bias, (checkpoints / "output_bias.pt").string());
        std::ofstream(checkpoints / "state.json")
            << nlohmann::json{{"epoch", epoch}}.dump() << "\n";
      } catch (const std::exception& e) {
        return absl::InternalError(
            absl::StrCat("writing the pre-training checkpoint: ", e.what()));
      }
    }
  }
  encoder_->eval();
  return summaries;
}

}  // namespace wersa::train
