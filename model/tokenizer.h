#ifndef WERSA_MODEL_TOKENIZER_H_
#define WERSA_MODEL_TOKENIZER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wersa {

namespace internal {
class SentencePieceBackend;
}  // namespace internal

// What to do with a document longer than the token limit.
enum class Truncation {
  kNone,      // refuse it: INVALID_ARGUMENT
  kHead,      // keep its first max_tokens tokens
  kTail,      // keep its last max_tokens tokens
  kHeadTail,  // keep the first ceil(max/2) and the last floor(max/2) tokens
};

absl::string_view TruncationName(Truncation truncation);
// Accepts "none", "head", "tail", "head_tail" (and "head+tail").
absl::StatusOr<Truncation> ParseTruncation(absl::string_view name);

struct TokenizedDocument {
  std::vector<int32_t> ids;
  int64_t full_length = 0;  // tokens before truncation
  bool truncated = false;
};

// Applies a token limit. An empty document, or one over the limit with
// Truncation::kNone, is INVALID_ARGUMENT.
absl::StatusOr<TokenizedDocument> LimitTokens(std::vector<int32_t> ids,
                                              int64_t max_tokens,
                                              Truncation truncation);

// A SentencePiece model. Thread-safe for concurrent Encode calls.
class Tokenizer {
 public:
  static absl::StatusOr<Tokenizer> FromSerialized(std::string model_proto);
  static absl::StatusOr<Tokenizer> FromFile(const std::string& path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Token ids of UTF-8 text; INVALID_ARGUMENT (naming the byte offset) when
  // the text is not well-formed UTF-8.
  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text) const;

  // Encode, then LimitTokens.
  absl::StatusOr<TokenizedDocument> Encode(absl::string_view text,
                                           int64_t max_tokens,
                                           Truncation truncation) const;

  int64_t vocab_size() const;
  const std::string& model_proto() const { return model_proto_; }

 private:
  Tokenizer(std::string model_proto,
            std::unique_ptr<internal::SentencePieceBackend> backend);

  std::string model_proto_;
  std::unique_ptr<internal::SentencePieceBackend> backend_;
};

struct TokenizerTrainingOptions {
  int64_t vocab_size = 8000;
  std::string model_type = "unigram";  // or "bpe"
  double character_coverage = 0.9995;
  int64_t max_sentences =
      2000000;  // sampled from the input when there are more
  int num_threads = 1;
  uint32_t seed = 1;
};

// Trains a SentencePiece model on the texts `next` yields (false when done).
// Texts are split into lines; the vocabulary may come out smaller than asked
// for on a small corpus.
absl::StatusOr<Tokenizer> TrainTokenizer(
    const TokenizerTrainingOptions& options,
    const std::function<bool(std::string*)>& next);

}  // namespace wersa

#endif  // WERSA_MODEL_TOKENIZER_H_
