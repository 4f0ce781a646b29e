"""The Python client's trust and launcher rules against real sockets (run by PythonTrustTests, as
root). Prints one JSON line of observations; the Swift test asserts on them.

    python3 check_trust.py IMPOSTOR_SOCKET RACE_BASE GOOD_DIR SECONDS FVD_BINARY RUNTIME_DIR
"""
import json
import os
import subprocess
import sys
import time

import fvd

impostor, base, good, seconds, fvd_binary, runtime = sys.argv[1:7]
out = {}

# 1. A daemon of another uid, in a directory that uid owns: refused, with the reason.
try:
    fvd.Client(impostor, start=False)
    out["impostor"] = "trusted"
except fvd.TrustError as e:
    out["impostor"] = str(e)

# 2. The socket-path race: the link flips between the impostor's directory and a root-owned one.
tries = connected = refused = 0
end = time.time() + float(seconds)
while time.time() < end:
    tries += 1
    try:
        c = fvd.Client(os.path.join(base, "link", "fvd.sock"), start=False)
        c.sock.sendall(b'{"secret": "a request meant for fvd"}\n')
        c.close()
        connected += 1
    except fvd.TrustError:
        refused += 1
    except OSError:
        pass
out["race"] = [tries, connected, refused]

# 3. No daemon anywhere: the client starts a per-user one, as fvctl does, and talks to it.
env_before = dict(os.environ)
os.environ.pop("FVD_SOCKET", None)
os.environ["XDG_RUNTIME_DIR"] = runtime
os.environ["FVD_BINARY"] = fvd_binary
with fvd.Client() as c:
    st = c.status()
    out["started"] = [c.path, st["version"] is not None]
    os.kill(st["pid"], 15)
# 4. Without an fvd binary: a message that says where it looked.
os.environ["FVD_BINARY"] = "/nonexistent/fvd"
os.environ["XDG_RUNTIME_DIR"] = runtime + "/other"
os.makedirs(runtime + "/other", mode=0o700)
try:
    fvd.Client()
    out["no_binary"] = "started"
except ConnectionError as e:
    out["no_binary"] = str(e)
os.environ.clear()
os.environ.update(env_before)
print(json.dumps(out))
