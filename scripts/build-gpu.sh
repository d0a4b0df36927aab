#!/usr/bin/env bash
# Builds model/ with its tests and benchmarks on the GPU machine (docs/gpu.md):
# LibTorch from the pip-installed PyTorch, the CUDA kernels for sm_80 and
# sm_90, and the other dependencies from .gpu-deps/ (scripts/pack-gpu-deps.sh,
# run beforehand on a development machine and carried over). No network, no
# gRPC, no apt: the server and clients are not built.
#
#   scripts/build-gpu.sh [BUILD_DIR [TARGET...]]    default build-gpu, all
#
# scripts/gpu-checks.sh builds the GPU tests and wersa-bench with it, runs
# them and keeps the logs: the one command of a device call (docs/gpu.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-gpu}"
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
deps="$PWD/.gpu-deps"
lib="$deps/root/usr/lib/x86_64-linux-gnu"
if [ ! -d "$lib" ] || [ ! -f "$deps/sentencepiece/lib/libsentencepiece.a" ]; then
  echo "build-gpu: $deps is missing or incomplete; run scripts/pack-gpu-deps.sh" \
       "on the development machine and carry .gpu-deps" >&2
  exit 1
fi

# What the first run on a new machine must show (docs/gpu.md): the toolchain
# that will link Debian 12's libraries, and LibTorch's C++ ABI.
echo "build-gpu: $(g++ --version | head -n 1); $(ldd --version | head -n 1)"
echo "build-gpu: $(nvcc --version | tail -n 1); $(cmake --version | head -n 1)"
python3 - <<'PYTHON'
import torch
print(f"build-gpu: torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"C++11 ABI {torch._C._GLIBCXX_USE_CXX11_ABI}, "
      f"devices {torch.cuda.device_count()}")
PYTHON
if [ "$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')" != 1 ]; then
  echo "build-gpu: this LibTorch uses the pre-C++11 ABI; the carried Debian" \
       "libraries (GoogleTest, Abseil, Benchmark) use the C++11 ABI" >&2
  exit 1
fi
torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"

# Each carried package's CMake config by path: the machine's own CMake search
# would not look under .gpu-deps, and must not pick up a system copy.
cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DWERSA_BUILD_SERVER=OFF \
  -DWERSA_BUILD_TRAINING=OFF \
  -DWERSA_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="${WERSA_CUDA_ARCHITECTURES:-80;90}" \
  -DCMAKE_PREFIX_PATH="$torch_prefix" \
  -DWERSA_DEPS_PREFIX="$deps/sentencepiece" \
  -Dabsl_DIR="$lib/cmake/absl" \
  -DGTest_DIR="$lib/cmake/GTest" \
  -Dbenchmark_DIR="$lib/cmake/benchmark" \
  -Dnlohmann_json_DIR="$deps/root/usr/share/cmake/nlohmann_json"
# -k 0: one target that fails to build still leaves the others to run.
cmake --build "$build" --parallel "$(nproc)" -- -k 0 "${targets[@]}"
# RUNPATH reaches the libraries a binary links, not their own dependencies
# (Abseil's internal ones): to run the binaries, put $lib on LD_LIBRARY_PATH,
# as gpu-checks.sh does.
echo "build-gpu: built in $build; run its binaries with" \
     "LD_LIBRARY_PATH=$lib"
