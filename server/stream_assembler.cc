#include "server/stream_assembler.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace wersa::server {

absl::Status StreamAssembler::Add(const v1::DocumentChunk& chunk) {
  if (chunks_++ == 0) options_ = chunk.options();
  // Compared without adding, so no size can overflow the sum.
  const auto size = static_cast<int64_t>(chunk.text().size());
  if (size > max_bytes_ - bytes()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the document passed ", max_bytes_, " bytes (--max_stream_bytes)"));
  }
  text_.append(chunk.text());
  return absl::OkStatus();
}

absl::StatusOr<std::string> StreamAssembler::TakeText() {
  if (chunks_ == 0) {
    return absl::InvalidArgumentError("the stream sent no chunks");
  }
  std::string text;
  text.swap(text_);
  return text;
}

}  // namespace wersa::server
