#!/usr/bin/env bash
# Sanitizer builds and runs (not part of CI: each is a second full build).
#
#   scripts/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer,
#                              every test, in build-asan/
#   scripts/sanitize.sh tsan   ThreadSanitizer, the server tests (the batcher
#                              runs inside them), in build-tsan/
#
# Extra arguments go to ctest (e.g. -R ServerTest). Exits non-zero on any
# sanitizer report: every report aborts its process (halt_on_error), so the
# test that triggered it fails.
#
# LibTorch, OpenBLAS and libgomp come from Debian uninstrumented. ASan and
# UBSan need nothing from them; TSan cannot see the synchronisation inside
# libgomp's thread pool, so reports whose stacks pass through those
# libraries are suppressed (scripts/tsan.supp, which says what that costs).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
shift || true
case "$mode" in
  asan)
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    targets=(all)
    # The image-recipe check would flag libasan/libubsan, which the image
    # never ships.
    tests=(-E deploy_image_recipe)
    export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:strict_string_checks=1:detect_stack_use_after_return=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    ;;
  tsan)
    flags="-fsanitize=thread -fno-omit-frame-pointer"
    targets=(server_test server_metrics_test wersa-server wersa-client wersa-load)
    tests=(-R 'ServerTest|MetricsEndpointTest')
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [ctest arguments]" >&2
    exit 2
    ;;
esac

if [ -z "${WERSA_ARXIV_DATA:-}" ] && [ -d ../shared/data/arxiv ]; then
  export WERSA_ARXIV_DATA="$(cd ../shared/data/arxiv && pwd)"
fi
build="build-$mode"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWERSA_CUDA=OFF -DWERSA_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags"
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}"
if [ "$mode" = tsan ]; then
  # scripts/tsan.supp, and every uninstrumented Abseil, gRPC and protobuf
  # library the binaries load (called_from_lib wants each one by name).
  {
    cat scripts/tsan.supp
    ldd "$build/server/wersa-server" "$build/tests/server/server_test" \
      "$build/tests/server/server_metrics_test" "$build/client/wersa-client" \
      "$build/client/wersa-load" |
      grep -o '/[^ ]*/lib\(absl_[a-z0-9_]*\|grpc[a-z+_]*\|gpr\|protobuf\|upb\|address_sorting\|re2\|cares\)\.so[.0-9]*' |
      xargs -n 1 basename | sort -u | sed 's/^/called_from_lib:/'
  } >"$build/tsan.supp"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/$build/tsan.supp"
fi
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" \
  --timeout 900 "${tests[@]}" "$@"
