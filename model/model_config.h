#ifndef WERSA_MODEL_MODEL_CONFIG_H_
#define WERSA_MODEL_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wersa {

enum class ProblemType { kSingleLabel, kMultiLabel };
enum class AttentionKind { kWersa, kExact };
// How token states become one document vector (always over real tokens only):
// their mean; a softmax-weighted mean with learned token scores; or the
// mean and the element-wise maximum side by side.
enum class Pooling { kMean, kAttention, kMeanMax };

absl::string_view ProblemTypeName(ProblemType type);
absl::string_view AttentionKindName(AttentionKind kind);
// Inverses of the above; the error lists the accepted names.
absl::StatusOr<ProblemType> ParseProblemType(absl::string_view name);
absl::StatusOr<AttentionKind> ParseAttentionKind(absl::string_view name);
absl::string_view PoolingName(Pooling pooling);
absl::StatusOr<Pooling> ParsePooling(absl::string_view name);

// The architecture of an encoder, as stored in a bundle's config.json.
struct ModelConfig {
  static constexpr int kFormatVersion = 1;

  int format_version = kFormatVersion;
  std::string name = "wersa-classifier";
  std::string version = "0";
  int64_t vocab_size = 8000;
  int64_t d_model = 128;
  int64_t num_layers = 2;
  int64_t num_heads = 4;
  int64_t ffn_dim = 512;
  AttentionKind attention = AttentionKind::kWersa;
  int64_t wavelet_levels = 3;
  int64_t random_features = 128;
  bool shared_qk_features = true;
  int64_t gate_kernel_size = 33;
  int64_t position_kernel_size = 31;
  Pooling pooling = Pooling::kMean;
  double dropout = 0.1;
  int64_t max_tokens = 131072;
  ProblemType problem_type = ProblemType::kSingleLabel;
  int64_t num_labels = 2;
  // Encoders of this architecture whose scores the bundle averages (model/
  // ensemble.h): members trained alike from different seeds. 1: a single
  // encoder, as every bundle before the key existed.
  int64_t ensemble_members = 1;
  // A bag-of-n-grams branch beside the encoder (0: none): the mean of learned
  // vectors of each token and of each pair of neighbouring tokens (hashed
  // into this many buckets), ngram_dim wide, joins the pooled encoder state
  // before the head (docs/model.md, "The n-gram branch").
  int64_t ngram_buckets = 0;
  int64_t ngram_dim = 64;
  // false: the n-gram branch alone feeds the head, with no embedding,
  // attention or pooling; the model card's measure of what the encoder adds.
  bool encoder_branch = true;
  // Added to the logits in eval mode, never in training: the log ratio of the
  // class prior a user meets to the one the training mix taught, so that
  // scores are calibrated for the former (docs/model.md, "Prior
  // correction"). Empty: none; else num_labels values.
  std::vector<double> logit_bias;
};

inline constexpr int64_t kMaxEnsembleMembers = 16;
inline constexpr int64_t kMaxNgramBuckets = int64_t{1} << 24;

// Checks ranges and consistency; the message names the offending key.
absl::Status ValidateModelConfig(const ModelConfig& config);

// Parses config.json text; unknown keys and wrong types are errors.
absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text);
std::string SerializeModelConfig(const ModelConfig& config);

}  // namespace wersa

#endif  // WERSA_MODEL_MODEL_CONFIG_H_
