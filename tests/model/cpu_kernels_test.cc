#include "model/cpu_kernels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/subprocess.h"

namespace wersa {
namespace {

using testing::HasSubstr;

// Runs the probe with `environment` prepended (after clearing the variables
// the selection reads) and returns its output.
std::string RunProbe(const std::string& environment) {
  const std::string command =
      "env -u OPENBLAS_CORETYPE -u WERSA_BLAS_SELECTED_TIER -u "
      "WERSA_BLAS_DETECTED_CORE "
      "-u ATEN_CPU_CAPABILITY -u WERSA_ATEN_SELECTED " +
      environment + " " + WERSA_CPU_KERNELS_PROBE;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"),
                                             pclose);
  std::string output;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr)
    output += buffer.data();
  return output;
}

bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq");
}

TEST(CpuKernelsTest, ChoosesAtLeastTheFamilyTheCpuSupports) {
  const std::string output = RunProbe("");
  EXPECT_THAT(output, HasSubstr("core="));
  EXPECT_THAT(output, testing::Not(HasSubstr("error")));
  if (CpuHasAvx512()) {
    // Either OpenBLAS detected an AVX-512 family itself, or we selected one.
    EXPECT_THAT(output, testing::AnyOf(HasSubstr("core=SkylakeX"),
                                       HasSubstr("core=Cooperlake"),
                                       HasSubstr("core=SapphireRapids")));
    EXPECT_THAT(output, HasSubstr("aten=avx512"));
  } else if (__builtin_cpu_supports("avx2")) {
    EXPECT_THAT(output, testing::Not(HasSubstr("core=Prescott")));
  }
}

TEST(CpuKernelsTest, KeepsTheEnvironmentsChoice) {
  const std::string output =
      RunProbe("OPENBLAS_CORETYPE=Prescott ATEN_CPU_CAPABILITY=default");
  EXPECT_THAT(output, HasSubstr("core=Prescott"));
  EXPECT_THAT(output,
              HasSubstr("origin=from OPENBLAS_CORETYPE in the environment"));
  EXPECT_THAT(output, HasSubstr("aten=default"));
}

TEST(CpuKernelsTest, SelectionSurvivesItsOwnReexec) {
  // A child of a configured process inherits our markers and must not
  // mistake our choice for the user's.
  const std::string first = RunProbe("");
  const std::string second = RunProbe(
      "WERSA_BLAS_SELECTED_TIER=2 WERSA_BLAS_DETECTED_CORE=Prescott "
      "OPENBLAS_CORETYPE=Haswell");
  EXPECT_THAT(second, HasSubstr("core=Haswell"));
  EXPECT_THAT(
      second,
      HasSubstr("origin=selected for this CPU; OpenBLAS detected Prescott"));
  EXPECT_THAT(first, testing::Not(HasSubstr("error")));
}

TEST(CpuKernelsTest, GemmThroughputIsMeasured) {
  EXPECT_GT(MeasureGemmGflops(256, 3), 0.5);
}

}  // namespace
}  // namespace wersa
