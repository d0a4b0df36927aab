#ifndef WERSA_MODEL_LABELS_H_
#define WERSA_MODEL_LABELS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wersa {

// Parses a bundle's labels.txt: one label per line in head order ("\n" or
// "\r\n"; the last line's newline is optional). An empty line, a label
// that appears twice or a count other than `expected` (config.json's
// num_labels) is INVALID_ARGUMENT; the message does not name the file.
absl::StatusOr<std::vector<std::string>> ParseLabels(absl::string_view text,
                                                     int64_t expected);

}  // namespace wersa

#endif  // WERSA_MODEL_LABELS_H_
