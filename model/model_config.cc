#include "model/model_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

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
    {ProblemType::kSingleLabel, "single_label"},
    {ProblemType::kMultiLabel, "multi_label"}};
constexpr EnumName<Pooling> kPoolings[] = {{Pooling::kMean, "mean"},
                                           {Pooling::kAttention, "attention"},
                                           {Pooling::kMeanMax, "mean_max"}};
constexpr EnumName<AttentionKind> kAttentionKinds[] = {
    {AttentionKind::kWersa, "wersa"}, {AttentionKind::kExact, "exact"}};

template <typename Enum, size_t N>
absl::StatusOr<Enum> EnumFromName(const EnumName<Enum> (&names)[N],
                                  absl::string_view key,
                                  const std::string& name) {
  std::string allowed;
  for (const auto& entry : names) {
    if (entry.name == name) return entry.value;
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", entry.name);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "config key '", key, "': '", name, "' is not one of ", allowed));
}

absl::Status Require(bool condition, absl::string_view key,
                     absl::string_view requirement) {
  if (condition) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("config key '", key, "' ", requirement));
}

// Every plain field of config.json, in the order it is written. Parsing,
// serializing and the unknown-key check all read this one table.
using Member = std::variant<int ModelConfig::*, int64_t ModelConfig::*,
                            double ModelConfig::*, bool ModelConfig::*,
                            std::string ModelConfig::*,
                            std::vector<double> ModelConfig::*>;
struct Field {
  const char* key;
  Member member;
  bool required;
};
const Field kFields[] = {
    {"format_version", &ModelConfig::format_version, true},
    {"name", &ModelConfig::name, false},
    {"version", &ModelConfig::version, false},
    {"vocab_size", &ModelConfig::vocab_size, true},
    {"d_model", &ModelConfig::d_model, true},
    {"num_layers", &ModelConfig::num_layers, true},
    {"num_heads", &ModelConfig::num_heads, true},
    {"ffn_dim", &ModelConfig::ffn_dim, true},
    {"wavelet_levels", &ModelConfig::wavelet_levels, false},
    {"random_features", &ModelConfig::random_features, false},
    {"shared_qk_features", &ModelConfig::shared_qk_features, false},
    {"gate_kernel_size", &ModelConfig::gate_kernel_size, false},
    {"position_kernel_size", &ModelConfig::position_kernel_size, false},
    {"dropout", &ModelConfig::dropout, false},
    {"max_tokens", &ModelConfig::max_tokens, false},
    {"num_labels", &ModelConfig::num_labels, true},
    {"ensemble_members", &ModelConfig::ensemble_members, false},
    {"ngram_buckets", &ModelConfig::ngram_buckets, false},
    {"ngram_dim", &ModelConfig::ngram_dim, false},
    {"encoder_branch", &ModelConfig::encoder_branch, false},
    {"logit_bias", &ModelConfig::logit_bias, false},
};
// The enumerations are written by name.
constexpr char kAttentionKey[] = "attention";
constexpr char kProblemTypeKey[] = "problem_type";
constexpr char kPoolingKey[] = "pooling";

// Reads json[key] into *out, with a message naming the key.
template <typename T>
absl::Status ReadValue(const Json& value, const char* key, T* out) {
  // nlohmann converts any number to an integer with a static_cast: a fraction
  // would be cut off, and a value out of T's range is undefined behaviour.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (value.is_number()) {
      using Limits = std::numeric_limits<T>;
      const bool fits =
          value.is_number_unsigned()
              ? value.get<uint64_t>() <= static_cast<uint64_t>(Limits::max())
              : value.is_number_integer() &&
                    value.get<int64_t>() >= int64_t{Limits::min()} &&
                    value.get<int64_t>() <= int64_t{Limits::max()};
      if (!fits) {
        return absl::InvalidArgumentError(absl::StrCat(
            "config key '", key, "' must be an integer in [", Limits::min(),
            ", ", Limits::max(), "], got ", value.dump()));
      }
    }
  }
  try {
    *out = value.get<T>();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", key, "' has the wrong type: ", e.what()));
  }
  return absl::OkStatus();
}

// Reads the enumeration at json[key], when present, by its name.
template <typename Enum>
absl::Status ReadEnum(const Json& json, const char* key,
                      absl::StatusOr<Enum> (*parse)(absl::string_view),
                      Enum* out) {
  const auto it = json.find(key);
  if (it == json.end()) return absl::OkStatus();
  std::string name;
  if (absl::Status read = ReadValue(*it, key, &name); !read.ok()) return read;
  absl::StatusOr<Enum> value = parse(name);
  if (!value.ok()) return value.status();
  *out = *value;
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

absl::string_view PoolingName(Pooling pooling) {
  for (const auto& entry : kPoolings) {
    if (entry.value == pooling) return entry.name;
  }
  return "unknown";
}

absl::StatusOr<Pooling> ParsePooling(absl::string_view name) {
  return EnumFromName(kPoolings, kPoolingKey, std::string(name));
}

absl::StatusOr<ProblemType> ParseProblemType(absl::string_view name) {
  return EnumFromName(kProblemTypes, kProblemTypeKey, std::string(name));
}

absl::StatusOr<AttentionKind> ParseAttentionKind(absl::string_view name) {
  return EnumFromName(kAttentionKinds, kAttentionKey, std::string(name));
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
      Require(c.gate_kernel_size >= 1 && c.gate_kernel_size % 2 == 1,
              "gate_kernel_size", "must be odd and >= 1"),
      Require(c.position_kernel_size >= 1 && c.position_kernel_size % 2 == 1,
              "position_kernel_size", "must be odd and >= 1"),
      Require(c.dropout >= 0.0 && c.dropout < 1.0, "dropout",
              "must be in [0, 1)"),
      Require(c.max_tokens >= 1, "max_tokens", "must be >= 1"),
      Require(c.num_labels >= 1, "num_labels", "must be >= 1"),
      Require(
          c.ensemble_members >= 1 && c.ensemble_members <= kMaxEnsembleMembers,
          "ensemble_members",
          absl::StrCat("must be in [1, ", kMaxEnsembleMembers, "]")),
      Require(c.ngram_buckets >= 0 && c.ngram_buckets <= kMaxNgramBuckets,
              "ngram_buckets",
              absl::StrCat("must be in [0, ", kMaxNgramBuckets, "]")),
      Require(c.ngram_buckets == 0 || c.ngram_dim >= 1, "ngram_dim",
              "must be >= 1 when ngram_buckets is set"),
      Require(c.encoder_branch || c.ngram_buckets > 0, "encoder_branch",
              "may be false only with an n-gram branch (ngram_buckets > 0)"),
      Require(c.logit_bias.empty() ||
                  static_cast<int64_t>(c.logit_bias.size()) == c.num_labels,
              "logit_bias",
              absl::StrCat("must be empty or hold num_labels (", c.num_labels,
                           ") values")),
      Require(std::all_of(c.logit_bias.begin(), c.logit_bias.end(),
                          [](double b) { return std::isfinite(b); }),
              "logit_bias", "must hold finite numbers"),
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
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for a number past double's range.
    return absl::InvalidArgumentError(
        absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!json.is_object()) return absl::InvalidArgumentError("not a JSON object");

  for (const auto& item : json.items()) {
    const bool known =
        item.key() == kAttentionKey || item.key() == kProblemTypeKey ||
        item.key() == kPoolingKey ||
        std::any_of(std::begin(kFields), std::end(kFields),
                    [&](const Field& f) { return item.key() == f.key; });
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown config key '", item.key(), "'"));
    }
  }
  ModelConfig c;
  for (const Field& field : kFields) {
    const auto it = json.find(field.key);
    if (it == json.end()) {
      if (!field.required) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("missing config key '", field.key, "'"));
    }
    const absl::Status read = std::visit(
        [&](auto member) { return ReadValue(*it, field.key, &(c.*member)); },
        field.member);
    if (!read.ok()) return read;
  }
  if (!json.contains(kProblemTypeKey)) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing config key '", kProblemTypeKey, "'"));
  }
  const absl::Status enums[] = {
      ReadEnum(json, kProblemTypeKey, ParseProblemType, &c.problem_type),
      ReadEnum(json, kAttentionKey, ParseAttentionKind, &c.attention),
      ReadEnum(json, kPoolingKey, ParsePooling, &c.pooling),
  };
  for (const absl::Status& status : enums) {
    if (!status.ok()) return status;
  }
  if (absl::Status valid = ValidateModelConfig(c); !valid.ok()) return valid;
  return c;
}

std::string SerializeModelConfig(const ModelConfig& c) {
  Json json = Json::object();
  for (const Field& field : kFields) {
    std::visit([&](auto member) { json[field.key] = c.*member; }, field.member);
  }
  json[kAttentionKey] = AttentionKindName(c.attention);
  json[kProblemTypeKey] = ProblemTypeName(c.problem_type);
  json[kPoolingKey] = PoolingName(c.pooling);
  return json.dump(2) + "\n";
}

}  // namespace wersa
