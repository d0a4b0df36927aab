#!/usr/bin/env bash
# The libFuzzer targets (fuzz/, docs/hardening.md), built in build-fuzz/ by
# clang as the fuzzer build: AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer's coverage on every file, no LibTorch, only what the targets test.
#
#   scripts/fuzz.sh build                    configure and build every target
#   scripts/fuzz.sh list                     the targets
#   scripts/fuzz.sh run TARGET [SECONDS] [LIBFUZZER FLAG...]
#                                            build, then fuzz TARGET for SECONDS
#                                            (default 600) from its seeds
#   scripts/fuzz.sh smoke [CTEST ARG...]     build, then the fuzz_<target> tests
#                                            (each target for a short while, as CI)
#
# `run` keeps what it finds in build-fuzz/corpus/TARGET (the growing corpus,
# reused by the next run) and build-fuzz/artifacts/TARGET/ (crashes, leaks,
# timeouts), and ends with libFuzzer's statistics. A crash makes it exit
# non-zero; reproduce one with build-fuzz/fuzz/TARGET FILE. FUZZ_JOBS
# (default: the number of cores) bounds the build's parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
jobs="${FUZZ_JOBS:-$(nproc)}"

targets() {
  local source
  for source in fuzz/*_fuzzer.cc; do basename "$source" .cc; done
}

build_fuzzers() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWERSA_FUZZER_BUILD=ON >/dev/null
  cmake --build "$build" --target wersa_fuzzers --parallel "$jobs"
}

command="${1:-}"
shift || true
case "$command" in
  build) build_fuzzers ;;
  list) targets ;;
  run)
    target="${1:?usage: scripts/fuzz.sh run TARGET [SECONDS] [LIBFUZZER FLAG...]}"
    seconds="${2:-600}"
    shift
    shift || true
    [ -f "fuzz/$target.cc" ] || { echo "fuzz.sh: no target $target" >&2; exit 2; }
    build_fuzzers
    flags=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048
           -print_final_stats=1 -create_missing_dirs=1
           -artifact_prefix="$build/artifacts/$target/")
    if [ -f "fuzz/$target.dict" ]; then flags+=(-dict="fuzz/$target.dict"); fi
    exec "$build/fuzz/$target" "${flags[@]}" "$@" \
      "$build/corpus/$target" "fuzz/corpus/$target"
    ;;
  smoke)
    build_fuzzers
    ctest --test-dir "$build" --output-on-failure -L fuzz "$@"
    ;;
  *)
    echo "usage: scripts/fuzz.sh build|list|run TARGET [SECONDS]|smoke" >&2
    exit 2
    ;;
esac
