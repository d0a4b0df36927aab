#include "tests/server/exposition.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/server/http_client.h"

namespace wersa::testing_support {

std::optional<double> Sample(const std::string& text, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  std::optional<double> found;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos ||
        line.substr(0, name_end) != name) {
      continue;
    }
    const size_t value_start = line.rfind(' ');
    const absl::string_view series = line.substr(0, value_start);
    bool match = true;
    for (const auto& [label, value] : labels) {
      match = match && absl::StrContains(
                           series, absl::StrCat(label, "=\"", value, "\""));
    }
    if (!match) continue;
    double value = 0;
    if (found.has_value() ||
        !absl::SimpleAtod(line.substr(value_start + 1), &value)) {
      return std::nullopt;
    }
    found = value;
  }
  return found;
}

bool AwaitSampleAtLeast(int port, const std::string& name, double value) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (absl::Now() < give_up) {
    const HttpResponse response = HttpGet(port, "/metrics");
    if (Sample(response.body, name).value_or(value - 1) >= value) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

}  // namespace wersa::testing_support
