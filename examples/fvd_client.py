#!/usr/bin/env python3
"""A minimal fvd client in Python, standard library only: JSON-RPC 2.0, one message per line,
over fvd's Unix socket.

    python3 examples/fvd_client.py --socket /run/fvd/fvd.sock info
    python3 examples/fvd_client.py --socket S pattern block3_conv1 27 --steps 100 -o out.png
    python3 examples/fvd_client.py pattern block5_conv3 10 --preset lucid --neuron -o dogs.png
    python3 examples/fvd_client.py --socket S jobs | cancel JOB

(For notebooks and programs, the `fvd` package in clients/python does all this and more.)
It finds the daemon as fvctl does: --socket, then $FVD_SOCKET, then the system socket
/run/fvd/fvd.sock, then the per-user one ($XDG_RUNTIME_DIR/fvd/fvd.sock, or ~/.fvd/fvd.sock
without a login session).

Exit status: 0 on success, 1 when fvd answers with an error (printed), 2 when it cannot connect.
"""
import argparse
import base64
import json
import os
import signal
import socket
import sys

SYSTEM_SOCKET = "/run/fvd/fvd.sock"


def user_socket():
    """The per-user daemon's socket, where fvctl starts one."""
    run = os.environ.get("XDG_RUNTIME_DIR")
    if run:
        return os.path.join(run, "fvd", "fvd.sock")
    return os.path.join(os.path.expanduser("~"), ".fvd", "fvd.sock")


def default_sockets():
    """The sockets to try, in fvctl's order."""
    if os.environ.get("FVD_SOCKET"):
        return [os.environ["FVD_SOCKET"]]
    return [SYSTEM_SOCKET, user_socket()]


class FvdError(Exception):
    def __init__(self, error):
        super().__init__(error.get("message", "unknown error"))
        self.code = error.get("code")


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")
        self.next_id = 1

    def call(self, method, params=None, on_progress=None):
        """Sends one request and returns its result; progress notifications go to on_progress."""
        request_id = self.next_id
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        for line in self.reader:
            reply = json.loads(line)
            if "id" not in reply:
                if reply.get("method") == "progress" and on_progress:
                    on_progress(reply["params"])
                continue
            if reply["id"] != request_id:
                continue
            if "error" in reply:
                raise FvdError(reply["error"])
            return reply["result"]
        raise ConnectionError("fvd closed the connection")


def main():
    # Piped into `head`: end quietly when the reader goes, as command-line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "),
                                 epilog=" ".join(__doc__.split("\n\n")[-1].split()))
    ap.add_argument("--socket", help="the daemon's socket (default: as fvctl finds it)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("info")
    p = sub.add_parser("pattern")
    p.add_argument("layer")
    p.add_argument("filter", type=int)
    p.add_argument("--size", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--preset", help="seed, grid or lucid")
    p.add_argument("--neuron", action="store_true", help="maximise the filter at the layer's centre only")
    p.add_argument("-o", "--output")
    sub.add_parser("jobs")
    c = sub.add_parser("cancel")
    c.add_argument("job", type=int)
    args = ap.parse_args()

    candidates = [args.socket] if args.socket else default_sockets()
    client = None
    for path in candidates:
        try:
            client = Client(path)
            break
        except OSError:
            continue
    if client is None:
        print(f"cannot connect to fvd at {' or '.join(candidates)}; start it (fvctl starts a per-user one) or pass --socket", file=sys.stderr)
        return 2
    try:
        if args.command == "info":
            info = client.call("info")
            for layer in info["layers"]:
                print(layer["name"], layer["filters"])
            return 0
        if args.command == "jobs":
            print(json.dumps(client.call("jobs")["jobs"]))
            return 0
        if args.command == "cancel":
            print(json.dumps(client.call("cancel", {"job": args.job})))
            return 0
        params = {"layer": args.layer, "filter": args.filter}
        if args.size:
            params["size"] = args.size
        if args.steps:
            params["steps"] = args.steps
        if args.preset:
            params["preset"] = args.preset
        if args.neuron:
            params["objective"] = {"terms": [{"type": "neuron"}]}
        steps_seen = []
        result = client.call("pattern", params, on_progress=lambda p: steps_seen.append(p["step"]))
        output = args.output or f"{args.layer}_{args.filter}.png"
        with open(output, "wb") as f:
            f.write(base64.b64decode(result["png"]))
        print(json.dumps({"path": output, "loss": result["loss"], "progress_notifications": len(steps_seen)}))
        return 0
    except FvdError as e:
        print(f"fvd: {e} (code {e.code})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
