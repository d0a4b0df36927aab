#include "model/tools/tool_main.h"

#include <torch/torch.h>

#include <cstdio>
#include <exception>
#include <string>

#include "model/caching_host_allocator.h"
#include "model/cpu_kernels.h"
#include "model/thread_count.h"

namespace wersa::tools {

int SetTorchThreads(int64_t requested) {
  const int threads = ResolveThreadCount(requested);
  torch::set_num_threads(threads);
  return threads;
}

int ToolMain(int argc, char** argv, const ToolInfo& tool,
             const std::function<absl::Status(const cli::CommandLine&)>& run) {
  const auto kernels = ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::fprintf(stderr, "%s: %s\n", tool.name,
                 std::string(kernels.status().message()).c_str());
    return 1;
  }
  const CachingHostAllocator host_allocator;
  absl::StatusOr<cli::CommandLine> flags =
      cli::CommandLine::Parse(argc, argv, *tool.flags);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s: %s\n", tool.name,
                 std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->Has("help")) {
    std::printf(
        "%s", cli::CommandLine::Usage(tool.name, tool.description, *tool.flags)
                  .c_str());
    return 0;
  }
  if (tool.describe_kernels) {
    std::fprintf(stderr, "%s: %s\n", tool.name, kernels->Describe().c_str());
  }
  absl::Status status;
  try {
    status = run(*flags);
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", tool.name,
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace wersa::tools
