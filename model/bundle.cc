#include "model/bundle.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/labels.h"
#include "model/zip_container.h"

namespace wersa {
namespace {

namespace fs = std::filesystem;

std::string ShapeString(c10::IntArrayRef shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Prefixes a status message with the file it concerns.
absl::Status InFile(const fs::path& file, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(file.string(), ": ", status.message()));
}

absl::StatusOr<std::string> ReadFile(const fs::path& file) {
  std::error_code error;
  if (!fs::is_regular_file(file, error)) {
    return absl::NotFoundError(
        absl::StrCat(file.string(), ": missing from the bundle"));
  }
  std::ifstream stream(file, std::ios::binary);
  if (!stream) {
    return absl::PermissionDeniedError(
        absl::StrCat(file.string(), ": cannot open"));
  }
  std::string bytes((std::istreambuf_iterator<char>(stream)),
                    std::istreambuf_iterator<char>());
  if (stream.bad()) {
    return absl::DataLossError(absl::StrCat(file.string(), ": read failed"));
  }
  return bytes;
}

absl::Status WriteFileAtomically(const fs::path& file, const char* data,
                                 size_t size) {
  const fs::path temporary = fs::path(file.string() + ".tmp");
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    stream.write(data, static_cast<std::streamsize>(size));
    stream.close();
    if (!stream) {
      return absl::InternalError(
          absl::StrCat(temporary.string(), ": write failed"));
    }
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat(file.string(), ": rename failed: ", error.message()));
  }
  return absl::OkStatus();
}

// All parameters and buffers of the encoder, by their module path.
std::vector<std::pair<std::string, torch::Tensor>> NamedState(
    const Encoder& encoder) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& item : encoder->named_parameters()) {
    state.emplace_back(item.key(), item.value());
  }
  for (const auto& item : encoder->named_buffers()) {
    state.emplace_back(item.key(), item.value());
  }
  return state;
}

absl::Status LoadWeights(const std::string& bytes, Encoder& encoder) {
  // LibTorch's zip reader trusts the container's offsets (and reads out of
  // bounds on some truncated files): it only sees a consistent archive.
  if (absl::Status container = ValidateZipContainer(bytes); !container.ok()) {
    return container;
  }
  c10::IValue archive;
  try {
    archive = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("cannot be read (truncated or not a LibTorch archive): ",
                     e.what_without_backtrace()));
  }
  if (!archive.isGenericDict()) {
    return absl::InvalidArgumentError(
        "does not hold a dictionary of named tensors");
  }
  std::map<std::string, torch::Tensor> stored;
  for (const auto& entry : archive.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      return absl::InvalidArgumentError(
          "holds an entry that is not a named tensor");
    }
    stored.emplace(entry.key().toStringRef(), entry.value().toTensor());
  }

  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : NamedState(encoder)) {
    const auto it = stored.find(name);
    if (it == stored.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "' of shape ",
                       ShapeString(tensor.sizes()), " is missing"));
    }
    if (it->second.sizes() != tensor.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", name, "' has shape ", ShapeString(it->second.sizes()),
          ", config.json implies ", ShapeString(tensor.sizes())));
    }
    if (it->second.scalar_type() != tensor.scalar_type()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "' has dtype ",
                       c10::toString(it->second.scalar_type()), ", expected ",
                       c10::toString(tensor.scalar_type())));
    }
    tensor.copy_(it->second);
    stored.erase(it);
  }
  if (!stored.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unexpected tensor '", stored.begin()->first, "' (", stored.size(),
        " not used by the architecture of config.json)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string WeightsFileName(int64_t member) {
  if (member == 0) return kWeightsFile;
  return absl::StrCat("weights.", member, ".pt");
}

absl::StatusOr<ModelBundle> LoadBundle(const std::string& directory) {
  const fs::path dir(directory);
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(
        absl::StrCat(directory, ": not a bundle directory"));
  }

  const fs::path config_path = dir / kConfigFile;
  absl::StatusOr<std::string> config_text = ReadFile(config_path);
  if (!config_text.ok()) return config_text.status();
  absl::StatusOr<ModelConfig> config = ParseModelConfig(*config_text);
  if (!config.ok()) return InFile(config_path, config.status());

  const fs::path labels_path = dir / kLabelsFile;
  absl::StatusOr<std::string> labels_text = ReadFile(labels_path);
  if (!labels_text.ok()) return labels_text.status();
  absl::StatusOr<std::vector<std::string>> labels =
      ParseLabels(*labels_text, config->num_labels);
  if (!labels.ok()) return InFile(labels_path, labels.status());

  const fs::path tokenizer_path = dir / kTokenizerFile;
  absl::StatusOr<std::string> tokenizer_proto = ReadFile(tokenizer_path);
  if (!tokenizer_proto.ok()) return tokenizer_proto.status();
  absl::StatusOr<Tokenizer> tokenizer =
      Tokenizer::FromSerialized(*std::move(tokenizer_proto));
  if (!tokenizer.ok()) return InFile(tokenizer_path, tokenizer.status());
  if (tokenizer->vocab_size() != config->vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        tokenizer_path.string(), ": vocabulary of ", tokenizer->vocab_size(),
        " pieces, config.json vocab_size is ", config->vocab_size));
  }

  std::vector<Encoder> members;
  for (int64_t member = 0; member < config->ensemble_members; ++member) {
    const fs::path weights_path = dir / WeightsFileName(member);
    absl::StatusOr<std::string> weights = ReadFile(weights_path);
    if (!weights.ok()) return weights.status();
    Encoder encoder(*config);
    encoder->eval();
    if (absl::Status loaded = LoadWeights(*weights, encoder); !loaded.ok()) {
      return InFile(weights_path, loaded);
    }
    members.push_back(std::move(encoder));
  }

  std::optional<std::string> eval_json;
  const fs::path eval_path = dir / kEvalFile;
  if (fs::exists(eval_path, error)) {
    absl::StatusOr<std::string> eval_text = ReadFile(eval_path);
    if (!eval_text.ok()) return eval_text.status();
    if (!nlohmann::json::accept(*eval_text)) {
      return absl::InvalidArgumentError(
          absl::StrCat(eval_path.string(), ": not valid JSON"));
    }
    eval_json = *std::move(eval_text);
  }
  return ModelBundle{*std::move(config), *std::move(labels),
                     *std::move(tokenizer), std::move(members),
                     std::move(eval_json)};
}

absl::Status SaveBundle(const ModelBundle& bundle,
                        const std::string& directory) {
  if (absl::Status valid = ValidateModelConfig(bundle.config); !valid.ok()) {
    return valid;
  }
  if (static_cast<int64_t>(bundle.labels.size()) != bundle.config.num_labels) {
    return absl::InvalidArgumentError(absl::StrCat(bundle.labels.size(),
                                                   " labels for num_labels ",
                                                   bundle.config.num_labels));
  }
  // Only labels that LoadBundle reads back as they are.
  for (size_t i = 0; i < bundle.labels.size(); ++i) {
    if (absl::Status valid = ValidateLabel(bundle.labels[i]); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels: label ", i + 1, " ", valid.message()));
    }
  }
  const std::string labels =
      absl::StrCat(absl::StrJoin(bundle.labels, "\n"), "\n");
  if (absl::StatusOr<std::vector<std::string>> parsed =
          ParseLabels(labels, bundle.config.num_labels);
      !parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: ", parsed.status().message()));
  }
  if (static_cast<int64_t>(bundle.members.size()) !=
      bundle.config.ensemble_members) {
    return absl::InvalidArgumentError(
        absl::StrCat(bundle.members.size(), " encoders for ensemble_members ",
                     bundle.config.ensemble_members));
  }
  const fs::path dir(directory);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat(directory, ": cannot create: ", error.message()));
  }

  // Serialized before anything is written, so a failure leaves no bundle
  // half-replaced.
  std::vector<std::vector<char>> weights;
  for (const Encoder& member : bundle.members) {
    c10::Dict<std::string, torch::Tensor> state;
    for (const auto& [name, tensor] : NamedState(member)) {
      state.insert(name, tensor.detach().to(torch::kCPU).contiguous());
    }
    try {
      weights.push_back(torch::pickle_save(c10::IValue(state)));
    } catch (const c10::Error& e) {
      return absl::InternalError(
          absl::StrCat("serializing weights: ", e.what_without_backtrace()));
    }
  }

  const std::string config = SerializeModelConfig(bundle.config);
  const std::string& tokenizer = bundle.tokenizer.model_proto();
  struct File {
    std::string name;
    const char* data;
    size_t size;
  };
  std::vector<File> files = {
      {kConfigFile, config.data(), config.size()},
      {kLabelsFile, labels.data(), labels.size()},
      {kTokenizerFile, tokenizer.data(), tokenizer.size()}};
  for (size_t member = 0; member < weights.size(); ++member) {
    files.push_back({WeightsFileName(static_cast<int64_t>(member)),
                     weights[member].data(), weights[member].size()});
  }
  if (bundle.eval_json) {
    files.push_back(
        {kEvalFile, bundle.eval_json->data(), bundle.eval_json->size()});
  }
  for (const File& file : files) {
    if (absl::Status written =
            WriteFileAtomically(dir / file.name, file.data, file.size);
        !written.ok()) {
      return written;
    }
  }
  for (int64_t member = bundle.config.ensemble_members;
       member < kMaxEnsembleMembers; ++member) {
    const fs::path stale = dir / WeightsFileName(member);
    if (fs::remove(stale, error); error) {
      return absl::InternalError(
          absl::StrCat(stale.string(), ": cannot remove: ", error.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace wersa
