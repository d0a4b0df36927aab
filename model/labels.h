#ifndef WERSA_MODEL_LABELS_H_
#define WERSA_MODEL_LABELS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wersa {

// Checks one label: not empty, well-formed UTF-8 (labels reach clients in
// protobuf string fields) and free of control characters (labels.txt holds
// one per line). INVALID_ARGUMENT says what is wrong, not where the label
// is: "holds the control character 0x0D (at byte 3)".
absl::Status ValidateLabel(absl::string_view label);

// Parses a bundle's labels.txt: one label per line in head order ("\n" or
// "\r\n"; the last line's newline is optional). A label ValidateLabel
// refuses (its message begins "line N"), one that appears twice or a count
// other than `expected` (config.json's num_labels) is INVALID_ARGUMENT; the
// message does not name the file.
absl::StatusOr<std::vector<std::string>> ParseLabels(absl::string_view text,
                                                     int64_t expected);

}  // namespace wersa

#endif  // WERSA_MODEL_LABELS_H_
