#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds everything in
# build/, and runs every test. CTest's summary is the last thing it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# The real arXiv data, where the checkout sits beside it, enables the tests
# that read it; elsewhere they skip and say why.
if [ -z "${WERSA_ARXIV_DATA:-}" ] && [ -d ../shared/data/arxiv ]; then
  export WERSA_ARXIV_DATA="$(cd ../shared/data/arxiv && pwd)"
fi
# WERSA_BUILD_FUZZERS: the libFuzzer targets, in a nested clang build
# (build/fuzz), each run briefly as a test (docs/hardening.md).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWERSA_BUILD_FUZZERS=ON
cmake --build build --parallel "$(nproc)"
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
