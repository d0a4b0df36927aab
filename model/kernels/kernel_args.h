#ifndef WERSA_MODEL_KERNELS_KERNEL_ARGS_H_
#define WERSA_MODEL_KERNELS_KERNEL_ARGS_H_

// Arguments of the fused WERSA stages, in plain types so that the CPU kernels,
// the CUDA kernels (nvcc, no LibTorch) and the LibTorch dispatch share them.
// Pointers are on the device the stage runs on.
//
// The three stages of one layer's attention, after the q|k|v projection and
// the gate network (docs/model.md):
//   (a) FilterQueryKey: GELU of q and k, then per aligned block of 2^L tokens
//       the Haar analysis, the gains and the synthesis (W^T diag(g) W).
//   (b) ReduceKeyValue: phi(k) = ReLU(k R_k) per token, accumulated into
//       [phi(k)^T v | sum phi(k)] per sequence and head; phi(k) is never
//       written out.
//   (c) AttendQuery: phi(q) = ReLU(q R_q), out = phi(q) KV / (phi(q) z + eps),
//       then the optional LayerNorm over the head's channels.

#include <cstdint>

namespace wersa::kernels {

// Where the sequences of a batch live in a row-major token matrix: sequence b
// has lengths[b] rows starting at row offsets[b]. A padded batch [B, n, C]
// has offsets[b] = b * n; a packed one, offsets[b] = the sum of the earlier
// lengths. Kernels read and write real rows only, so a batch costs its real
// tokens, and rows between sequences are left as they are.
struct SequenceLayout {
  int64_t batch = 0;
  const int64_t* offsets = nullptr;  // [batch]
  const int64_t* lengths = nullptr;  // [batch], each >= 1
  int64_t max_length = 0;  // at least the largest length (sizes task grids)
};

struct WersaDims {
  int64_t heads = 0;
  int64_t head_dim = 0;  // D = heads * head_dim
  int64_t features = 0;  // m, random features per head
  int64_t levels = 0;    // L; blocks of S = 2^L tokens
};

struct FilterArgs {
  SequenceLayout layout;
  WersaDims dims;
  // q at columns [0, D), k at [D, 2D) of each row; rows qkv_row_stride apart.
  const float* qkv = nullptr;
  int64_t qkv_row_stride = 0;
  // gains[b][j][i]: gain of coefficient i (HaarBlockMatrix's row order) of
  // block j of sequence b; [batch, gain_blocks, S].
  const float* gains = nullptr;
  int64_t gain_blocks = 0;
  const float* haar_matrix = nullptr;  // W, [S, S], HaarBlockMatrix(L)
  // [rows, 2D]: filtered q | filtered k, on the rows of qkv. A partial last
  // block is filtered as if zero-padded; only real rows are written.
  float* filtered = nullptr;
};

struct ReduceArgs {
  SequenceLayout layout;
  WersaDims dims;
  const float* filtered = nullptr;  // k at columns [D, 2D), row stride 2D
  const float* qkv = nullptr;       // v at columns [2D, 3D)
  int64_t qkv_row_stride = 0;
  const float* features_k = nullptr;  // R_k, [head_dim, features]
  // [batch, heads, features, head_dim + 1]: sum_t phi(k_t)^T v_t with
  // sum_t phi(k_t) in the last column, fp32, no constant applied.
  float* kv = nullptr;
};

struct AttendArgs {
  SequenceLayout layout;
  WersaDims dims;
  const float* filtered = nullptr;    // q at columns [0, D), row stride 2D
  const float* features_q = nullptr;  // R_q, [head_dim, features]
  const float* kv = nullptr;  // as ReduceArgs::kv, with the constants applied
  float epsilon = 1e-6f;
  // LayerNorm over each head's head_dim outputs, one affine pair shared by
  // the heads; nullptr weight means no normalisation.
  const float* norm_weight = nullptr;
  const float* norm_bias = nullptr;
  float norm_epsilon = 1e-5f;
  float* out = nullptr;  // [rows, D], head h at columns [h d, (h+1) d)
};

}  // namespace wersa::kernels

#endif  // WERSA_MODEL_KERNELS_KERNEL_ARGS_H_
