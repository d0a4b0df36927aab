#include "fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace wersa::fuzz {

void Check(bool condition, absl::string_view what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz check failed: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

void CheckCode(const absl::Status& status, absl::StatusCode code,
               bool ok_allowed) {
  if (status.code() == code || (ok_allowed && status.ok())) return;
  Check(false, std::string("unexpected status: ") + status.ToString());
}

const Tokenizer& ShippedTokenizer() {
  static const Tokenizer tokenizer = [] {
    absl::StatusOr<Tokenizer> loaded =
        Tokenizer::FromFile(WERSA_FUZZ_TOKENIZER);
    Check(loaded.ok(), loaded.status().ToString());
    return *std::move(loaded);
  }();
  return tokenizer;
}

ExpectedDocument ExpectedLimit(const std::vector<int32_t>& ids,
                               int64_t max_tokens, Truncation policy) {
  ExpectedDocument expected;
  const auto size = static_cast<int64_t>(ids.size());
  if (size == 0 || max_tokens < 1) return expected;
  if (size <= max_tokens) {
    expected.accepted = true;
    expected.ids = ids;
    return expected;
  }
  // Over the limit: the first `head` and the last `tail` tokens survive.
  int64_t head = 0;
  switch (policy) {
    case Truncation::kNone:
      return expected;
    case Truncation::kHead:
      head = max_tokens;
      break;
    case Truncation::kTail:
      head = 0;
      break;
    case Truncation::kHeadTail:
      head = max_tokens - max_tokens / 2;
      break;
  }
  const int64_t tail = max_tokens - head;
  expected.accepted = true;
  expected.truncated = true;
  for (int64_t i = 0; i < size; ++i) {
    if (i < head || i >= size - tail) expected.ids.push_back(ids[i]);
  }
  return expected;
}

void CheckPrepared(const absl::StatusOr<server::PreparedDocument>& result,
                   const ExpectedDocument& expected, int64_t full_length) {
  if (!expected.accepted) {
    CheckCode(result.status(), absl::StatusCode::kInvalidArgument, false);
    Check(!result.status().message().empty(), "a refusal without a message");
    return;
  }
  CheckCode(result.status(), absl::StatusCode::kOk, false);
  Check(result->ids == expected.ids, "token ids differ from the reference");
  Check(result->truncated == expected.truncated, "truncated flag is wrong");
  Check(result->original_tokens == full_length, "original_tokens is wrong");
}

}  // namespace wersa::fuzz
