# WERSA_CUDA=AUTO turns CUDA on where CMake finds nvcc (on PATH or in CUDACXX).
# Compiling and linking need no GPU; the kernels only run when a tensor is on one.
set(WERSA_WITH_CUDA OFF)
if(NOT WERSA_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(WERSA_WITH_CUDA ON)
  elseif(WERSA_CUDA STREQUAL "ON")
    message(FATAL_ERROR "WERSA_CUDA=ON but no CUDA compiler was found (put nvcc on PATH)")
  endif()
endif()

if(WERSA_WITH_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    # "native" fails on machines without a GPU; Ampere and Hopper are the targets.
    set(CMAKE_CUDA_ARCHITECTURES 80 90)
  endif()
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
endif()
# The torch-level branch (tensors on a CUDA device) needs a LibTorch built
# with CUDA as well: the pip PyTorch of the GPU machine, not Debian's. Its
# TorchConfig lists c10_cuda in TORCH_CUDA_LIBRARIES (also part of
# TORCH_LIBRARIES); Caffe2's targets define torch_cuda.
set(WERSA_WITH_TORCH_CUDA OFF)
if(WERSA_WITH_CUDA AND (TORCH_CUDA_LIBRARIES OR TARGET torch_cuda))
  set(WERSA_WITH_TORCH_CUDA ON)
endif()
message(STATUS "wersa: CUDA kernels ${WERSA_WITH_CUDA} (WERSA_CUDA=${WERSA_CUDA}), "
               "LibTorch CUDA branch ${WERSA_WITH_TORCH_CUDA}")
