#ifndef WERSA_MODEL_TRAIN_TRAINER_H_
#define WERSA_MODEL_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/encoder.h"
#include "model/model_config.h"
#include "model/train/metrics.h"

namespace wersa::train {

// A tokenized document and the indices of its labels (exactly one for
// single-label problems).
struct Example {
  std::vector<int32_t> ids;
  std::vector<int> labels;
};

// How much a class's examples weigh in the single-label loss.
enum class ClassWeighting {
  kNone,         // every example 1
  kInverseSqrt,  // proportional to 1/sqrt(frequency)
  kInverse,      // proportional to 1/frequency: every class weighs the same
};

// "none", "inverse_sqrt" or "inverse".
absl::StatusOr<ClassWeighting> ParseClassWeighting(absl::string_view name);

struct TrainerOptions {
  int epochs = 10;
  int batch_size = 8;
  // Training sees a random window of at most this many tokens of each
  // document per epoch: augmentation, and bounded memory per step.
  int64_t window_tokens = 2048;
  // Evaluation reads each document's first tokens up to this limit.
  int64_t eval_max_tokens = 131072;
  double learning_rate = 1e-3;
  double weight_decay = 0.01;
  double warmup_fraction = 0.05;  // linear warm-up, then cosine decay to 0
  double max_grad_norm = 1.0;
  // Single-label only; see ClassWeights().
  ClassWeighting class_weighting = ClassWeighting::kInverseSqrt;
  double label_smoothing = 0.0;
  // Fraction of a training window's tokens dropped at random.
  double token_dropout = 0.0;
  uint64_t seed = 1;
  // Where the per-epoch checkpoint lives; empty: no checkpoints.
  std::string checkpoint_dir;
  bool resume = false;
  // Stop after this epoch (0: run all epochs). With a checkpoint, --resume
  // later continues exactly as an uninterrupted run: a long training run can
  // be done in slices.
  int stop_after_epoch = 0;
};

// Per-class loss weights of a single-label training set, normalised to mean 1
// over its examples so that the loss scale does not depend on the weighting.
// A class without training examples weighs 0.
torch::Tensor ClassWeights(const std::vector<Example>& train,
                           int64_t num_labels, ClassWeighting weighting);

struct EpochSummary {
  int epoch = 0;
  double train_loss = 0.0;
  double validation_accuracy = 0.0;
  double validation_macro_f1 = 0.0;
  double seconds = 0.0;
  bool best = false;
};

struct Progress {
  int epoch = 0;
  int epochs = 0;
  int64_t step = 0;   // within the epoch
  int64_t steps = 0;  // per epoch
  double loss = 0.0;  // running mean over the epoch
  double tokens_per_second = 0.0;
  double eta_seconds = 0.0;  // for the whole run
};

// Trains an encoder's classifier. The best epoch by validation macro-F1 (ties:
// accuracy) is kept: after Train() returns, the encoder holds its weights.
class Trainer {
 public:
  Trainer(Encoder encoder, TrainerOptions options);

  // on_progress is called after every step, on_epoch after every epoch.
  absl::StatusOr<std::vector<EpochSummary>> Train(
      const std::vector<Example>& train, const std::vector<Example>& validation,
      const std::function<void(const Progress&)>& on_progress,
      const std::function<void(const EpochSummary&)>& on_epoch);

 private:
  // Train() without the conversion of LibTorch's exceptions.
  absl::StatusOr<std::vector<EpochSummary>> TrainEpochs(
      const std::vector<Example>& train, const std::vector<Example>& validation,
      const std::function<void(const Progress&)>& on_progress,
      const std::function<void(const EpochSummary&)>& on_epoch);

  Encoder encoder_;
  TrainerOptions options_;
};

// What Evaluate() needs for `examples` (each read up to max_tokens tokens)
// under the given label names: the scores of the members (one encoder, or a
// bundle's ensemble; model/ensemble.h), the truth and lengths.
EvaluationInput MakeEvaluationInput(const std::vector<Encoder>& members,
                                    const std::vector<Example>& examples,
                                    const std::vector<std::string>& label_names,
                                    int64_t max_tokens);

// The metrics of model/train/metrics.h for `examples` (each read up to
// max_tokens tokens) under the given label names.
absl::StatusOr<EvaluationReport> EvaluateExamples(
    const std::vector<Encoder>& members, const std::vector<Example>& examples,
    const std::vector<std::string>& label_names, int64_t max_tokens);

// Label scores for every example (head truncated to max_tokens), in batches
// of similar lengths; eval mode, no gradients.
std::vector<std::vector<float>> ScoreExamples(
    const std::vector<Encoder>& members, const std::vector<Example>& examples,
    int64_t max_tokens, int64_t batch_tokens = 65536);

}  // namespace wersa::train

#endif  // WERSA_MODEL_TRAIN_TRAINER_H_
