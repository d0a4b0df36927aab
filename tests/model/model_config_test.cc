#include "model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wersa {
namespace {

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
  absl::StatusOr<ModelConfig> parsed =
      ParseModelConfig(SerializeModelConfig(config));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(SerializeModelConfig(*parsed), SerializeModelConfig(config));
  EXPECT_EQ(parsed->attention, AttentionKind::kExact);
  EXPECT_EQ(parsed->problem_type, ProblemType::kMultiLabel);
  EXPECT_EQ(parsed->pooling, Pooling::kMeanMax);
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

}  // namespace
}  // namespace wersa
