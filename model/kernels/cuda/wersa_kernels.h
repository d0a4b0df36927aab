#ifndef WERSA_MODEL_KERNELS_CUDA_WERSA_KERNELS_H_
#define WERSA_MODEL_KERNELS_CUDA_WERSA_KERNELS_H_

// The fused WERSA stages of kernel_args.h on a CUDA device, fp32 in and out
// with fp32 accumulation. Plain C++ types only, so hosts without CUDA headers
// (and the CPU-only LibTorch) can include it. Every pointer in the arguments,
// the layout's offsets and lengths included, is a device pointer; `stream`
// is a cudaStream_t (nullptr: the legacy default stream). Each function only
// enqueues work and returns an empty string, or the CUDA error text (or why
// the sizes are not supported); nothing is synchronised.
//
// layout.max_length sizes the grids and the reduction's workspace: any value
// >= every length is correct, a larger one only launches blocks that return
// at once.

#include <cstdint>
#include <string>

#include "model/kernels/kernel_args.h"

namespace wersa::kernels::cuda {

// Stage (a) holds W (S x S) and a tile of at least S tokens in shared memory;
// stages (b) and (c) hold head_dim x 64 feature tiles and per-thread
// accumulators sized for head_dim + 1 columns.
inline constexpr int64_t kMaxLevels = 6;
inline constexpr int64_t kMaxHeadDim = 128;

// Whether the kernels below take these sizes.
bool StagesSupport(const WersaDims& dims);

// Stage (a): filtered = per block of 2^L tokens W^T diag(g) W GELU(q | k).
std::string FilterQueryKey(const FilterArgs& args, void* stream);

// Stage (b) runs in two passes: per chunk of a sequence's tokens, partial
// [phi(k)^T v | sum phi(k)] into `workspace`, then the partials of each
// sequence summed in a fixed order, so kv is the same from run to run (no
// atomics). A sequence's chunking depends on its own length only, so its kv
// does not depend on what it is batched with. `workspace` holds
// ReduceWorkspaceFloats(args) floats on the device.
int64_t ReduceWorkspaceFloats(const ReduceArgs& args);
std::string ReduceKeyValue(const ReduceArgs& args, float* workspace,
                           void* stream);

// Stage (c): out = LayerNorm(phi(q) KV / (phi(q) z + eps)) per head.
std::string AttendQuery(const AttendArgs& args, void* stream);

}  // namespace wersa::kernels::cuda

#endif  // WERSA_MODEL_KERNELS_CUDA_WERSA_KERNELS_H_
