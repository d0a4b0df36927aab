#ifndef WERSA_MODEL_TOOLS_TOOL_MAIN_H_
#define WERSA_MODEL_TOOLS_TOOL_MAIN_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "cli/command_line.h"

namespace wersa::tools {

struct ToolInfo {
  const char* name;         // "wersa-train"
  const char* description;  // one line for --help
  const std::vector<cli::FlagSpec>* flags;
  // Print the BLAS and ATen kernel choice to stderr before running.
  bool describe_kernels = false;
};

// The main() of the model tools: CPU kernel set-up, the host allocator,
// flags (exit 2 on a bad command line), --help, then `run`. A failed status,
// or an exception from code that reports failures by throwing
// (nlohmann::json, the standard library), ends with "NAME: message" on
// stderr and exit code 1, never std::terminate.
int ToolMain(int argc, char** argv, const ToolInfo& tool,
             const std::function<absl::Status(const cli::CommandLine&)>& run);

// Applies a tool's --threads value to LibTorch (and the BLAS under it):
// `requested` threads, or one per CPU when it is 0 or less. Returns the
// count set, for the tool's other thread pools.
int SetTorchThreads(int64_t requested);

}  // namespace wersa::tools

#endif  // WERSA_MODEL_TOOLS_TOOL_MAIN_H_
