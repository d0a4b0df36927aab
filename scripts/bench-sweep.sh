#!/usr/bin/env bash
# Load sweep against a running wersa-server (docs/benchmarks.md): closed loop
# at concurrency 1, 2, 4, 8 and 16 for 4,096- and 131,072-token documents,
# then an open loop (Poisson arrivals) at 70% of the highest 4,096-token
# throughput. Writes each wersa-load report (JSON), sweep.tsv and
# latency-throughput.png (gnuplot) into OUT_DIR.
#
#   scripts/bench-sweep.sh OUT_DIR [TARGET]     (TARGET: localhost:50051)
#
# Inputs are random token ids of the model's vocabulary (no tokenization), so
# the figures are the service's batching and inference, not SentencePiece.
# Run it on an otherwise idle machine; the server needs a queue budget of at
# least 16 x 131,072 tokens (--max_queue_tokens=4194304) or the widest
# 131,072-token step is partly refused with RESOURCE_EXHAUSTED.
# Needs gnuplot / h2load: scripts/install-deps.sh --bench.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: $0 OUT_DIR [TARGET]}"
target="${2:-localhost:50051}"
load=build/client/wersa-load
mkdir -p "$out"

summarise() {  # JSON report -> one TSV row
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
l = d["latency"]
errors = sum(v for k, v in d["codes"].items() if k != "OK")
print("\t".join(str(x) for x in (sys.argv[2], sys.argv[3], round(d["ok_per_second"], 3),
      round(d["tokens_per_second"]), round(l["p50_ms"], 1), round(l["p90_ms"], 1),
      round(l["p99_ms"], 1), round(l["max_ms"], 1), d["ok"], errors)))' "$@"
}

printf 'tokens\tconcurrency\tok_per_s\ttokens_per_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tok\terrors\n' \
  >"$out/sweep.tsv"
for tokens in 4096 131072; do
  duration=20s
  [ "$tokens" -gt 4096 ] && duration=40s
  for concurrency in 1 2 4 8 16; do
    report="$out/closed-$tokens-c$concurrency.json"
    "$load" --target "$target" --concurrency "$concurrency" --tokens "$tokens" \
      --duration "$duration" --warmup 5s --json >"$report"
    summarise "$report" "$tokens" "$concurrency" | tee -a "$out/sweep.tsv"
  done
done

max_rate=$(awk -F'\t' '$1 == 4096 && $3 > m { m = $3 } END { print m }' "$out/sweep.tsv")
rate=$(python3 -c "print(round(0.7 * $max_rate, 2))")
"$load" --target "$target" --rate "$rate" --tokens 4096 --duration 30s --warmup 5s \
  --json >"$out/open-4096-70pct.json"
echo "open loop at $rate requests/s (70% of $max_rate):"
summarise "$out/open-4096-70pct.json" 4096 "open@$rate"

gnuplot <<GNUPLOT
set terminal pngcairo size 1000,420 font ",10"
set output "$out/latency-throughput.png"
set multiplot layout 1,2 title "wersa-server, closed loop, concurrency 1-16 (labels)"
set datafile separator "\t"
set key off
set grid
set xlabel "throughput (documents/s)"
set ylabel "latency (ms)"
set title "4,096 tokens"
plot "$out/sweep.tsv" using (\$1 == 4096 ? \$3 : 1/0):5 with linespoints title "p50", \
     "" using (\$1 == 4096 ? \$3 : 1/0):7 with linespoints title "p99", \
     "" using (\$1 == 4096 ? \$3 : 1/0):7:2 with labels offset 0,1 notitle
set key top left
set title "131,072 tokens"
plot "$out/sweep.tsv" using (\$1 == 131072 ? \$3 : 1/0):5 with linespoints title "p50", \
     "" using (\$1 == 131072 ? \$3 : 1/0):7 with linespoints title "p99", \
     "" using (\$1 == 131072 ? \$3 : 1/0):7:2 with labels offset 0,1 notitle
unset multiplot
GNUPLOT
echo "wrote $out/sweep.tsv and $out/latency-throughput.png"
