#!/usr/bin/env bash
# Checks wersa-load's throughput against an independent HTTP/2 load tool,
# h2load (Debian's nghttp2-client), on the same workload: Classify with the
# same 4,096 token ids, 8 requests in flight on one connection, N requests.
# h2load knows nothing of gRPC, so it gets a prepared request body (the
# 5-byte gRPC frame header and the serialized ClassifyRequest) and counts
# HTTP/2 responses; the server's own wersa_requests_total{code="OK"} (from
# /metrics) tells whether its requests really succeeded.
#
#   scripts/bench-h2load.sh [TARGET_HOST:PORT] [METRICS_HOST:PORT] [N]
#
# Defaults: 127.0.0.1:50051, 127.0.0.1:9090, 400. Needs a running server.
# Needs gnuplot / h2load: scripts/install-deps.sh --bench.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-127.0.0.1:50051}"
metrics="${2:-127.0.0.1:9090}"
requests="${3:-400}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

vocab=$(build/client/wersa-client --target "$target" --info | python3 -c 'import json,sys; print(json.load(sys.stdin)["vocab_size"])')
# ClassifyRequest{token_ids: TokenIds{ids: [...]}} by hand: field 2 (a
# message) holding field 1 (packed varints); then the gRPC length prefix.
python3 - "$vocab" "$work/body" <<'PYTHON'
import random, struct, sys
vocab, path = int(sys.argv[1]), sys.argv[2]
def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)
rng = random.Random(1)
ids = b"".join(varint(rng.randrange(vocab)) for _ in range(4096))
token_ids = b"\x0a" + varint(len(ids)) + ids
request = b"\x12" + varint(len(token_ids)) + token_ids
open(path, "wb").write(b"\x00" + struct.pack(">I", len(request)) + request)
PYTHON

ok_count() {
  curl -s "http://$metrics/metrics" |
    awk '/^wersa_requests_total\{/ && /code="OK"/ && /method="Classify"/ { s += $2 } END { print s + 0 }'
}

echo "== h2load: $requests requests, 1 connection, 8 streams"
before=$(ok_count)
h2load -n "$requests" -c 1 -m 8 -d "$work/body" \
  -H 'content-type: application/grpc' -H 'te: trailers' \
  "http://$target/wersa.v1.DocumentClassifier/Classify" | tee "$work/h2load.txt" |
  grep -E '^(finished in|requests:|status codes:|time for request:)'
echo "server counted $(($(ok_count) - before)) OK Classify calls during the h2load run"

echo "== wersa-load: $requests requests, concurrency 8"
before=$(ok_count)
build/client/wersa-load --target "$target" --concurrency 8 --tokens 4096 \
  --requests "$requests" --warmup 0s --json >"$work/load.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("requests/s %.2f, ok %d of %d, p50 %.1f ms, p99 %.1f ms, %.2f s" % (
    d["requests_per_second"], d["ok"], d["requests"], d["latency"]["p50_ms"],
    d["latency"]["p99_ms"], d["seconds"]))' "$work/load.json"
echo "server counted $(($(ok_count) - before)) OK Classify calls during the wersa-load run"
