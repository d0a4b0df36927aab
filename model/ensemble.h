#ifndef WERSA_MODEL_ENSEMBLE_H_
#define WERSA_MODEL_ENSEMBLE_H_

#include <torch/torch.h>

#include <vector>

#include "model/encoder.h"

namespace wersa {

// Label scores [B, num_labels] of a batch from the members of a bundle:
// encoders of one architecture, trained alike from different seeds.
//
// Single-label: the softmax of the members' mean log-probabilities, i.e.
// their normalised geometric mean. Averaging in log space lets a member that
// is sure a label is wrong veto it, which measured better than the
// arithmetic mean on the shipped model's validation split
// (models/arxiv-archive-11/MODEL_CARD.md). Multi-label: the sigmoid of the
// mean logit, the same rule per label. One member: exactly its own
// Scores(forward()).
//
// `members` must be non-empty and share a config; ids and lengths as for
// EncoderImpl::forward.
torch::Tensor EnsembleScores(const std::vector<Encoder>& members,
                             const torch::Tensor& ids,
                             const torch::Tensor& lengths);

}  // namespace wersa

#endif  // WERSA_MODEL_ENSEMBLE_H_
