#!/usr/bin/env bash
# Packs, on a Debian 12 development machine, what a model-only build needs on
# the GPU machine, which has PyTorch (LibTorch), CMake, ninja and nvcc but no
# package registry and no network (docs/gpu.md):
#
#   .gpu-deps/root/usr/...     GoogleTest/GoogleMock, Google Benchmark, Abseil
#                              and nlohmann-json: Debian's packages unpacked
#                              with dpkg-deb -x
#   .gpu-deps/sentencepiece/   SentencePiece 0.1.97 (Debian's source) as static
#                              libraries with its built-in protobuf-lite: the
#                              GPU machine has no protobuf, and Debian ships
#                              only shared SentencePiece libraries
#
# .gpu-deps/ is ignored by git; pass it in the device call's `carry` (it must
# stay under 64 MiB with the rest of what is carried). Needs apt-get with a
# deb-src line for bookworm main (scripts/install-deps.sh adds one), cmake,
# ninja and g++. Run from anywhere:
#
#   scripts/pack-gpu-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/.gpu-deps"
sentencepiece_version="0.1.97"
packages=(libgtest-dev libgmock-dev libbenchmark-dev libbenchmark1debian
          libabsl-dev libabsl20220623 nlohmann-json3-dev)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out/root"

mkdir "$work/debs"
(cd "$work/debs" && apt-get download -q "${packages[@]}")
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$out/root"
  dpkg-deb -f "$deb" Package Version | sed 's/^[^:]*: //' | paste -sd ' ' >>"$out/packages.txt"
done
rm -rf "$out/root/usr/share/doc"

mkdir "$work/src"
(cd "$work/src" && apt-get source -q "sentencepiece=${sentencepiece_version}-$(
    apt-cache showsrc sentencepiece |
      sed -n "s/^Version: ${sentencepiece_version}-\(.*\)$/\1/p" | head -n 1)")
src="$(find "$work/src" -maxdepth 1 -type d -name "sentencepiece-${sentencepiece_version}*" | head -n 1)"
[ -n "$src" ] || { echo "pack-gpu-deps: SentencePiece source not found" >&2; exit 1; }
# Debian's packaging drops the static libraries; the project links exactly those.
patch -d "$src" -R -p1 -s <"$src/debian/patches/disable-static-library.patch"
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSPM_USE_BUILTIN_PROTOBUF=ON -DSPM_ENABLE_SHARED=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$out/sentencepiece" >/dev/null
nice -n 15 cmake --build "$work/build" --parallel 2
cmake --install "$work/build" >/dev/null
# The command-line tools are not needed to build the project.
rm -rf "$out/sentencepiece/bin"
echo "sentencepiece ${sentencepiece_version} (static, built-in protobuf-lite)" >>"$out/packages.txt"

size_kib="$(du -sk "$out" | cut -f1)"
echo "pack-gpu-deps: $out, $((size_kib / 1024)) MiB:"
cat "$out/packages.txt"
if [ "$size_kib" -ge $((64 * 1024)) ]; then
  echo "pack-gpu-deps: over the 64 MiB a device call can carry" >&2
  exit 1
fi
