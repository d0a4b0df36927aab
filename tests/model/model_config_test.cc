#include "model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace wersa {
namespace {

using testing::AllOf;
using testing::HasSubstr;

TEST(ModelConfigTest, SerializeParseRoundTrip) {
  ModelConfig config;
  config.name = "arxiv";
  config.version = "7";
  config.attention = AttentionKind::kExact;
  config.problem_type = ProblemType::kMultiLabel;
  config.shared_qk_features = false;
  config.pooling = Pooling::kMeanMax;
  config.num_labels = 11;
  config.ensemble_members = 3;
  absl::StatusOr<ModelConfig> parsed =
      ParseModelConfig(SerializeModelConfig(config));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(SerializeModelConfig(*parsed), SerializeModelConfig(config));
  EXPECT_EQ(parsed->attention, AttentionKind::kExact);
  EXPECT_EQ(parsed->problem_type, ProblemType::kMultiLabel);
  EXPECT_EQ(parsed->pooling, Pooling::kMeanMax);
  EXPECT_EQ(parsed->ensemble_members, 3);
}

// Bundles written before ensembles existed have no ensemble_members key.
TEST(ModelConfigTest, EnsembleMembersDefaultsToOneAndIsBounded) {
  const std::string valid = SerializeModelConfig(ModelConfig{});
  const auto with = [&](const std::string& to) {
    std::string text = valid;
    const std::string from = "\"ensemble_members\": 1,";
    text.replace(text.find(from), from.size(), to);
    return ParseModelConfig(text);
  };
  absl::StatusOr<ModelConfig> absent = with("");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(absent->ensemble_members, 1);
  EXPECT_EQ(with("\"ensemble_members\": 16,")->ensemble_members, 16);
  for (const char* bad :
       {"\"ensemble_members\": 0,", "\"ensemble_members\": 17,"}) {
    EXPECT_THAT(std::string(with(bad).status().message()),
                HasSubstr("'ensemble_members' must be in [1, 16]"))
        << bad;
  }
}

TEST(ModelConfigTest, NgramBranchAndLogitBiasRoundTripAndAreChecked) {
  ModelConfig config;
  config.num_labels = 3;
  config.ngram_buckets = 1000;
  config.ngram_dim = 16;
  config.logit_bias = {-0.5, 0.0, 1.25};
  absl::StatusOr<ModelConfig> parsed =
      ParseModelConfig(SerializeModelConfig(config));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ngram_buckets, 1000);
  EXPECT_EQ(parsed->ngram_dim, 16);
  EXPECT_EQ(parsed->logit_bias, (std::vector<double>{-0.5, 0.0, 1.25}));

  // Bundles written before these keys existed have neither.
  absl::StatusOr<ModelConfig> old = ParseModelConfig(
      R"({"format_version": 1, "vocab_size": 100, "d_model": 8,
          "num_layers": 1, "num_heads": 2, "ffn_dim": 16, "num_labels": 2,
          "problem_type": "single_label"})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->ngram_buckets, 0);
  EXPECT_TRUE(old->logit_bias.empty());

  ModelConfig wrong_length = config;
  wrong_length.logit_bias = {1.0, 2.0};
  EXPECT_THAT(std::string(ValidateModelConfig(wrong_length).message()),
              HasSubstr("'logit_bias' must be empty or hold num_labels (3)"));
  ModelConfig not_finite = config;
  not_finite.logit_bias = {0.0, std::numeric_limits<double>::infinity(), 0.0};
  EXPECT_THAT(std::string(ValidateModelConfig(not_finite).message()),
              HasSubstr("'logit_bias' must hold finite numbers"));
  ModelConfig negative = config;
  negative.ngram_buckets = -1;
  EXPECT_THAT(std::string(ValidateModelConfig(negative).message()),
              HasSubstr("'ngram_buckets' must be in [0, 16777216]"));
  std::string text = SerializeModelConfig(config);
  const std::string from = "\"logit_bias\": [";
  text.replace(text.find(from), from.size(), "\"logit_bias\": [\"x\", ");
  EXPECT_THAT(std::string(ParseModelConfig(text).status().message()),
              HasSubstr("config key 'logit_bias' has the wrong type"));
}

TEST(ModelConfigTest, ErrorsNameTheKey) {
  const std::string valid = SerializeModelConfig(ModelConfig{});
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = valid;
    text.replace(text.find(from), from.size(), to);
    return std::string(ParseModelConfig(text).status().message());
  };
  EXPECT_THAT(with("\"problem_type\": \"single_label\"",
                   "\"problem_type\": \"regression\""),
              HasSubstr("'problem_type': 'regression' is not one of "
                        "single_label, multi_label"));
  EXPECT_THAT(with("\"d_model\": 128", "\"d_model\": \"wide\""),
              HasSubstr("'d_model' has the wrong type"));
  EXPECT_THAT(with("\"format_version\": 1", "\"format_version\": 2"),
              HasSubstr("'format_version' must be 1, got 2"));
  EXPECT_THAT(with("\"gate_kernel_size\": 33", "\"gate_kernel_size\": 32"),
              HasSubstr("'gate_kernel_size' must be odd"));
  EXPECT_THAT(with("\"name\"", "\"colour\""),
              HasSubstr("unknown config key 'colour'"));
  EXPECT_THAT(with("\"vocab_size\"", "\"name2\""),
              HasSubstr("unknown config key 'name2'"));
  EXPECT_THAT(
      std::string(
          ParseModelConfig("{\"format_version\": 1}").status().message()),
      HasSubstr("missing config key 'vocab_size'"));
  EXPECT_THAT(std::string(ParseModelConfig("[1, 2]").status().message()),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(
      with("\"pooling\": \"mean\"", "\"pooling\": \"median\""),
      HasSubstr("'pooling': 'median' is not one of mean, attention, mean_max"));
}

// Found by bundle_text_fuzzer: a number past double's range made the JSON
// parser throw json::out_of_range, which nothing caught (std::terminate).
TEST(ModelConfigTest, NumberPastDoublesRangeIsAnError) {
  std::string text = SerializeModelConfig(ModelConfig{});
  const std::string dropout = "\"dropout\": 0.1";
  text.replace(text.find(dropout), dropout.size(), "\"dropout\": 0.1e3081");
  const absl::Status status = ParseModelConfig(text).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("not valid JSON"), HasSubstr("number overflow")));
}

// Found by bundle_text_fuzzer: nlohmann converts a number to an integer with
// a static_cast, undefined past the integer's range (UBSan), and silently
// cut a fraction or wrapped a value past int's range.
TEST(ModelConfigTest, IntegerKeysTakeOnlyIntegersInRange) {
  const std::string valid = SerializeModelConfig(ModelConfig{});
  const auto parse = [&](const std::string& from, const std::string& to) {
    std::string text = valid;
    text.replace(text.find(from), from.size(), to);
    return ParseModelConfig(text).status();
  };
  absl::Status status = parse("\"d_model\": 128", "\"d_model\": 9.3e18");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("config key 'd_model' must be an integer in "
                        "[-9223372036854775808, 9223372036854775807], got "));
  status = parse("\"d_model\": 128", "\"d_model\": 128.5");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("'d_model' must be an integer"));
  status =
      parse("\"max_tokens\": 131072", "\"max_tokens\": 18446744073709551615");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("'max_tokens' must be an integer"));
  // 2^32 + 1 used to wrap to 1, the supported format version.
  status = parse("\"format_version\": 1", "\"format_version\": 4294967297");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("config key 'format_version' must be an integer in "
                        "[-2147483648, 2147483647], got 4294967297"));
  // Whole numbers within range still parse, negative ones included (and are
  // then refused by the range checks, naming the key).
  status = parse("\"num_layers\": 2", "\"num_layers\": -3");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("'num_layers' must be >= 1"));
}

}  // namespace
}  // namespace wersa
