#!/usr/bin/env python3
"""Samples a running wersa-server for scripts/soak.sh, and summarises a run.

  soak_monitor.py sample --pid PID --metrics_port PORT --interval S --tsv FILE
      Every S seconds until the process ends (or SIGTERM): one TSV row with the
      server's RSS and peak RSS (/proc/PID/status), what the model's
      tensor-block cache holds and its peak working set, glibc's heap (allocated
      and free, wersa_heap_bytes), the requests it finished
      since the last row by code (wersa_requests_total from /metrics) and the
      throughput, tokens/s, queue tokens and calls in flight.
  soak_monitor.py summary --tsv FILE [--report NAME=FILE.json ...]
      Throughput, error counts by code, RSS, the cache and the heap's free
      memory first/last/min/max, and each
      client's own counts (wersa-load --json reports, the abuse client's).
"""
import argparse
import json
import re
import signal
import sys
import time
import urllib.request

CODES = ["OK", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED",
         "CANCELLED", "UNAVAILABLE", "INTERNAL", "UNKNOWN"]
COLUMNS = (["elapsed_s", "rss_mib", "peak_rss_mib", "host_cache_mib",
            "host_cache_peak_working_set_mib", "heap_in_use_mib", "heap_free_mib",
            "requests", "requests_per_s", "tokens_per_s", "queue_tokens", "inflight"] +
           [c.lower() for c in CODES] + ["other_codes"])
SAMPLE = re.compile(r'^(\w+)(?:\{([^}]*)\})? (\S+)$')


def memory_mib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def scrape(port):
    """{(name, labels): value} of the server's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return samples


def by_code(samples):
    counts = {}
    for (name, labels), value in samples.items():
        if name == "wersa_requests_total":
            code = re.search(r'code="([^"]*)"', labels).group(1)
            counts[code] = counts.get(code, 0) + value
    return counts


def sample(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    start = time.time()
    with open(args.tsv, "w") as out:
        out.write("\t".join(COLUMNS) + "\n")
        previous = None  # the first row is the baseline: no requests yet
        previous_tokens, previous_time = 0.0, start
        while True:
            try:
                rss, peak = memory_mib(args.pid)
                samples = scrape(args.metrics_port)
            except (OSError, KeyError):
                return 0  # the server is gone
            now = time.time()
            counts = by_code(samples)
            tokens = samples.get(("wersa_tokens_total", ""), 0.0)
            if previous is None:
                previous, previous_tokens = counts, tokens
            delta = {code: counts.get(code, 0) - previous.get(code, 0) for code in counts}
            seconds = max(now - previous_time, 1e-9)
            cache = sum(value for (name, _), value in samples.items()
                        if name == "wersa_host_cache_bytes") / 2**20
            cache_peak = samples.get(("wersa_host_cache_peak_working_set_bytes", ""), 0.0) / 2**20
            heap = {state: samples.get(("wersa_heap_bytes", f'state="{state}"'), 0.0) / 2**20
                    for state in ("in_use", "free")}
            row = [f"{now - start:.1f}", f"{rss:.1f}", f"{peak:.1f}", f"{cache:.1f}",
                   f"{cache_peak:.1f}", f"{heap['in_use']:.1f}", f"{heap['free']:.1f}",
                   f"{sum(delta.values()):.0f}", f"{sum(delta.values()) / seconds:.2f}",
                   f"{(tokens - previous_tokens) / seconds:.0f}",
                   f"{samples.get(('wersa_queue_tokens', ''), 0):.0f}",
                   f"{samples.get(('wersa_inflight_requests', ''), 0):.0f}"]
            row += [f"{delta.get(code, 0):.0f}" for code in CODES]
            row.append(f"{sum(v for c, v in delta.items() if c not in CODES):.0f}")
            out.write("\t".join(row) + "\n")
            out.flush()
            previous, previous_tokens, previous_time = counts, tokens, now
            if stop:
                return 0
            for _ in range(int(args.interval * 10)):
                if stop:
                    break
                time.sleep(0.1)


def summary(args):
    with open(args.tsv) as tsv:
        header = tsv.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in tsv if line.strip()]
    if not rows:
        print("no samples")
        return 1
    seconds = float(rows[-1]["elapsed_s"])
    requests = sum(int(row["requests"]) for row in rows)
    rss = [float(row["rss_mib"]) for row in rows]
    print(f"samples: {len(rows)} over {seconds:.0f} s")
    print(f"server: {requests} requests finished, {requests / max(seconds, 1):.2f} req/s")
    for code in CODES + ["other_codes"]:
        count = sum(int(row[code.lower()]) for row in rows)
        if count:
            print(f"  {code}: {count}")
    print(f"RSS MiB: first {rss[0]:.0f}, last {rss[-1]:.0f}, min {min(rss):.0f}, "
          f"max {max(rss):.0f}; peak (VmHWM) {float(rows[-1]['peak_rss_mib']):.0f}")
    cache = [float(row.get("host_cache_mib", 0)) for row in rows]
    print(f"tensor-block cache MiB: first {cache[0]:.0f}, last {cache[-1]:.0f}, "
          f"max {max(cache):.0f}; peak working set "
          f"{float(rows[-1].get('host_cache_peak_working_set_mib', 0)):.0f}")
    heap_free = [float(row.get("heap_free_mib", 0)) for row in rows]
    print(f"heap free MiB: first {heap_free[0]:.0f}, last {heap_free[-1]:.0f}, "
          f"min {min(heap_free):.0f}, max {max(heap_free):.0f}")
    for name, path in (report.split("=", 1) for report in args.report):
        try:
            with open(path) as file:
                data = json.load(file)
        except (OSError, ValueError) as error:
            print(f"{name}: no report ({error})")
            continue
        if "load" in data:  # the abuse client
            wrong = {case: entry["wrong"] for case, entry in data["load"].items() if entry["wrong"]}
            codes = {}
            for entry in data["load"].values():
                for code, count in entry["codes"].items():
                    codes[code] = codes.get(code, 0) + count
            health = data["health"]
            print(f"{name}: {data['requests']} requests, codes {codes}; answers not as "
                  f"documented: {wrong or 'none'}; health checks {health['serving']}/"
                  f"{health['checks']} SERVING (slowest {health['max_ms']} ms), /healthz "
                  f"{health['healthz_ok']}/{health['healthz']}")
        else:  # wersa-load --json
            print(f"{name}: {data['requests']} requests ({data['ok']} OK) in "
                  f"{data['seconds']:.0f} s, {data['requests_per_second']:.2f} req/s, "
                  f"{data['tokens_per_second']:.0f} tokens/s, codes {data['codes']}, "
                  f"latency p50 {data['latency']['p50_ms']:.0f} ms, "
                  f"p99 {data['latency']['p99_ms']:.0f} ms")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sampler = commands.add_parser("sample")
    sampler.add_argument("--pid", type=int, required=True)
    sampler.add_argument("--metrics_port", type=int, required=True)
    sampler.add_argument("--interval", type=float, default=15)
    sampler.add_argument("--tsv", required=True)
    summariser = commands.add_parser("summary")
    summariser.add_argument("--tsv", required=True)
    summariser.add_argument("--report", action="append", default=[])
    args = parser.parse_args()
    return sample(args) if args.command == "sample" else summary(args)


if __name__ == "__main__":
    sys.exit(main())
