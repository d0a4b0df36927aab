#!/usr/bin/env bash
# The README's serve command: installs the build dependencies, builds the
# server and the clients in build/, and runs wersa-server on the shipped
# bundle (models/arxiv-archive-11) in the foreground. Ctrl-C drains and stops it.
#
#   bash scripts/serve.sh [wersa-server flags...]    e.g. --port=50052
#
# Every flag also has a WERSA_* environment equivalent (wersa-server --help).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel "$(nproc)" --target wersa-server wersa-client wersa-load
exec build/server/wersa-server "$@"
