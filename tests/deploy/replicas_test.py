#!/usr/bin/env python3
"""Three wersa-server replicas behind client-side round robin.

1. Fair share, wersa-load's own rotation: `wersa-load --target A,B,C
   --concurrency 6 --requests N`; each replica's wersa_requests_total (from
   its /metrics) is within 20% of N/3, and every request succeeds.
2. A replica killed (SIGKILL) mid-run behind gRPC's round_robin policy, as a
   production client balances over a headless Service: `wersa-load --target
   ipv4:A,B,C --lb_policy round_robin --request_log FILE`. Before the kill
   each replica has taken a fair share (its /metrics within 20% of the
   mean). The kill is the interval from sending SIGKILL to reaping the
   process (the replica answers until it dies). No request is lost beyond
   those in flight on the killed replica: from the request log, every
   failure is UNAVAILABLE or CANCELLED with a message, went to the killed
   replica, was sent before it was reaped and ended after SIGKILL, within
   WINDOW_S of the reaping; there are no more failures than such requests,
   nor than the concurrency (at most that many are ever in flight); every
   request that ended before SIGKILL succeeded, and every one sent after the
   window succeeded on a survivor; the survivors' /metrics count every
   request the log routes to them.
3. The survivors keep answering.

Python 3 standard library only; every wait is bounded.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

FAILURES = []
CONCURRENCY = 6
# How long after the killed replica is reaped the client may still see
# failures: its connections close as it dies, so this is only scheduling
# slack on a loaded machine.
WINDOW_S = 1.0


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        FAILURES.append(message)


class Replica:
    def __init__(self, server, bundle, workdir, index):
        self.log_path = os.path.join(workdir, "server-%d.log" % index)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [server, "--host", "127.0.0.1", "--port", "0", "--metrics_port", "0",
             "--model_dir", bundle, "--threads", "1", "--drain_timeout", "5s"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self.metrics_port = None

    def wait_listening(self, deadline):
        while time.time() < deadline:
            with open(self.log_path) as log:
                text = log.read()
            grpc = re.search(r'"event":"listening".*?"port":(\d+)', text)
            metrics = re.search(r'"event":"metrics_listening".*?"port":(\d+)', text)
            if grpc and metrics:
                self.port, self.metrics_port = int(grpc.group(1)), int(metrics.group(1))
                return True
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        return False

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def requests(self, code=None):
        """Sum of wersa_requests_total (for one code, or all)."""
        with urllib.request.urlopen(
                "http://127.0.0.1:%d/metrics" % self.metrics_port, timeout=5) as response:
            text = response.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("wersa_requests_total{"):
                if code is None or 'code="%s"' % code in line:
                    total += float(line.rsplit(" ", 1)[1])
        return int(total)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def load(binary, target, requests, extra=()):
    command = [binary, "--target", target, "--concurrency", str(CONCURRENCY),
               "--requests", str(requests), "--warmup", "0s", "--tokens", "256",
               "--deadline", "20s", "--json"] + list(extra)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def report(process, timeout=60):
    out, err = process.communicate(timeout=timeout)
    try:
        return json.loads(out)
    except ValueError:
        sys.exit("wersa-load printed no JSON (exit %d): %s" % (process.returncode, err.decode()))


def main():
    parser = argparse.ArgumentParser()
    for flag in ("server", "load", "train", "bundle_script", "workdir"):
        parser.add_argument("--" + flag, required=True)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    bundle = os.path.join(args.workdir, "bundle")
    subprocess.run([sys.executable, args.bundle_script, args.train, bundle],
                   check=True, timeout=120)

    replicas = [Replica(args.server, bundle, args.workdir, i) for i in range(3)]
    try:
        deadline = time.time() + 30
        for replica in replicas:
            if not replica.wait_listening(deadline):
                sys.exit("replica did not start; log:\n" + open(replica.log_path).read())
        targets = [r.address for r in replicas]

        # 1. Fair share.
        n = args.requests
        result = report(load(args.load, ",".join(targets), n))
        check(result["ok"] == n, "all %d requests OK (codes %s)" % (n, result["codes"]))
        counts = [r.requests() for r in replicas]
        print("per replica (server metrics):", counts, "per target (client):", result["per_target"])
        check(sum(counts) == n, "the replicas counted %d requests in all, sent %d" % (sum(counts), n))
        for replica, count in zip(replicas, counts):
            check(abs(count - n / 3) <= 0.2 * n / 3,
                  "%s served %d, within 20%% of %.0f" % (replica.address, count, n / 3))

        # 2. Kill one replica mid-run, behind gRPC's round_robin.
        before = [r.requests("OK") for r in replicas]
        victim, survivors = replicas[2], replicas[:2]
        n2 = 5 * n
        request_log = os.path.join(args.workdir, "requests.jsonl")
        running = load(args.load, "ipv4:" + ",".join(targets), n2,
                       ["--lb_policy", "round_robin", "--request_log", request_log])
        deadline = time.time() + 30
        while time.time() < deadline and victim.requests("OK") - before[2] < n // 3:
            time.sleep(0.02)
        shares = [r.requests("OK") - b for r, b in zip(replicas, before)]
        killed_at = time.time()
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=10)
        reaped_at = time.time()
        window_end = reaped_at + WINDOW_S
        result = report(running)
        check(result["requests"] == n2, "wersa-load finished all %d requests" % n2)
        mean = sum(shares) / 3.0
        print("answered before the kill (server metrics):", shares)
        check(shares[2] >= n // 3, "the killed replica answered %d (>= %d) before "
              "the kill" % (shares[2], n // 3))
        for replica, share in zip(replicas, shares):
            check(abs(share - mean) <= 0.2 * mean,
                  "%s took %d before the kill, within 20%% of the mean %.0f"
                  % (replica.address, share, mean))

        with open(request_log) as log:
            calls = [json.loads(line) for line in log]
        check(len(calls) == n2, "the request log has %d lines, one per request"
              % len(calls))

        def on(call, replica):  # the call's peer is the replica
            return call["target"].endswith(":%d" % replica.port)

        failures = [c for c in calls if c["code"] != "OK"]
        in_flight = [c for c in calls if on(c, victim)
                     and c["sent"] <= reaped_at and c["completed"] >= killed_at]
        print("kill run: %d requests, codes %s, per peer %s; SIGKILL to reaped in "
              "%.0f ms; %d in flight on the killed replica meanwhile"
              % (len(calls), result["codes"], result["per_target"],
                 1000 * (reaped_at - killed_at), len(in_flight)))
        for failure in failures[:10]:
            print("  failed:", failure)
        check(len(failures) <= min(len(in_flight), CONCURRENCY),
              "%d failed: at most the %d in flight on the killed replica during "
              "the kill, and at most the concurrency, %d"
              % (len(failures), len(in_flight), CONCURRENCY))
        check(all(f["code"] in ("UNAVAILABLE", "CANCELLED") and f["message"]
                  for f in failures),
              "every failure is UNAVAILABLE or CANCELLED with a message")
        check(all(on(f, victim) and f["sent"] <= reaped_at
                  and killed_at <= f["completed"] <= window_end for f in failures),
              "every failure went to the killed replica before it was reaped and "
              "ended after SIGKILL, within %.0f s of the reaping" % WINDOW_S)
        ended_before = [c for c in calls if c["completed"] < killed_at]
        check(all(c["code"] == "OK" for c in ended_before),
              "all %d requests that ended before the kill succeeded" % len(ended_before))
        sent_after = [c for c in calls if c["sent"] > window_end]
        check(len(sent_after) > 0 and all(
                  c["code"] == "OK" and any(on(c, s) for s in survivors)
                  for c in sent_after),
              "all %d requests sent after the window succeeded on a survivor"
              % len(sent_after))
        for survivor, b in zip(survivors, before):
            served = survivor.requests("OK") - b
            routed = sum(1 for c in calls if on(c, survivor))
            check(served == routed, "survivor %s answered all %d requests the log "
                  "routes to it (OK: %d)" % (survivor.address, routed, served))

        # 3. The survivors keep answering.
        result = report(load(args.load, ",".join(s.address for s in survivors), 60))
        check(result["ok"] == 60, "after the kill the survivors answered 60 of 60 (%s)"
              % result["codes"])
    finally:
        for replica in replicas:
            replica.stop()
    if FAILURES:
        sys.exit("%d check(s) failed" % len(FAILURES))
    print("replicas test passed")


if __name__ == "__main__":
    main()
