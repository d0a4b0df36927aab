#ifndef WERSA_MODEL_UTF8_H_
#define WERSA_MODEL_UTF8_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace wersa {

// Returns the byte offset of the first byte that is not part of well-formed
// UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
// U+10FFFF), or nullopt when all of `text` is well formed.
std::optional<size_t> FindInvalidUtf8(absl::string_view text);

}  // namespace wersa

#endif  // WERSA_MODEL_UTF8_H_
