#ifndef WERSA_SERVER_STREAM_ASSEMBLER_H_
#define WERSA_SERVER_STREAM_ASSEMBLER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wersa/v1/classifier.pb.h"

namespace wersa::server {

// Reassembles the document of one ClassifyStream upload: the options of the
// first chunk and the text of every chunk in order. Chunks may split a UTF-8
// character; the text is checked as a whole later (DocumentPreparer).
class StreamAssembler {
 public:
  explicit StreamAssembler(int64_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends a chunk. RESOURCE_EXHAUSTED, with the text left as it was, when
  // the document would pass max_bytes.
  absl::Status Add(const v1::DocumentChunk& chunk);

  // The whole document, moved out (the assembler keeps no copy); INVALID_
  // ARGUMENT when the stream sent no chunks.
  absl::StatusOr<std::string> TakeText();

  // The first chunk's options (defaults before any chunk).
  const v1::ClassifyOptions& options() const { return options_; }
  int64_t chunks() const { return chunks_; }
  int64_t bytes() const { return static_cast<int64_t>(text_.size()); }

 private:
  int64_t max_bytes_;
  v1::ClassifyOptions options_;
  std::string text_;
  int64_t chunks_ = 0;
};

}  // namespace wersa::server

#endif  // WERSA_SERVER_STREAM_ASSEMBLER_H_
