#!/usr/bin/env bash
# Installs every Debian 12 package wersa-serve needs to build and test, and builds
# SentencePiece 0.1.97 from Debian's source package against the system protobuf
# (Debian's libsentencepiece0 embeds protobuf 3.14 and aborts a process that also
# loads protobuf 3.21 through gRPC or LibTorch; see docs/toolchain.md).
#
# Idempotent: a second run installs nothing and rebuilds nothing.
#
#   scripts/install-deps.sh            build and test dependencies
#   scripts/install-deps.sh --build    build dependencies only
#   scripts/install-deps.sh --baseline also python3-sklearn, for
#                                      scripts/baseline_tfidf_svm.py
#   scripts/install-deps.sh --bench    also gnuplot and h2load, for
#                                      scripts/bench-sweep.sh and bench-h2load.sh
#
# WERSA_DEPS_PREFIX (default /opt/wersa-deps) is where SentencePiece is installed.
set -euo pipefail

groups=(build test)
case "${1:-}" in
  "") ;;
  --build) groups=(build) ;;
  --baseline) groups=(build test baseline) ;;
  --bench) groups=(build test bench) ;;
  *) echo "usage: $0 [--build|--baseline|--bench]" >&2; exit 2 ;;
esac

deps_prefix="${WERSA_DEPS_PREFIX:-/opt/wersa-deps}"
sentencepiece_version="0.1.97"

build_packages=(
  cmake g++ make ninja-build pkg-config ca-certificates dpkg-dev
  libtorch-dev
  # The BLAS is named explicitly: libtorch's dependency is satisfied by the
  # reference libblas3 (about 3 GFLOP/s) unless an optimised one is chosen.
  libopenblas0-openmp
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libabsl-dev prometheus-cpp-dev libcivetweb-dev libcpp-httplib-dev nlohmann-json3-dev
  zlib1g-dev
  # model/train/: libarchive reads the data's tar archives.
  libarchive-dev
  # tls/: OpenSSL checks the PEM files (the library gRPC itself uses);
  # model/train/ takes SHA-1 from it.
  libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# prometheus: the Prometheus server and promtool, for the metrics tests (a test
# starts its own instance on a free loopback port; the package's service is not
# needed).
# kubernetes-client: kubectl 1.20 with kustomize built in, for the deploy/k8s
# tests (rendering only; no cluster). A kubectl from another package (the
# Kubernetes or Google Cloud apt repositories) ships the same path and
# conflicts with it, so a kubectl already on PATH is kept.
# openssl: the TLS tests make their certificates with it.
# clang, libclang-rt-14-dev: the libFuzzer targets' build and their short runs
# (scripts/test.sh builds them; libFuzzer and the sanitizer runtimes are in
# libclang-rt-14-dev, which clang only recommends).
test_packages=(prometheus openssl clang libclang-rt-14-dev)
if ! command -v kubectl >/dev/null 2>&1; then test_packages+=(kubernetes-client); fi
baseline_packages=(python3-sklearn)
bench_packages=(gnuplot-nox nghttp2-client)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -q
    apt_updated=1
  fi
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -eq 0 ]; then return; fi
  echo "install-deps: installing ${missing[*]}"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

select_openblas_openmp() {
  # OpenBLAS's OpenMP build shares LibTorch's OpenMP runtime; the pthread build
  # would start a second thread pool that competes with it.
  local arch lib
  arch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)"
  for lib in libblas.so.3 liblapack.so.3; do
    local target="/usr/lib/${arch}/openblas-openmp/${lib}"
    if [ "$(readlink -f "/usr/lib/${arch}/${lib}")" != "$(readlink -f "$target")" ]; then
      as_root update-alternatives --set "${lib}-${arch}" "$target"
    fi
  done
}

build_sentencepiece() {
  local stamp="${deps_prefix}/sentencepiece-${sentencepiece_version}.stamp"
  if [ -f "$stamp" ]; then return; fi
  echo "install-deps: building SentencePiece ${sentencepiece_version} into ${deps_prefix}"
  local src_list=/etc/apt/sources.list.d/wersa-deb-src.sources
  if ! apt-get source --print-uris sentencepiece >/dev/null 2>&1; then
    as_root tee "$src_list" >/dev/null <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    as_root apt-get update -q
  fi
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  (cd "$work" && apt-get source -q "sentencepiece=${sentencepiece_version}-$(
      apt-cache showsrc sentencepiece | sed -n "s/^Version: ${sentencepiece_version}-\(.*\)$/\1/p" | head -n 1)")
  local src
  src="$(find "$work" -maxdepth 1 -type d -name "sentencepiece-${sentencepiece_version}*" | head -n 1)"
  [ -n "$src" ] || { echo "install-deps: SentencePiece source not found" >&2; exit 1; }
  # Debian's packaging drops the static libraries; this project needs exactly those.
  patch -d "$src" -R -p1 -s <"$src/debian/patches/disable-static-library.patch"
  # Debian's backported ShutdownLibrary() includes the built-in protobuf-lite header
  # unconditionally, which clashes with the system protobuf (fixed upstream in 0.1.98).
  sed -i 's|#include "third_party/protobuf-lite/google/protobuf/message_lite.h"|#include <google/protobuf/message_lite.h>|' \
    "$src/src/init.h"
  cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSPM_USE_BUILTIN_PROTOBUF=OFF -DSPM_ENABLE_SHARED=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$deps_prefix" >/dev/null
  cmake --build "$work/build" --parallel "$(nproc)"
  as_root cmake --install "$work/build" >/dev/null
  as_root touch "$stamp"
}

for group in "${groups[@]}"; do
  case "$group" in
    build) install_packages "${build_packages[@]}" ;;
    test) [ "${#test_packages[@]}" -eq 0 ] || install_packages "${test_packages[@]}" ;;
    baseline) install_packages "${baseline_packages[@]}" ;;
    bench) install_packages "${bench_packages[@]}" ;;
  esac
done
select_openblas_openmp
build_sentencepiece
echo "install-deps: all dependencies present (SentencePiece in ${deps_prefix})"
