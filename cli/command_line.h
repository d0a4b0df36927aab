#ifndef WERSA_CLI_COMMAND_LINE_H_
#define WERSA_CLI_COMMAND_LINE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace wersa::cli {

struct FlagSpec {
  std::string name;           // without the leading dashes
  std::string default_value;  // "" for none
  std::string help;
};

// --name=value and --name value flags (and --flag alone for booleans), checked
// against a list of known flags: a typo is an error, not a silent default.
class CommandLine {
 public:
  // Words that are not flags are positional arguments, an error unless
  // `allow_positional`.
  static absl::StatusOr<CommandLine> Parse(int argc, const char* const* argv,
                                           const std::vector<FlagSpec>& specs,
                                           bool allow_positional = false);
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
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> given_;
  std::string invocation_;
  std::vector<std::string> positional_;
};

}  // namespace wersa::cli

#endif  // WERSA_CLI_COMMAND_LINE_H_
