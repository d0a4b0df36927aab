// Request validation and tokenization: what the server does to a client's
// ClassifyRequest before the batcher sees it (DocumentPreparer::FromRequest:
// the truncation policy, UTF-8 checks, SentencePiece, vocabulary checks on
// token ids, the token limit), with the shipped tokenizer. Every result is
// compared with a reference: an independent UTF-8 decoder, the tokenizer
// without a limit, and ExpectedLimit.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_support.h"
#include "model/tokenizer.h"
#include "model/utf8.h"
#include "server/document_preparer.h"
#include "wersa/v1/classifier.pb.h"

namespace wersa::fuzz {
namespace {

// The offset of the first ill-formed sequence, by decoding code points (the
// library checks byte ranges instead).
std::optional<size_t> ReferenceInvalidUtf8(absl::string_view text) {
  constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else {
      return i;
    }
    if (text.size() - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = code << 6 | (next & 0x3F);
    }
    if (code < kSmallest[length] || code > 0x10FFFF ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

constexpr Truncation kPolicies[] = {Truncation::kNone, Truncation::kHead,
                                    Truncation::kTail, Truncation::kHeadTail};

// The policy a request's truncation field selects; nullopt for a value the
// enum does not have.
std::optional<Truncation> PolicyOf(int value, Truncation fallback) {
  if (value == v1::TRUNCATION_UNSPECIFIED) return fallback;
  if (value == v1::TRUNCATION_NONE) return Truncation::kNone;
  if (value == v1::TRUNCATION_HEAD) return Truncation::kHead;
  if (value == v1::TRUNCATION_TAIL) return Truncation::kTail;
  if (value == v1::TRUNCATION_HEAD_TAIL) return Truncation::kHeadTail;
  return std::nullopt;
}

void CheckText(const server::DocumentPreparer& preparer,
               const v1::ClassifyRequest& request, Truncation policy) {
  const std::string& text = request.text();
  const absl::StatusOr<server::PreparedDocument> result =
      preparer.FromRequest(request);
  const std::optional<size_t> bad = ReferenceInvalidUtf8(text);
  Check(FindInvalidUtf8(text) == bad, "FindInvalidUtf8 disagrees");
  if (text.empty() || bad) {
    CheckCode(result.status(), absl::StatusCode::kInvalidArgument, false);
    if (bad) {
      Check(absl::StrContains(result.status().message(),
                              absl::StrCat("at byte ", *bad, ")")),
            "the UTF-8 error names another offset");
    }
    return;
  }
  const absl::StatusOr<std::vector<int32_t>> full =
      ShippedTokenizer().Encode(text);
  CheckCode(full.status(), absl::StatusCode::kOk, false);
  for (const int32_t id : *full) {
    Check(id >= 0 && id < ShippedTokenizer().vocab_size(),
          "the tokenizer returned an id outside its vocabulary");
  }
  CheckPrepared(result, ExpectedLimit(*full, preparer.max_tokens(), policy),
                static_cast<int64_t>(full->size()));
}

void CheckIds(const server::DocumentPreparer& preparer,
              const v1::ClassifyRequest& request, Truncation policy,
              int64_t vocab) {
  const auto& ids = request.token_ids().ids();
  const absl::StatusOr<server::PreparedDocument> result =
      preparer.FromRequest(request);
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      CheckCode(result.status(), absl::StatusCode::kInvalidArgument, false);
      Check(absl::StrContains(result.status().message(),
                              absl::StrCat("token_ids[", i, "]")),
            "the vocabulary error names another index");
      return;
    }
  }
  const std::vector<int32_t> all(ids.begin(), ids.end());
  CheckPrepared(result, ExpectedLimit(all, preparer.max_tokens(), policy),
                static_cast<int64_t>(all.size()));
}

}  // namespace
}  // namespace wersa::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wersa;  // NOLINT(google-build-using-namespace)
  FuzzedDataProvider input(data, size);
  const Tokenizer& tokenizer = fuzz::ShippedTokenizer();
  const int64_t vocab = tokenizer.vocab_size();
  const auto max_tokens = input.ConsumeIntegralInRange<int64_t>(1, 48);
  const Truncation fallback = input.PickValueInArray(fuzz::kPolicies);
  const server::DocumentPreparer preparer(tokenizer, vocab, max_tokens,
                                          fallback);

  v1::ClassifyRequest request;
  const int truncation = input.ConsumeIntegralInRange<int>(-1, 5);
  request.set_truncation(static_cast<v1::Truncation>(truncation));
  const int kind = input.ConsumeIntegralInRange<int>(0, 2);
  if (kind == 0) {
    request.set_text(input.ConsumeRemainingBytesAsString());
  } else if (kind == 1) {
    auto* ids = request.mutable_token_ids()->mutable_ids();
    while (input.remaining_bytes() > 0) {
      // Mostly inside the vocabulary, some just outside, a few anywhere.
      ids->Add(input.ConsumeBool()
                   ? input.ConsumeIntegralInRange<int32_t>(-1, vocab)
                   : input.ConsumeIntegral<int32_t>());
    }
  }

  const std::optional<Truncation> policy = fuzz::PolicyOf(truncation, fallback);
  if (!policy || kind == 2) {
    const absl::Status status = preparer.FromRequest(request).status();
    fuzz::CheckCode(status, absl::StatusCode::kInvalidArgument, false);
    return 0;
  }
  if (kind == 0) {
    fuzz::CheckText(preparer, request, *policy);
  } else {
    fuzz::CheckIds(preparer, request, *policy, vocab);
  }
  return 0;
}
