#ifndef WERSA_MODEL_TRAIN_TRAINING_SUPPORT_H_
#define WERSA_MODEL_TRAIN_TRAINING_SUPPORT_H_

// Pieces the classifier trainer and the pre-trainer share.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

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

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_TRAINING_SUPPORT_H_
