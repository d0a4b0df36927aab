#include "model/predictor.h"

#include <torch/torch.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/ensemble.h"
#include "model/thread_count.h"

namespace wersa {

Predictor::Predictor(ModelBundle bundle, torch::Device device,
                     std::string device_name)
    : bundle_(std::move(bundle)),
      device_(device),
      device_name_(std::move(device_name)) {}

absl::StatusOr<std::unique_ptr<Predictor>> Predictor::Create(
    ModelBundle bundle, const PredictorOptions& options) {
  if (options.num_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads must be >= 0, got ", options.num_threads));
  }
  try {
    const torch::Device device(options.device);
    if (device.is_cuda() && !torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "device ", options.device,
          " requested, but this LibTorch has no usable CUDA device"));
    }
    torch::set_num_threads(ResolveThreadCount(options.num_threads));
    for (Encoder& member : bundle.members) {
      member->to(device);
      member->eval();
    }
    return std::unique_ptr<Predictor>(
        new Predictor(std::move(bundle), device, device.str()));
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot place the model on '", options.device,
                     "': ", e.what_without_backtrace()));
  }
}

absl::StatusOr<std::vector<std::vector<float>>> Predictor::Predict(
    const std::vector<std::vector<int32_t>>& documents) {
  if (documents.empty()) return std::vector<std::vector<float>>{};
  const ModelConfig& config = bundle_.config;
  size_t longest = 0;
  for (size_t i = 0; i < documents.size(); ++i) {
    const auto& ids = documents[i];
    if (ids.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("document ", i, " has no tokens"));
    }
    if (static_cast<int64_t>(ids.size()) > config.max_tokens) {
      return absl::InvalidArgumentError(
          absl::StrCat("document ", i, " has ", ids.size(),
                       " tokens, over the limit of ", config.max_tokens));
    }
    for (const int32_t id : ids) {
      if (id < 0 || id >= config.vocab_size) {
        return absl::InvalidArgumentError(
            absl::StrCat("document ", i, " has token id ", id, ", outside [0, ",
                         config.vocab_size, ")"));
      }
    }
    longest = std::max(longest, ids.size());
  }

  try {
    torch::InferenceMode inference;
    const auto batch = static_cast<int64_t>(documents.size());
    torch::Tensor ids =
        torch::zeros({batch, static_cast<int64_t>(longest)}, torch::kInt64);
    torch::Tensor lengths = torch::empty({batch}, torch::kInt64);
    auto ids_rows = ids.accessor<int64_t, 2>();
    auto length_values = lengths.accessor<int64_t, 1>();
    for (int64_t b = 0; b < batch; ++b) {
      const auto& doc = documents[b];
      std::copy(doc.begin(), doc.end(), &ids_rows[b][0]);
      length_values[b] = static_cast<int64_t>(doc.size());
    }
    const torch::Tensor scores =
        EnsembleScores(bundle_.members, ids.to(device_), lengths.to(device_))
            .to(torch::kCPU, torch::kFloat32)
            .contiguous();
    std::vector<std::vector<float>> result(batch);
    const float* data = scores.data_ptr<float>();
    const int64_t labels = scores.size(1);
    for (int64_t b = 0; b < batch; ++b) {
      result[b].assign(data + b * labels, data + (b + 1) * labels);
    }
    return result;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("inference failed: ", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("inference ran out of memory");
  }
}

}  // namespace wersa
