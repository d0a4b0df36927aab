#include "model/kernels/cpu/wersa_kernels_cpu.h"

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "model/kernels/cpu/product.h"

// Every function that executes vector instructions carries this attribute
// and runs only after Supported() said yes, so the library still loads and
// falls back to the LibTorch-ops reference on x86-64 CPUs without AVX2.
#define WERSA_AVX2 __attribute__((target("avx2,fma")))

namespace wersa::kernels::cpu {
namespace {

constexpr int64_t kLanes = 8;  // floats per AVX register
// Tokens per tile: a tile's q or k rows, its features and the product it
// feeds stay in L1/L2 between the two products that read them.
constexpr int64_t kTileTokens = 32;
// Tokens per parallel task. Fixed, not derived from the thread count, so
// the partial sums and their order, hence the results, do not depend on it.
constexpr int64_t kChunkTokens = 2048;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// exp(x) for x <= 0 as in Cephes' expf: x = k ln2 + r, |r| <= ln2 / 2,
// a degree-5 polynomial for e^r and 2^k from the exponent bits; relative
// error about 1e-7. Inputs below -87 flush to 0.
WERSA_AVX2 inline __m256 ExpNonPositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 k =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r),
                      _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i exponent = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

// Exact GELU, x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, with erf from
// Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
WERSA_AVX2 inline __m256 Gelu(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 u = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
  const __m256 a = _mm256_andnot_ps(sign_mask, u);
  const __m256 t = _mm256_div_ps(
      _mm256_set1_ps(1.0f),
      _mm256_fmadd_ps(a, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.0f)));
  __m256 poly = _mm256_set1_ps(1.061405429f);
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
  poly = _mm256_mul_ps(poly, t);
  const __m256 e =
      ExpNonPositive(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), a), a));
  const __m256 erf_abs = _mm256_fnmadd_ps(poly, e, _mm256_set1_ps(1.0f));
  const __m256 erf = _mm256_or_ps(erf_abs, _mm256_and_ps(sign_mask, u));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x),
                       _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
}

WERSA_AVX2 inline float HorizontalSum(__m256 v) {
  const __m128 pair =
      _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
  return _mm_cvtss_f32(_mm_add_ss(quad, _mm_movehdup_ps(quad)));
}

WERSA_AVX2 void ReluInPlace(float* x, int64_t count) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t i = 0; i < count; i += kLanes) {
    _mm256_storeu_ps(x + i, _mm256_max_ps(_mm256_loadu_ps(x + i), zero));
  }
}

// Copies `rows` rows of `width` floats (source rows `stride` apart) into a
// dense [kTileTokens][width] tile, zero past `rows`.
void LoadTile(const float* source, int64_t stride, int64_t rows, int64_t width,
              float* tile) {
  for (int64_t t = 0; t < rows; ++t) {
    std::copy(source + t * stride, source + t * stride + width,
              tile + t * width);
  }
  std::fill(tile + rows * width, tile + kTileTokens * width, 0.0f);
}

// Features of one tile: phi = ReLU(x R), [kTileTokens][m].
WERSA_AVX2 void TileFeatures(const float* x_tile, const float* features,
                             const WersaDims& dims, float* phi) {
  const int64_t m = dims.features;
  Product(kTileTokens, m, dims.head_dim, x_tile, dims.head_dim, 1, features, m,
          phi, m, /*accumulate=*/false);
  ReluInPlace(phi, kTileTokens * m);
}

// A (sequence, head, chunk) task list over real tokens only.
struct Chunk {
  int64_t sequence;
  int64_t head;
  int64_t begin;  // token index within the sequence
  int64_t end;
};

std::vector<Chunk> Chunks(const SequenceLayout& layout, int64_t heads) {
  std::vector<Chunk> chunks;
  for (int64_t b = 0; b < layout.batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t t = 0; t < layout.lengths[b]; t += kChunkTokens) {
        chunks.push_back(
            {b, h, t, std::min(layout.lengths[b], t + kChunkTokens)});
      }
    }
  }
  return chunks;
}

WERSA_AVX2 void FilterBlocks(const FilterArgs& args, int64_t sequence,
                             int64_t first_block, int64_t last_block,
                             std::vector<float>* gelu_rows,
                             std::vector<float>* filter) {
  const int64_t block = int64_t{1} << args.dims.levels;
  const int64_t width = 2 * args.dims.heads * args.dims.head_dim;
  const int64_t length = args.layout.lengths[sequence];
  const float* w = args.haar_matrix;
  gelu_rows->resize(block * width);
  filter->resize(block * block);
  for (int64_t j = first_block; j < last_block; ++j) {
    const int64_t first = j * block;
    const int64_t rows = std::min(block, length - first);
    const float* gains = args.gains + (sequence * args.gain_blocks + j) * block;
    // M = W^T diag(g) W over the rows that exist; missing rows are zeros of
    // the padded block, so their columns of M never matter.
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < rows; ++c) {
        float sum = 0.0f;
        for (int64_t i = 0; i < block; ++i) {
          sum += w[i * block + r] * gains[i] * w[i * block + c];
        }
        (*filter)[r * block + c] = sum;
      }
    }
    const float* source = args.qkv + (args.layout.offsets[sequence] + first) *
                                         args.qkv_row_stride;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t ch = 0; ch < width; ch += kLanes) {
        _mm256_storeu_ps(
            gelu_rows->data() + r * width + ch,
            Gelu(_mm256_loadu_ps(source + r * args.qkv_row_stride + ch)));
      }
    }
    float* target =
        args.filtered + (args.layout.offsets[sequence] + first) * width;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t ch = 0; ch < width; ch += kLanes) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t c = 0; c < rows; ++c) {
          acc = _mm256_fmadd_ps(
              _mm256_set1_ps((*filter)[r * block + c]),
              _mm256_loadu_ps(gelu_rows->data() + c * width + ch), acc);
        }
        _mm256_storeu_ps(target + r * width + ch, acc);
      }
    }
  }
}

// Sums one chunk's [phi(k)^T v | sum phi(k)] into partial, [m][d + 1].
WERSA_AVX2 void ReduceChunk(const ReduceArgs& args, const Chunk& chunk,
                            float* partial) {
  const WersaDims& dims = args.dims;
  const int64_t d = dims.head_dim;
  const int64_t m = dims.features;
  const int64_t model_width = dims.heads * d;
  std::vector<float> keys(kTileTokens * d), values(kTileTokens * d),
      phi(kTileTokens * m), kv(m * d, 0.0f), z(m, 0.0f);
  const int64_t row0 = args.layout.offsets[chunk.sequence];
  for (int64_t t = chunk.begin; t < chunk.end; t += kTileTokens) {
    const int64_t rows = std::min(kTileTokens, chunk.end - t);
    LoadTile(args.filtered + (row0 + t) * 2 * model_width + model_width +
                 chunk.head * d,
             2 * model_width, rows, d, keys.data());
    LoadTile(args.qkv + (row0 + t) * args.qkv_row_stride + 2 * model_width +
                 chunk.head * d,
             args.qkv_row_stride, rows, d, values.data());
    TileFeatures(keys.data(), args.features_k, dims, phi.data());
    // KV[j][:] += sum_t phi[t][j] v[t][:]: A = phi^T.
    Product(m, d, kTileTokens, phi.data(), 1, m, values.data(), d, kv.data(), d,
            /*accumulate=*/true);
    for (int64_t j = 0; j < m; j += kLanes) {
      __m256 sum = _mm256_loadu_ps(z.data() + j);
      for (int64_t r = 0; r < rows; ++r) {
        sum = _mm256_add_ps(sum, _mm256_loadu_ps(phi.data() + r * m + j));
      }
      _mm256_storeu_ps(z.data() + j, sum);
    }
  }
  for (int64_t j = 0; j < m; ++j) {
    std::copy(kv.data() + j * d, kv.data() + (j + 1) * d,
              partial + j * (d + 1));
    partial[j * (d + 1) + d] = z[j];
  }
}

WERSA_AVX2 void AttendChunk(const AttendArgs& args, const Chunk& chunk) {
  const WersaDims& dims = args.dims;
  const int64_t d = dims.head_dim;
  const int64_t m = dims.features;
  const int64_t model_width = dims.heads * d;
  // This head's KV as dense [m][d] and z [m], for aligned vector loads.
  const float* kvz =
      args.kv + (chunk.sequence * dims.heads + chunk.head) * m * (d + 1);
  std::vector<float> kv(m * d), z(m);
  for (int64_t j = 0; j < m; ++j) {
    std::copy(kvz + j * (d + 1), kvz + j * (d + 1) + d, kv.data() + j * d);
    z[j] = kvz[j * (d + 1) + d];
  }
  std::vector<float> queries(kTileTokens * d), phi(kTileTokens * m),
      numerators(kTileTokens * d);
  const int64_t row0 = args.layout.offsets[chunk.sequence];
  const __m256 inv_d = _mm256_set1_ps(1.0f / static_cast<float>(d));
  for (int64_t t = chunk.begin; t < chunk.end; t += kTileTokens) {
    const int64_t rows = std::min(kTileTokens, chunk.end - t);
    LoadTile(args.filtered + (row0 + t) * 2 * model_width + chunk.head * d,
             2 * model_width, rows, d, queries.data());
    TileFeatures(queries.data(), args.features_q, dims, phi.data());
    Product(kTileTokens, d, m, phi.data(), m, 1, kv.data(), d,
            numerators.data(), d, /*accumulate=*/false);
    for (int64_t r = 0; r < rows; ++r) {
      __m256 den = _mm256_setzero_ps();
      for (int64_t j = 0; j < m; j += kLanes) {
        den = _mm256_fmadd_ps(_mm256_loadu_ps(phi.data() + r * m + j),
                              _mm256_loadu_ps(z.data() + j), den);
      }
      const __m256 inv_den =
          _mm256_set1_ps(1.0f / (HorizontalSum(den) + args.epsilon));
      float* numerator = numerators.data() + r * d;
      float* out = args.out + (row0 + t + r) * model_width + chunk.head * d;
      if (args.norm_weight == nullptr) {
        for (int64_t c = 0; c < d; c += kLanes) {
          _mm256_storeu_ps(
              out + c, _mm256_mul_ps(_mm256_loadu_ps(numerator + c), inv_den));
        }
        continue;
      }
      __m256 sum = _mm256_setzero_ps();
      for (int64_t c = 0; c < d; c += kLanes) {
        const __m256 value =
            _mm256_mul_ps(_mm256_loadu_ps(numerator + c), inv_den);
        _mm256_storeu_ps(numerator + c, value);
        sum = _mm256_add_ps(sum, value);
      }
      const __m256 mean =
          _mm256_mul_ps(_mm256_set1_ps(HorizontalSum(sum)), inv_d);
      __m256 squares = _mm256_setzero_ps();
      for (int64_t c = 0; c < d; c += kLanes) {
        const __m256 centred =
            _mm256_sub_ps(_mm256_loadu_ps(numerator + c), mean);
        squares = _mm256_fmadd_ps(centred, centred, squares);
      }
      const float variance = HorizontalSum(squares) / static_cast<float>(d);
      const __m256 inv_std =
          _mm256_set1_ps(1.0f / std::sqrt(variance + args.norm_epsilon));
      for (int64_t c = 0; c < d; c += kLanes) {
        const __m256 normalised = _mm256_mul_ps(
            _mm256_sub_ps(_mm256_loadu_ps(numerator + c), mean), inv_std);
        _mm256_storeu_ps(
            out + c,
            _mm256_fmadd_ps(normalised, _mm256_loadu_ps(args.norm_weight + c),
                            _mm256_loadu_ps(args.norm_bias + c)));
      }
    }
  }
}

WERSA_AVX2 void ConvolveRows(const float* x, int64_t n, int64_t channels,
                             const float* weight_by_tap, const float* bias,
                             int64_t kernel, int64_t stride, int64_t first,
                             int64_t last, float* out) {
  constexpr int64_t kVectors = 4;
  const int64_t half = kernel / 2;
  for (int64_t o = first; o < last; ++o) {
    const int64_t centre = o * stride;
    const int64_t tap_begin = std::max<int64_t>(0, half - centre);
    const int64_t tap_end = std::min(kernel, n - centre + half);
    for (int64_t c0 = 0; c0 < channels; c0 += kVectors * kLanes) {
      const int64_t vectors = std::min(kVectors, (channels - c0) / kLanes);
      __m256 acc[kVectors];
      for (int64_t v = 0; v < vectors; ++v) {
        acc[v] = _mm256_loadu_ps(bias + c0 + v * kLanes);
      }
      for (int64_t j = tap_begin; j < tap_end; ++j) {
        const float* row = x + (centre + j - half) * channels + c0;
        const float* taps = weight_by_tap + j * channels + c0;
        for (int64_t v = 0; v < vectors; ++v) {
          acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(taps + v * kLanes),
                                   _mm256_loadu_ps(row + v * kLanes), acc[v]);
        }
      }
      for (int64_t v = 0; v < vectors; ++v) {
        _mm256_storeu_ps(out + o * channels + c0 + v * kLanes, acc[v]);
      }
    }
  }
}

}  // namespace

bool Supported() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool SupportsDims(const WersaDims& dims) {
  return dims.heads >= 1 && dims.head_dim >= 8 && dims.head_dim <= 128 &&
         dims.head_dim % kLanes == 0 && dims.features >= 16 &&
         dims.features % 16 == 0 && dims.levels >= 1 && dims.levels <= 6;
}

void FilterQueryKey(const FilterArgs& args) {
  const int64_t block = int64_t{1} << args.dims.levels;
  const int64_t blocks_per_sequence = CeilDiv(args.layout.max_length, block);
  // Blocks of all sequences, flattened; a task takes a run of them.
  constexpr int64_t kBlocksPerTask = 64;
  const int64_t runs = CeilDiv(blocks_per_sequence, kBlocksPerTask);
  at::parallel_for(
      0, args.layout.batch * runs, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> gelu_rows, filter;
        for (int64_t task = begin; task < end; ++task) {
          const int64_t sequence = task / runs;
          const int64_t first = (task % runs) * kBlocksPerTask;
          const int64_t last =
              std::min(first + kBlocksPerTask,
                       CeilDiv(args.layout.lengths[sequence], block));
          if (first < last) {
            FilterBlocks(args, sequence, first, last, &gelu_rows, &filter);
          }
        }
      });
}

void ReduceKeyValue(const ReduceArgs& args) {
  const int64_t d = args.dims.head_dim;
  const int64_t m = args.dims.features;
  const int64_t partial_size = m * (d + 1);
  const std::vector<Chunk> chunks = Chunks(args.layout, args.dims.heads);
  std::vector<float> partials(chunks.size() * partial_size);
  at::parallel_for(0, static_cast<int64_t>(chunks.size()), 1,
                   [&](int64_t begin, int64_t end) {
                     for (int64_t i = begin; i < end; ++i) {
                       ReduceChunk(args, chunks[i],
                                   partials.data() + i * partial_size);
                     }
                   });
  // Chunks are listed by sequence, head, then position: each (sequence,
  // head) sums its chunks' partials in token order.
  std::fill(args.kv,
            args.kv + args.layout.batch * args.dims.heads * partial_size, 0.0f);
  for (size_t i = 0; i < chunks.size(); ++i) {
    float* target =
        args.kv +
        (chunks[i].sequence * args.dims.heads + chunks[i].head) * partial_size;
    const float* partial = partials.data() + i * partial_size;
    for (int64_t e = 0; e < partial_size; ++e) target[e] += partial[e];
  }
}

void AttendQuery(const AttendArgs& args) {
  const std::vector<Chunk> chunks = Chunks(args.layout, args.dims.heads);
  at::parallel_for(0, static_cast<int64_t>(chunks.size()), 1,
                   [&](int64_t begin, int64_t end) {
                     for (int64_t i = begin; i < end; ++i) {
                       AttendChunk(args, chunks[i]);
                     }
                   });
}

bool LinearSupported(int64_t in_features, int64_t out_features) {
  return Avx512Supported() && in_features >= 1 && out_features >= 16 &&
         out_features % 16 == 0;
}

void Linear(const float* x, int64_t rows, int64_t in_features,
            const float* weight_t, const float* bias, int64_t out_features,
            float* y) {
  // 64 rows of x (32 KiB at 128 features) stay in L1 while every column
  // block of W^T streams from L2 past them.
  constexpr int64_t kRowsPerTask = 64;
  at::parallel_for(
      0, CeilDiv(rows, kRowsPerTask), 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t first = task * kRowsPerTask;
          const int64_t count = std::min(kRowsPerTask, rows - first);
          float* out = y + first * out_features;
          for (int64_t r = 0; r < count; ++r) {
            if (bias == nullptr) {
              std::fill(out + r * out_features, out + (r + 1) * out_features,
                        0.0f);
            } else {
              std::copy(bias, bias + out_features, out + r * out_features);
            }
          }
          ProductAvx512(count, out_features, in_features,
                        x + first * in_features, in_features, 1, weight_t,
                        out_features, out, out_features, /*accumulate=*/true);
        }
      });
}

void DepthwiseConvTokens(const float* x, int64_t batch, int64_t n,
                         int64_t channels, const float* weight,
                         const float* bias, int64_t kernel, int64_t stride,
                         float* out) {
  // Taps major, so a tap's weights for consecutive channels are one vector.
  std::vector<float> weight_by_tap(kernel * channels);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t j = 0; j < kernel; ++j) {
      weight_by_tap[j * channels + c] = weight[c * kernel + j];
    }
  }
  const int64_t outputs = CeilDiv(n, stride);
  constexpr int64_t kRowsPerTask = 256;
  const int64_t runs = CeilDiv(outputs, kRowsPerTask);
  at::parallel_for(0, batch * runs, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / runs;
      const int64_t first = (task % runs) * kRowsPerTask;
      ConvolveRows(x + b * n * channels, n, channels, weight_by_tap.data(),
                   bias, kernel, stride, first,
                   std::min(outputs, first + kRowsPerTask),
                   out + b * outputs * channels);
    }
  });
}

}  // namespace wersa::kernels::cpu
