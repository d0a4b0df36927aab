#ifndef WERSA_MODEL_TOOLS_COMMAND_LINE_H_
#define WERSA_MODEL_TOOLS_COMMAND_LINE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace wersa::tools {

struct FlagSpec {
  std::string name;           // without the leading dashes
  std::string default_value;  // "" for none
  std::string help;
};

// --name=value and --name value flags (and --flag alone for booleans), checked
// against a list of known flags: a typo is an error, not a silent default.
class CommandLine {
 public:
  static absl::StatusOr<CommandLine> Parse(int argc, const char* const* argv,
                                           const std::vector<FlagSpec>& specs);
  static std::string Usage(const std::string& program,
                           const std::string& summary,
                           const std::vector<FlagSpec>& specs);

  bool Has(const std::string& name) const;  // given on the command line
  const std::string& String(const std::string& name) const;
  absl::StatusOr<int64_t> Int(const std::string& name) const;
  absl::StatusOr<double> Double(const std::string& name) const;
  absl::StatusOr<bool> Bool(const std::string& name) const;
  // The whole command line, shell-quoted, for provenance records.
  const std::string& invocation() const { return invocation_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> given_;
  std::string invocation_;
};

}  // namespace wersa::tools

#endif  // WERSA_MODEL_TOOLS_COMMAND_LINE_H_
