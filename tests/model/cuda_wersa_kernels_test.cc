// The CUDA stages of the fused WERSA attention (model/kernels/cuda/
// wersa_kernels.h) against a float64 reference written from the formulas of
// kernel_args.h with LibTorch CPU ops: each stage alone, fed the reference's
// own inputs, and the three chained, on single sequences of 1 to 131,072
// tokens and on mixed-length batches in padded and packed layouts.
//
// Tolerances, for fp32 kernels against a float64 reference:
// - (a) filter: 1e-4 absolute + relative. Each output is a GELU (erff, 2 ulp)
//   followed by two S-term dot products (S = 2^L <= 64 here); the rounding
//   stays near 1e-6 for inputs of a few units, 1e-4 leaves a wide margin
//   while still catching any wrong coefficient or gain (errors of order 1e-2
//   and more).
// - (b) [KV | z]: 1e-4 times sum_t phi(k_t) |v_t| (and sum_t phi(k_t) for
//   z), the scale of an fp32 summation error. v has both signs, so KV
//   itself may cancel to near zero and a relative bound on it would be
//   meaningless. The kernel sums at most 512 tokens sequentially per chunk,
//   then at most 512 chunks, so the worst-case bound (512 + 512) u is 6e-5.
// - (c) output: 1e-4 absolute + relative on the LayerNorm output (or the
//   fraction without it). The test's v has a per-channel offset, so each
//   head's outputs spread over about [-1, 1] and the LayerNorm's 1 / std
//   does not amplify rounding (with zero-mean v at 131,072 tokens the
//   outputs would all be near 0 and the comparison ill-conditioned).
// - chained: 5e-4, the errors of the three stages compounded through the
//   LayerNorm.
#include <gtest/gtest.h>
#include <torch/torch.h>

#ifdef WERSA_WITH_CUDA
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/haar.h"
#include "model/kernels/cuda/device_check.h"
#include "model/kernels/cuda/wersa_kernels.h"
#include "model/kernels/kernel_args.h"
#endif

namespace {

#ifndef WERSA_WITH_CUDA

TEST(CudaWersaKernelsTest, StagesMatchReference) {
  GTEST_SKIP()
      << "built without CUDA (WERSA_CUDA=OFF or no nvcc at configure time)";
}

#else

using wersa::kernels::AttendArgs;
using wersa::kernels::FilterArgs;
using wersa::kernels::ReduceArgs;
using wersa::kernels::SequenceLayout;
using wersa::kernels::WersaDims;
namespace cuda = wersa::kernels::cuda;

constexpr double kStageTolerance = 1e-4;
constexpr double kChainTolerance = 5e-4;
constexpr float kEpsilon = 1e-6f;
constexpr float kNormEpsilon = 1e-5f;
// Written into the outputs before a kernel runs: rows outside every
// sequence must still hold it afterwards.
constexpr float kUntouched = -7777.0f;

void Check(cudaError_t error) {
  if (error != cudaSuccess) {
    throw std::runtime_error(std::string(cudaGetErrorName(error)) + ": " +
                             cudaGetErrorString(error));
  }
}

// A device copy of a contiguous CPU tensor (float32 or int64), freed with it.
class DeviceTensor {
 public:
  explicit DeviceTensor(const torch::Tensor& host)
      : shape_(host.sizes().vec()), dtype_(host.scalar_type()) {
    const torch::Tensor contiguous = host.contiguous();
    bytes_ = contiguous.numel() * contiguous.element_size();
    void* raw = nullptr;
    Check(cudaMalloc(&raw, bytes_ > 0 ? bytes_ : 1));
    data_.reset(raw);
    Check(
        cudaMemcpy(raw, contiguous.data_ptr(), bytes_, cudaMemcpyHostToDevice));
  }

  template <typename T>
  T* data() const {
    return static_cast<T*>(data_.get());
  }

  torch::Tensor ToHost() const {
    torch::Tensor host = torch::empty(shape_, torch::dtype(dtype_));
    Check(cudaMemcpy(host.data_ptr(), data_.get(), bytes_,
                     cudaMemcpyDeviceToHost));
    return host;
  }

 private:
  struct Free {
    void operator()(void* p) const { cudaFree(p); }
  };
  std::vector<int64_t> shape_;
  torch::ScalarType dtype_;
  size_t bytes_ = 0;
  std::unique_ptr<void, Free> data_;
};

enum class Layout { kPadded, kPacked };

// One layer's inputs for a batch, on the host.
struct Problem {
  WersaDims dims;
  std::vector<int64_t> lengths;
  std::vector<int64_t> offsets;
  int64_t rows = 0;
  int64_t max_length = 0;
  int64_t gain_blocks = 0;
  torch::Tensor qkv;  // [rows, 3D]
  torch::Tensor gains;
  torch::Tensor features_q;
  torch::Tensor features_k;
  torch::Tensor norm_weight;
  torch::Tensor norm_bias;
  float kv_scale = 0.0f;
};

Problem MakeProblem(const WersaDims& dims, const std::vector<int64_t>& lengths,
                    Layout layout) {
  torch::manual_seed(
      static_cast<uint64_t>(dims.head_dim * 1000 + lengths.front()));
  Problem p;
  p.dims = dims;
  p.lengths = lengths;
  p.max_length = *std::max_element(lengths.begin(), lengths.end());
  int64_t row = 0;
  for (int64_t length : lengths) {
    p.offsets.push_back(row);
    row += layout == Layout::kPadded ? p.max_length : length;
  }
  p.rows = row;
  const int64_t d_model = dims.heads * dims.head_dim;
  const int64_t block = int64_t{1} << dims.levels;
  p.gain_blocks = (p.max_length + block - 1) / block;

  p.qkv = torch::randn({p.rows, 3 * d_model});
  const torch::Tensor channel_offset =
      torch::linspace(-1.0, 1.0, dims.head_dim).repeat({dims.heads});
  p.qkv.narrow(1, 2 * d_model, d_model).mul_(0.5).add_(channel_offset);
  // Negative gains flip a band's sign, which the band scales allow.
  p.gains = torch::rand(
                {static_cast<int64_t>(lengths.size()), p.gain_blocks, block}) *
                1.5 -
            0.5;
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(dims.head_dim));
  p.features_q = torch::randn({dims.head_dim, dims.features}) * inv_sqrt_d;
  p.features_k = torch::randn({dims.head_dim, dims.features}) * inv_sqrt_d;
  p.norm_weight = 1.0 + 0.1 * torch::randn({dims.head_dim});
  p.norm_bias = 0.1 * torch::randn({dims.head_dim});
  const double beta = std::log1p(std::exp(0.0)) + 0.1;
  p.kv_scale = static_cast<float>(
      1.0 / (beta * beta * static_cast<double>(dims.features)));
  return p;
}

// ---------------------------------------------------------------------------
// The float64 reference, per sequence, from the formulas.

torch::Tensor SequenceRows(const Problem& p, const torch::Tensor& x, size_t b) {
  return x.narrow(0, p.offsets[b], p.lengths[b]);
}

// Stage (a): [rows, 2D], zero outside the sequences.
torch::Tensor ReferenceFilter(const Problem& p) {
  const int64_t d_model = p.dims.heads * p.dims.head_dim;
  const int64_t block = int64_t{1} << p.dims.levels;
  const torch::Tensor w = wersa::HaarBlockMatrix(p.dims.levels, torch::kDouble);
  torch::Tensor filtered = torch::zeros({p.rows, 2 * d_model}, torch::kDouble);
  for (size_t b = 0; b < p.lengths.size(); ++b) {
    const int64_t length = p.lengths[b];
    const int64_t blocks = (length + block - 1) / block;
    const torch::Tensor qk = torch::gelu(
        SequenceRows(p, p.qkv, b).narrow(1, 0, 2 * d_model).to(torch::kDouble));
    const torch::Tensor padded =
        torch::constant_pad_nd(qk, {0, 0, 0, blocks * block - length});
    const torch::Tensor g = p.gains[static_cast<int64_t>(b)]
                                .narrow(0, 0, blocks)
                                .to(torch::kDouble);
    // W^T diag(g) W per block.
    const torch::Tensor filters = torch::matmul(w.t() * g.unsqueeze(-2), w);
    const torch::Tensor out =
        torch::matmul(filters, padded.view({blocks, block, 2 * d_model}));
    SequenceRows(p, filtered, b)
        .copy_(out.view({blocks * block, 2 * d_model}).narrow(0, 0, length));
  }
  return filtered;
}

// Stage (b) from `filtered` (as the device holds it): [KV | z] per sequence
// and head, and sum_t phi(k_t) [|v_t| | 1], the scale of its rounding.
std::pair<torch::Tensor, torch::Tensor> ReferenceKeyValue(
    const Problem& p, const torch::Tensor& filtered) {
  const int64_t d = p.dims.head_dim;
  const int64_t d_model = p.dims.heads * d;
  const auto batch = static_cast<int64_t>(p.lengths.size());
  torch::Tensor kv = torch::empty({batch, p.dims.heads, p.dims.features, d + 1},
                                  torch::kDouble);
  torch::Tensor scale = torch::empty_like(kv);
  const torch::Tensor r = p.features_k.to(torch::kDouble);
  for (int64_t b = 0; b < batch; ++b) {
    const torch::Tensor rows_k =
        SequenceRows(p, filtered, b).to(torch::kDouble);
    const torch::Tensor rows_v = SequenceRows(p, p.qkv, b).to(torch::kDouble);
    for (int64_t h = 0; h < p.dims.heads; ++h) {
      const torch::Tensor phi =
          torch::relu(torch::matmul(rows_k.narrow(1, d_model + h * d, d), r));
      const torch::Tensor v = rows_v.narrow(1, 2 * d_model + h * d, d);
      const torch::Tensor z = phi.sum(0).unsqueeze(1);
      kv[b][h].copy_(torch::cat({torch::matmul(phi.t(), v), z}, 1));
      scale[b][h].copy_(torch::cat({torch::matmul(phi.t(), v.abs()), z}, 1));
    }
  }
  return {kv, scale};
}

// Stage (c) from `filtered` and the scaled [KV | z]: [rows, D], zero outside
// the sequences.
torch::Tensor ReferenceAttend(const Problem& p, const torch::Tensor& filtered,
                              const torch::Tensor& kv, bool normalise) {
  const int64_t d = p.dims.head_dim;
  const int64_t d_model = p.dims.heads * d;
  torch::Tensor out = torch::zeros({p.rows, d_model}, torch::kDouble);
  const torch::Tensor r = p.features_q.to(torch::kDouble);
  for (size_t b = 0; b < p.lengths.size(); ++b) {
    const torch::Tensor rows_q =
        SequenceRows(p, filtered, b).to(torch::kDouble);
    for (int64_t h = 0; h < p.dims.heads; ++h) {
      const torch::Tensor phi =
          torch::relu(torch::matmul(rows_q.narrow(1, h * d, d), r));
      const torch::Tensor fraction =
          torch::matmul(phi, kv[static_cast<int64_t>(b)][h].to(torch::kDouble));
      torch::Tensor y =
          fraction.narrow(1, 0, d) / (fraction.narrow(1, d, 1) + kEpsilon);
      if (normalise) {
        const torch::Tensor mean = y.mean(1, /*keepdim=*/true);
        const torch::Tensor var = (y - mean).square().mean(1, /*keepdim=*/true);
        y = (y - mean) / torch::sqrt(var + kNormEpsilon) *
                p.norm_weight.to(torch::kDouble) +
            p.norm_bias.to(torch::kDouble);
      }
      SequenceRows(p, out, b).narrow(1, h * d, d).copy_(y);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The device stages.

class DeviceBatch {
 public:
  explicit DeviceBatch(const Problem& p)
      : p_(p),
        offsets_(torch::tensor(p.offsets, torch::kInt64)),
        lengths_(torch::tensor(p.lengths, torch::kInt64)),
        qkv_(p.qkv),
        gains_(p.gains),
        haar_(wersa::HaarBlockMatrix(p.dims.levels, torch::kFloat)),
        features_q_(p.features_q),
        features_k_(p.features_k),
        norm_weight_(p.norm_weight),
        norm_bias_(p.norm_bias) {}

  SequenceLayout layout() const {
    return {static_cast<int64_t>(p_.lengths.size()), offsets_.data<int64_t>(),
            lengths_.data<int64_t>(), p_.max_length};
  }

  torch::Tensor Filter() const {
    DeviceTensor filtered(torch::full(
        {p_.rows, 2 * p_.dims.heads * p_.dims.head_dim}, kUntouched));
    FilterArgs args;
    args.layout = layout();
    args.dims = p_.dims;
    args.qkv = qkv_.data<float>();
    args.qkv_row_stride = p_.qkv.size(1);
    args.gains = gains_.data<float>();
    args.gain_blocks = p_.gain_blocks;
    args.haar_matrix = haar_.data<float>();
    args.filtered = filtered.data<float>();
    Run(cuda::FilterQueryKey(args, nullptr));
    return filtered.ToHost();
  }

  torch::Tensor Reduce(const torch::Tensor& filtered) const {
    const DeviceTensor device_filtered(filtered.to(torch::kFloat));
    DeviceTensor kv(
        torch::zeros({static_cast<int64_t>(p_.lengths.size()), p_.dims.heads,
                      p_.dims.features, p_.dims.head_dim + 1}));
    ReduceArgs args;
    args.layout = layout();
    args.dims = p_.dims;
    args.filtered = device_filtered.data<float>();
    args.qkv = qkv_.data<float>();
    args.qkv_row_stride = p_.qkv.size(1);
    args.features_k = features_k_.data<float>();
    args.kv = kv.data<float>();
    DeviceTensor workspace(torch::empty({cuda::ReduceWorkspaceFloats(args)}));
    Run(cuda::ReduceKeyValue(args, workspace.data<float>(), nullptr));
    return kv.ToHost();
  }

  torch::Tensor Attend(const torch::Tensor& filtered, const torch::Tensor& kv,
                       bool normalise) const {
    const DeviceTensor device_filtered(filtered.to(torch::kFloat));
    const DeviceTensor device_kv(kv.to(torch::kFloat));
    DeviceTensor out(
        torch::full({p_.rows, p_.dims.heads * p_.dims.head_dim}, kUntouched));
    AttendArgs args;
    args.layout = layout();
    args.dims = p_.dims;
    args.filtered = device_filtered.data<float>();
    args.features_q = features_q_.data<float>();
    args.kv = device_kv.data<float>();
    args.epsilon = kEpsilon;
    if (normalise) {
      args.norm_weight = norm_weight_.data<float>();
      args.norm_bias = norm_bias_.data<float>();
    }
    args.norm_epsilon = kNormEpsilon;
    args.out = out.data<float>();
    Run(cuda::AttendQuery(args, nullptr));
    return out.ToHost();
  }

 private:
  static void Run(const std::string& error) {
    if (!error.empty()) throw std::runtime_error(error);
    Check(cudaDeviceSynchronize());
  }

  const Problem& p_;
  DeviceTensor offsets_;
  DeviceTensor lengths_;
  DeviceTensor qkv_;
  DeviceTensor gains_;
  DeviceTensor haar_;
  DeviceTensor features_q_;
  DeviceTensor features_k_;
  DeviceTensor norm_weight_;
  DeviceTensor norm_bias_;
};

// ---------------------------------------------------------------------------
// Comparisons.

// got (float) against ref (double) on the real rows, and `untouched` still
// in every other row.
void ExpectRowsClose(const Problem& p, const torch::Tensor& got,
                     const torch::Tensor& ref, double tolerance,
                     const std::string& what) {
  torch::Tensor real = torch::zeros({p.rows}, torch::kBool);
  for (size_t b = 0; b < p.lengths.size(); ++b) {
    real.narrow(0, p.offsets[b], p.lengths[b]).fill_(true);
  }
  const torch::Tensor error = (got.to(torch::kDouble) - ref).abs();
  const torch::Tensor bound = tolerance * (1.0 + ref.abs());
  // NaN fails `error <= bound` as it should.
  const torch::Tensor bad =
      real.unsqueeze(1).logical_and((error <= bound).logical_not());
  EXPECT_EQ(bad.sum().item<int64_t>(), 0)
      << what << ": largest error "
      << error.masked_select(real.unsqueeze(1).expand_as(error))
             .max()
             .item<double>()
      << " at tolerance " << tolerance << " x (1 + |ref|)";
  const torch::Tensor pad = real.logical_not();
  if (pad.any().item<bool>()) {
    EXPECT_TRUE(got.index({pad}).eq(kUntouched).all().item<bool>())
        << what << ": rows outside the sequences were written";
  }
}

void ExpectKeyValueClose(const torch::Tensor& got, const torch::Tensor& ref,
                         const torch::Tensor& scale, const std::string& what) {
  const torch::Tensor error = (got.to(torch::kDouble) - ref).abs();
  const torch::Tensor ratio = error / (kStageTolerance * (scale + 1e-30));
  EXPECT_TRUE((error <= kStageTolerance * scale + 1e-12).all().item<bool>())
      << what << ": largest error / (1e-4 sum phi |v|) "
      << ratio.max().item<double>();
}

// Every stage against the reference fed the same inputs, then the chain.
void ExpectStagesMatch(const Problem& p) {
  const DeviceBatch device(p);

  const torch::Tensor ref_filtered = ReferenceFilter(p);
  const torch::Tensor filtered = device.Filter();
  ExpectRowsClose(p, filtered, ref_filtered, kStageTolerance, "(a) filter");

  // (b) and (c) read the filter as the device stores it, in fp32.
  const torch::Tensor stored_filtered = ref_filtered.to(torch::kFloat);
  const auto [ref_kv, kv_bound] = ReferenceKeyValue(p, stored_filtered);
  ExpectKeyValueClose(device.Reduce(stored_filtered), ref_kv, kv_bound,
                      "(b) [KV | z]");

  // A query whose features are all zero gives out = 0, which the LayerNorm
  // turns into its bias.
  torch::Tensor attend_input = stored_filtered.clone();
  attend_input[p.offsets[0]].zero_();
  const torch::Tensor stored_kv = (ref_kv * p.kv_scale).to(torch::kFloat);
  for (bool normalise : {true, false}) {
    ExpectRowsClose(p, device.Attend(attend_input, stored_kv, normalise),
                    ReferenceAttend(p, attend_input, stored_kv, normalise),
                    kStageTolerance,
                    normalise ? "(c) attend + LayerNorm" : "(c) attend");
  }

  // The chain, as FusedWersaAttention runs it: (a), (b), the constants on
  // [KV | z], (c).
  const torch::Tensor chained_kv = device.Reduce(filtered) * p.kv_scale;
  const torch::Tensor out = device.Attend(filtered, chained_kv, true);
  const torch::Tensor ref_out = ReferenceAttend(
      p, stored_filtered, (ref_kv * p.kv_scale).to(torch::kFloat), true);
  ExpectRowsClose(p, out, ref_out, kChainTolerance, "chained (a)(b)(c)");
}

class CudaWersaKernelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::DeviceCount() == 0) {
      GTEST_SKIP() << "no CUDA device on this machine; the kernels compiled "
                      "and linked only";
    }
  }
};

// The shipped configuration: d_model 64, 2 heads, 128 features, 3 levels.
constexpr WersaDims kShipped{2, 32, 128, 3};

class CudaWersaLengthTest : public CudaWersaKernelsTest,
                            public ::testing::WithParamInterface<int64_t> {};

TEST_P(CudaWersaLengthTest, StagesMatchReference) {
  ExpectStagesMatch(MakeProblem(kShipped, {GetParam()}, Layout::kPadded));
}

INSTANTIATE_TEST_SUITE_P(Lengths, CudaWersaLengthTest,
                         ::testing::Values(1, 7, 1000, 4096, 131072));

const std::vector<int64_t> kMixedLengths = {1000, 1, 4096, 7, 33, 515};

TEST_F(CudaWersaKernelsTest, MixedBatchPadded) {
  ExpectStagesMatch(MakeProblem(kShipped, kMixedLengths, Layout::kPadded));
}

TEST_F(CudaWersaKernelsTest, MixedBatchPacked) {
  ExpectStagesMatch(MakeProblem(kShipped, kMixedLengths, Layout::kPacked));
}

// Sizes off every tile: head_dim not a multiple of 16, features not of 64,
// 2D not of 32, one level.
TEST_F(CudaWersaKernelsTest, RaggedSizes) {
  ExpectStagesMatch(MakeProblem({3, 20, 100, 1}, {777, 70}, Layout::kPacked));
}

// The paper-sized layer: d_model 768, 12 heads, 1,024 features; and the
// largest head and level count the kernels take.
TEST_F(CudaWersaKernelsTest, PaperSize) {
  ExpectStagesMatch(
      MakeProblem({12, 64, 1024, 4}, {3000, 1200}, Layout::kPadded));
}

TEST_F(CudaWersaKernelsTest, LargestSupported) {
  ExpectStagesMatch(MakeProblem({2, cuda::kMaxHeadDim, 200, cuda::kMaxLevels},
                                {1500, 64}, Layout::kPacked));
}

// Sizes are checked before any device call, so this runs without a GPU.
TEST(CudaWersaKernelsSizesTest, RejectsUnsupportedSizes) {
  FilterArgs args;
  args.dims = {2, cuda::kMaxHeadDim + 1, 128, 3};
  EXPECT_NE(cuda::FilterQueryKey(args, nullptr), "");
  EXPECT_FALSE(cuda::StagesSupport({2, 32, 128, cuda::kMaxLevels + 1}));
}

#endif  // WERSA_WITH_CUDA

}  // namespace
