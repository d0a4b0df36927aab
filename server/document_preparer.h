#ifndef WERSA_SERVER_DOCUMENT_PREPARER_H_
#define WERSA_SERVER_DOCUMENT_PREPARER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "model/tokenizer.h"
#include "wersa/v1/classifier.pb.h"

namespace wersa::server {

struct PreparedDocument {
  std::vector<int32_t> ids;
  int64_t original_tokens = 0;
  bool truncated = false;
  absl::Duration tokenize_time;
};

// Turns a request's input into validated token ids: UTF-8 text through the
// model's tokenizer, or token ids checked against its vocabulary
// ([0, vocab_size)), then the token limit with the request's truncation
// (UNSPECIFIED: the server's default). Every problem is INVALID_ARGUMENT with
// a message for the caller. Needs no LibTorch: the tokenizer and the
// vocabulary size are all it reads of the model.
class DocumentPreparer {
 public:
  // `tokenizer` must outlive the preparer.
  DocumentPreparer(const Tokenizer& tokenizer, int64_t vocab_size,
                   int64_t max_tokens, Truncation default_truncation);

  absl::StatusOr<PreparedDocument> FromText(absl::string_view text,
                                            v1::Truncation truncation) const;
  absl::StatusOr<PreparedDocument> FromIds(
      const google::protobuf::RepeatedField<int32_t>& ids,
      v1::Truncation truncation) const;
  // Either of the above, by the request's oneof.
  absl::StatusOr<PreparedDocument> FromRequest(
      const v1::ClassifyRequest& request) const;

  int64_t max_tokens() const { return max_tokens_; }
  Truncation default_truncation() const { return default_truncation_; }

 private:
  absl::StatusOr<Truncation> Policy(v1::Truncation truncation) const;

  const Tokenizer& tokenizer_;
  int64_t vocab_size_;
  int64_t max_tokens_;
  Truncation default_truncation_;
};

v1::Truncation ToProto(Truncation truncation);

}  // namespace wersa::server

#endif  // WERSA_SERVER_DOCUMENT_PREPARER_H_
