#!/usr/bin/env python3
"""Load test for fvd: 64 clients at once, for a bounded time, mixing info requests, small
renders, cancels and abrupt disconnects, against a daemon it starts on a private socket.
Prints requests served, errors, the info request's latency (p50/p99) while renders run, and
the daemon's RSS before, between and after two rounds (growth beyond noise = a leak).

    scripts/load_test.py [--clients 64] [--seconds 60] [--fvd .build/release/fvd]

Traffic stays on a Unix socket on this machine; every loop is bounded in count and time.
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.next_id = 0

    def send(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        return self.next_id

    def read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("closed")
        return json.loads(line)

    def wait(self, rid, on_note=None):
        while True:
            m = self.read()
            if m.get("id") == rid:
                return m
            if "id" not in m and on_note:
                on_note(m)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.served = 0
        self.errors = {}
        self.info_latency = []
        self.by_kind = {}

    def add(self, kind, reply=None, latency=None, error=None):
        with self.lock:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            if reply is not None and "error" in reply:
                code = reply["error"]["code"]
                self.errors[code] = self.errors.get(code, 0) + 1
            elif error is not None:
                self.errors[error] = self.errors.get(error, 0) + 1
            else:
                self.served += 1
            if latency is not None:
                self.info_latency.append(latency)


def client(path, deadline, stats, rng, max_requests):
    done = 0
    conn = None
    while time.time() < deadline and done < max_requests:
        done += 1
        try:
            if conn is None:
                conn = Conn(path)
            r = rng.random()
            if r < 0.6:
                t0 = time.perf_counter()
                reply = conn.wait(conn.send("info"))
                stats.add("info", reply, latency=time.perf_counter() - t0)
            elif r < 0.8:
                params = {"layer": rng.choice(["block1_conv2", "block2_conv1", "block3_conv1"]), "filter": rng.randrange(64),
                          "size": 32, "steps": 5, "seed": rng.randrange(1000), "progress": rng.random() < 0.5}
                stats.add("render", conn.wait(conn.send("pattern", params)))
            elif r < 0.9:
                rid = conn.send("pattern", {"layer": "block2_conv2", "filter": rng.randrange(128), "size": 48, "steps": 10000, "seed": rng.randrange(1000)})
                job = None
                while job is None:
                    m = conn.read()
                    if "id" not in m:
                        job = m["params"]["job"]
                    elif m.get("id") == rid:  # finished or refused (queue full) before any progress
                        break
                if job is not None:
                    conn.send("cancel", {"job": job})
                    reply = conn.wait(rid)
                    stats.add("cancel", None if reply.get("error", {}).get("code") == -32000 else reply)
                else:
                    stats.add("cancel", m)
            else:
                conn.send("pattern", {"layer": "block3_conv1", "filter": rng.randrange(256), "size": 48, "steps": 10000, "seed": rng.randrange(1000)})
                time.sleep(rng.random() * 0.2)
                conn.close()
                conn = None
                stats.add("disconnect")
        except (OSError, ConnectionError, ValueError) as e:
            stats.add("transport", error=type(e).__name__)
            if conn:
                conn.close()
            conn = None
    if conn:
        conn.close()


def round_of_load(path, clients, seconds, stats, seed):
    deadline = time.time() + seconds
    threads = [threading.Thread(target=client, args=(path, deadline, stats, random.Random(seed * 1000 + i), 100000)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)


def info_burst(path, count):
    """`count` info requests on 8 connections, as fast as the daemon answers."""
    per = count // 8

    def run():
        c = Conn(path)
        for _ in range(per):
            c.wait(c.send("info"))
        c.close()
    ts = [threading.Thread(target=run) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--fvd", default=os.path.join(ROOT, ".build/release/fvd"))
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="fvd-load-")
    path = os.path.join(tmp, "fvd.sock")
    log = open(os.path.join(tmp, "fvd.log"), "w")
    daemon = subprocess.Popen([args.fvd, "serve", "--socket", path, "--no-cache", "--max-connections", "256",
                               "--max-queue-per-user", "64"], stderr=log)
    try:
        for _ in range(600):
            try:
                Conn(path).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        rss_start = rss_kib(daemon.pid)
        stats = Stats()
        round_of_load(path, args.clients, args.seconds, stats, 1)
        time.sleep(7)  # idle: the daemon trims its allocator every 5 s when no job runs
        rss_round1 = rss_kib(daemon.pid)
        info_burst(path, 10000)
        time.sleep(7)
        rss_after_burst = rss_kib(daemon.pid)
        stats2 = Stats()
        round_of_load(path, args.clients, args.seconds, stats2, 2)
        time.sleep(7)
        rss_round2 = rss_kib(daemon.pid)
        alive = daemon.poll() is None

        for name, s in (("round 1", stats), ("round 2", stats2)):
            lat = sorted(s.info_latency)
            p50 = statistics.median(lat) * 1000 if lat else float("nan")
            p99 = lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("nan")
            total = sum(s.by_kind.values())
            print(f"{name}: {args.clients} clients for {args.seconds:.0f} s: {total} requests ({json.dumps(s.by_kind)}), "
                  f"{s.served} served, errors {json.dumps(s.errors)}; info latency while renders run: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"daemon RSS: start {rss_start // 1024} MiB, after round 1 {rss_round1 // 1024} MiB, "
              f"after 10,000 more info requests {rss_after_burst // 1024} MiB, after round 2 {rss_round2 // 1024} MiB")
        print(f"daemon alive at the end: {alive}")
        return 0 if alive else 1
    finally:
        daemon.terminate()
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()


if __name__ == "__main__":
    sys.exit(main())
