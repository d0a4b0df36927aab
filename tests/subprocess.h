#ifndef WERSA_TESTS_SUBPROCESS_H_
#define WERSA_TESTS_SUBPROCESS_H_

#include <string>
#include <vector>

namespace wersa::testing_support {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command to completion, as a user would from a terminal.
CommandResult RunCommand(const std::string& command);

// In a forked child: replaces the process with words[0] run with `words` as
// its argv, or says why it could not and exits with 127.
[[noreturn]] void ExecOrExit(std::vector<std::string> words);

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SUBPROCESS_H_
