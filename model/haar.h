#ifndef WERSA_MODEL_HAAR_H_
#define WERSA_MODEL_HAAR_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace wersa {

// Coefficients of an L-level orthonormal Haar transform along the sequence
// axis. details[l] holds level l+1 (finest first): padded_length / 2^(l+1)
// rows, each covering 2^(l+1) consecutive tokens. approximation holds level L,
// with as many rows as details.back().
struct HaarBands {
  std::vector<torch::Tensor> details;
  torch::Tensor approximation;
};

// Rows of the sequence axis (dim -2) after zero-padding length n to a multiple
// of 2^levels. Because every band's blocks are aligned to 2^levels tokens,
// this padding gives the same coefficients as padding to a power of two.
int64_t HaarPaddedLength(int64_t length, int64_t levels);

// Zeroes the rows of x (shape [B, ..., n, C]) at and beyond each sequence's
// length (lengths: int64 [B]), so padding never reaches a real token.
torch::Tensor ZeroPastLengths(const torch::Tensor& x,
                              const torch::Tensor& lengths);

// Orthonormal multi-level Haar analysis of x ([..., n, C], sequence axis -2):
// a = (even + odd) / sqrt(2), d = (even - odd) / sqrt(2), repeated `levels`
// times on the approximation. x must already be zero past each sequence's
// length (see ZeroPastLengths). levels >= 1.
HaarBands HaarAnalysis(const torch::Tensor& x, int64_t levels);

// Inverse of HaarAnalysis, cropped to `length` rows.
torch::Tensor HaarSynthesis(const HaarBands& bands, int64_t length);

// The transform of one aligned block of S = 2^levels rows as an orthonormal
// S x S matrix W (coefficients = W x). Rows are ordered as the bands of
// HaarAnalysis: level-1 details, level-2 details, ..., level-L details, then
// the approximation; within a band, by position.
torch::Tensor HaarBlockMatrix(int64_t levels,
                              const torch::TensorOptions& options);

// Analysis, a gain per coefficient, and synthesis, in one step: every band
// block of 2^levels rows is multiplied by W^T diag(gains) W (the
// block-locality of the Haar transform: no coefficient mixes blocks).
// x: [B, n, C], zero past each length; gains: [B, P / 2^levels, 2^levels]
// with P = HaarPaddedLength(n, levels), in HaarBlockMatrix's row order.
// Returns [B, n, C].
torch::Tensor HaarGainFilter(const torch::Tensor& x, const torch::Tensor& gains,
                             int64_t levels);

}  // namespace wersa

#endif  // WERSA_MODEL_HAAR_H_
