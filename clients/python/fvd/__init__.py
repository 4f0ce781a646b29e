"""fvd's Python client: JSON-RPC 2.0, one message per line, over fvd's Unix socket.

    import fvd
    r = fvd.Client().pattern("block3_conv1", 27)
    r            # shown inline in Jupyter (the PNG)
    r.history    # the objective per step

Standard library only; numpy is used where present (``Render.history_array``). See
docs/PROTOCOL.md in the fvd repository for every method and parameter.
"""
import base64
import json
import os
import socket

__all__ = ["Client", "FvdError", "Render", "Activations", "channel", "neuron", "direction", "deepdream", "find_socket"]
__version__ = "0.2.0"

SYSTEM_SOCKET = "/run/fvd/fvd.sock"


def _user_socket():
    run = os.environ.get("XDG_RUNTIME_DIR")
    if run:
        return os.path.join(run, "fvd", "fvd.sock")
    return os.path.join(os.path.expanduser("~"), ".fvd", "fvd.sock")


def find_socket():
    """The sockets fvctl would try, in its order: $FVD_SOCKET, the system one, the per-user one."""
    if os.environ.get("FVD_SOCKET"):
        return [os.environ["FVD_SOCKET"]]
    return [SYSTEM_SOCKET, _user_socket()]


class FvdError(Exception):
    """An error the daemon answered with: its message says what went wrong and what to do."""

    def __init__(self, error):
        super().__init__(error.get("message", "unknown error"))
        self.code = error.get("code")
        self.data = error.get("data")


# Objective terms (docs/PROTOCOL.md, "Objectives").
def channel(weight=1.0):
    """The filter's mean activation over all positions."""
    return {"type": "channel", "weight": weight}


def neuron(x=None, y=None, weight=1.0):
    """The filter at one position of the layer (default: the centre)."""
    t = {"type": "neuron", "weight": weight}
    if x is not None or y is not None:
        if x is None or y is None:
            raise ValueError("neuron needs both x and y, or neither (the centre)")
        t["x"], t["y"] = int(x), int(y)
    return t


def direction(vector, weight=1.0):
    """A direction over the layer's channels (one number per channel)."""
    return {"type": "direction", "vector": [float(v) for v in vector], "weight": weight}


def deepdream(weight=1.0):
    """DeepDream's mean square of the whole layer."""
    return {"type": "deepdream", "weight": weight}


class Render:
    """A rendered picture: ``png`` bytes, ``loss`` (the final objective), ``history`` (the objective
    per step), ``params`` (the request) and ``result`` (the daemon's whole answer, minus the PNG)."""

    def __init__(self, result, params):
        self.png = base64.b64decode(result["png"])
        self.loss = result.get("loss")
        self.history = result.get("history", [])
        self.params = params
        self.snapshots = {s["step"]: base64.b64decode(s["png"]) for s in result.get("snapshots", [])}
        self._raw = result.get("raw")
        self.result = {k: v for k, v in result.items() if k not in ("png", "snapshots", "raw")}

    def _repr_png_(self):
        return self.png

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.png)
        return path

    def array(self):
        """The pictures as numbers (needs ``raw=True`` on the request, and numpy): float32, shape
        (height, width, 3) for one picture, else (count, height, width, 3); BGR on the 0-255 scale."""
        if self._raw is None:
            raise ValueError("ask for raw=True to get the pictures as numbers")
        import numpy
        r = self._raw
        a = numpy.frombuffer(base64.b64decode(r["data"]), dtype="<f4")
        shape = (r["height"], r["width"], 3) if r["count"] == 1 else (r["count"], r["height"], r["width"], 3)
        return a.reshape(shape)

    @property
    def history_array(self):
        import numpy
        return numpy.asarray(self.history, dtype=numpy.float32)

    def __repr__(self):
        what = self.result.get("layer", "?")
        if "filter" in self.result:
            what += " filter %s" % self.result["filter"]
        return "<fvd.Render %s, objective %s, %d steps%s>" % (what, self.loss, len(self.history),
                                                           " (cached)" if self.result.get("cached") else "")


class Activations:
    """The layer's mean activation per filter (``means``), the top filters, and with ``map`` the
    filter's activation map (``map_values``) and the heat map over the image (``png``)."""

    def __init__(self, result):
        self.result = result
        self.means = result["means"]
        self.top = [(t["filter"], t["mean"]) for t in result["top"]]
        m = result.get("map")
        self.map_values = m["values"] if m else None
        self.png = base64.b64decode(m["overlayPNG"]) if m else None

    def _repr_png_(self):
        return self.png


class Client:
    """One connection to fvd. ``path``: the socket (default: as fvctl finds it)."""

    def __init__(self, path=None, timeout=None):
        candidates = [path] if path else find_socket()
        errors = []
        for p in candidates:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(timeout)
                s.connect(p)
                self.path, self.sock = p, s
                break
            except OSError as e:
                errors.append("%s (%s)" % (p, e.strerror or e))
                s.close()
        else:
            raise ConnectionError("cannot connect to fvd at %s; start one with `fvctl status` (it starts a per-user daemon) "
                                  "or pass the socket's path" % " or ".join(errors))
        self.reader = self.sock.makefile("rb")
        self.next_id = 1

    def close(self):
        self.reader.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, method, params=None, on_progress=None):
        """Sends one request and returns its result. Progress notifications go to ``on_progress``.
        Ctrl-C while waiting cancels the job in the daemon (from a second connection), then
        re-raises KeyboardInterrupt."""
        request_id = self.next_id
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        job = None
        try:
            for line in self.reader:
                reply = json.loads(line)
                if "id" not in reply:
                    p = reply.get("params") or {}
                    if p.get("request") == request_id and "job" in p:
                        job = p["job"]
                    if reply.get("method") == "progress" and on_progress:
                        on_progress(p)
                    continue
                if reply["id"] != request_id:
                    continue
                if "error" in reply:
                    raise FvdError(reply["error"])
                return reply["result"]
        except KeyboardInterrupt:
            if job is not None:
                try:
                    with Client(self.path, timeout=5) as other:
                        other.call("cancel", {"job": job})
                except (OSError, FvdError):
                    pass
            raise
        raise ConnectionError("fvd closed the connection")

    @staticmethod
    def _render_options(preset, size, steps, step_size, seed, objective, pre_relu, diversity, diversity_weight, penalties, snapshots,
                        raw=False):
        o = {"raw": True} if raw else {}
        for key, value in (("preset", preset), ("size", size), ("steps", steps), ("stepSize", step_size), ("seed", seed),
                           ("snapshots", snapshots)):
            if value is not None:
                o[key] = value
        if objective is not None or pre_relu is not None or diversity is not None:
            terms = objective if objective is not None else [channel()]
            if isinstance(terms, dict):
                terms = [terms]
            obj = {"terms": list(terms)}
            if pre_relu is not None:
                obj["preReLU"] = bool(pre_relu)
            if diversity is not None:
                obj["diversity"] = int(diversity)
            if diversity_weight is not None:
                obj["diversityWeight"] = float(diversity_weight)
            o["objective"] = obj
        if penalties:
            o["penalties"] = dict(penalties)
        return o

    def pattern(self, layer, filter, preset=None, size=None, steps=None, step_size=None, seed=None, objective=None,
                pre_relu=None, negative=False, diversity=None, diversity_weight=None, penalties=None, snapshots=None,
                display=None, raw=False, on_progress=None):
        """The pattern filter ``filter`` of ``layer`` responds to most (a Render)."""
        params = {"layer": layer, "filter": int(filter), "progress": on_progress is not None}
        params.update(self._render_options(preset, size, steps, step_size, seed, objective, pre_relu, diversity, diversity_weight,
                                           penalties, snapshots, raw))
        if negative:
            params["negative"] = True
        if display:
            params["display"] = display
        return Render(self.call("pattern", params, on_progress), params)

    def grid(self, layer, filters=None, preset=None, size=None, steps=None, step_size=None, seed=None, objective=None,
             pre_relu=None, penalties=None, columns=None, labels=False, scale=None, display=None, raw=False, on_progress=None):
        """Many filters of ``layer`` in one batched optimisation, tiled (a Render; per-tile
        objectives and histories in ``result["tiles"]``)."""
        params = {"layer": layer, "progress": on_progress is not None}
        if filters is not None:
            params["filters"] = [int(f) for f in filters]
        params.update(self._render_options(preset, size, steps, step_size, seed, objective, pre_relu, None, None, penalties, None, raw))
        for key, value in (("columns", columns), ("scale", scale), ("display", display)):
            if value is not None:
                params[key] = value
        if labels:
            params["labels"] = True
        return Render(self.call("grid", params, on_progress), params)

    @staticmethod
    def _image_bytes(image):
        if isinstance(image, (bytes, bytearray)):
            return bytes(image)
        with open(image, "rb") as f:  # the client reads the file; the daemon never opens paths
            return f.read()

    def dream(self, photo, layer, filter=None, steps=None, octaves=None, octave_scale=None, step_size=None, seed=None,
              on_progress=None):
        """DeepDream on ``photo`` (a path, or PNG/JPEG bytes): the dreamed photo at its own size."""
        params = {"layer": layer, "image": base64.b64encode(self._image_bytes(photo)).decode(), "progress": on_progress is not None}
        for key, value in (("filter", filter), ("steps", steps), ("octaves", octaves), ("octaveScale", octave_scale),
                           ("stepSize", step_size), ("seed", seed)):
            if value is not None:
                params[key] = value
        shown = {k: v for k, v in params.items() if k != "image"}
        return Render(self.call("dream", params, on_progress), shown)

    def activations(self, image, layer, top=10, map=None, preprocess=None):
        """Each filter's mean activation for ``image`` (a path, or PNG/JPEG bytes)."""
        params = {"layer": layer, "image": base64.b64encode(self._image_bytes(image)).decode(), "top": int(top)}
        if map is not None:
            params["map"] = int(map)
        if preprocess:
            params["preprocess"] = preprocess
        return Activations(self.call("activations", params))

    def info(self):
        return self.call("info")

    def status(self):
        return self.call("status")

    def jobs(self):
        return self.call("jobs")["jobs"]

    def cancel(self, job):
        return self.call("cancel", {"job": int(job)})
