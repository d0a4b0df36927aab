#include "model/labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wersa {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

std::string ErrorOf(const std::string& text, int64_t expected) {
  const absl::Status status = ParseLabels(text, expected).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(LabelsTest, OneLabelPerLineWithEitherLineEnding) {
  absl::StatusOr<std::vector<std::string>> labels =
      ParseLabels("cs.AI\r\nmath.GT\nq-bio", 3);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_THAT(*labels, ElementsAre("cs.AI", "math.GT", "q-bio"));
  labels = ParseLabels("Physik\nМатематика\n量子\n", 3);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_THAT(*labels, ElementsAre("Physik", "Математика", "量子"));
}

TEST(LabelsTest, CountEmptyAndDuplicateLines) {
  EXPECT_THAT(ErrorOf("a\nb\n", 3),
              HasSubstr("has 2 labels, config.json num_labels is 3"));
  EXPECT_THAT(ErrorOf("a\n\nb\n", 2), HasSubstr("line 2 is empty"));
  EXPECT_THAT(ErrorOf("a\r\nb\r\na\r\n", 3), HasSubstr("'a' appears twice"));
}

// Found by bundle_text_fuzzer: "ami\r\r" was read as the label "ami\r",
// which SaveBundle wrote as "ami\r\n" and LoadBundle then read as "ami".
TEST(LabelsTest, ControlCharactersAreRefused) {
  EXPECT_THAT(ErrorOf("a\nami\r\r\n", 2),
              HasSubstr("line 2 holds the control character 0x0D (at byte 3)"));
  EXPECT_THAT(ErrorOf("th\rs\n", 1),
              HasSubstr("line 1 holds the control character 0x0D (at byte 2)"));
  EXPECT_THAT(ErrorOf("a\tb\n", 1), HasSubstr("control character 0x09"));
  EXPECT_THAT(ErrorOf(std::string("a\0b\n", 4), 1),
              HasSubstr("control character 0x00"));
  EXPECT_THAT(ErrorOf("a\x7f\n", 1), HasSubstr("control character 0x7F"));
}

TEST(LabelsTest, ValidateLabelSaysWhatIsWrong) {
  EXPECT_TRUE(ValidateLabel("astro-ph.CO").ok());
  EXPECT_EQ(ValidateLabel("").message(), "is empty");
  EXPECT_EQ(ValidateLabel("a\rb").message(),
            "holds the control character 0x0D (at byte 1)");
  EXPECT_EQ(ValidateLabel("a\nb").message(),
            "holds the control character 0x0A (at byte 1)");
  EXPECT_EQ(ValidateLabel("\xFF").message(), "is not valid UTF-8 (at byte 0)");
}

// Labels go to clients in protobuf string fields, which must be UTF-8.
TEST(LabelsTest, LabelsMustBeUtf8) {
  EXPECT_THAT(ErrorOf("ok\nbad\xC3(\n", 2),
              HasSubstr("line 2 is not valid UTF-8 (at byte 3)"));
}

}  // namespace
}  // namespace wersa
