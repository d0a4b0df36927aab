#ifndef WERSA_MODEL_BUNDLE_H_
#define WERSA_MODEL_BUNDLE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/encoder.h"
#include "model/model_config.h"
#include "model/tokenizer.h"

namespace wersa {

// File names inside a bundle directory.
inline constexpr char kConfigFile[] = "config.json";
inline constexpr char kLabelsFile[] = "labels.txt";
inline constexpr char kTokenizerFile[] = "tokenizer.model";
inline constexpr char kWeightsFile[] = "weights.pt";  // member 0
inline constexpr char kEvalFile[] = "eval.json";

// The weights file of ensemble member `member`: kWeightsFile for member 0
// (so a one-member bundle is laid out as before ensembles existed), then
// "weights.1.pt", "weights.2.pt", ...
std::string WeightsFileName(int64_t member);

// A trained classifier as stored on disk: architecture, labels in head
// order, tokenizer, the weights of each member (every parameter and buffer,
// the random feature matrices included, bit for bit) and, once evaluated,
// eval.json.
struct ModelBundle {
  ModelConfig config;
  std::vector<std::string> labels;
  Tokenizer tokenizer;
  // config.ensemble_members encoders of config's architecture; their scores
  // are combined by EnsembleScores (model/ensemble.h).
  std::vector<Encoder> members;
  std::optional<std::string> eval_json;  // the raw eval.json, when present
};

// Loads and validates a bundle directory. Every error names the file and
// what does not match: a missing file (a member's weights included),
// unreadable or truncated weights, a tensor missing, unexpected or of the
// wrong shape, a label count or a vocabulary size that disagrees with
// config.json.
absl::StatusOr<ModelBundle> LoadBundle(const std::string& directory);

// Writes the bundle into `directory` (created if needed); each file is
// written to a temporary name first and renamed into place. Weights files of
// members past config.ensemble_members, left by an earlier bundle in the
// same directory, are removed. INVALID_ARGUMENT when the number of members
// is not config.ensemble_members.
absl::Status SaveBundle(const ModelBundle& bundle,
                        const std::string& directory);

}  // namespace wersa

#endif  // WERSA_MODEL_BUNDLE_H_
