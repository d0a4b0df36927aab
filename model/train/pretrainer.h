#ifndef WERSA_MODEL_TRAIN_PRETRAINER_H_
#define WERSA_MODEL_TRAIN_PRETRAINER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/encoder.h"
#include "model/train/epoch_loop.h"

namespace wersa::train {

struct PretrainerOptions {
  int epochs = 1;
  int batch_size = 16;
  // Documents are cut into windows of this many tokens; an epoch reads every
  // window once.
  int64_t window_tokens = 512;
  double mask_fraction = 0.15;
  // Masked positions read this id. SentencePiece's unknown piece (id 0) is
  // rare in text its own tokenizer encodes, and the model has no other use
  // for a dedicated mask piece.
  int32_t mask_id = 0;
  double learning_rate = 1e-3;
  double weight_decay = 0.01;
  double warmup_fraction = 0.05;
  double max_grad_norm = 1.0;
  uint64_t seed = 1;
  // An epoch over all the text outlasts a working session: checkpoint within
  // it.
  CheckpointOptions checkpoints;
};

struct PretrainEpochSummary {
  int epoch = 0;
  double loss = 0.0;
  double masked_accuracy = 0.0;  // share of masked tokens predicted exactly
  int64_t tokens = 0;
  double seconds = 0.0;
};

// Self-supervised masked-token pre-training of an encoder's embeddings and
// blocks: a share of each window's tokens is replaced by mask_id and
// predicted from Encode()'s states through the (tied) embedding matrix.
// The classification head is left untouched.
class Pretrainer {
 public:
  Pretrainer(Encoder encoder, PretrainerOptions options);

  absl::StatusOr<std::vector<PretrainEpochSummary>> Train(
      const std::vector<std::vector<int32_t>>& documents,
      const std::function<void(const Progress&)>& on_progress,
      const std::function<void(const PretrainEpochSummary&)>& on_epoch);

 private:
  // Train() without the conversion of LibTorch's exceptions.
  absl::StatusOr<std::vector<PretrainEpochSummary>> TrainEpochs(
      const std::vector<std::vector<int32_t>>& documents,
      const std::function<void(const Progress&)>& on_progress,
      const std::function<void(const PretrainEpochSummary&)>& on_epoch);

  Encoder encoder_;
  PretrainerOptions options_;
};

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_PRETRAINER_H_
