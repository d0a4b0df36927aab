#include "model/model_config.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace wersa {
namespace {

using Json = nlohmann::json;

template <typename Enum>
struct EnumName {
  Enum value;
  absl::string_view name;
};

constexpr EnumName<ProblemType> kProblemTypes[] = {
    {ProblemType::kSingleLabel, "single_label"}, {ProblemType::kMultiLabel, "multi_label"}};
constexpr EnumName<AttentionKind> kAttentionKinds[] = {{AttentionKind::kWersa, "wersa"},
                                                       {AttentionKind::kExact, "exact"}};

template <typename Enum, size_t N>
absl::StatusOr<Enum> EnumFromName(const EnumName<Enum> (&names)[N], absl::string_view key,
                                  const std::string& name) {
  std::string allowed;
  for (const auto& entry : names) {
    if (entry.name == name) return entry.value;
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", entry.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("config key '", key, "': '", name, "' is not one of ", allowed));
}

absl::Status Require(bool condition, absl::string_view key, absl::string_view requirement) {
  if (condition) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("config key '", key, "' ", requirement));
}

// Reads config[key] into *out when present, with a message naming the key.
template <typename T>
absl::Status ReadKey(const Json& config, const char* key, T* out) {
  const auto it = config.find(key);
  if (it == config.end()) return absl::OkStatus();
  try {
    *out = it->get<T>();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", key, "' has the wrong type: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ProblemTypeName(ProblemType type) {
  for (const auto& entry : kProblemTypes) {
    if (entry.value == type) return entry.name;
  }
  return "unknown";
}

absl::string_view AttentionKindName(AttentionKind kind) {
  for (const auto& entry : kAttentionKinds) {
    if (entry.value == kind) return entry.name;
  }
  return "unknown";
}

absl::Status ValidateModelConfig(const ModelConfig& c) {
  const absl::Status checks[] = {
      Require(c.format_version == ModelConfig::kFormatVersion, "format_version",
              absl::StrCat("must be ", ModelConfig::kFormatVersion, ", got ",
                           c.format_version)),
      Require(!c.name.empty(), "name", "must not be empty"),
      Require(!c.version.empty(), "version", "must not be empty"),
      Require(c.vocab_size >= 2, "vocab_size", "must be >= 2"),
      Require(c.d_model >= 1, "d_model", "must be >= 1"),
      Require(c.num_layers >= 1, "num_layers", "must be >= 1"),
      Require(c.num_heads >= 1 && c.d_model % c.num_heads == 0, "num_heads",
              absl::StrCat("must divide d_model ", c.d_model)),
      Require(c.ffn_dim >= 1, "ffn_dim", "must be >= 1"),
      Require(c.wavelet_levels >= 1 && c.wavelet_levels <= 16, "wavelet_levels",
              "must be in [1, 16]"),
      Require(c.random_features >= 1, "random_features", "must be >= 1"),
      Require(c.gate_kernel_size >= 1 && c.gate_kernel_size % 2 == 1, "gate_kernel_size",
              "must be odd and >= 1"),
      Require(c.position_kernel_size >= 1 && c.position_kernel_size % 2 == 1,
              "position_kernel_size", "must be odd and >= 1"),
      Require(c.dropout >= 0.0 && c.dropout < 1.0, "dropout", "must be in [0, 1)"),
      Require(c.max_tokens >= 1, "max_tokens", "must be >= 1"),
      Require(c.num_labels >= 1, "num_labels", "must be >= 1"),
  };
  for (const absl::Status& status : checks) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text) {
  Json json;
  try {
    json = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!json.is_object()) return absl::InvalidArgumentError("not a JSON object");

  static const std::set<std::string> kKnownKeys = {
      "format_version", "name",         "version",           "vocab_size",
      "d_model",        "num_layers",   "num_heads",         "ffn_dim",
      "attention",      "wavelet_levels", "random_features", "shared_qk_features",
      "gate_kernel_size", "position_kernel_size", "dropout", "max_tokens",
      "problem_type",   "num_labels"};
  for (const auto& item : json.items()) {
    if (kKnownKeys.count(item.key()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown config key '", item.key(), "'"));
    }
  }
  for (const char* required : {"format_version", "vocab_size", "d_model", "num_layers",
                               "num_heads", "ffn_dim", "problem_type", "num_labels"}) {
    if (!json.contains(required)) {
      return absl::InvalidArgumentError(absl::StrCat("missing config key '", required, "'"));
    }
  }

  ModelConfig c;
  std::string attention(AttentionKindName(c.attention));
  std::string problem_type(ProblemTypeName(c.problem_type));
  const absl::Status reads[] = {
      ReadKey(json, "format_version", &c.format_version),
      ReadKey(json, "name", &c.name),
      ReadKey(json, "version", &c.version),
      ReadKey(json, "vocab_size", &c.vocab_size),
      ReadKey(json, "d_model", &c.d_model),
      ReadKey(json, "num_layers", &c.num_layers),
      ReadKey(json, "num_heads", &c.num_heads),
      ReadKey(json, "ffn_dim", &c.ffn_dim),
      ReadKey(json, "attention", &attention),
      ReadKey(json, "wavelet_levels", &c.wavelet_levels),
      ReadKey(json, "random_features", &c.random_features),
      ReadKey(json, "shared_qk_features", &c.shared_qk_features),
      ReadKey(json, "gate_kernel_size", &c.gate_kernel_size),
      ReadKey(json, "position_kernel_size", &c.position_kernel_size),
      ReadKey(json, "dropout", &c.dropout),
      ReadKey(json, "max_tokens", &c.max_tokens),
      ReadKey(json, "problem_type", &problem_type),
      ReadKey(json, "num_labels", &c.num_labels),
  };
  for (const absl::Status& status : reads) {
    if (!status.ok()) return status;
  }
  absl::StatusOr<AttentionKind> kind = EnumFromName(kAttentionKinds, "attention", attention);
  if (!kind.ok()) return kind.status();
  c.attention = *kind;
  absl::StatusOr<ProblemType> type = EnumFromName(kProblemTypes, "problem_type", problem_type);
  if (!type.ok()) return type.status();
  c.problem_type = *type;
  if (absl::Status valid = ValidateModelConfig(c); !valid.ok()) return valid;
  return c;
}

std::string SerializeModelConfig(const ModelConfig& c) {
  const Json json = {
      {"format_version", c.format_version},
      {"name", c.name},
      {"version", c.version},
      {"vocab_size", c.vocab_size},
      {"d_model", c.d_model},
      {"num_layers", c.num_layers},
      {"num_heads", c.num_heads},
      {"ffn_dim", c.ffn_dim},
      {"attention", AttentionKindName(c.attention)},
      {"wavelet_levels", c.wavelet_levels},
      {"random_features", c.random_features},
      {"shared_qk_features", c.shared_qk_features},
      {"gate_kernel_size", c.gate_kernel_size},
      {"position_kernel_size", c.position_kernel_size},
      {"dropout", c.dropout},
      {"max_tokens", c.max_tokens},
      {"problem_type", ProblemTypeName(c.problem_type)},
      {"num_labels", c.num_labels},
  };
  return json.dump(2) + "\n";
}

}  // namespace wersa
