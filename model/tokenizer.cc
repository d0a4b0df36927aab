#include "model/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "model/sentencepiece_backend.h"
#include "model/utf8.h"

namespace wersa {
namespace {

constexpr struct {
  Truncation value;
  absl::string_view name;
} kTruncationNames[] = {{Truncation::kNone, "none"},
                        {Truncation::kHead, "head"},
                        {Truncation::kTail, "tail"},
                        {Truncation::kHeadTail, "head_tail"}};

}  // namespace

absl::string_view TruncationName(Truncation truncation) {
  for (const auto& entry : kTruncationNames) {
    if (entry.value == truncation) return entry.name;
  }
  return "unknown";
}

absl::StatusOr<Truncation> ParseTruncation(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(std::string(name));
  std::replace(lower.begin(), lower.end(), '+', '_');
  for (const auto& entry : kTruncationNames) {
    if (entry.name == lower) return entry.value;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown truncation '", name,
                   "'; expected none, head, tail or head_tail"));
}

absl::StatusOr<TokenizedDocument> LimitTokens(std::vector<int32_t> ids,
                                              int64_t max_tokens,
                                              Truncation truncation) {
  if (max_tokens < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("token limit must be >= 1, got ", max_tokens));
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError("document is empty: it has no tokens");
  }
  TokenizedDocument document;
  document.full_length = static_cast<int64_t>(ids.size());
  if (document.full_length <= max_tokens) {
    document.ids = std::move(ids);
    return document;
  }
  const auto limit = static_cast<size_t>(max_tokens);
  switch (truncation) {
    case Truncation::kNone:
      return absl::InvalidArgumentError(absl::StrCat(
          "document has ", document.full_length, " tokens, over the limit of ",
          max_tokens,
          "; truncation is off (choose head, tail or head_tail to truncate)"));
    case Truncation::kHead:
      ids.resize(limit);
      break;
    case Truncation::kTail:
      ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(limit));
      break;
    case Truncation::kHeadTail: {
      const size_t head = (limit + 1) / 2;
      const size_t tail = limit - head;
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(head),
                ids.end() - static_cast<std::ptrdiff_t>(tail));
      break;
    }
  }
  document.ids = std::move(ids);
  document.truncated = true;
  return document;
}

Tokenizer::Tokenizer(std::string model_proto,
                     std::unique_ptr<internal::SentencePieceBackend> backend)
    : model_proto_(std::move(model_proto)), backend_(std::move(backend)) {}

Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

absl::StatusOr<Tokenizer> Tokenizer::FromSerialized(std::string model_proto) {
  auto backend = std::make_unique<internal::SentencePieceBackend>();
  const std::string error = backend->LoadFromSerialized(model_proto);
  if (!error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid SentencePiece model: ", error));
  }
  return Tokenizer(std::move(model_proto), std::move(backend));
}

absl::StatusOr<Tokenizer> Tokenizer::FromFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string proto((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  absl::StatusOr<Tokenizer> tokenizer = FromSerialized(std::move(proto));
  if (!tokenizer.ok()) {
    return absl::Status(tokenizer.status().code(),
                        absl::StrCat(path, ": ", tokenizer.status().message()));
  }
  return tokenizer;
}

absl::StatusOr<std::vector<int32_t>> Tokenizer::Encode(
    absl::string_view text) const {
  if (const auto bad = FindInvalidUtf8(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("text is not valid UTF-8 (at byte ", *bad, ")"));
  }
  std::vector<int32_t> ids;
  const std::string error =
      backend_->Encode(std::string_view(text.data(), text.size()), &ids);
  if (!error.empty()) {
    return absl::InternalError(absl::StrCat("tokenizer: ", error));
  }
  return ids;
}

absl::StatusOr<TokenizedDocument> Tokenizer::Encode(
    absl::string_view text, int64_t max_tokens, Truncation truncation) const {
  absl::StatusOr<std::vector<int32_t>> ids = Encode(text);
  if (!ids.ok()) return ids.status();
  return LimitTokens(*std::move(ids), max_tokens, truncation);
}

int64_t Tokenizer::vocab_size() const { return backend_->PieceCount(); }

absl::StatusOr<Tokenizer> TrainTokenizer(
    const TokenizerTrainingOptions& options,
    const std::function<bool(std::string*)>& next) {
  internal::SentencePieceTrainingSpec spec;
  spec.vocab_size = options.vocab_size;
  spec.model_type = options.model_type;
  spec.character_coverage = options.character_coverage;
  spec.max_sentences = options.max_sentences;
  spec.num_threads = options.num_threads;
  spec.seed = options.seed;

  // SentencePiece trains on lines: split each text and skip blank lines.
  std::istringstream pending;
  std::string text;
  const std::function<bool(std::string*)> next_line = [&](std::string* line) {
    while (true) {
      while (std::getline(pending, *line)) {
        if (!absl::StripAsciiWhitespace(*line).empty()) return true;
      }
      if (!next(&text)) return false;
      pending.clear();
      pending.str(text);
    }
  };
  std::string model_proto;
  const std::string error =
      internal::TrainSentencePiece(spec, next_line, &model_proto);
  if (!error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer training failed: ", error));
  }
  return Tokenizer::FromSerialized(std::move(model_proto));
}

}  // namespace wersa
