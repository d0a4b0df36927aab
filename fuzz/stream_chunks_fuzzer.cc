// ClassifyStream's reassembly (StreamAssembler): chunks of any sizes, with
// or without options, under a byte limit, then what the server does with the
// document (DocumentPreparer::FromText). The document must be the chunks'
// text in order, the options the first chunk's and the limit exact.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "model/tokenizer.h"
#include "model/utf8.h"
#include "server/document_preparer.h"
#include "server/stream_assembler.h"
#include "wersa/v1/classifier.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using wersa::fuzz::Check;
  using wersa::fuzz::CheckCode;
  FuzzedDataProvider input(data, size);
  const auto max_bytes = input.ConsumeIntegralInRange<int64_t>(0, 2048);
  const int count = input.ConsumeIntegralInRange<int>(0, 12);
  wersa::server::StreamAssembler assembler(max_bytes);

  std::string sent;  // what the client has sent so far, accepted
  wersa::v1::ClassifyOptions first;
  bool refused = false;
  for (int i = 0; i < count && !refused; ++i) {
    wersa::v1::DocumentChunk chunk;
    if (input.ConsumeBool()) {
      wersa::v1::ClassifyOptions* options = chunk.mutable_options();
      options->set_truncation(static_cast<wersa::v1::Truncation>(
          input.ConsumeIntegralInRange<int>(0, 5)));
      options->set_top_k(input.ConsumeIntegral<uint32_t>());
      options->set_request_id(input.ConsumeRandomLengthString(24));
    }
    chunk.set_text(input.ConsumeRandomLengthString(600));
    if (i == 0) first = chunk.options();
    const absl::Status added = assembler.Add(chunk);
    if (static_cast<int64_t>(sent.size() + chunk.text().size()) > max_bytes) {
      // The server ends the call at the first refusal.
      CheckCode(added, absl::StatusCode::kResourceExhausted, false);
      Check(assembler.bytes() == static_cast<int64_t>(sent.size()),
            "a refused chunk changed the document");
      refused = true;
    } else {
      CheckCode(added, absl::StatusCode::kOk, false);
      sent += chunk.text();
    }
    Check(assembler.chunks() == i + 1, "chunk count is wrong");
  }
  const wersa::v1::ClassifyOptions& options = assembler.options();
  Check(options.truncation() == first.truncation() &&
            options.top_k() == first.top_k() &&
            options.request_id() == first.request_id(),
        "the options are not the first chunk's");
  if (refused) return 0;

  absl::StatusOr<std::string> text = assembler.TakeText();
  if (count == 0) {
    CheckCode(text.status(), absl::StatusCode::kInvalidArgument, false);
    return 0;
  }
  CheckCode(text.status(), absl::StatusCode::kOk, false);
  Check(*text == sent, "the document is not the chunks' text in order");
  Check(assembler.bytes() == 0, "the assembler kept a copy");

  // The server's next step, with the stream's truncation option: the
  // document is checked and tokenized as a whole, wherever the chunks split
  // its characters.
  const wersa::Tokenizer& tokenizer = wersa::fuzz::ShippedTokenizer();
  constexpr int64_t kMaxTokens = 32;
  const wersa::server::DocumentPreparer preparer(
      tokenizer, tokenizer.vocab_size(), kMaxTokens,
      wersa::Truncation::kHeadTail);
  const auto prepared = preparer.FromText(*text, first.truncation());
  CheckCode(prepared.status(), absl::StatusCode::kInvalidArgument, true);
  if (prepared.ok()) {
    Check(!prepared->ids.empty() &&
              static_cast<int64_t>(prepared->ids.size()) <= kMaxTokens,
          "a prepared document outside the token limit");
    Check(!wersa::FindInvalidUtf8(sent).has_value(),
          "accepted a document that is not UTF-8");
  }
  return 0;
}
