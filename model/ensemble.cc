#include "model/ensemble.h"

namespace wersa {

torch::Tensor EnsembleScores(const std::vector<Encoder>& members,
                             const torch::Tensor& ids,
                             const torch::Tensor& lengths) {
  // Holders are shared pointers: copies run the same modules.
  Encoder first = members.front();
  if (members.size() == 1) return first->Scores(first->forward(ids, lengths));
  const bool single_label =
      first->config().problem_type == ProblemType::kSingleLabel;
  torch::Tensor sum;
  for (Encoder member : members) {
    torch::Tensor logits = member->forward(ids, lengths);
    if (single_label) logits = torch::log_softmax(logits, -1);
    sum = sum.defined() ? sum + logits : logits;
  }
  return first->Scores(sum / static_cast<double>(members.size()));
}

}  // namespace wersa
