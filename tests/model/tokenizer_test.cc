#include "model/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "tests/model/test_bundle.h"

namespace wersa {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing_support::SmallTokenizer;

std::vector<int32_t> Iota(int count) {
  std::vector<int32_t> ids(count);
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

TEST(TokenizerTest, EncodesTextIntoIdsWithinTheVocabulary) {
  const Tokenizer& tokenizer = SmallTokenizer();
  EXPECT_GT(tokenizer.vocab_size(), 50);
  absl::StatusOr<std::vector<int32_t>> ids =
      tokenizer.Encode("kalo mine ruta vozi. pesu dofa");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_FALSE(ids->empty());
  for (const int32_t id : *ids) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, tokenizer.vocab_size());
  }
  // Deterministic, and unseen characters map to the unknown piece, id 0.
  EXPECT_EQ(*tokenizer.Encode("kalo mine ruta vozi. pesu dofa"), *ids);
  absl::StatusOr<std::vector<int32_t>> unseen =
      tokenizer.Encode("\xe2\x88\x9e");  // U+221E
  ASSERT_TRUE(unseen.ok());
  EXPECT_THAT(*unseen, testing::Contains(0));
}

TEST(TokenizerTest, RejectsInvalidUtf8WithItsOffset) {
  const Tokenizer& tokenizer = SmallTokenizer();
  for (const auto& [text, offset] : std::vector<std::pair<std::string, int>>{
           {"ab\xff", 2},
           {"abc\xc3", 3},                 // truncated two-byte sequence
           {"\xc0\xaf", 0},                // overlong '/'
           {"x\xed\xa0\x80", 1},           // UTF-16 surrogate
           {"ok \xf4\x90\x80\x80", 3}}) {  // past U+10FFFF
    const absl::Status status = tokenizer.Encode(text).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        std::string(status.message()),
        HasSubstr("not valid UTF-8 (at byte " + std::to_string(offset) + ")"));
  }
  EXPECT_TRUE(
      tokenizer.Encode("caf\xc3\xa9 \xf0\x9f\x98\x80 \x01\x02 tab\there").ok());
}

TEST(TokenizerTest, EncodeWithLimitAppliesThePolicy) {
  const Tokenizer& tokenizer = SmallTokenizer();
  const std::string text =
      "kalo mine ruta vozi pesu dofa gujo be kalo mine ruta vozi";
  const std::vector<int32_t> full = *tokenizer.Encode(text);
  ASSERT_GT(full.size(), 4u);
  absl::StatusOr<TokenizedDocument> head =
      tokenizer.Encode(text, 3, Truncation::kHead);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->ids, std::vector<int32_t>(full.begin(), full.begin() + 3));
  EXPECT_TRUE(head->truncated);
  EXPECT_EQ(head->full_length, static_cast<int64_t>(full.size()));
  EXPECT_EQ(tokenizer.Encode(text, 3, Truncation::kNone).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tokenizer.Encode("   ", 10, Truncation::kHead).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LimitTokensTest, AtAndBelowTheLimitNothingIsCut) {
  for (const Truncation policy : {Truncation::kNone, Truncation::kHead,
                                  Truncation::kTail, Truncation::kHeadTail}) {
    for (const int length : {9, 10}) {
      absl::StatusOr<TokenizedDocument> doc =
          LimitTokens(Iota(length), 10, policy);
      ASSERT_TRUE(doc.ok()) << TruncationName(policy) << " " << length;
      EXPECT_EQ(doc->ids, Iota(length));
      EXPECT_FALSE(doc->truncated);
      EXPECT_EQ(doc->full_length, length);
    }
  }
}

TEST(LimitTokensTest, OneOverTheLimit) {
  EXPECT_THAT(LimitTokens(Iota(11), 10, Truncation::kHead)->ids,
              testing::ElementsAreArray(Iota(10)));
  EXPECT_THAT(LimitTokens(Iota(11), 10, Truncation::kTail)->ids,
              ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_THAT(LimitTokens(Iota(11), 10, Truncation::kHeadTail)->ids,
              ElementsAre(0, 1, 2, 3, 4, 6, 7, 8, 9, 10));
  const absl::Status refused =
      LimitTokens(Iota(11), 10, Truncation::kNone).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("document has 11 tokens, over the limit of 10"));
}

TEST(LimitTokensTest, HeadTailKeepsTheExtraTokenAtTheHead) {
  absl::StatusOr<TokenizedDocument> doc =
      LimitTokens(Iota(20), 5, Truncation::kHeadTail);
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(doc->ids, ElementsAre(0, 1, 2, 18, 19));
  EXPECT_TRUE(doc->truncated);
  EXPECT_EQ(doc->full_length, 20);
  EXPECT_THAT(LimitTokens(Iota(20), 1, Truncation::kHeadTail)->ids,
              ElementsAre(0));
  EXPECT_THAT(LimitTokens(Iota(20), 1, Truncation::kTail)->ids,
              ElementsAre(19));
}

TEST(LimitTokensTest, EmptyDocumentsAndBadLimits) {
  EXPECT_THAT(
      std::string(LimitTokens({}, 10, Truncation::kHead).status().message()),
      HasSubstr("document is empty"));
  EXPECT_EQ(LimitTokens(Iota(3), 0, Truncation::kHead).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TruncationTest, NamesRoundTrip) {
  for (const Truncation policy : {Truncation::kNone, Truncation::kHead,
                                  Truncation::kTail, Truncation::kHeadTail}) {
    EXPECT_EQ(*ParseTruncation(TruncationName(policy)), policy);
  }
  EXPECT_EQ(*ParseTruncation("HEAD+TAIL"), Truncation::kHeadTail);
  EXPECT_THAT(std::string(ParseTruncation("middle").status().message()),
              HasSubstr("unknown truncation 'middle'"));
}

TEST(TokenizerTest, CorruptModelIsRejected) {
  const absl::Status status = Tokenizer::FromSerialized("not a model").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Tokenizer::FromFile("/nonexistent/tokenizer.model").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace wersa
