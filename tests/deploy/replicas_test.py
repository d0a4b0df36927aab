#!/usr/bin/env python3
"""Three wersa-server replicas behind wersa-load's round robin.

1. Fair share: `wersa-load --target A,B,C --concurrency 6 --requests N`; each
   replica's wersa_requests_total (from its /metrics) is within 20% of N/3,
   and every request succeeds.
2. A replica killed (SIGKILL) mid-run: the survivors answer every request
   routed to them; every failure is UNAVAILABLE and was routed to the killed
   replica (its in-flight requests, and, since wersa-load keeps a dead
   address in its rotation, those sent to it after the kill); the survivors
   then keep answering.

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


def load(binary, targets, requests, extra=()):
    command = [binary, "--target", ",".join(targets), "--concurrency", "6",
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
        result = report(load(args.load, targets, n))
        check(result["ok"] == n, "all %d requests OK (codes %s)" % (n, result["codes"]))
        counts = [r.requests() for r in replicas]
        print("per replica (server metrics):", counts, "per target (client):", result["per_target"])
        check(sum(counts) == n, "the replicas counted %d requests in all, sent %d" % (sum(counts), n))
        for replica, count in zip(replicas, counts):
            check(abs(count - n / 3) <= 0.2 * n / 3,
                  "%s served %d, within 20%% of %.0f" % (replica.address, count, n / 3))

        # 2. Kill one replica mid-run.
        before = [r.requests("OK") for r in replicas]
        victim, survivors = replicas[2], replicas[:2]
        n2 = 3 * n
        running = load(args.load, targets, n2)
        deadline = time.time() + 30
        victim_ok = before[2]
        while time.time() < deadline and victim_ok - before[2] < n // 6:
            victim_ok = victim.requests("OK")
            time.sleep(0.02)
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=10)
        result = report(running)
        victim_done_before_kill = victim_ok - before[2]  # a lower bound
        failed = result["requests"] - result["ok"]
        print("kill run: codes %s, per target %s; the killed replica had answered "
              "at least %d before the kill" % (result["codes"], result["per_target"],
                                              victim_done_before_kill))
        check(result["requests"] == n2, "wersa-load finished all %d requests" % n2)
        check(set(result["codes"]) <= {"OK", "UNAVAILABLE"},
              "the only error code is UNAVAILABLE (%s)" % result["codes"])
        for survivor, b in zip(survivors, before):
            served = survivor.requests("OK") - b
            sent = result["per_target"].get(survivor.address, 0)
            check(served == sent, "survivor %s answered all %d requests sent to it (OK: %d)"
                  % (survivor.address, sent, served))
        sent_to_victim = result["per_target"].get(victim.address, 0)
        check(failed <= sent_to_victim - victim_done_before_kill,
              "%d failed, all of them routed to the killed replica (%d sent to it, at "
              "least %d answered before the kill)" % (failed, sent_to_victim,
                                                      victim_done_before_kill))
        print("note: wersa-load keeps the dead address in its round robin, so the "
              "failures are its in-flight requests plus those sent to it after the kill")

        # 3. The survivors keep answering.
        result = report(load(args.load, [s.address for s in survivors], 60))
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
