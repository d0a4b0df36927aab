// The text files of a bundle: config.json (ParseModelConfig) and labels.txt
// (ParseLabels), each fed the same bytes. Whatever they accept must be
// valid and must survive being written out and read again unchanged; what
// they refuse must be INVALID_ARGUMENT with a message.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fuzz/fuzz_support.h"
#include "model/labels.h"
#include "model/model_config.h"
#include "model/utf8.h"

namespace wersa::fuzz {
namespace {

void CheckConfig(const std::string& text) {
  const absl::StatusOr<ModelConfig> config = ParseModelConfig(text);
  if (!config.ok()) {
    CheckCode(config.status(), absl::StatusCode::kInvalidArgument, false);
    Check(!config.status().message().empty(), "a refusal without a message");
    return;
  }
  Check(ValidateModelConfig(*config).ok(), "accepted an invalid config");
  const std::string written = SerializeModelConfig(*config);
  const absl::StatusOr<ModelConfig> again = ParseModelConfig(written);
  CheckCode(again.status(), absl::StatusCode::kOk, false);
  Check(SerializeModelConfig(*again) == written,
        "config.json changed on a round trip");
}

void CheckLabels(const std::string& text, int64_t expected) {
  const absl::StatusOr<std::vector<std::string>> labels =
      ParseLabels(text, expected);
  if (!labels.ok()) {
    CheckCode(labels.status(), absl::StatusCode::kInvalidArgument, false);
    Check(!labels.status().message().empty(), "a refusal without a message");
    return;
  }
  Check(static_cast<int64_t>(labels->size()) == expected,
        "the label count differs from num_labels");
  const std::set<std::string> distinct(labels->begin(), labels->end());
  Check(distinct.size() == labels->size(), "a label appears twice");
  for (const std::string& label : *labels) {
    Check(!label.empty(), "an empty label");
    Check(!FindInvalidUtf8(label).has_value(), "a label is not UTF-8");
    for (const char c : label) {
      Check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F,
            "a label holds a control character");
    }
  }
  // SaveBundle's format: one label per line.
  const absl::StatusOr<std::vector<std::string>> again =
      ParseLabels(absl::StrCat(absl::StrJoin(*labels, "\n"), "\n"), expected);
  CheckCode(again.status(), absl::StatusCode::kOk, false);
  Check(*again == *labels, "labels.txt changed on a round trip");
}

}  // namespace
}  // namespace wersa::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  // config.json's num_labels is at least 1.
  const auto expected = input.ConsumeIntegralInRange<int64_t>(1, 40);
  const std::string text = input.ConsumeRemainingBytesAsString();
  wersa::fuzz::CheckConfig(text);
  wersa::fuzz::CheckLabels(text, expected);
  return 0;
}
