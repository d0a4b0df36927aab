#ifndef WERSA_MODEL_TRAIN_TRAINING_SUPPORT_H_
#define WERSA_MODEL_TRAIN_TRAINING_SUPPORT_H_

// Pieces the classifier trainer and the pre-trainer share.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace wersa::train {

// Linear warm-up over warmup_fraction of the steps, then cosine decay to 0.
double ScheduledLearningRate(double peak, double warmup_fraction, int64_t step,
                             int64_t total_steps);

// [B, longest] int64 ids (zero-padded) and [B] lengths.
std::pair<torch::Tensor, torch::Tensor> PadSequences(
    const std::vector<std::vector<int32_t>>& sequences);

// Parameters that train at their own multiple of the scheduled learning rate
// and with their own weight decay: the n-gram branch's table, a wide, sparse
// embedding that the encoder's rate and decay leave undertrained
// (docs/model.md).
struct SeparateParameters {
  std::vector<torch::Tensor> parameters;
  double learning_rate_scale = 1.0;
  double weight_decay = 0.0;
};

// AdamW whose parameter groups each run at a fixed multiple of one scheduled
// learning rate.
struct ScheduledAdamW {
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::vector<double> learning_rate_scales;  // one per parameter group

  // Sets every group's rate to learning_rate times its scale.
  void SetLearningRate(double learning_rate);
};

// AdamW with weight decay on matrices only: not on biases, norms, band
// scales or bandwidths. `separate`, when it holds parameters (which
// `parameters` then must not), forms a group of its own; without it the
// groups are those of earlier checkpoints.
ScheduledAdamW MakeAdamW(const std::vector<torch::Tensor>& parameters,
                         double learning_rate, double weight_decay,
                         const SeparateParameters& separate = {});

// Runs `run` (returning an absl::StatusOr) and turns what LibTorch throws (a
// token id past the vocabulary, an allocation that fails) into a status named
// after `what`: the trainers' callers get a status, as the Predictor's do.
template <typename Run>
auto StatusFromTorchErrors(absl::string_view what, const Run& run)
    -> decltype(run()) {
  try {
    return run();
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat(what, " failed: ", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, " ran out of memory"));
  }
}

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_TRAINING_SUPPORT_H_
