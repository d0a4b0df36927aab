#include "model/labels.h"

#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace wersa {

absl::StatusOr<std::vector<std::string>> ParseLabels(absl::string_view text,
                                                     int64_t expected) {
  std::vector<std::string> labels;
  std::set<std::string> seen;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    const std::string label(absl::StripSuffix(line, "\r"));
    if (label.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", labels.size() + 1, " is empty"));
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
