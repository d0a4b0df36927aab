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

// AdamW with weight decay on matrices only: not on biases, norms, band
// scales or bandwidths.
std::unique_ptr<torch::optim::AdamW> MakeAdamW(
    const std::vector<torch::Tensor>& parameters, double learning_rate,
    double weight_decay);

void SetLearningRate(torch::optim::Optimizer& optimizer, double learning_rate);

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
