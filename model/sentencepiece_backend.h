#ifndef WERSA_MODEL_SENTENCEPIECE_BACKEND_H_
#define WERSA_MODEL_SENTENCEPIECE_BACKEND_H_

// The one place that talks to SentencePiece. Its header declares its own
// absl::string_view, which collides with Abseil's, so this interface and its
// implementation use neither Abseil nor SentencePiece types: errors are
// returned as message strings, empty on success.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}  // namespace sentencepiece

namespace wersa::internal {

class SentencePieceBackend {
 public:
  SentencePieceBackend();
  ~SentencePieceBackend();
  SentencePieceBackend(const SentencePieceBackend&) = delete;
  SentencePieceBackend& operator=(const SentencePieceBackend&) = delete;

  std::string LoadFromSerialized(std::string_view model_proto);
  std::string Encode(std::string_view text, std::vector<int32_t>* ids) const;
  int64_t PieceCount() const;

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

struct SentencePieceTrainingSpec {
  int64_t vocab_size = 8000;
  std::string model_type = "unigram";
  double character_coverage = 0.9995;
  int64_t max_sentences = 2000000;
  int64_t max_sentence_bytes = 16384;
  int num_threads = 1;
  uint32_t seed = 1;
};

// Trains a model on the sentences `next` yields (it returns false when done)
// and stores its serialized proto in *model_proto.
std::string TrainSentencePiece(const SentencePieceTrainingSpec& spec,
                               const std::function<bool(std::string*)>& next,
                               std::string* model_proto);

}  // namespace wersa::internal

#endif  // WERSA_MODEL_SENTENCEPIECE_BACKEND_H_
