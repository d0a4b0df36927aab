// wersa-bench: one attention layer, batch 1, forward pass under InferenceMode,
// at sequence lengths from 1,024 to 131,072 tokens (exact attention to 16,384).
// Reports time per forward and the peak tensor memory it allocated beyond its
// input (bytes counted by a tracking allocator, not RSS), for the fused
// kernels and the LibTorch-ops reference, on three layer shapes; and the
// whole encoder of a model bundle. Flags besides Google Benchmark's:
// --threads=N (default: one per CPU), --model_dir=DIR (default
// models/arxiv-archive-11, relative to the working directory).
//
//   wersa-bench --benchmark_filter='^Wersa/features:128/'  # one feature count
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "model/caching_host_allocator.h"
#include "model/cpu_kernels.h"
#include "model/exact_attention.h"
#include "model/memory_tracking.h"
#include "model/predictor.h"
#include "model/wersa_attention.h"

namespace {

// A layer's shape; the LibTorch-ops reference or the fused kernels.
struct LayerSetup {
  int64_t d_model;
  int64_t heads;
  bool fused;
};

// The reference layer of docs/benchmarks.md, the shipped model's layer
// (models/arxiv-archive-11) and a paper-sized one.
constexpr int64_t kReferenceDim = 128;
constexpr int64_t kReferenceHeads = 4;
constexpr int64_t kWaveletLevels = 3;

void RunForward(benchmark::State& state, wersa::TrackingCpuAllocator& tracker,
                wersa::AttentionLayerImpl& layer, int64_t d_model, int64_t n) {
  torch::InferenceMode inference;
  layer.eval();
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({1, n, d_model});
  const torch::Tensor lengths = torch::full({1}, n, torch::kInt64);

  tracker.ResetPeak();
  const int64_t before = tracker.current_bytes();
  benchmark::DoNotOptimize(layer.forward(x, lengths));  // also the warm-up
  const double peak_mib =
      static_cast<double>(tracker.peak_bytes() - before) / (1 << 20);

  // Google Benchmark's loop idiom: the loop variable is never read.
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    torch::Tensor y = layer.forward(x, lengths);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.counters["peak_extra_MiB"] = peak_mib;
  state.counters["tokens_per_s"] = benchmark::Counter(
      static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Wersa(benchmark::State& state, wersa::TrackingCpuAllocator& tracker,
              const LayerSetup& setup) {
  const int64_t n = state.range(1);
  wersa::WersaAttentionOptions options;
  options.d_model = setup.d_model;
  options.num_heads = setup.heads;
  options.wavelet_levels = kWaveletLevels;
  options.random_features = state.range(0);
  options.fused_kernels = setup.fused;
  wersa::WersaAttentionImpl layer(options);
  RunForward(state, tracker, layer, setup.d_model, n);
}

void BM_Exact(benchmark::State& state, wersa::TrackingCpuAllocator& tracker) {
  const int64_t n = state.range(0);
  wersa::ExactAttentionImpl layer(
      wersa::ExactAttentionOptions{kReferenceDim, kReferenceHeads});
  RunForward(state, tracker, layer, kReferenceDim, n);
}

void RegisterWersa(const char* name, wersa::TrackingCpuAllocator& tracker,
                   const LayerSetup& setup, std::vector<int64_t> features,
                   int64_t max_n) {
  benchmark::RegisterBenchmark(name, BM_Wersa, std::ref(tracker), setup)
      ->ArgNames({"features", "n"})
      ->ArgsProduct(
          {std::move(features), benchmark::CreateRange(1024, max_n, 2)})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MeasureProcessCPUTime();
}

void RegisterBenchmarks(wersa::TrackingCpuAllocator& tracker) {
  // "Wersa" runs what inference runs: the fused kernels where this CPU has
  // them. "...Reference" forces the LibTorch-ops implementation.
  RegisterWersa("Wersa", tracker, {kReferenceDim, kReferenceHeads, true},
                {128, 256, 1024}, 131072);
  RegisterWersa("WersaReference", tracker,
                {kReferenceDim, kReferenceHeads, false}, {128, 256, 1024},
                131072);
  RegisterWersa("ShippedWersa", tracker, {64, 2, true}, {128}, 131072);
  RegisterWersa("ShippedWersaReference", tracker, {64, 2, false}, {128},
                131072);
  // 12 heads of 64 channels, 1,024 features: about 100x the reference
  // layer's work per token, so stopped at 16,384 tokens on a CPU.
  RegisterWersa("PaperWersa", tracker, {768, 12, true}, {1024}, 16384);
  RegisterWersa("PaperWersaReference", tracker, {768, 12, false}, {1024},
                16384);
  benchmark::RegisterBenchmark("Exact", BM_Exact, std::ref(tracker))
      ->ArgName("n")
      ->RangeMultiplier(2)
      ->Range(1024, 16384)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MeasureProcessCPUTime();
}

// A model bundle's whole encoder through the Predictor, as the server runs
// it: one document of n random token ids.
void BM_Model(benchmark::State& state, wersa::TrackingCpuAllocator& tracker,
              wersa::Predictor* predictor) {
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  const torch::Tensor ids =
      torch::randint(predictor->bundle().config.vocab_size, {n}, torch::kInt32);
  const std::vector<std::vector<int32_t>> documents = {std::vector<int32_t>(
      ids.data_ptr<int32_t>(), ids.data_ptr<int32_t>() + n)};
  tracker.ResetPeak();
  const int64_t before = tracker.current_bytes();
  if (!predictor->Predict(documents).ok()) {  // also the warm-up
    state.SkipWithError("Predict failed");
    return;
  }
  const double peak_mib =
      static_cast<double>(tracker.peak_bytes() - before) / (1 << 20);
  // Google Benchmark's loop idiom: the loop variable is never read.
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores)
    benchmark::DoNotOptimize(predictor->Predict(documents));
  }
  state.counters["peak_extra_MiB"] = peak_mib;
  state.counters["tokens_per_s"] = benchmark::Counter(
      static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

// Removes --name=value from argv and returns value, or fallback.
std::string TakeFlag(int* argc, char** argv, const std::string& name,
                     const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  std::string value = fallback;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      value = argv[i] + prefix.size();
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  const auto kernels = wersa::ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::fprintf(stderr, "wersa-bench: %s\n",
                 std::string(kernels.status().message()).c_str());
    return 1;
  }
  const int threads =
      std::stoi(TakeFlag(&argc, argv, "threads",
                         std::to_string(std::thread::hardware_concurrency())));
  const std::string model_dir =
      TakeFlag(&argc, argv, "model_dir", "models/arxiv-archive-11");
  torch::set_num_threads(threads);
  const double gflops = wersa::MeasureGemmGflops(2048, 5);
  std::printf("%s\nsgemm 2048^3 with %d threads: %.1f GFLOP/s\n",
              kernels->Describe().c_str(), threads, gflops);
  benchmark::AddCustomContext("cpu_kernels", kernels->Describe());
  benchmark::AddCustomContext("sgemm_gflops", std::to_string(gflops));
  benchmark::AddCustomContext("torch_threads", std::to_string(threads));

  wersa::CachingHostAllocator host_allocator;
  wersa::TrackingCpuAllocator tracker;
  RegisterBenchmarks(tracker);
  std::unique_ptr<wersa::Predictor> predictor;
  if (auto bundle = wersa::LoadBundle(model_dir); bundle.ok()) {
    auto created = wersa::Predictor::Create(
        *std::move(bundle), wersa::PredictorOptions{threads, "cpu"});
    if (created.ok()) predictor = *std::move(created);
  }
  if (predictor != nullptr) {
    benchmark::RegisterBenchmark("Model", BM_Model, std::ref(tracker),
                                 predictor.get())
        ->ArgName("n")
        ->Arg(4096)
        ->Arg(16384)
        ->Arg(131072)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MeasureProcessCPUTime();
  } else {
    std::printf("no Model benchmarks: %s is not a loadable bundle\n",
                model_dir.c_str());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
