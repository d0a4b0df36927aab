#ifndef WERSA_MODEL_TRAIN_EPOCH_LOOP_H_
#define WERSA_MODEL_TRAIN_EPOCH_LOOP_H_

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wersa::train {

struct Progress {
  int epoch = 0;
  int epochs = 0;
  int64_t step = 0;   // within the epoch
  int64_t steps = 0;  // per epoch
  double loss = 0.0;  // running mean over the epoch
  double tokens_per_second = 0.0;
  double eta_seconds = 0.0;  // for the whole run
};

// One kind of training (classification, masked-token pre-training) as the
// epoch loop drives it. The loop owns the epochs, the generators, progress
// and checkpoints; the task owns its batches, its loss and its figures.
class EpochTask {
 public:
  virtual ~EpochTask() = default;

  // Steps of every epoch.
  virtual int64_t StepsPerEpoch() const = 0;

  // Plans an epoch's batches from its freshly seeded generator; the epoch's
  // running figures start from zero.
  virtual void StartEpoch(int epoch, std::mt19937_64& rng) = 0;

  // Takes one optimizer step (LibTorch errors are thrown, as everywhere in
  // the loop); returns the tokens it read.
  virtual int64_t Step(int epoch, int64_t step, std::mt19937_64& rng) = 0;

  // The mean loss of the epoch so far, `steps` steps into it.
  virtual double RunningLoss(int64_t steps) const = 0;

  // The epoch's running figures, saved in a mid-epoch checkpoint, and their
  // restoration when a run resumes there.
  virtual nlohmann::json RunningFigures() const = 0;
  virtual void RestoreRunningFigures(const nlohmann::json& figures) = 0;

  // After the epoch's last step: validation, the epoch's summary.
  virtual absl::Status FinishEpoch(
      int epoch, std::chrono::steady_clock::time_point started) = 0;

  // What the task keeps in a checkpoint beside the model and optimizer:
  // files in `directory` and fields of its state.json.
  virtual void SaveState(const std::filesystem::path& directory,
                         nlohmann::json& state) const = 0;
  virtual void LoadState(const std::filesystem::path& directory,
                         const nlohmann::json& state) = 0;
};

// Where a run keeps its checkpoint and how often it writes it.
struct CheckpointOptions {
  std::string dir;  // empty: no checkpoints
  // Continue from the checkpoint in `dir` when there is one (a run
  // interrupted before its first checkpoint starts at epoch 1).
  bool resume = false;
  // Also checkpoint every this many steps within an epoch (0: at its end
  // only), so that an interrupted epoch resumes where it stopped.
  int64_t every_steps = 0;
};

struct EpochLoopOptions {
  int epochs = 1;
  // Stop after this epoch (0: run all); a resumed run continues.
  int stop_after_epoch = 0;
  // Epoch e seeds its generator with generator_seed + e and LibTorch's with
  // torch_seed + e, so that a resumed run continues exactly as an
  // uninterrupted one.
  uint64_t generator_seed = 0;
  uint64_t torch_seed = 0;
  CheckpointOptions checkpoints;
};

// Runs `task`'s epochs on `model` and `optimizer`, resuming from and writing
// checkpoints (model.pt, optimizer.pt, state.json last, torch_rng.pt within an
// epoch, and the task's own files) as `options` say. `what` names the run in
// errors ("training", "pre-training").
absl::Status RunEpochs(EpochTask& task, torch::nn::Module& model,
                       torch::optim::Optimizer& optimizer,
                       const EpochLoopOptions& options, const std::string& what,
                       const std::function<void(const Progress&)>& on_progress);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_EPOCH_LOOP_H_
