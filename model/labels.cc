#include "model/labels.h"

#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "model/utf8.h"

namespace wersa {

absl::Status ValidateLabel(absl::string_view label) {
  if (label.empty()) return absl::InvalidArgumentError("is empty");
  if (const auto bad = FindInvalidUtf8(label)) {
    return absl::InvalidArgumentError(
        absl::StrCat("is not valid UTF-8 (at byte ", *bad, ")"));
  }
  for (size_t i = 0; i < label.size(); ++i) {
    const auto byte = static_cast<unsigned char>(label[i]);
    if (byte < 0x20 || byte == 0x7F) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "holds the control character 0x%02X (at byte %d)", byte, i));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseLabels(absl::string_view text,
                                                     int64_t expected) {
  std::vector<std::string> labels;
  std::set<std::string> seen;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    const std::string label(absl::StripSuffix(line, "\r"));
    if (absl::Status valid = ValidateLabel(label); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", labels.size() + 1, " ", valid.message()));
    }
    if (!seen.insert(label).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("label '", label, "' appears twice"));
    }
    labels.push_back(label);
  }
  if (static_cast<int64_t>(labels.size()) != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", labels.size(),
                     " labels, config.json num_labels is ", expected));
  }
  return labels;
}

}  // namespace wersa
