#ifndef WERSA_MODEL_ZIP_CONTAINER_H_
#define WERSA_MODEL_ZIP_CONTAINER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wersa {

// The longest archive comment ValidateZipContainer accepts. LibTorch 1.13's
// zip reader (miniz) looks for the end-of-central-directory record in 4 KiB
// windows from the end of the file and, when it has to step back from a
// window that starts in the first 4 KiB, reads out of bounds (seen with
// AddressSanitizer on truncated files of 4 to 64 KiB). A record in the last
// 4096 bytes is found in its first window. LibTorch writes no comment.
inline constexpr size_t kMaxZipCommentBytes = 4096 - 22;

// Checks that `bytes` is a complete, self-consistent zip archive (the
// container of LibTorch's weights files) before LibTorch's reader sees it:
// it starts with a local file header; it ends with an end-of-central-
// directory record whose comment reaches exactly to the end of the file
// (ZIP64 records, as LibTorch writes them, included); the central directory
// lies inside the file before that record and is exactly its entries; each
// entry's local header, name, extra field and data lie inside the file,
// before the central directory. Nothing is decompressed.
//
// Returns DATA_LOSS for an empty, truncated or internally inconsistent
// archive and INVALID_ARGUMENT for bytes that are not a zip archive at all
// (or one with no entries). The message does not name the file: the caller
// does.
absl::Status ValidateZipContainer(absl::string_view bytes);

}  // namespace wersa

#endif  // WERSA_MODEL_ZIP_CONTAINER_H_
