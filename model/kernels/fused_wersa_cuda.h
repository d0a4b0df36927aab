#ifndef WERSA_MODEL_KERNELS_FUSED_WERSA_CUDA_H_
#define WERSA_MODEL_KERNELS_FUSED_WERSA_CUDA_H_

// The CUDA branch of FusedWersaAttention (fused_wersa.h). It exists only
// where LibTorch has CUDA (the target wersa_fused_cuda, built when CMake sees
// TORCH_CUDA_LIBRARIES); callers guard their use with WERSA_TORCH_CUDA.

#include <torch/torch.h>

#include "model/kernels/fused_wersa.h"
#include "model/kernels/kernel_args.h"

namespace wersa::kernels {

// FusedWersaAttention's contract for a qkv on a CUDA device: the three
// stages of kernels/cuda/wersa_kernels.h in fp32, enqueued on the device's
// current CUDA stream without synchronising. gains, lengths and the weights
// may live on any device (they are copied over when they are not on qkv's);
// lengths on the host are also checked to lie in [1, n]. Throws c10::Error
// for unsupported sizes (kernels::cuda::StagesSupport) or a CUDA error.
torch::Tensor FusedWersaAttentionCuda(const torch::Tensor& qkv,
                                      const torch::Tensor& gains,
                                      const torch::Tensor& lengths,
                                      const WersaDims& dims,
                                      const FusedWersaWeights& weights);

}  // namespace wersa::kernels

#endif  // WERSA_MODEL_KERNELS_FUSED_WERSA_CUDA_H_
