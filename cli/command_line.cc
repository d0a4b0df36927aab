#include "cli/command_line.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace wersa::cli {
namespace {

std::string ShellQuote(const std::string& word) {
  if (!word.empty() &&
      word.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;!#~") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (const char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

absl::StatusOr<CommandLine> CommandLine::Parse(
    int argc, const char* const* argv, const std::vector<FlagSpec>& specs,
    bool allow_positional) {
  CommandLine line;
  for (const FlagSpec& spec : specs)
    line.values_[spec.name] = spec.default_value;
  line.invocation_ = argc > 0 ? ShellQuote(argv[0]) : "";
  for (int i = 1; i < argc; ++i) {
    absl::StrAppend(&line.invocation_, " ", ShellQuote(argv[i]));
    const std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--") || arg == "-") {
      if (!allow_positional) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument '", arg, "'"));
      }
      line.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    const size_t equals = name.find('=');
    const bool has_value = equals != std::string::npos;
    if (has_value) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    const auto known = line.values_.find(name);
    if (known == line.values_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      // "--flag value"; a boolean flag (default true or false) also stands
      // alone, and then takes only true or false as its value.
      const bool boolean = known->second == "false" || known->second == "true";
      const std::string next = i + 1 < argc ? argv[i + 1] : "--";
      if (!absl::StartsWith(next, "--") &&
          (!boolean || next == "true" || next == "false")) {
        value = argv[++i];
        absl::StrAppend(&line.invocation_, " ", ShellQuote(value));
      } else {
        value = "true";
      }
    }
    known->second = value;
    line.given_[name] = true;
  }
  return line;
}

std::string CommandLine::Usage(const std::string& program,
                               const std::string& summary,
                               const std::vector<FlagSpec>& specs) {
  std::string usage =
      absl::StrCat("usage: ", program, " [flags]\n", summary, "\n\nflags:\n");
  for (const FlagSpec& spec : specs) {
    absl::StrAppend(&usage, "  --", spec.name,
                    spec.default_value.empty()
                        ? ""
                        : absl::StrCat(" (default ", spec.default_value, ")"),
                    "\n      ", spec.help, "\n");
  }
  return usage;
}

bool CommandLine::Has(const std::string& name) const {
  return given_.count(name) > 0;
}

const std::string& CommandLine::String(const std::string& name) const {
  return values_.at(name);
}

absl::StatusOr<int64_t> CommandLine::Int(const std::string& name) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(String(name), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be an integer, got '", String(name), "'"));
  }
  return value;
}

absl::StatusOr<double> CommandLine::Double(const std::string& name) const {
  double value = 0;
  if (!absl::SimpleAtod(String(name), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be a number, got '", String(name), "'"));
  }
  return value;
}

absl::StatusOr<bool> CommandLine::Bool(const std::string& name) const {
  bool value = false;
  if (!absl::SimpleAtob(String(name), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be true or false, got '", String(name), "'"));
  }
  return value;
}

}  // namespace wersa::cli
