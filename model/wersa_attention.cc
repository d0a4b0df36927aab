#include "model/wersa_attention.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "model/depthwise_conv.h"
#include "model/haar.h"
#include "model/kernels/fused_wersa.h"
#include "model/kernels/linear.h"

namespace wersa {
namespace {

// Feature-map elements per chunk: 512 Ki floats, 2 MiB, so a chunk's
// features stay in cache between the two products that read them (measured
// at 131,072 tokens, m = 128: 140 ms with 1,024-token chunks, 250 ms with
// 8,192). Fewer than 512 tokens per chunk costs more in per-op overhead.
constexpr int64_t kChunkFeatureElements = int64_t{1} << 19;
constexpr int64_t kMinChunkTokens = 512;

}  // namespace

WersaAttentionImpl::WersaAttentionImpl(const WersaAttentionOptions& options)
    : options_(options) {
  const int64_t d = options.d_model;
  TORCH_CHECK(options.num_heads >= 1 && d % options.num_heads == 0, "d_model ",
              d, " is not a multiple of num_heads ", options.num_heads);
  TORCH_CHECK(options.wavelet_levels >= 1, "wavelet_levels must be >= 1");
  TORCH_CHECK(options.random_features >= 1, "random_features must be >= 1");
  TORCH_CHECK(
      options.gate_kernel_size >= 1 && options.gate_kernel_size % 2 == 1,
      "gate_kernel_size must be odd");
  const int64_t d_head = d / options.num_heads;

  qkv_ = register_module("qkv", torch::nn::Linear(d, 3 * d));
  out_ = register_module("out", torch::nn::Linear(d, d));
  gate_conv_ = register_module(
      "gate_conv",
      torch::nn::Conv1d(torch::nn::Conv1dOptions(d, d, options.gate_kernel_size)
                            .groups(d)
                            .padding(options.gate_kernel_size / 2)));
  const int64_t gate_width = std::max<int64_t>(1, d / 4);
  gate_hidden_ =
      register_module("gate_hidden", torch::nn::Linear(d, gate_width));
  gate_dropout_ =
      register_module("gate_dropout", torch::nn::Dropout(options.gate_dropout));
  gate_out_ = register_module(
      "gate_out", torch::nn::Linear(gate_width, options.wavelet_levels + 1));
  head_norm_ = register_module(
      "head_norm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_head}).eps(1e-5)));
  band_scale_ = register_parameter(
      "band_scale", torch::full({options.wavelet_levels + 1}, 0.5));
  log_bandwidth_ = register_parameter("log_bandwidth", torch::zeros({}));

  const double feature_std = 1.0 / std::sqrt(static_cast<double>(d_head));
  features_q_ = register_buffer(
      "random_features_q",
      torch::randn({d_head, options.random_features}) * feature_std);
  features_k_ =
      options.shared_qk_features
          ? features_q_
          : register_buffer(
                "random_features_k",
                torch::randn({d_head, options.random_features}) * feature_std);
}

torch::Tensor WersaAttentionImpl::CoefficientGains(const torch::Tensor& x) {
  const int64_t batch = x.size(0);
  const int64_t n = x.size(1);
  const int64_t levels = options_.wavelet_levels;
  const int64_t block = int64_t{1} << levels;
  const int64_t padded = HaarPaddedLength(n, levels);

  // Every coefficient reads the gains of the first token it covers, j 2^l
  // with l >= 1: an even token. So the gate network runs at even tokens
  // only, as a stride-2 convolution, which halves its cost and gives the
  // same values.
  const torch::Tensor pooled = DepthwiseConvTokens(
      x, gate_conv_->weight, gate_conv_->bias, /*stride=*/2);
  const torch::Tensor hidden = gate_dropout_(torch::relu(gate_hidden_(pooled)));
  const torch::Tensor even_gains =
      torch::constant_pad_nd(torch::sigmoid(gate_out_(hidden)) * band_scale_,
                             {0, 0, 0, padded / 2 - pooled.size(1)});

  // Gains per coefficient in HaarBlockMatrix's order, [B, P / S, S]: level l
  // takes every 2^(l-1)-th even token, the approximation every (S/2)-th.
  std::vector<torch::Tensor> bands;
  bands.reserve(levels + 1);
  for (int64_t level = 1; level <= levels; ++level) {
    bands.push_back(even_gains.select(-1, level - 1)
                        .slice(1, 0, padded / 2, int64_t{1} << (level - 1))
                        .reshape({batch, padded / block, block >> level}));
  }
  bands.push_back(even_gains.select(-1, levels)
                      .slice(1, 0, padded / 2, block / 2)
                      .unsqueeze(-1));
  return torch::cat(bands, -1);
}

int64_t WersaAttentionImpl::ChunkTokens(int64_t batch) const {
  if (options_.chunk_tokens > 0) return options_.chunk_tokens;
  const int64_t per_token =
      batch * options_.num_heads * options_.random_features;
  return std::max(kMinChunkTokens, kChunkFeatureElements / per_token);
}

kernels::WersaDims KernelDimsOf(const WersaAttentionOptions& options) {
  kernels::WersaDims dims;
  dims.heads = options.num_heads;
  dims.head_dim = options.d_model / options.num_heads;
  dims.features = options.random_features;
  dims.levels = options.wavelet_levels;
  return dims;
}

bool WersaAttentionImpl::UseFusedKernels(const torch::Tensor& x) const {
  return options_.fused_kernels && !is_training() &&
         !torch::GradMode::is_enabled() &&
         kernels::FusedWersaSupported(x.device(), KernelDimsOf(options_));
}

torch::Tensor WersaAttentionImpl::FeatureScale() const {
  // phi(x) = ReLU((x / beta) R) / sqrt(m) = ReLU(x R) c, c = 1 / (beta
  // sqrt(m)): the constant is applied once, to the small KV and z, instead of
  // to every feature; numerator and denominator are unchanged.
  const torch::Tensor beta = torch::softplus(log_bandwidth_) + 0.1;
  const double inv_sqrt_m =
      1.0 / std::sqrt(static_cast<double>(options_.random_features));
  return (inv_sqrt_m / beta).square();  // c_q c_k
}

torch::Tensor WersaAttentionImpl::LinearAttention(const torch::Tensor& q,
                                                  const torch::Tensor& k,
                                                  const torch::Tensor& v) {
  // q, k, v: [B, H, n, d_head], contiguous.
  const int64_t n = q.size(2);
  const int64_t d_head = q.size(3);
  const int64_t chunk = ChunkTokens(q.size(0));

  const torch::Tensor scale = FeatureScale();

  // KV and z together: [B, H, m, d_head + 1], z in the last column.
  torch::Tensor kvz;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t len = std::min(chunk, n - start);
    const torch::Tensor phi_k =
        torch::relu(torch::matmul(k.narrow(2, start, len), features_k_));
    const torch::Tensor part = torch::cat(
        {torch::matmul(phi_k.transpose(-1, -2), v.narrow(2, start, len)),
         phi_k.sum(2).unsqueeze(-1)},
        -1);
    kvz = kvz.defined() ? kvz + part : part;
  }
  kvz = kvz * scale;

  std::vector<torch::Tensor> outputs;
  outputs.reserve((n + chunk - 1) / chunk);
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t len = std::min(chunk, n - start);
    const torch::Tensor phi_q =
        torch::relu(torch::matmul(q.narrow(2, start, len), features_q_));
    const torch::Tensor fraction =
        torch::matmul(phi_q, kvz);  // [B, H, len, d_head + 1]
    outputs.push_back(fraction.narrow(-1, 0, d_head) /
                      (fraction.narrow(-1, d_head, 1) + options_.epsilon));
  }
  return outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 2);
}

torch::Tensor WersaAttentionImpl::forward(const torch::Tensor& x,
                                          const torch::Tensor& lengths) {
  const int64_t batch = x.size(0);
  const int64_t n = x.size(1);
  const int64_t d = options_.d_model;
  const int64_t heads = options_.num_heads;
  const int64_t d_head = d / heads;
  const bool has_padding = (lengths < n).any().item<bool>();

  if (UseFusedKernels(x)) {
    const torch::Tensor qkv = kernels::InferenceLinear(qkv_, x);
    const torch::Tensor gains =
        CoefficientGains(has_padding ? ZeroPastLengths(x, lengths) : x);
    kernels::FusedWersaWeights weights;
    weights.features_q = features_q_;
    weights.features_k = features_k_;
    weights.haar_matrix = HaarBlockMatrix(options_.wavelet_levels, x.options());
    weights.kv_scale = FeatureScale();
    weights.norm_weight = head_norm_->weight;
    weights.norm_bias = head_norm_->bias;
    weights.norm_epsilon = head_norm_->options.eps();
    weights.epsilon = options_.epsilon;
    return kernels::InferenceLinear(
        out_, kernels::FusedWersaAttention(qkv, gains, lengths,
                                           KernelDimsOf(options_), weights));
  }
  const torch::Tensor qkv = qkv_(x);
  torch::Tensor qk = torch::gelu(qkv.narrow(-1, 0, 2 * d));
  if (has_padding) qk = ZeroPastLengths(qk, lengths);
  const torch::Tensor gains =
      CoefficientGains(has_padding ? ZeroPastLengths(x, lengths) : x);
  torch::Tensor filtered = HaarGainFilter(qk, gains, options_.wavelet_levels);
  // Filtering spreads a partial last block over its pad rows; zero them so
  // the keys there add nothing to KV and z.
  if (has_padding) filtered = ZeroPastLengths(filtered, lengths);

  // Head-major layouts make every product below a plain batched GEMM.
  const torch::Tensor qk_heads = filtered.view({batch, n, 2, heads, d_head})
                                     .permute({2, 0, 3, 1, 4})
                                     .contiguous();
  const torch::Tensor v_heads = qkv.narrow(-1, 2 * d, d)
                                    .view({batch, n, heads, d_head})
                                    .transpose(1, 2)
                                    .contiguous();
  const torch::Tensor attended =
      head_norm_(LinearAttention(qk_heads[0], qk_heads[1], v_heads));
  return out_(attended.transpose(1, 2).reshape({batch, n, d}));
}

}  // namespace wersa
