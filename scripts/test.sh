#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds everything in
# build/, and runs every test. CTest's summary is the last thing it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)"
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
