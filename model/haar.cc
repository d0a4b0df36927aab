#include "model/haar.h"

#include <torch/torch.h>

#include <cmath>

namespace wersa {
namespace {

const double kInvSqrt2 = 1.0 / std::sqrt(2.0);

}  // namespace

int64_t HaarPaddedLength(int64_t length, int64_t levels) {
  const int64_t block = int64_t{1} << levels;
  return (length + block - 1) / block * block;
}

torch::Tensor ZeroPastLengths(const torch::Tensor& x,
                              const torch::Tensor& lengths) {
  const int64_t n = x.size(-2);
  const torch::Tensor positions = torch::arange(n, lengths.options());
  // [B, n] -> [B, 1, ..., 1, n, 1] to broadcast over x's middle axes and
  // channels.
  torch::Tensor keep = positions.unsqueeze(0) < lengths.unsqueeze(1);
  std::vector<int64_t> shape(x.dim(), 1);
  shape.front() = x.size(0);
  shape[x.dim() - 2] = n;
  return x * keep.view(shape).to(x.scalar_type());
}

HaarBands HaarAnalysis(const torch::Tensor& x, int64_t levels) {
  TORCH_CHECK(levels >= 1, "HaarAnalysis: levels must be >= 1, got ", levels);
  TORCH_CHECK(x.dim() >= 2, "HaarAnalysis: need [..., n, C], got ", x.sizes());
  const int64_t n = x.size(-2);
  const int64_t padded = HaarPaddedLength(n, levels);
  torch::Tensor approximation =
      padded == n ? x : torch::constant_pad_nd(x, {0, 0, 0, padded - n});
  HaarBands bands;
  bands.details.reserve(levels);
  for (int64_t level = 0; level < levels; ++level) {
    // [..., 2m, C] -> [..., m, 2, C]: pairs of neighbouring rows.
    const torch::Tensor pairs =
        approximation.unflatten(-2, {approximation.size(-2) / 2, 2});
    const torch::Tensor even = pairs.select(-2, 0);
    const torch::Tensor odd = pairs.select(-2, 1);
    bands.details.push_back((even - odd) * kInvSqrt2);
    approximation = (even + odd) * kInvSqrt2;
  }
  bands.approximation = std::move(approximation);
  return bands;
}

torch::Tensor HaarSynthesis(const HaarBands& bands, int64_t length) {
  torch::Tensor signal = bands.approximation;
  for (auto detail = bands.details.rbegin(); detail != bands.details.rend();
       ++detail) {
    const torch::Tensor even = (signal + *detail) * kInvSqrt2;
    const torch::Tensor odd = (signal - *detail) * kInvSqrt2;
    signal = torch::stack({even, odd}, -2).flatten(-3, -2);
  }
  return signal.narrow(-2, 0, length);
}

torch::Tensor HaarBlockMatrix(int64_t levels,
                              const torch::TensorOptions& options) {
  const int64_t block = int64_t{1} << levels;
  // Transform of each unit impulse e_t: row t of the result holds W[:, t].
  const HaarBands bands =
      HaarAnalysis(torch::eye(block, options).unsqueeze(-1), levels);
  std::vector<torch::Tensor> columns(bands.details.begin(),
                                     bands.details.end());
  columns.push_back(bands.approximation);
  return torch::cat(columns, 1).squeeze(-1).t().contiguous();
}

torch::Tensor HaarGainFilter(const torch::Tensor& x, const torch::Tensor& gains,
                             int64_t levels) {
  TORCH_CHECK(x.dim() == 3, "HaarGainFilter: x must be [B, n, C], got ",
              x.sizes());
  const int64_t batch = x.size(0);
  const int64_t n = x.size(1);
  const int64_t channels = x.size(2);
  const int64_t block = int64_t{1} << levels;
  const int64_t padded = HaarPaddedLength(n, levels);
  TORCH_CHECK(
      gains.sizes() == torch::IntArrayRef({batch, padded / block, block}),
      "HaarGainFilter: gains must be [", batch, ", ", padded / block, ", ",
      block, "], got ", gains.sizes());
  const torch::Tensor w = HaarBlockMatrix(levels, x.options());
  // Per block: W^T diag(g) W, [B, P / S, S, S].
  const torch::Tensor filters = torch::matmul(w.t() * gains.unsqueeze(-2), w);
  const torch::Tensor blocks =
      (padded == n ? x : torch::constant_pad_nd(x, {0, 0, 0, padded - n}))
          .reshape({batch, padded / block, block, channels});
  const torch::Tensor filtered =
      torch::matmul(filters, blocks).view({batch, padded, channels});
  return padded == n ? filtered : filtered.narrow(1, 0, n);
}

}  // namespace wersa
