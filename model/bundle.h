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
inline constexpr char kWeightsFile[] = "weights.pt";
inline constexpr char kEvalFile[] = "eval.json";

// A trained classifier as stored on disk: architecture, labels in head
// order, tokenizer, weights (every parameter and buffer, the random feature
// matrices included, bit for bit) and, once evaluated, eval.json.
struct ModelBundle {
  ModelConfig config;
  std::vector<std::string> labels;
  Tokenizer tokenizer;
  Encoder encoder;
  std::optional<std::string> eval_json;  // the raw eval.json, when present
};

// Loads and validates a bundle directory. Every error names the file and
// what does not match: a missing file, unreadable or truncated weights, a
// tensor missing, unexpected or of the wrong shape, a label count or a
// vocabulary size that disagrees with config.json.
absl::StatusOr<ModelBundle> LoadBundle(const std::string& directory);

// Writes the bundle into `directory` (created if needed); each file is
// written to a temporary name first and renamed into place.
absl::Status SaveBundle(const ModelBundle& bundle,
                        const std::string& directory);

}  // namespace wersa

#endif  // WERSA_MODEL_BUNDLE_H_
