#include "model/train/training_support.h"

#include <algorithm>
#include <cmath>

namespace wersa::train {

double ScheduledLearningRate(double peak, double warmup_fraction, int64_t step,
                             int64_t total_steps) {
  const int64_t warmup =
      std::max<int64_t>(1, std::llround(warmup_fraction * total_steps));
  if (step < warmup) {
    return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  }
  const double progress =
      static_cast<double>(step - warmup) /
      static_cast<double>(std::max<int64_t>(1, total_steps - warmup));
  return peak * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

std::pair<torch::Tensor, torch::Tensor> PadSequences(
    const std::vector<std::vector<int32_t>>& sequences) {
  size_t longest = 0;
  for (const auto& ids : sequences) longest = std::max(longest, ids.size());
  const auto batch = static_cast<int64_t>(sequences.size());
  torch::Tensor ids =
      torch::zeros({batch, static_cast<int64_t>(longest)}, torch::kInt64);
  torch::Tensor lengths = torch::empty({batch}, torch::kInt64);
  auto rows = ids.accessor<int64_t, 2>();
  auto length_values = lengths.accessor<int64_t, 1>();
  for (int64_t b = 0; b < batch; ++b) {
    std::copy(sequences[b].begin(), sequences[b].end(), &rows[b][0]);
    length_values[b] = static_cast<int64_t>(sequences[b].size());
  }
  return {ids, lengths};
}

ScheduledAdamW MakeAdamW(const std::vector<torch::Tensor>& parameters,
                         double learning_rate, double weight_decay,
                         const SeparateParameters& separate) {
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> plain;
  for (const torch::Tensor& p : parameters) {
    (p.dim() >= 2 ? decayed : plain).push_back(p);
  }
  ScheduledAdamW adamw;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  const auto add_group = [&](std::vector<torch::Tensor> group, double scale,
                             double decay) {
    groups.emplace_back(std::move(group),
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(learning_rate * scale)
                                .weight_decay(decay)));
    adamw.learning_rate_scales.push_back(scale);
  };
  add_group(decayed, 1.0, weight_decay);
  add_group(plain, 1.0, 0.0);
  if (!separate.parameters.empty()) {
    add_group(separate.parameters, separate.learning_rate_scale,
              separate.weight_decay);
  }
  adamw.optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups));
  return adamw;
}

void ScheduledAdamW::SetLearningRate(double learning_rate) {
  auto& groups = optimizer->param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    static_cast<torch::optim::AdamWOptions&>(groups[i].options())
        .lr(learning_rate * learning_rate_scales[i]);
  }
}

}  // namespace wersa::train
