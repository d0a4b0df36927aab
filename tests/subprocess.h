#ifndef WERSA_TESTS_SUBPROCESS_H_
#define WERSA_TESTS_SUBPROCESS_H_

#include <string>

namespace wersa::testing_support {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command to completion, as a user would from a terminal.
CommandResult RunCommand(const std::string& command);

}  // namespace wersa::testing_support

#endif  // WERSA_TESTS_SUBPROCESS_H_
