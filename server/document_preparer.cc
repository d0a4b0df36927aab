#include "server/document_preparer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace wersa::server {

v1::Truncation ToProto(Truncation truncation) {
  switch (truncation) {
    case Truncation::kNone:
      return v1::TRUNCATION_NONE;
    case Truncation::kHead:
      return v1::TRUNCATION_HEAD;
    case Truncation::kTail:
      return v1::TRUNCATION_TAIL;
    case Truncation::kHeadTail:
      return v1::TRUNCATION_HEAD_TAIL;
  }
  return v1::TRUNCATION_UNSPECIFIED;
}

DocumentPreparer::DocumentPreparer(const Tokenizer& tokenizer,
                                   int64_t vocab_size, int64_t max_tokens,
                                   Truncation default_truncation)
    : tokenizer_(tokenizer),
      vocab_size_(vocab_size),
      max_tokens_(max_tokens),
      default_truncation_(default_truncation) {}

absl::StatusOr<Truncation> DocumentPreparer::Policy(
    v1::Truncation truncation) const {
  switch (truncation) {
    case v1::TRUNCATION_UNSPECIFIED:
      return default_truncation_;
    case v1::TRUNCATION_NONE:
      return Truncation::kNone;
    case v1::TRUNCATION_HEAD:
      return Truncation::kHead;
    case v1::TRUNCATION_TAIL:
      return Truncation::kTail;
    case v1::TRUNCATION_HEAD_TAIL:
      return Truncation::kHeadTail;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown truncation value ", static_cast<int>(truncation)));
  }
}

absl::StatusOr<PreparedDocument> DocumentPreparer::FromText(
    absl::string_view text, v1::Truncation truncation) const {
  absl::StatusOr<Truncation> policy = Policy(truncation);
  if (!policy.ok()) return policy.status();
  if (text.empty()) return absl::InvalidArgumentError("document is empty");
  const absl::Time start = absl::Now();
  absl::StatusOr<TokenizedDocument> tokenized =
      tokenizer_.Encode(text, max_tokens_, *policy);
  if (!tokenized.ok()) return tokenized.status();
  return PreparedDocument{std::move(tokenized->ids), tokenized->full_length,
                          tokenized->truncated, absl::Now() - start};
}

absl::StatusOr<PreparedDocument> DocumentPreparer::FromIds(
    const google::protobuf::RepeatedField<int32_t>& ids,
    v1::Truncation truncation) const {
  absl::StatusOr<Truncation> policy = Policy(truncation);
  if (!policy.ok()) return policy.status();
  const int64_t vocab = vocab_size_;
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      return absl::InvalidArgumentError(
          absl::StrCat("token_ids[", i, "] = ", ids[i],
                       " is outside the vocabulary [0, ", vocab, ")"));
    }
  }
  absl::StatusOr<TokenizedDocument> limited = LimitTokens(
      std::vector<int32_t>(ids.begin(), ids.end()), max_tokens_, *policy);
  if (!limited.ok()) return limited.status();
  return PreparedDocument{std::move(limited->ids), limited->full_length,
                          limited->truncated, absl::ZeroDuration()};
}

absl::StatusOr<PreparedDocument> DocumentPreparer::FromRequest(
    const v1::ClassifyRequest& request) const {
  switch (request.input_case()) {
    case v1::ClassifyRequest::kText:
      return FromText(request.text(), request.truncation());
    case v1::ClassifyRequest::kTokenIds:
      return FromIds(request.token_ids().ids(), request.truncation());
    default:
      return absl::InvalidArgumentError(
          "the request has no input: set text or token_ids");
  }
}

}  // namespace wersa::server
