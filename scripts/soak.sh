#!/usr/bin/env bash
# Soak test (not in CI): MINUTES (default 30) of mixed load against one
# wersa-server serving the shipped model with its default limits, its RSS
# and throughput sampled every INTERVAL seconds (default 15) into a TSV, and
# a summary at the end (docs/operations.md, "Soak test").
#
#   scripts/soak.sh [--minutes 30] [--interval 15] [--out DIR]
#
# For the whole run, at once:
#   long     wersa-load, full texts of the arXiv data (part A) joined to
#            about 140,000 tokens, cut to 131,072 (head); 1 in flight
#   papers   wersa-load, one full text per request; 2 in flight
#   short    wersa-load, title and abstract (part B); 4 in flight
#   hostile  the abuse test's client (tests/interop/abuse_client.js) in its
#            duration mode at scale 0.02: every invalid input of the abuse
#            test, small valid documents checked against their quiet
#            answers, and health checks every 100 ms
# The texts are unpacked into a temporary folder, never into the repository.
#
# Needs a build (BUILD_DIR, default build/) with wersa-server and wersa-load,
# the arXiv data (WERSA_ARXIV_DATA, default ../shared/data/arxiv), node and
# npm (the abuse client's packages come from the build's interop_npm test
# fixture, else npm installs them into the temporary folder), python3.
# Writes to DIR (default a new /tmp/wersa-soak.* folder): samples.tsv,
# server.log, long.json, papers.json, short.json, hostile.json, summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

minutes=30
interval=15
out=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
build=${BUILD_DIR:-build}
data=${WERSA_ARXIV_DATA:-../shared/data/arxiv}
for binary in "$build/server/wersa-server" "$build/client/wersa-load"; do
  [ -x "$binary" ] || { echo "soak.sh: no $binary; build first" >&2; exit 1; }
done
fulltext=$data/fulltext/korzen_groundtruth_labelled.tar.gz
abstracts=$data/abstracts/geiger_arxiv_archive_wersa8_primary.tsv.gz
for file in "$fulltext" "$abstracts"; do
  [ -f "$file" ] || { echo "soak.sh: no $file (set WERSA_ARXIV_DATA)" >&2; exit 1; }
done
out=${out:-$(mktemp -d /tmp/wersa-soak.XXXXXX)}
mkdir -p "$out"
work=$(mktemp -d)
children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

modules=$build/tests/server/interop/node_modules
if [ ! -d "$modules/@grpc/grpc-js" ] || [ ! -d "$modules/protobufjs" ]; then
  echo "soak.sh: installing the abuse client's npm packages"
  cp tests/interop/package.json "$work/"
  (cd "$work" && npm install --no-audit --no-fund --no-update-notifier >/dev/null)
  modules=$work/node_modules
fi

echo "soak.sh: unpacking documents into $work"
mkdir -p "$work/tar" "$work/papers" "$work/abstracts"
tar -xzf "$fulltext" -C "$work/tar"
mapfile -t texts < <(find "$work/tar" -name '*.txt' | sort)
for file in "${texts[@]:0:600}"; do
  cp "$file" "$work/papers/$(basename "$(dirname "$file")")_$(basename "$file")"
done
rm -rf "$work/tar"
python3 - "$abstracts" "$work/abstracts" <<'PY'
import csv, gzip, sys
csv.field_size_limit(1 << 24)
with gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="") as tsv:
    for number, row in enumerate(csv.DictReader(tsv, delimiter="\t")):
        if number == 2000:
            break
        with open(f"{sys.argv[2]}/{number:05d}.txt", "w", encoding="utf-8") as out:
            out.write(f"{row['title']}\n\n{row['abstract']}\n")
PY

# Waits until FILE has a line with TEXT, while process PID lives (2 minutes
# at most); fails with FILE's contents otherwise.
await_line() {  # FILE TEXT PID
  for _ in $(seq 1200); do
    grep -q "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  echo "soak.sh: no '$2' in $1:" >&2
  cat "$1" >&2
  exit 1
}

"$build/server/wersa-server" --host 127.0.0.1 --port 0 --metrics_port 0 \
  2>"$out/server.log" &
server=$!
children+=("$server")
await_line "$out/server.log" '"event":"listening"' "$server"
port_of() { grep "\"event\":\"$1\"" "$out/server.log" | grep -o '"port":[0-9]*' | cut -d: -f2; }
port=$(port_of listening)
metrics_port=$(port_of metrics_listening)
target=127.0.0.1:$port
seconds=$((minutes * 60))
echo "soak.sh: server $server on $target (metrics $metrics_port); ${minutes} min of load"

python3 scripts/soak_monitor.py sample --pid "$server" --metrics_port "$metrics_port" \
  --interval "$interval" --tsv "$out/samples.tsv" &
sampler=$!
children+=("$sampler")

# The hostile client first: its reference answers need a quiet server.
NODE_PATH=$modules node tests/interop/abuse_client.js --target "$target" \
  --metrics_port "$metrics_port" --duration "$seconds" --scale 0.02 --concurrency 4 \
  >"$out/hostile.json" 2>"$out/hostile.err" &
loads=("$!")
children+=("$!")
await_line "$out/hostile.err" 'references ready' "${loads[0]}"

load() {  # NAME FOLDER TOKENS CONCURRENCY
  "$build/client/wersa-load" --target "$target" --documents "$2" --tokens "$3" \
    --truncation head --inputs 6 --concurrency "$4" --warmup 0s --duration "${seconds}s" \
    --deadline 600s --json >"$out/$1.json" 2>"$out/$1.err"
}
load long "$work/papers" 140000 1 &
loads+=("$!")
load papers "$work/papers" 0 2 &
loads+=("$!")
load short "$work/abstracts" 0 4 &
loads+=("$!")
children+=("${loads[@]}")
status=0
for pid in "${loads[@]}"; do wait "$pid" || status=1; done

kill -TERM "$sampler"
wait "$sampler" || true
kill -TERM "$server"
server_exit=0
wait "$server" || server_exit=$?
{
  python3 scripts/soak_monitor.py summary --tsv "$out/samples.tsv" \
    --report long="$out/long.json" --report papers="$out/papers.json" \
    --report short="$out/short.json" --report hostile="$out/hostile.json"
  echo "server: exit code $server_exit after SIGTERM, $(grep -o '"drained":[a-z]*' "$out/server.log" || echo 'no stopped line')"
  [ "$status" -eq 0 ] || echo "a load generator failed: see $out/*.err"
} | tee "$out/summary.txt"
echo "soak.sh: samples and logs in $out"
exit "$status"
