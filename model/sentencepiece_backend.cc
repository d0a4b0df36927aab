#include "model/sentencepiece_backend.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <sstream>
#include <utility>

namespace sentencepiece::logging {
// Defined in libsentencepiece (common.h, not installed): the minimum level of
// the library's own log lines.
void SetMinLogLevel(int v);
}  // namespace sentencepiece::logging

namespace wersa::internal {
namespace {

class CallbackSentenceIterator : public sentencepiece::SentenceIterator {
 public:
  explicit CallbackSentenceIterator(
      const std::function<bool(std::string*)>& next)
      : next_(next) {
    Advance();
  }
  bool done() const override { return done_; }
  void Next() override { Advance(); }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void Advance() { done_ = !next_(&value_); }

  const std::function<bool(std::string*)>& next_;
  std::string value_;
  bool done_ = false;
};

}  // namespace

SentencePieceBackend::SentencePieceBackend()
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}

SentencePieceBackend::~SentencePieceBackend() = default;

std::string SentencePieceBackend::LoadFromSerialized(
    std::string_view model_proto) {
  const sentencepiece::util::Status status =
      processor_->LoadFromSerializedProto(model_proto);
  return status.ok() ? std::string() : status.ToString();
}

std::string SentencePieceBackend::Encode(std::string_view text,
                                         std::vector<int32_t>* ids) const {
  std::vector<int> pieces;
  const sentencepiece::util::Status status = processor_->Encode(text, &pieces);
  if (!status.ok()) return status.ToString();
  ids->assign(pieces.begin(), pieces.end());
  return {};
}

int64_t SentencePieceBackend::PieceCount() const {
  return processor_->GetPieceSize();
}

std::string TrainSentencePiece(const SentencePieceTrainingSpec& spec,
                               const std::function<bool(std::string*)>& next,
                               std::string* model_proto) {
  // Unknown pieces map to id 0; no BOS, EOS or pad pieces: the encoder pools
  // over real tokens and takes lengths, not pad ids.
  std::ostringstream args;
  args << "--model_type=" << spec.model_type
       << " --vocab_size=" << spec.vocab_size
       << " --character_coverage=" << spec.character_coverage
       << " --input_sentence_size=" << spec.max_sentences
       << " --shuffle_input_sentence=true --max_sentence_length="
       << spec.max_sentence_bytes << " --num_threads=" << spec.num_threads
       << " --unk_id=0 --bos_id=-1 --eos_id=-1 --pad_id=-1 "
          "--hard_vocab_limit=false";
  sentencepiece::SetRandomGeneratorSeed(spec.seed);
  sentencepiece::logging::SetMinLogLevel(1);
  CallbackSentenceIterator sentences(next);
  const sentencepiece::util::Status status =
      sentencepiece::SentencePieceTrainer::Train(args.str(), &sentences,
                                                 model_proto);
  return status.ok() ? std::string() : status.ToString();
}

}  // namespace wersa::internal
