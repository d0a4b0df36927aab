#ifndef WERSA_MODEL_TRAIN_TRAINER_H_
#define WERSA_MODEL_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/encoder.h"
#include "model/model_config.h"
#include "model/train/epoch_loop.h"
#include "model/train/metrics.h"

namespace wersa::train {

// A tokenized document and the indices of its labels (exactly one for
// single-label problems). sampling_weight: how many times an epoch draws it,
// in expectation (its data source's weight; > 0).
struct Example {
  std::vector<int32_t> ids;
  std::vector<int> labels;
  double sampling_weight = 1.0;
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
  // The n-gram table's rate, as a multiple of learning_rate, and its weight
  // decay (negative: weight_decay). Both at their defaults, it trains in the
  // encoder's groups.
  double ngram_learning_rate_scale = 1.0;
  double ngram_weight_decay = -1.0;
  double warmup_fraction = 0.05;  // linear warm-up, then cosine decay to 0
  double max_grad_norm = 1.0;
  // Single-label only; see ClassWeights().
  ClassWeighting class_weighting = ClassWeighting::kInverseSqrt;
  double label_smoothing = 0.0;
  // Fraction of a training window's tokens dropped at random.
  double token_dropout = 0.0;
  uint64_t seed = 1;
  CheckpointOptions checkpoints;
  // Stop after this epoch (0: run all epochs). With a checkpoint, --resume
  // later continues exactly as an uninterrupted run: a long training run can
  // be done in slices.
  int stop_after_epoch = 0;
  // Batches of draws of similar length (GroupByLength), so that a batch of
  // abstracts is not padded to a full text's window.
  bool group_by_length = false;
};

// The logit bias (ModelConfig::logit_bias) that turns a model trained on
// `train` under `weighting` into one calibrated for the class prior of
// `reference` (the first data source's training split): for each class,
// log(reference prior) - log(effective training prior), where the effective
// prior counts each example by its sampling_weight times its class's loss
// weight (ClassWeights). The reference counts get 0.5 added, so that a class
// it lacks gets a large negative bias, not an infinite one. A class without
// training examples gets 0.
std::vector<double> PriorCorrection(const std::vector<Example>& train,
                                    const std::vector<Example>& reference,
                                    int64_t num_labels,
                                    ClassWeighting weighting);

// The examples one epoch draws, in order: example i floor(w_i) times, plus
// once more for a random round(f * n) of the n examples that share a weight
// with fractional part f, all shuffled. Its size is the same every epoch
// (EpochDraws(...).size() == ExpectedEpochDraws(train)).
std::vector<size_t> EpochDraws(const std::vector<Example>& train,
                               std::mt19937_64& rng);
size_t ExpectedEpochDraws(const std::vector<Example>& train);

// `draws` reordered so that each run of batch_size consecutive entries is a
// batch of similar training lengths (min(tokens, window_tokens)): every
// chunk of 64 batches in draw order is sorted by length and cut into
// batches, and the full batches are shuffled; a last, partial batch stays
// last. The batches hold the same draws as before.
std::vector<size_t> GroupByLength(std::vector<size_t> draws,
                                  const std::vector<Example>& train,
                                  int64_t window_tokens, size_t batch_size,
                                  std::mt19937_64& rng);

// Per-class loss weights of a single-label training set, normalised to mean 1
// over the draws of an epoch so that the loss scale does not depend on the
// weighting. Class frequencies count each example by its sampling_weight. A
// class without training examples weighs 0.
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
