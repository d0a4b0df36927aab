#include "model/cpu_kernels.h"

#include <dlfcn.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace wersa {
namespace {

// Set by us before re-executing; they tell the new image what was chosen.
constexpr char kCoreTypeVar[] = "OPENBLAS_CORETYPE";
constexpr char kSelectedTierVar[] = "WERSA_BLAS_SELECTED_TIER";
constexpr char kDetectedCoreVar[] = "WERSA_BLAS_DETECTED_CORE";
constexpr int kUseDetected = -1;
constexpr char kAtenCapabilityVar[] = "ATEN_CPU_CAPABILITY";
constexpr char kAtenSelectedVar[] = "WERSA_ATEN_SELECTED";

// Instruction-set tiers of OpenBLAS kernel families, in increasing speed.
enum Tier { kBaseline = 0, kAvx = 1, kAvx2 = 2, kAvx512 = 3 };

int TierOfCore(const std::string& core) {
  const std::string name = absl::AsciiStrToLower(core);
  for (const char* avx512 : {"skylakex", "cooperlake", "sapphirerapids"}) {
    if (name == avx512) return kAvx512;
  }
  for (const char* avx2 : {"haswell", "zen", "excavator", "steamroller"}) {
    if (name == avx2) return kAvx2;
  }
  for (const char* avx : {"sandybridge", "bulldozer", "piledriver"}) {
    if (name == avx) return kAvx;
  }
  return kBaseline;
}

int TierOfCpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq")) {
    return kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return kAvx2;
  }
  if (__builtin_cpu_supports("avx")) return kAvx;
  return kBaseline;
}

// The kernel family we ask for at each tier.
const char* CoreForTier(int tier) {
  switch (tier) {
    case kAvx512:
      return "SkylakeX";
    case kAvx2:
      return "Haswell";
    case kAvx:
      return "Sandybridge";
    default:
      return nullptr;
  }
}

struct OpenBlasApi {
  const char* (*get_config)() = nullptr;
  const char* (*get_corename)() = nullptr;
  bool present() const {
    return get_config != nullptr && get_corename != nullptr;
  }
};

OpenBlasApi FindOpenBlas() {
  OpenBlasApi api;
  // LibTorch links the system BLAS; when that is OpenBLAS its symbols are
  // already in the process, so no library is opened here.
  api.get_config = reinterpret_cast<const char* (*)()>(
      dlsym(RTLD_DEFAULT, "openblas_get_config"));
  api.get_corename = reinterpret_cast<const char* (*)()>(
      dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return api;
}

// Deterministic inputs that leave LibTorch's random generator untouched.
std::vector<double> PseudoRandom(int64_t count, uint64_t seed) {
  std::vector<double> values(count);
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (double& v : values) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53) *
            2.0 -
        1.0;
  }
  return values;
}

// Compares torch::mm with a plain triple loop, in float and in double, on
// shapes that reach the kernels' edge handling as well as their main loops.
absl::Status CheckGemmArithmetic() {
  struct Shape {
    int64_t m, k, n;
  };
  const Shape shapes[] = {
      {67, 129, 95}, {256, 256, 256}, {1, 300, 7}, {513, 64, 33}};
  uint64_t seed = 1;
  for (const Shape& s : shapes) {
    const std::vector<double> a = PseudoRandom(s.m * s.k, seed++);
    const std::vector<double> b = PseudoRandom(s.k * s.n, seed++);
    std::vector<double> reference(s.m * s.n, 0.0);
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t p = 0; p < s.k; ++p) {
        const double aip = a[i * s.k + p];
        for (int64_t j = 0; j < s.n; ++j) {
          reference[i * s.n + j] += aip * b[p * s.n + j];
        }
      }
    }
    for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
      const auto options = torch::TensorOptions().dtype(torch::kFloat64);
      const torch::Tensor ta =
          torch::from_blob(const_cast<double*>(a.data()), {s.m, s.k}, options)
              .to(dtype);
      const torch::Tensor tb =
          torch::from_blob(const_cast<double*>(b.data()), {s.k, s.n}, options)
              .to(dtype);
      const torch::Tensor product =
          torch::mm(ta, tb).to(torch::kFloat64).contiguous();
      const double* got = product.data_ptr<double>();
      // Each entry sums k products of magnitude <= 1.
      const double tolerance =
          (dtype == torch::kFloat32 ? 4e-7 : 1e-14) * static_cast<double>(s.k) +
          1e-6;
      for (int64_t i = 0; i < s.m * s.n; ++i) {
        const double error = std::abs(got[i] - reference[i]);
        if (!(error <= tolerance)) {
          return absl::InternalError(absl::StrCat(
              "GEMM check failed for ", s.m, "x", s.k, " by ", s.k, "x", s.n,
              dtype == torch::kFloat32 ? " (float)" : " (double)", ": entry ",
              i, " is ", got[i], ", expected ", reference[i]));
        }
      }
    }
  }
  return absl::OkStatus();
}

[[noreturn]] void ReexecWithCore(char** argv, int tier,
                                 const std::string& detected) {
  if (tier == kUseDetected) {
    unsetenv(kCoreTypeVar);
  } else {
    setenv(kCoreTypeVar, CoreForTier(tier), 1);
  }
  setenv(kSelectedTierVar, std::to_string(tier).c_str(), 1);
  setenv(kDetectedCoreVar, detected.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Only reached when exec failed; the kernels already loaded stay.
  const int exec_errno = errno;
  unsetenv(kSelectedTierVar);
  std::fprintf(stderr,
               "wersa: could not re-execute to select BLAS kernels: %s\n",
               std::strerror(exec_errno));
  std::fflush(stderr);
  std::abort();
}

// Chooses LibTorch's kernel set before its first dispatch.
void ConfigureAtenCapability(CpuKernelInfo* info) {
  const char* env = std::getenv(kAtenCapabilityVar);
  if (env != nullptr) {
    info->aten_capability = env;
    info->aten_origin = std::getenv(kAtenSelectedVar) != nullptr
                            ? "selected for this CPU"
                            : "from ATEN_CPU_CAPABILITY in the environment";
    return;
  }
  if (TierOfCpu() >= kAvx512) {
    setenv(kAtenCapabilityVar, "avx512", 1);
    setenv(kAtenSelectedVar, "1", 1);
    info->aten_capability = "avx512";
    info->aten_origin = "selected for this CPU";
    return;
  }
  info->aten_capability = "LibTorch default";
  info->aten_origin = "no AVX-512 on this CPU";
}

}  // namespace

std::string CpuKernelInfo::Describe() const {
  return absl::StrCat("BLAS ", blas_library, "; core ", blas_core, " (",
                      blas_origin, "); ATen kernels ", aten_capability, " (",
                      aten_origin, ")");
}

absl::StatusOr<CpuKernelInfo> ConfigureCpuKernels(char** argv) {
  CpuKernelInfo info;
  ConfigureAtenCapability(&info);
  const OpenBlasApi openblas = FindOpenBlas();
  if (!openblas.present()) {
    info.blas_library = "not OpenBLAS";
    info.blas_core = "n/a";
    info.blas_origin = "no OpenBLAS symbols in this process";
    absl::Status check = CheckGemmArithmetic();
    if (!check.ok()) return check;
    return info;
  }
  info.blas_library = openblas.get_config();
  info.blas_core = openblas.get_corename();

  const char* env_core = std::getenv(kCoreTypeVar);
  const char* selected = std::getenv(kSelectedTierVar);
  int selected_tier = 0;
  if (selected != nullptr && absl::SimpleAtoi(selected, &selected_tier)) {
    const char* detected_env = std::getenv(kDetectedCoreVar);
    const std::string detected = detected_env != nullptr ? detected_env : "";
    absl::Status check = CheckGemmArithmetic();
    if (selected_tier == kUseDetected) {
      info.blas_origin =
          "detected by OpenBLAS; the faster kernels failed the GEMM check";
      if (!check.ok()) return check;
      return info;
    }
    info.blas_origin =
        absl::StrCat("selected for this CPU; OpenBLAS detected ", detected);
    if (check.ok()) return info;
    std::fprintf(
        stderr,
        "wersa: BLAS core %s failed its check (%s); trying a safer one\n",
        info.blas_core.c_str(), std::string(check.message()).c_str());
    const int next = selected_tier - 1;
    ReexecWithCore(argv, next > TierOfCore(detected) ? next : kUseDetected,
                   detected);
  }

  if (env_core != nullptr) {
    info.blas_origin = "from OPENBLAS_CORETYPE in the environment";
    absl::Status check = CheckGemmArithmetic();
    if (!check.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "OPENBLAS_CORETYPE=", env_core, " computes wrong results: ",
          check.message(), "; unset it to let wersa choose"));
    }
    return info;
  }

  const int cpu_tier = TierOfCpu();
  if (TierOfCore(info.blas_core) < cpu_tier) {
    ReexecWithCore(argv, cpu_tier, info.blas_core);
  }
  info.blas_origin = "detected by OpenBLAS";
  absl::Status check = CheckGemmArithmetic();
  if (!check.ok()) return check;
  return info;
}

double MeasureGemmGflops(int size, int repetitions) {
  const torch::Tensor a = torch::ones({size, size});
  const torch::Tensor b = torch::ones({size, size});
  torch::Tensor c = torch::mm(a, b);  // warm up threads and buffers
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repetitions; ++i) c = torch::mm(a, b);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return 2.0 * size * size * static_cast<double>(size) * repetitions / seconds /
         1e9;
}

}  // namespace wersa
