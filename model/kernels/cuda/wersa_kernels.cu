#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "model/kernels/cuda/wersa_kernels.h"

namespace wersa::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// Stage (a): a CTA filters kFilterColumns columns of a tile of whole blocks
// (at least kFilterMinRows tokens), so each warp reads 128 contiguous bytes of
// a row and W is loaded once per tile rather than once per block.
constexpr int kFilterColumns = 32;
constexpr int kFilterRowGroups = kThreads / kFilterColumns;
constexpr int kFilterMinRows = 64;

// Stages (b) and (c): tokens per shared-memory tile and features per tile of
// R. The accumulators are a 16 x 16 grid of threads over features (or
// tokens) x columns of [v | 1] (or [KV | z]).
constexpr int kTokenTile = 32;
constexpr int kFeatureTile = 64;
constexpr int kGridSide = 16;
// FeatureTile's outputs per thread: kPhiTokens tokens per warp, kPhiFeatures
// features per lane.
constexpr int kWarpSize = 32;
constexpr int kPhiTokens = kTokenTile / (kThreads / kWarpSize);
constexpr int kPhiFeatures = kFeatureTile / kWarpSize;
static_assert(kPhiTokens * (kThreads / kWarpSize) == kTokenTile &&
                  kPhiFeatures * kWarpSize == kFeatureTile,
              "FeatureTile covers the tile exactly");
// Stage (c)'s feature tile is read down a column by 16 token rows at once;
// one pad word per row puts those rows in different banks.
constexpr int kPhiStride = kFeatureTile + 1;

// Stage (b) splits a sequence into chunks of at least kMinChunkTokens tokens,
// and into no more chunks than give about kTargetReduceCtas CTAs per
// sequence. At the paper-sized layer (12 heads x 16 feature tiles, 4 CTAs of
// 63 registers x 256 threads per SM) 1,024 would be under two waves on a
// 132-SM H200, the second one a third full; 2,048 is about four. The partials
// stay bounded: at most kTargetReduceCtas x 64 x (head_dim + 1) floats per
// sequence, 65 MiB at head_dim 128, 16.5 MiB for the shipped layer.
constexpr int64_t kMinChunkTokens = 256;
constexpr int64_t kTargetReduceCtas = 2048;

// Above this, a kernel must opt in to more dynamic shared memory.
constexpr size_t kDefaultSharedBytes = 48 * 1024;

std::string ErrorText(cudaError_t error) {
  return std::string(cudaGetErrorName(error)) + ": " +
         cudaGetErrorString(error);
}

__host__ __device__ int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

__host__ __device__ int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }

__host__ __device__ int64_t FeatureTiles(const WersaDims& dims) {
  return CeilDiv(dims.features, kFeatureTile);
}

// Accumulator columns per thread: head_dim + 1 columns over kGridSide
// threads, rounded up to an instantiated width.
int ColumnsPerThread(int64_t head_dim) {
  const int64_t needed = CeilDiv(head_dim + 1, kGridSide);
  for (int width : {2, 3, 5}) {
    if (needed <= width) return width;
  }
  return 9;  // head_dim <= kMaxHeadDim
}

__host__ __device__ int64_t ReduceChunks(int64_t length,
                                         int64_t ctas_per_chunk) {
  const int64_t by_ctas = kTargetReduceCtas / ctas_per_chunk;
  return Min(CeilDiv(length, kMinChunkTokens), by_ctas > 1 ? by_ctas : 1);
}

__device__ float Gelu(float x) {
  return 0.5f * x * (1.0f + erff(x * 0.7071067811865475f));
}

// ---------------------------------------------------------------------------
// Stage (a). Grid: (tiles of the longest sequence, batch, column tiles of 2D).
// Shared: W [S][S], the tile's gains [rows], GELU(x) and the gained
// coefficients [rows][kFilterColumns] each.
__global__ void __launch_bounds__(kThreads)
    FilterKernel(FilterArgs args, int tile_rows) {
  extern __shared__ float shared[];
  const int block = 1 << args.dims.levels;
  float* w = shared;
  float* gains = w + block * block;
  float* x = gains + tile_rows;
  float* coefficients = x + tile_rows * kFilterColumns;

  const int64_t b = blockIdx.y;
  const int64_t length = args.layout.lengths[b];
  const int64_t tile_start = blockIdx.x * static_cast<int64_t>(tile_rows);
  if (tile_start >= length) return;
  const int rows = static_cast<int>(Min(tile_rows, length - tile_start));
  // A partial last block is filtered as if zero-padded.
  const int block_rows = (rows + block - 1) / block * block;
  const int64_t first_row = args.layout.offsets[b] + tile_start;
  const int64_t width = 2 * args.dims.heads * args.dims.head_dim;
  const int lane = threadIdx.x % kFilterColumns;
  const int group = threadIdx.x / kFilterColumns;
  const int64_t column =
      blockIdx.z * static_cast<int64_t>(kFilterColumns) + lane;
  const bool real_column = column < width;

  for (int i = threadIdx.x; i < block * block; i += blockDim.x) {
    w[i] = args.haar_matrix[i];
  }
  const float* tile_gains =
      args.gains + (b * args.gain_blocks + tile_start / block) * block;
  for (int i = threadIdx.x; i < block_rows; i += blockDim.x) {
    gains[i] = tile_gains[i];
  }
  for (int r = group; r < block_rows; r += kFilterRowGroups) {
    x[r * kFilterColumns + lane] =
        r < rows && real_column
            ? Gelu(args.qkv[(first_row + r) * args.qkv_row_stride + column])
            : 0.0f;
  }
  __syncthreads();

  // Analysis and gains: coefficient i of a block is g_i sum_t W[i][t] x_t.
  for (int r = group; r < block_rows; r += kFilterRowGroups) {
    const int first = r & ~(block - 1);
    const float* row_w = w + (r & (block - 1)) * block;
    float sum = 0.0f;
    for (int t = 0; t < block; ++t) {
      sum += row_w[t] * x[(first + t) * kFilterColumns + lane];
    }
    coefficients[r * kFilterColumns + lane] = gains[r] * sum;
  }
  __syncthreads();

  // Synthesis: token t of a block is sum_i W[i][t] c_i.
  if (!real_column) return;
  for (int r = group; r < rows; r += kFilterRowGroups) {
    const int first = r & ~(block - 1);
    const int t = r & (block - 1);
    float sum = 0.0f;
    for (int i = 0; i < block; ++i) {
      sum +=
          w[i * block + t] * coefficients[(first + i) * kFilterColumns + lane];
    }
    args.filtered[(first_row + r) * width + column] = sum;
  }
}

// phi[t][f] = ReLU(sum_c x[t][c] r[c][f]) for a tile of kTokenTile tokens and
// kFeatureTile features, x [kTokenTile][head_dim] and r [head_dim]
// [kFeatureTile] in shared memory. Shared-memory loads, not FMAs, bound this
// product, so each thread computes kPhiTokens x kPhiFeatures outputs: a warp
// owns kPhiTokens tokens, whose x values it reads as broadcasts, and a lane
// kPhiFeatures features of a row of r, so six loads feed eight FMAs where one
// output per thread needed two. (Counted, not profiled: at head_dim 64 the
// old product issued 3.6 and 2.3 times the shared loads of the accumulation
// that follows it in (b) and (c). With kTargetReduceCtas raised at the same
// time, the paper-sized core went from 89.0 to 60.8 ms at 131,072 tokens on an
// H200.)
__device__ void FeatureTile(const float* x, const float* r, int head_dim,
                            float* phi, int phi_stride) {
  const int lane = threadIdx.x % kWarpSize;
  const int first_token = threadIdx.x / kWarpSize * kPhiTokens;
  float sums[kPhiTokens][kPhiFeatures] = {};
  for (int c = 0; c < head_dim; ++c) {
    float weights[kPhiFeatures];
    for (int j = 0; j < kPhiFeatures; ++j) {
      weights[j] = r[c * kFeatureTile + lane + j * kWarpSize];
    }
    for (int i = 0; i < kPhiTokens; ++i) {
      const float value = x[(first_token + i) * head_dim + c];
      for (int j = 0; j < kPhiFeatures; ++j) sums[i][j] += value * weights[j];
    }
  }
  for (int i = 0; i < kPhiTokens; ++i) {
    for (int j = 0; j < kPhiFeatures; ++j) {
      phi[(first_token + i) * phi_stride + lane + j * kWarpSize] =
          fmaxf(sums[i][j], 0.0f);
    }
  }
}

// Loads features [first_feature, first_feature + kFeatureTile) of R
// ([head_dim][features]) into r, zero past the last feature so those
// features are ReLU(0) = 0 and add nothing.
__device__ void LoadFeatureColumns(const float* features, int64_t count,
                                   int head_dim, int64_t first_feature,
                                   float* r) {
  for (int i = threadIdx.x; i < head_dim * kFeatureTile; i += blockDim.x) {
    const int64_t f = first_feature + i % kFeatureTile;
    r[i] = f < count ? features[(i / kFeatureTile) * count + f] : 0.0f;
  }
}

// ---------------------------------------------------------------------------
// Stage (b), pass 1. Grid: (chunks x feature tiles, heads, batch). Each CTA
// accumulates [phi(k)^T v | sum phi(k)] for kFeatureTile features over its
// chunk of one sequence, in registers, and writes it to
// workspace[b][chunk][h][feature][head_dim + 1]. phi(k) lives only in
// shared memory.
template <int kColumns>
__global__ void __launch_bounds__(kThreads)
    ReducePartialKernel(ReduceArgs args, int64_t max_chunks, float* workspace) {
  constexpr int kPadded = kColumns * kGridSide;
  extern __shared__ float shared[];
  const int head_dim = static_cast<int>(args.dims.head_dim);
  const int64_t columns = head_dim + 1;
  const int64_t features = args.dims.features;
  float* r = shared;                       // [head_dim][kFeatureTile]
  float* k = r + head_dim * kFeatureTile;  // [kTokenTile][head_dim]
  float* v = k + kTokenTile * head_dim;    // [kTokenTile][kPadded]
  float* phi = v + kTokenTile * kPadded;   // [kTokenTile][kFeatureTile]

  const int64_t feature_tiles = CeilDiv(features, kFeatureTile);
  const int64_t chunk = blockIdx.x / feature_tiles;
  const int64_t first_feature = (blockIdx.x % feature_tiles) * kFeatureTile;
  const int64_t h = blockIdx.y;
  const int64_t b = blockIdx.z;
  const int64_t length = args.layout.lengths[b];
  const int64_t chunks = ReduceChunks(length, args.dims.heads * feature_tiles);
  if (chunk >= chunks) return;
  const int64_t chunk_tokens =
      CeilDiv(CeilDiv(length, chunks), kTokenTile) * kTokenTile;
  const int64_t start = chunk * chunk_tokens;
  const int64_t end = Min(length, start + chunk_tokens);
  const int64_t d_model = args.dims.heads * head_dim;
  const float* k_base = args.filtered + d_model + h * head_dim;
  const float* v_base = args.qkv + 2 * d_model + h * head_dim;
  const int64_t row0 = args.layout.offsets[b];

  LoadFeatureColumns(args.features_k, features, head_dim, first_feature, r);
  const int feature_lane = threadIdx.x / kGridSide;
  const int column_lane = threadIdx.x % kGridSide;
  float sums[kFeatureTile / kGridSide][kColumns] = {};
  for (int64_t tile = start; tile < end; tile += kTokenTile) {
    const int tokens = static_cast<int>(Min(kTokenTile, end - tile));
    for (int i = threadIdx.x; i < kTokenTile * head_dim; i += blockDim.x) {
      const int t = i / head_dim;
      k[i] = t < tokens ? k_base[(row0 + tile + t) * 2 * d_model + i % head_dim]
                        : 0.0f;
    }
    // v with a column of ones, so one product gives phi^T v and sum phi.
    for (int i = threadIdx.x; i < kTokenTile * kPadded; i += blockDim.x) {
      const int t = i / kPadded;
      const int c = i % kPadded;
      float value = 0.0f;
      if (t < tokens && c < head_dim) {
        value = v_base[(row0 + tile + t) * args.qkv_row_stride + c];
      } else if (t < tokens && c == head_dim) {
        value = 1.0f;
      }
      v[i] = value;
    }
    __syncthreads();
    FeatureTile(k, r, head_dim, phi, kFeatureTile);
    __syncthreads();
    for (int t = 0; t < tokens; ++t) {
      for (int a = 0; a < kFeatureTile / kGridSide; ++a) {
        const float p = phi[t * kFeatureTile + feature_lane + a * kGridSide];
        for (int c = 0; c < kColumns; ++c) {
          sums[a][c] += p * v[t * kPadded + column_lane + c * kGridSide];
        }
      }
    }
    __syncthreads();
  }

  float* partial =
      workspace +
      ((b * max_chunks + chunk) * args.dims.heads + h) * features * columns;
  for (int a = 0; a < kFeatureTile / kGridSide; ++a) {
    const int64_t f = first_feature + feature_lane + a * kGridSide;
    if (f >= features) continue;
    for (int c = 0; c < kColumns; ++c) {
      const int64_t column = column_lane + c * kGridSide;
      if (column < columns) partial[f * columns + column] = sums[a][c];
    }
  }
}

// Stage (b), pass 2. Grid: (element tiles, heads, batch); each thread sums
// one element of a sequence's partials in chunk order.
__global__ void __launch_bounds__(kThreads)
    ReduceChunksKernel(ReduceArgs args, int64_t max_chunks,
                       const float* workspace) {
  const int64_t elements = args.dims.features * (args.dims.head_dim + 1);
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= elements) return;
  const int64_t h = blockIdx.y;
  const int64_t b = blockIdx.z;
  const int64_t heads = args.dims.heads;
  const int64_t chunks =
      ReduceChunks(args.layout.lengths[b], heads * FeatureTiles(args.dims));
  float sum = 0.0f;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    sum += workspace[((b * max_chunks + chunk) * heads + h) * elements + i];
  }
  args.kv[(b * heads + h) * elements + i] = sum;
}

// ---------------------------------------------------------------------------
// Stage (c). Grid: (token tiles of the longest sequence, heads, batch). Per
// feature tile: phi(q) in shared memory, then [numerator | denominator] +=
// phi(q) [KV | z] in registers; at the end the division and the LayerNorm,
// one warp per token.
template <int kColumns>
__global__ void __launch_bounds__(kThreads) AttendKernel(AttendArgs args) {
  constexpr int kPadded = kColumns * kGridSide;
  constexpr int kTokensPerLane = kTokenTile / kGridSide;
  extern __shared__ float shared[];
  const int head_dim = static_cast<int>(args.dims.head_dim);
  const int64_t columns = head_dim + 1;
  const int64_t features = args.dims.features;
  float* q = shared;                                // [kTokenTile][head_dim]
  float* r = q + kTokenTile * head_dim;             // [head_dim][kFeatureTile]
  float* kv = r + head_dim * kFeatureTile;          // [kFeatureTile][kPadded]
  float* phi = kv + kFeatureTile * kPadded;         // [kTokenTile][kPhiStride]
  float* fraction = phi + kTokenTile * kPhiStride;  // [kTokenTile][kPadded]

  const int64_t h = blockIdx.y;
  const int64_t b = blockIdx.z;
  const int64_t length = args.layout.lengths[b];
  const int64_t tile = blockIdx.x * static_cast<int64_t>(kTokenTile);
  if (tile >= length) return;
  const int tokens = static_cast<int>(Min(kTokenTile, length - tile));
  const int64_t d_model = args.dims.heads * head_dim;
  const int64_t first_row = args.layout.offsets[b] + tile;
  const float* head_kv =
      args.kv + (b * args.dims.heads + h) * features * columns;

  for (int i = threadIdx.x; i < kTokenTile * head_dim; i += blockDim.x) {
    const int t = i / head_dim;
    q[i] = t < tokens ? args.filtered[(first_row + t) * 2 * d_model +
                                      h * head_dim + i % head_dim]
                      : 0.0f;
  }
  const int token_lane = threadIdx.x / kGridSide;
  const int column_lane = threadIdx.x % kGridSide;
  float sums[kTokensPerLane][kColumns] = {};
  for (int64_t first_feature = 0; first_feature < features;
       first_feature += kFeatureTile) {
    LoadFeatureColumns(args.features_q, features, head_dim, first_feature, r);
    for (int i = threadIdx.x; i < kFeatureTile * kPadded; i += blockDim.x) {
      const int64_t f = first_feature + i / kPadded;
      const int c = i % kPadded;
      kv[i] = f < features && c < columns ? head_kv[f * columns + c] : 0.0f;
    }
    __syncthreads();
    FeatureTile(q, r, head_dim, phi, kPhiStride);
    __syncthreads();
    for (int f = 0; f < kFeatureTile; ++f) {
      for (int a = 0; a < kTokensPerLane; ++a) {
        const float p = phi[(token_lane + a * kGridSide) * kPhiStride + f];
        for (int c = 0; c < kColumns; ++c) {
          sums[a][c] += p * kv[f * kPadded + column_lane + c * kGridSide];
        }
      }
    }
    __syncthreads();
  }
  for (int a = 0; a < kTokensPerLane; ++a) {
    for (int c = 0; c < kColumns; ++c) {
      fraction[(token_lane + a * kGridSide) * kPadded + column_lane +
               c * kGridSide] = sums[a][c];
    }
  }
  __syncthreads();

  const int warp = threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  constexpr int kMaxPerLane = (kPadded + kWarpSize - 1) / kWarpSize;
  for (int t = warp; t < tokens; t += kThreads / kWarpSize) {
    const float* row = fraction + t * kPadded;
    const float denominator = row[head_dim] + args.epsilon;
    float y[kMaxPerLane];
    float sum = 0.0f;
    for (int j = 0; j < kMaxPerLane; ++j) {
      const int c = lane + j * kWarpSize;
      y[j] = c < head_dim ? row[c] / denominator : 0.0f;
      sum += y[j];
    }
    float* out = args.out + (first_row + t) * d_model + h * head_dim;
    if (args.norm_weight == nullptr) {
      for (int j = 0; j < kMaxPerLane; ++j) {
        const int c = lane + j * kWarpSize;
        if (c < head_dim) out[c] = y[j];
      }
      continue;
    }
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
      sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    }
    const float mean = sum / head_dim;
    // Two passes over registers: the variance of values far from zero
    // keeps its precision.
    float squares = 0.0f;
    for (int j = 0; j < kMaxPerLane; ++j) {
      const int c = lane + j * kWarpSize;
      if (c < head_dim) squares += (y[j] - mean) * (y[j] - mean);
    }
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
      squares += __shfl_xor_sync(0xffffffffu, squares, offset);
    }
    const float inv_std = rsqrtf(squares / head_dim + args.norm_epsilon);
    for (int j = 0; j < kMaxPerLane; ++j) {
      const int c = lane + j * kWarpSize;
      if (c < head_dim) {
        out[c] =
            (y[j] - mean) * inv_std * args.norm_weight[c] + args.norm_bias[c];
      }
    }
  }
}

// Sets the kernel's dynamic shared memory limit where it needs more than the
// default, then checks the launch.
template <typename Kernel>
cudaError_t AllowSharedBytes(Kernel kernel, size_t bytes) {
  if (bytes <= kDefaultSharedBytes) return cudaSuccess;
  return cudaFuncSetAttribute(kernel,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(bytes));
}

template <int kColumns>
size_t ReduceSharedBytes(int64_t head_dim) {
  return sizeof(float) *
         static_cast<size_t>(head_dim * kFeatureTile + kTokenTile * head_dim +
                             kTokenTile * kColumns * kGridSide +
                             kTokenTile * kFeatureTile);
}

template <int kColumns>
size_t AttendSharedBytes(int64_t head_dim) {
  return sizeof(float) *
         static_cast<size_t>(kTokenTile * head_dim + head_dim * kFeatureTile +
                             kFeatureTile * kColumns * kGridSide +
                             kTokenTile * kPhiStride +
                             kTokenTile * kColumns * kGridSide);
}

template <int kColumns>
std::string LaunchReduce(const ReduceArgs& args, int64_t max_chunks,
                         float* workspace, cudaStream_t stream) {
  const size_t bytes = ReduceSharedBytes<kColumns>(args.dims.head_dim);
  if (cudaError_t e = AllowSharedBytes(ReducePartialKernel<kColumns>, bytes);
      e != cudaSuccess) {
    return ErrorText(e);
  }
  const dim3 grid(static_cast<unsigned>(max_chunks * FeatureTiles(args.dims)),
                  static_cast<unsigned>(args.dims.heads),
                  static_cast<unsigned>(args.layout.batch));
  ReducePartialKernel<kColumns>
      <<<grid, kThreads, bytes, stream>>>(args, max_chunks, workspace);
  return {};
}

template <int kColumns>
std::string LaunchAttend(const AttendArgs& args, cudaStream_t stream) {
  const size_t bytes = AttendSharedBytes<kColumns>(args.dims.head_dim);
  if (cudaError_t e = AllowSharedBytes(AttendKernel<kColumns>, bytes);
      e != cudaSuccess) {
    return ErrorText(e);
  }
  const dim3 grid(
      static_cast<unsigned>(CeilDiv(args.layout.max_length, kTokenTile)),
      static_cast<unsigned>(args.dims.heads),
      static_cast<unsigned>(args.layout.batch));
  AttendKernel<kColumns><<<grid, kThreads, bytes, stream>>>(args);
  return {};
}

std::string CheckSizes(const SequenceLayout& layout, const WersaDims& dims) {
  if (!StagesSupport(dims)) {
    return "unsupported sizes: levels " + std::to_string(dims.levels) +
           " (at most " + std::to_string(kMaxLevels) + "), head_dim " +
           std::to_string(dims.head_dim) + " (at most " +
           std::to_string(kMaxHeadDim) + "), heads " +
           std::to_string(dims.heads) + ", features " +
           std::to_string(dims.features);
  }
  // Grid dimensions y and z are at most 65,535.
  if (layout.batch < 0 || layout.batch > 65535) {
    return "unsupported batch " + std::to_string(layout.batch);
  }
  return {};
}

std::string LastError() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? std::string() : ErrorText(e);
}

}  // namespace

bool StagesSupport(const WersaDims& dims) {
  return dims.levels >= 0 && dims.levels <= kMaxLevels && dims.head_dim >= 1 &&
         dims.head_dim <= kMaxHeadDim && dims.heads >= 1 &&
         dims.heads <= 65535 && dims.features >= 1;
}

std::string FilterQueryKey(const FilterArgs& args, void* stream) {
  if (std::string error = CheckSizes(args.layout, args.dims); !error.empty()) {
    return error;
  }
  if (args.layout.batch == 0 || args.layout.max_length == 0) return {};
  const int block = 1 << args.dims.levels;
  const int tile_rows = std::max(block, kFilterMinRows);
  const size_t bytes =
      sizeof(float) * (static_cast<size_t>(block) * block + tile_rows +
                       2 * static_cast<size_t>(tile_rows) * kFilterColumns);
  const int64_t width = 2 * args.dims.heads * args.dims.head_dim;
  const dim3 grid(
      static_cast<unsigned>(CeilDiv(args.layout.max_length, tile_rows)),
      static_cast<unsigned>(args.layout.batch),
      static_cast<unsigned>(CeilDiv(width, kFilterColumns)));
  FilterKernel<<<grid, kThreads, bytes, static_cast<cudaStream_t>(stream)>>>(
      args, tile_rows);
  return LastError();
}

int64_t ReduceWorkspaceFloats(const ReduceArgs& args) {
  const WersaDims& dims = args.dims;
  const int64_t max_chunks =
      ReduceChunks(args.layout.max_length, dims.heads * FeatureTiles(dims));
  return args.layout.batch * max_chunks * dims.heads * dims.features *
         (dims.head_dim + 1);
}

std::string ReduceKeyValue(const ReduceArgs& args, float* workspace,
                           void* stream) {
  if (std::string error = CheckSizes(args.layout, args.dims); !error.empty()) {
    return error;
  }
  if (args.layout.batch == 0 || args.layout.max_length == 0) return {};
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  const WersaDims& dims = args.dims;
  const int64_t max_chunks =
      ReduceChunks(args.layout.max_length, dims.heads * FeatureTiles(dims));
  std::string error;
  switch (ColumnsPerThread(dims.head_dim)) {
    case 2:
      error = LaunchReduce<2>(args, max_chunks, workspace, cuda_stream);
      break;
    case 3:
      error = LaunchReduce<3>(args, max_chunks, workspace, cuda_stream);
      break;
    case 5:
      error = LaunchReduce<5>(args, max_chunks, workspace, cuda_stream);
      break;
    default:
      error = LaunchReduce<9>(args, max_chunks, workspace, cuda_stream);
      break;
  }
  if (error.empty()) error = LastError();
  if (!error.empty()) return error;
  const int64_t elements = dims.features * (dims.head_dim + 1);
  const dim3 grid(static_cast<unsigned>(CeilDiv(elements, kThreads)),
                  static_cast<unsigned>(dims.heads),
                  static_cast<unsigned>(args.layout.batch));
  ReduceChunksKernel<<<grid, kThreads, 0, cuda_stream>>>(args, max_chunks,
                                                         workspace);
  return LastError();
}

std::string AttendQuery(const AttendArgs& args, void* stream) {
  if (std::string error = CheckSizes(args.layout, args.dims); !error.empty()) {
    return error;
  }
  if (args.layout.batch == 0 || args.layout.max_length == 0) return {};
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  std::string error;
  switch (ColumnsPerThread(args.dims.head_dim)) {
    case 2:
      error = LaunchAttend<2>(args, cuda_stream);
      break;
    case 3:
      error = LaunchAttend<3>(args, cuda_stream);
      break;
    case 5:
      error = LaunchAttend<5>(args, cuda_stream);
      break;
    default:
      error = LaunchAttend<9>(args, cuda_stream);
      break;
  }
  return error.empty() ? LastError() : error;
}

}  // namespace wersa::kernels::cuda
