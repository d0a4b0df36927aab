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
#include <utility>
#include <vector>

#include "model/caching_host_allocator.h"
#include "model/cpu_kernels.h"
#include "model/exact_attention.h"
#include "model/memory_tracking.h"
#include "model/predictor.h"
#include "model/thread_count.h"
#include "model/wersa_attention.h"

#ifdef WERSA_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/version.h>

#include "model/haar.h"
#include "model/kernels/fused_wersa.h"
#include "model/kernels/fused_wersa_cuda.h"
#endif

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
// One document of n random token ids of the predictor's vocabulary.
std::vector<std::vector<int32_t>> RandomDocument(
    const wersa::Predictor& predictor, int64_t n) {
  torch::manual_seed(0);
  const torch::Tensor ids =
      torch::randint(predictor.bundle().config.vocab_size, {n}, torch::kInt32);
  return {std::vector<int32_t>(ids.data_ptr<int32_t>(),
                               ids.data_ptr<int32_t>() + n)};
}

void BM_Model(benchmark::State& state, wersa::TrackingCpuAllocator& tracker,
              wersa::Predictor* predictor) {
  const int64_t n = state.range(0);
  const std::vector<std::vector<int32_t>> documents =
      RandomDocument(*predictor, n);
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

#ifdef WERSA_TORCH_CUDA
// GPU benchmarks (docs/gpu.md), registered where LibTorch has CUDA and sees a
// device: one layer (or attention core), batch 1, forward under
// InferenceMode, each iteration ending in a synchronisation of the current
// stream so that the time is the device's. peak_extra_MiB is the caching
// allocator's peak beyond what was live before the warm-up run.
namespace {

struct CudaConfig {
  const char* name;
  int64_t d_model;
  int64_t heads;
  int64_t features;
  int64_t levels;
};

// The shipped model's layer, and a paper-sized one (d_model 768, 12 heads,
// 1,024 features; the paper's level count is unknown, so the shipped 3).
constexpr CudaConfig kCudaConfigs[] = {{"shipped", 64, 2, 128, 3},
                                       {"paper", 768, 12, 1024, 3}};

void SynchronizeCuda() { c10::cuda::getCurrentCUDAStream().synchronize(); }

void RunCuda(benchmark::State& state, int64_t n,
             const std::function<torch::Tensor()>& forward) {
  const c10::DeviceIndex device = c10::cuda::current_device();
  namespace allocator = c10::cuda::CUDACachingAllocator;
  // Index 0 of each StatArray is StatType::AGGREGATE (every pool together).
  try {
    SynchronizeCuda();
    allocator::resetPeakStats(device);
    const int64_t before =
        allocator::getDeviceStats(device).allocated_bytes[0].current;
    benchmark::DoNotOptimize(forward());  // also the warm-up
    SynchronizeCuda();
    const int64_t peak =
        allocator::getDeviceStats(device).allocated_bytes[0].peak;
    // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's
    // loop idiom
    for (auto _ : state) {
      torch::Tensor y = forward();
      SynchronizeCuda();
      benchmark::DoNotOptimize(y.data_ptr());
    }
    state.counters["peak_extra_MiB"] =
        static_cast<double>(peak - before) / (1 << 20);
    state.counters["tokens_per_s"] = benchmark::Counter(
        static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  } catch (const c10::Error& error) {
    // Out of memory (exact attention at long n) is a result, not a crash.
    state.SkipWithError(error.what_without_backtrace());
  }
}

wersa::WersaAttentionOptions CudaWersaOptions(const CudaConfig& config,
                                              bool fused) {
  wersa::WersaAttentionOptions options;
  options.d_model = config.d_model;
  options.num_heads = config.heads;
  options.wavelet_levels = config.levels;
  options.random_features = config.features;
  options.fused_kernels = fused;
  return options;
}

// The layer's input and lengths on the GPU, as the server would hold them.
struct CudaInput {
  CudaInput(const CudaConfig& config, int64_t n,
            torch::ScalarType dtype = torch::kFloat32) {
    torch::manual_seed(0);
    x = torch::randn({1, n, config.d_model},
                     torch::dtype(dtype).device(torch::kCUDA));
    lengths =
        torch::full({1}, n, torch::dtype(torch::kInt64).device(torch::kCUDA));
  }
  torch::Tensor x;
  torch::Tensor lengths;
};

// The whole WERSA layer (projections, gate network, attention, output
// projection) on the GPU: "Ops" with the LibTorch-ops attention, "Fused"
// with the fused CUDA stages, as inference runs it.
void BM_CudaWersa(benchmark::State& state, const CudaConfig& config,
                  bool fused) {
  torch::InferenceMode inference;
  const int64_t n = state.range(0);
  wersa::WersaAttentionImpl layer(CudaWersaOptions(config, fused));
  layer.to(torch::kCUDA);
  layer.eval();
  const CudaInput input(config, n);
  RunCuda(state, n, [&] { return layer.forward(input.x, input.lengths); });
}

void BM_CudaWersaOps(benchmark::State& state, const CudaConfig& config) {
  BM_CudaWersa(state, config, /*fused=*/false);
}

void BM_CudaWersaFused(benchmark::State& state, const CudaConfig& config) {
  BM_CudaWersa(state, config, /*fused=*/true);
}

// The fused stages alone, from q|k|v and the gains to the normalised output.
void BM_CudaWersaFusedCore(benchmark::State& state, const CudaConfig& config) {
  torch::InferenceMode inference;
  const int64_t n = state.range(0);
  const int64_t block = int64_t{1} << config.levels;
  const auto on_gpu = torch::dtype(torch::kFloat).device(torch::kCUDA);
  torch::manual_seed(0);
  const int64_t head_dim = config.d_model / config.heads;
  wersa::kernels::FusedWersaWeights weights;
  weights.features_q = torch::randn({head_dim, config.features}, on_gpu);
  weights.features_k = weights.features_q;
  weights.haar_matrix = wersa::HaarBlockMatrix(config.levels, on_gpu);
  weights.kv_scale = torch::full({}, 1.0 / config.features, on_gpu);
  weights.norm_weight = torch::ones({head_dim}, on_gpu);
  weights.norm_bias = torch::zeros({head_dim}, on_gpu);
  wersa::kernels::WersaDims dims;
  dims.heads = config.heads;
  dims.head_dim = head_dim;
  dims.features = config.features;
  dims.levels = config.levels;
  const torch::Tensor qkv = torch::randn({1, n, 3 * config.d_model}, on_gpu);
  const torch::Tensor gains =
      torch::rand({1, (n + block - 1) / block, block}, on_gpu);
  const torch::Tensor lengths =
      torch::full({1}, n, torch::dtype(torch::kInt64).device(torch::kCUDA));
  RunCuda(state, n, [&] {
    return wersa::kernels::FusedWersaAttentionCuda(qkv, gains, lengths, dims,
                                                   weights);
  });
}

// Exact softmax attention (ExactAttentionImpl, the [n, n] scores written
// out) on the GPU.
void BM_CudaExact(benchmark::State& state, const CudaConfig& config) {
  torch::InferenceMode inference;
  const int64_t n = state.range(0);
  wersa::ExactAttentionImpl layer(
      wersa::ExactAttentionOptions{config.d_model, config.heads});
  layer.to(torch::kCUDA);
  layer.eval();
  const CudaInput input(config, n);
  RunCuda(state, n, [&] { return layer.forward(input.x, input.lengths); });
}

#if TORCH_VERSION_MAJOR >= 2
// The strongest exact baseline: at::scaled_dot_product_attention in bf16
// (FlashAttention on sm_80/sm_90), attention core only, q, k, v
// [1, heads, n, head_dim].
void BM_CudaSdpaBf16(benchmark::State& state, const CudaConfig& config) {
  torch::InferenceMode inference;
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  const auto options = torch::dtype(torch::kBFloat16).device(torch::kCUDA);
  const int64_t head_dim = config.d_model / config.heads;
  const torch::Tensor q = torch::randn({1, config.heads, n, head_dim}, options);
  const torch::Tensor k = torch::randn({1, config.heads, n, head_dim}, options);
  const torch::Tensor v = torch::randn({1, config.heads, n, head_dim}, options);
  RunCuda(state, n, [&] { return at::scaled_dot_product_attention(q, k, v); });
}

// A whole exact-attention layer as a bf16 model would run it, to set against
// the WERSA layer: the q|k|v projection, SDPA and the output projection, all
// in bf16.
void BM_CudaSdpaBf16Layer(benchmark::State& state, const CudaConfig& config) {
  torch::InferenceMode inference;
  const int64_t n = state.range(0);
  torch::nn::Linear qkv(config.d_model, 3 * config.d_model);
  torch::nn::Linear out(config.d_model, config.d_model);
  qkv->to(torch::kCUDA, torch::kBFloat16);
  out->to(torch::kCUDA, torch::kBFloat16);
  const CudaInput input(config, n, torch::kBFloat16);
  const int64_t head_dim = config.d_model / config.heads;
  RunCuda(state, n, [&] {
    const std::vector<torch::Tensor> q_k_v =
        qkv(input.x)
            .view({1, n, 3, config.heads, head_dim})
            .permute({2, 0, 3, 1, 4})
            .unbind(0);
    return out(at::scaled_dot_product_attention(q_k_v[0], q_k_v[1], q_k_v[2])
                   .transpose(1, 2)
                   .reshape({1, n, config.d_model}));
  });
}
#endif

// The shipped model's whole encoder on the GPU through the Predictor, as the
// server runs it with --device=cuda:0: one document of n random token ids,
// host ids in, host scores out.
void BM_CudaModel(benchmark::State& state, wersa::Predictor* predictor) {
  const int64_t n = state.range(0);
  const std::vector<std::vector<int32_t>> documents =
      RandomDocument(*predictor, n);
  RunCuda(state, n, [&] {
    const auto scores = predictor->Predict(documents);
    TORCH_CHECK(scores.ok(), "Predict failed: ", scores.status().ToString());
    return torch::tensor((*scores)[0]);
  });
}

void RegisterCudaBenchmarks(wersa::Predictor* model) {
  using Benchmark = void (*)(benchmark::State&, const CudaConfig&);
  struct Entry {
    const char* name;
    Benchmark run;
    // Exact attention's [heads, n, n] fp32 scores pass 80 GB beyond these.
    int64_t shipped_max_n;
    int64_t paper_max_n;
  };
  const Entry entries[] = {
    {"CudaWersaOps", BM_CudaWersaOps, 131072, 131072},
    {"CudaWersaFused", BM_CudaWersaFused, 131072, 131072},
    {"CudaWersaFusedCore", BM_CudaWersaFusedCore, 131072, 131072},
    {"CudaExact", BM_CudaExact, 32768, 16384},
#if TORCH_VERSION_MAJOR >= 2
    {"CudaSdpaBf16", BM_CudaSdpaBf16, 131072, 131072},
    {"CudaSdpaBf16Layer", BM_CudaSdpaBf16Layer, 131072, 131072},
#endif
  };
  for (const Entry& entry : entries) {
    for (const CudaConfig& config : kCudaConfigs) {
      const bool shipped = std::strcmp(config.name, "shipped") == 0;
      const std::string name = std::string(entry.name) + "/" + config.name;
      benchmark::internal::Benchmark* registered =
          benchmark::RegisterBenchmark(
              name.c_str(),
              [run = entry.run, config](benchmark::State& state) {
                run(state, config);
              })
              ->ArgName("n")
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
      // Powers of two and the points halfway between on a log scale (x1.5),
      // so the crossover against FlashAttention is bracketed within 1.5x.
      const int64_t max_n = shipped ? entry.shipped_max_n : entry.paper_max_n;
      for (int64_t n = 1024; n <= max_n; n *= 2) {
        registered->Arg(n);
        if (n + n / 2 <= max_n) registered->Arg(n + n / 2);
      }
    }
  }
  if (model != nullptr) {
    benchmark::RegisterBenchmark("CudaModel", BM_CudaModel, model)
        ->ArgName("n")
        ->Arg(4096)
        ->Arg(16384)
        ->Arg(131072)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace
#endif  // WERSA_TORCH_CUDA

int main(int argc, char** argv) {
  const auto kernels = wersa::ConfigureCpuKernels(argv);
  if (!kernels.ok()) {
    std::fprintf(stderr, "wersa-bench: %s\n",
                 std::string(kernels.status().message()).c_str());
    return 1;
  }
  // --threads 0: one per CPU, as in every binary.
  const int threads = wersa::ResolveThreadCount(
      std::stoi(TakeFlag(&argc, argv, "threads", "0")));
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
#ifdef WERSA_TORCH_CUDA
  std::unique_ptr<wersa::Predictor> cuda_model;
  if (torch::cuda::is_available()) {
    if (auto bundle = wersa::LoadBundle(model_dir); bundle.ok()) {
      auto created = wersa::Predictor::Create(
          *std::move(bundle), wersa::PredictorOptions{threads, "cuda:0"});
      if (created.ok()) cuda_model = *std::move(created);
    }
    RegisterCudaBenchmarks(cuda_model.get());
  }
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
