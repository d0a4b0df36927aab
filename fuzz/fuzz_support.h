#ifndef WERSA_FUZZ_FUZZ_SUPPORT_H_
#define WERSA_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/tokenizer.h"
#include "server/document_preparer.h"

namespace wersa::fuzz {

// Ends the run with `what` on stderr (libFuzzer then saves the input as a
// crash) when `condition` is false.
void Check(bool condition, absl::string_view what);

// Fails unless `status` has `code`, or unless it is OK or has `code` when
// `ok_allowed`; prints the status.
void CheckCode(const absl::Status& status, absl::StatusCode code,
               bool ok_allowed);

// The shipped bundle's SentencePiece model (models/arxiv-archive-11), loaded
// once per process.
const Tokenizer& ShippedTokenizer();

// What the server's DocumentPreparer must return for a token sequence
// `ids` (already in the vocabulary) under a limit and a policy: a
// reference written independently of LimitTokens.
struct ExpectedDocument {
  bool accepted = false;
  std::vector<int32_t> ids;
  bool truncated = false;
};
ExpectedDocument ExpectedLimit(const std::vector<int32_t>& ids,
                               int64_t max_tokens, Truncation policy);

// Checks a prepared document against the expectation; `result` must be
// INVALID_ARGUMENT when the expectation refuses the document.
void CheckPrepared(const absl::StatusOr<server::PreparedDocument>& result,
                   const ExpectedDocument& expected, int64_t full_length);

}  // namespace wersa::fuzz

#endif  // WERSA_FUZZ_FUZZ_SUPPORT_H_
