// The fused CPU kernels' register-blocked products (model/kernels/cpu/
// product.h): each instruction set against a float64 product, and the
// AVX-512 variant bit for bit against the AVX2 one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "model/kernels/cpu/product.h"

namespace wersa::kernels::cpu {
namespace {

using ProductFn = void (*)(int64_t, int64_t, int64_t, const float*, int64_t,
                           int64_t, const float*, int64_t, float*, int64_t,
                           bool);

struct Shape {
  int64_t rows;
  int64_t cols;
  int64_t depth;
  bool transposed_a;  // A read as the transpose of a [depth][rows] tile
  bool accumulate;
};

std::string Describe(const Shape& shape) {
  return std::to_string(shape.rows) + "x" + std::to_string(shape.cols) + "x" +
         std::to_string(shape.depth) + (shape.transposed_a ? " A^T" : "") +
         (shape.accumulate ? " accumulate" : "");
}

// C as `product` leaves it, from a C that held `initial`, with ldb and ldc
// wider than cols so that the strides matter.
std::vector<float> RunProduct(ProductFn product, const Shape& shape,
                              const torch::Tensor& a, const torch::Tensor& b,
                              const torch::Tensor& initial) {
  const int64_t ldb = shape.cols + 16;
  const int64_t ldc = shape.cols + 24;
  std::vector<float> b_rows(shape.depth * ldb, 0.0f);
  for (int64_t k = 0; k < shape.depth; ++k) {
    std::memcpy(&b_rows[k * ldb], b[k].data_ptr<float>(),
                shape.cols * sizeof(float));
  }
  std::vector<float> c(shape.rows * ldc, 0.0f);
  for (int64_t i = 0; i < shape.rows; ++i) {
    std::memcpy(&c[i * ldc], initial[i].data_ptr<float>(),
                shape.cols * sizeof(float));
  }
  // a is [rows][depth] row-major, or [depth][rows] read transposed.
  const int64_t sa = shape.transposed_a ? 1 : shape.depth;
  const int64_t sk = shape.transposed_a ? shape.rows : 1;
  product(shape.rows, shape.cols, shape.depth, a.data_ptr<float>(), sa, sk,
          b_rows.data(), ldb, c.data(), ldc, shape.accumulate);
  std::vector<float> dense(shape.rows * shape.cols);
  for (int64_t i = 0; i < shape.rows; ++i) {
    std::memcpy(&dense[i * shape.cols], &c[i * ldc],
                shape.cols * sizeof(float));
  }
  return dense;
}

// The shapes the stages use (tile features, phi^T v, phi KV) for head_dim
// 8 to 128 and 16 to 1,024 features, and row counts that leave every kind of
// remainder block.
std::vector<Shape> Shapes() {
  std::vector<Shape> shapes;
  for (const int64_t rows : {1, 2, 5, 7, 13, 23, 32, 128}) {
    for (const int64_t cols : {16, 32, 48, 64, 128, 1024}) {
      for (const int64_t depth : {1, 8, 32, 128}) {
        shapes.push_back({rows, cols, depth, rows % 2 == 0, depth % 16 == 0});
      }
    }
  }
  shapes.push_back({32, 8, 32, false, false});
  shapes.push_back({128, 24, 32, true, true});
  return shapes;
}

void ExpectMatchesDouble(ProductFn product, const Shape& shape) {
  torch::manual_seed(shape.rows * 1000 + shape.cols + shape.depth);
  const torch::Tensor a = shape.transposed_a
                              ? torch::randn({shape.depth, shape.rows})
                              : torch::randn({shape.rows, shape.depth});
  const torch::Tensor b = torch::randn({shape.depth, shape.cols});
  const torch::Tensor initial = torch::randn({shape.rows, shape.cols});
  const torch::Tensor a_rows = shape.transposed_a ? a.t() : a;
  torch::Tensor expected =
      torch::matmul(a_rows.to(torch::kFloat64), b.to(torch::kFloat64));
  if (shape.accumulate) expected += initial.to(torch::kFloat64);
  const std::vector<float> actual = RunProduct(product, shape, a, b, initial);
  const torch::Tensor got = torch::from_blob(const_cast<float*>(actual.data()),
                                             {shape.rows, shape.cols})
                                .to(torch::kFloat64);
  // fp32 FMA chains of at most 128 terms of unit-scale products.
  const double error = (got - expected).abs().max().item<double>();
  EXPECT_LE(error, 1e-4 * std::sqrt(static_cast<double>(shape.depth)))
      << Describe(shape);
}

TEST(CpuProductTest, Avx2MatchesFloat64) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    GTEST_SKIP() << "this CPU has no AVX2/FMA";
  }
  for (const Shape& shape : Shapes()) ExpectMatchesDouble(ProductAvx2, shape);
}

TEST(CpuProductTest, Avx512MatchesFloat64) {
  if (!Avx512Supported()) GTEST_SKIP() << "this CPU has no AVX-512F";
  for (const Shape& shape : Shapes()) {
    if (shape.cols % 16 == 0) ExpectMatchesDouble(ProductAvx512, shape);
  }
}

// `actual` leaves the same bits in C as `expected` on every shape whose
// columns `actual` takes.
void ExpectSameBits(ProductFn expected, ProductFn actual, int64_t lanes) {
  for (const Shape& shape : Shapes()) {
    if (shape.cols % lanes != 0) continue;
    torch::manual_seed(shape.rows + shape.cols * 7 + shape.depth * 31);
    const torch::Tensor a = torch::randn({shape.rows * shape.depth});
    const torch::Tensor b = torch::randn({shape.depth, shape.cols});
    const torch::Tensor initial = torch::randn({shape.rows, shape.cols});
    EXPECT_EQ(RunProduct(expected, shape, a, b, initial),
              RunProduct(actual, shape, a, b, initial))
        << Describe(shape);
  }
}

// Every output element is one FMA chain in k order in both variants, so the
// layer's results do not depend on which one this CPU runs.
TEST(CpuProductTest, Avx512IsBitIdenticalToAvx2) {
  if (!Avx512Supported()) GTEST_SKIP() << "this CPU has no AVX-512F";
  ExpectSameBits(ProductAvx2, ProductAvx512, 16);
}

TEST(CpuProductTest, DispatchUsesAVariantThatGivesTheSameBits) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    GTEST_SKIP() << "this CPU has no AVX2/FMA";
  }
  ExpectSameBits(ProductAvx2, Product, 8);
}

}  // namespace
}  // namespace wersa::kernels::cpu
