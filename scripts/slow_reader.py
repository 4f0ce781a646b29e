#!/usr/bin/env python3
"""A hostile client against a daemon it starts on a private socket: it pipelines 64-request
batches as fast as the daemon takes them and reads the answers slowly (25 KB/s by default).
Prints the daemon's RSS every 10 s and whether the connection was closed. Before backpressure,
this grew the daemon by 1.37 GiB in 100 s; now fvd stops reading the client past its unread-
answer cap (8 MiB) and closes it after 60 s over the cap.

    scripts/slow_reader.py [--seconds 100] [--rate 25000] [--fvd .build/release/fvd]

Traffic stays on a Unix socket on this machine; every loop is bounded in time.
"""
import argparse
import os
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=100)
    ap.add_argument("--rate", type=int, default=25000, help="bytes per second the client reads")
    ap.add_argument("--fvd", default=os.path.join(ROOT, ".build/release/fvd"))
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="fvd-slow-")
    path = d + "/fvd.sock"
    log = open(d + "/fvd.log", "w")
    daemon = subprocess.Popen([a.fvd, "serve", "--socket", path, "--no-cache"], stderr=log)
    try:
        for _ in range(300):
            if os.path.exists(path):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        start = rss_mib(daemon.pid)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.settimeout(1)
        batch = ("[" + ",".join('{"jsonrpc":"2.0","id":%d,"method":"info"}' % i for i in range(64)) + "]\n").encode()
        stop = time.time() + a.seconds
        sent = [0]
        closed = [None]

        def writer():
            while time.time() < stop and closed[0] is None:
                try:
                    s.sendall(batch)
                    sent[0] += 1
                except socket.timeout:
                    continue
                except OSError:
                    return

        threading.Thread(target=writer, daemon=True).start()
        t0 = time.time()
        got = 0
        peak = start
        next_print = t0 + 10
        while time.time() < stop:
            try:
                chunk = s.recv(a.rate // 10)
            except socket.timeout:
                chunk = b"?"
            except OSError:
                chunk = b""
            if not chunk:
                closed[0] = time.time() - t0
                break
            got += len(chunk)
            peak = max(peak, rss_mib(daemon.pid))
            if time.time() >= next_print:
                print(f"{time.time() - t0:5.0f} s: daemon RSS {rss_mib(daemon.pid):.0f} MiB (start {start:.0f}); "
                      f"client sent {sent[0]} batches, read {got >> 10} KiB", flush=True)
                next_print += 10
            time.sleep(0.1)
        print(f"peak daemon RSS {peak:.0f} MiB, +{peak - start:.0f} MiB over its start; "
              + (f"the daemon closed the connection after {closed[0]:.0f} s" if closed[0] else "connection still open"))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


if __name__ == "__main__":
    main()
