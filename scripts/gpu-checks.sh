#!/usr/bin/env bash
# The GPU machine's checks in one command (docs/gpu.md): builds the CUDA
# tests, the fused-kernel and predictor tests and wersa-bench with
# scripts/build-gpu.sh, runs the tests, then the GPU benchmarks. Every log
# goes to LOG_DIR (default $OUT, the device call's returned folder), and each
# step runs even when an earlier one failed; the exit status is the number of
# failed steps.
#
#   scripts/gpu-checks.sh [LOG_DIR]
#
# WERSA_GPU_BENCH_FILTER (default ^Cuda) selects the benchmarks;
# WERSA_GPU_BENCH_MIN_TIME (default 0.1, seconds) is Google Benchmark's
# --benchmark_min_time.
set -uo pipefail
cd "$(dirname "$0")/.."
logs="${1:-${OUT:?set OUT or pass LOG_DIR}}"
mkdir -p "$logs"
build=build-gpu
# The binaries' RUNPATH covers the libraries they link directly, not those
# libraries' own dependencies (Abseil's internal ones, say): the loader finds
# the carried copies through this.
export LD_LIBRARY_PATH="$PWD/.gpu-deps/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
failed=0

step() {  # step NAME TIMEOUT_S COMMAND...: runs it, its output in NAME.log
  local name="$1" limit="$2"
  shift 2
  echo "=== $name ($(date -u +%H:%M:%S))"
  # Line-buffered, so a step stopped at its limit still leaves its log.
  timeout "$limit" stdbuf -oL -eL "$@" >"$logs/$name.log" 2>&1
  local rc=$?
  echo "=== $name: exit $rc"
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
  return "$rc"
}

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm \
  --format=csv,noheader | tee "$logs/device.txt"
step build 330 scripts/build-gpu.sh "$build" \
  cuda_kernels_test cuda_wersa_kernels_test fused_kernels_test \
  predictor_test wersa-bench
grep -E 'build-gpu:|error|FAILED|warning: .*(cuDNN|CUDA)' "$logs/build.log" | head -n 40

for test in cuda_kernels_test cuda_wersa_kernels_test fused_kernels_test \
            predictor_test; do
  binary="$build/tests/model/$test"
  if [ ! -x "$binary" ]; then
    echo "=== $test: not built"
    failed=$((failed + 1))
    continue
  fi
  step "$test" 240 "$binary" --gtest_color=no
  grep -E '^\[  (PASSED|FAILED|SKIPPED) |^\[  FAILED|^\[ measured|^\[  SKIPPED' \
    "$logs/$test.log" | head -n 60
done

bench="$build/model/tools/wersa-bench"
if [ -x "$bench" ]; then
  step bench 200 "$bench" \
    --benchmark_filter="${WERSA_GPU_BENCH_FILTER:-^Cuda}" \
    --benchmark_min_time="${WERSA_GPU_BENCH_MIN_TIME:-0.1}" \
    --benchmark_out="$logs/gpu-bench.json" --benchmark_out_format=json
  grep -E '^Cuda|sgemm|ERROR' "$logs/bench.log" | cut -c1-150
else
  echo "=== bench: wersa-bench not built"
  failed=$((failed + 1))
fi
echo "=== gpu-checks: $failed failed step(s)"
exit "$failed"
