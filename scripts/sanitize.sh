#!/usr/bin/env bash
# Sanitizer builds and runs (not part of CI: each is a second full build).
#
#   scripts/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer,
#                              every test, in build-asan/
#   scripts/sanitize.sh tsan   ThreadSanitizer, the batcher, worker-pool,
#                              memory-trimmer and server tests (the abuse
#                              test included), in build-tsan/, against
#                              Abseil and gRPC built with TSan
#                              (scripts/build-tsan-deps.sh, run first;
#                              about 25 minutes on 2 cores, once)
#
# Extra arguments go to ctest (e.g. -R ServerTest). Exits non-zero on any
# sanitizer report: every report aborts its process (halt_on_error), so the
# test that triggered it fails.
#
# LibTorch, OpenBLAS, libgomp, protobuf, OpenSSL, RE2 and c-ares come from
# Debian uninstrumented. ASan and UBSan need nothing from them; TSan cannot
# see the synchronisation inside them, so what it reports through them is
# suppressed (scripts/tsan.supp, which says what that costs).
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
    targets=(batcher_test worker_pool_test idle_memory_trimmer_test
      server_test server_metrics_test interop_test abuse_test
      wersa-server wersa-client wersa-load)
    tests=(-R 'BatcherTest|WorkerPoolTest|IdleMemoryTrimmerTest|ServerTest|MetricsEndpointTest|InteropTest|AbuseTest')
    scripts/build-tsan-deps.sh
    tsan_prefix="$PWD/build-tsan-deps/prefix"
    prefix_args=(-Dabsl_DIR="$tsan_prefix/lib/cmake/absl"
      -DgRPC_DIR="$tsan_prefix/lib/cmake/grpc")
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
  -DWERSA_CUDA=OFF -DWERSA_BUILD_BENCHMARKS=OFF ${prefix_args[@]+"${prefix_args[@]}"} \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags"
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}"
if [ "$mode" = tsan ]; then
  binaries=("$build/server/wersa-server" "$build/client/wersa-client"
    "$build/client/wersa-load")
  for target in "${targets[@]}"; do
    binaries+=($(find "$build/tests" -type f -name "$target" -perm -u+x))
  done
  # Every Abseil and gRPC library must come from the instrumented prefix: one
  # uninstrumented copy brings the false reports back.
  if ldd "${binaries[@]}" | grep -E 'lib(absl_|grpc|gpr|upb|address_sorting)' |
    grep -v -F "$tsan_prefix/lib/"; then
    echo "sanitize.sh: the libraries above are not the instrumented ones" >&2
    exit 1
  fi
  # scripts/tsan.supp, and a called_from_lib line for each uninstrumented
  # library left that the binaries load (it wants each one by name).
  {
    cat scripts/tsan.supp
    ldd "${binaries[@]}" |
      grep -o '/[^ ]*/lib\(protobuf\|re2\|cares\|ssl\|crypto\)\.so[.0-9]*' |
      xargs -n 1 basename | sort -u | sed 's/^/called_from_lib:/'
  } >"$build/tsan.supp"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/$build/tsan.supp"
fi
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" \
  --timeout 900 "${tests[@]}" "$@"
