#!/usr/bin/env bash
# Builds Abseil and gRPC with -fsanitize=thread from the Debian source
# packages of the exact versions installed, into build-tsan-deps/prefix.
# scripts/sanitize.sh tsan builds against that prefix and runs with it.
#
# Why: Debian ships both uninstrumented, so ThreadSanitizer sees the
# accesses on either side of every hand-over inside them (absl::Mutex,
# gRPC's completion queues and call refcounts) but not the synchronisation
# between them, and reports races that are not there. Instrumented builds
# make those hand-overs visible, so no suppression has to cover our code.
#
# Needs scripts/install-deps.sh first (the packages and the deb-src line);
# installs Debian's libprotoc-dev if it is missing.
# About 25 minutes on 2 cores (Abseil 4, gRPC 20); a stamp skips it once
# done for these versions.
set -euo pipefail
cd "$(dirname "$0")/.."

root="$PWD/build-tsan-deps"
prefix="$root/prefix"
absl_version="$(dpkg-query -W -f='${source:Version}' libabsl-dev)"
grpc_version="$(dpkg-query -W -f='${source:Version}' libgrpc++-dev)"
stamp="$prefix/abseil-${absl_version}_grpc-${grpc_version}.stamp"
if [ -f "$stamp" ]; then
  echo "build-tsan-deps: $prefix is up to date"
  exit 0
fi

# -O1 keeps stacks readable and compiles faster than -O2; the RUNPATH makes
# every library in the prefix load its Abseil from the prefix too, never
# Debian's uninstrumented copy of the same soname.
flags="-fsanitize=thread -fno-omit-frame-pointer -O1 -g1"
common=(-G Ninja -DCMAKE_BUILD_TYPE=None
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags"
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib
  -DCMAKE_INSTALL_RPATH="$prefix/lib" -DCMAKE_PREFIX_PATH="$prefix"
  -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON)

# gRPC's code generator links libprotoc, which the main build does not need.
if ! dpkg-query -W -f='${Status}' libprotoc-dev 2>/dev/null |
  grep -q "install ok installed"; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get install -y -q --no-install-recommends libprotoc-dev
fi

rm -rf "$root/src"
mkdir -p "$root/src"
(cd "$root/src" && apt-get source -q "abseil=${absl_version}" "grpc=${grpc_version}")
absl_src="$(find "$root/src" -maxdepth 1 -type d -name 'abseil-*' | head -n 1)"
grpc_src="$(find "$root/src" -maxdepth 1 -type d -name 'grpc-*' | head -n 1)"
[ -n "$absl_src" ] && [ -n "$grpc_src" ] || {
  echo "build-tsan-deps: source packages not unpacked" >&2
  exit 1
}

absl_stamp="$prefix/abseil-${absl_version}.stamp"
if [ ! -f "$absl_stamp" ]; then
  echo "build-tsan-deps: Abseil ${absl_version}"
  cmake -S "$absl_src" -B "$root/abseil" "${common[@]}" \
    -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$root/abseil" --parallel "$(nproc)"
  cmake --install "$root/abseil" >/dev/null
  touch "$absl_stamp"
fi

# Debian's own provider choices (debian/rules), so the instrumented gRPC
# links the same system c-ares, RE2, OpenSSL, zlib and protobuf as the
# packaged one; only the C++ code generator is needed.
echo "build-tsan-deps: gRPC ${grpc_version}"
cmake -S "$grpc_src" -B "$root/grpc" "${common[@]}" \
  -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package \
  -DgRPC_PROTOBUF_PROVIDER=package -DgRPC_RE2_PROVIDER=package \
  -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
  -DgRPC_BUILD_TESTS=OFF \
  -DgRPC_BACKWARDS_COMPATIBILITY_MODE=OFF -DgRPC_BUILD_CSHARP_EXT=OFF \
  -DgRPC_BUILD_GRPC_CPP_PLUGIN=ON -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF >/dev/null
cmake --build "$root/grpc" --parallel "$(nproc)"
cmake --install "$root/grpc" >/dev/null

rm -rf "$root/src" "$root/abseil" "$root/grpc"
touch "$stamp"
echo "build-tsan-deps: done, $prefix"
