#ifndef WERSA_MODEL_PREDICTOR_H_
#define WERSA_MODEL_PREDICTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/bundle.h"

namespace wersa {

struct PredictorOptions {
  // Intra-op threads for LibTorch and the BLAS; 0 means one per CPU.
  int num_threads = 0;
  // "cpu" or "cuda:N".
  std::string device = "cpu";
};

// Runs a bundle's encoders: a batch of token-id sequences in, label scores
// out.
// Not thread-safe: one worker owns a Predictor (docs/architecture.md).
class Predictor {
 public:
  static absl::StatusOr<std::unique_ptr<Predictor>> Create(
      ModelBundle bundle, const PredictorOptions& options);

  // scores[i][j] is label j's score for documents[i] (softmax over labels for
  // single_label, per-label sigmoid for multi_label). Every document needs
  // 1..max_tokens ids in [0, vocab_size); otherwise INVALID_ARGUMENT naming
  // the document. Sequences are padded to the longest; each document's scores
  // do not depend on the others in the batch.
  absl::StatusOr<std::vector<std::vector<float>>> Predict(
      const std::vector<std::vector<int32_t>>& documents);

  const ModelBundle& bundle() const { return bundle_; }
  const std::string& device() const { return device_name_; }

 private:
  Predictor(ModelBundle bundle, torch::Device device, std::string device_name);

  ModelBundle bundle_;
  torch::Device device_;
  std::string device_name_;
};

}  // namespace wersa

#endif  // WERSA_MODEL_PREDICTOR_H_
