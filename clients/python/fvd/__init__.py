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

from . import _connect
from ._connect import SYSTEM_SOCKET, TrustError
from ._png import decode_rgb

__all__ = ["Client", "FvdError", "TrustError", "Render", "Picture", "Activations", "Objective", "channel", "neuron", "direction", "deepdream", "find_socket"]
__version__ = "0.3.0"


def find_socket():
    """The sockets fvctl would try, in its order: $FVD_SOCKET, the system one, the per-user one."""
    return _connect.candidates()


class FvdError(Exception):
    """An error the daemon answered with: its message says what went wrong and what to do."""

    def __init__(self, error):
        super().__init__(error.get("message", "unknown error"))
        self.code = error.get("code")
        self.data = error.get("data")


# Objectives (docs/PROTOCOL.md, "Objectives"), combined as Lucent's are:
#     fvd.channel("block4_conv3", 12) - 0.5 * fvd.channel("block3_conv1", 40)
class Objective:
    """A weighted sum of objective terms; ``+``, ``-``, ``*`` and ``/`` by a number combine them.

    Iterating gives the terms as the protocol states them (dicts), so an Objective goes wherever
    a list of terms does (``objective=`` of ``pattern`` and ``grid``)."""

    def __init__(self, terms):
        self.terms = [dict(t) for t in terms]
        if not 1 <= len(self.terms) <= 16:
            raise ValueError("an objective has 1 to 16 terms, got %d" % len(self.terms))

    def __iter__(self):
        return iter([dict(t) for t in self.terms])

    def __len__(self):
        return len(self.terms)

    @staticmethod
    def _of(other):
        if isinstance(other, Objective):
            return other
        if isinstance(other, dict):
            return Objective([other])
        return NotImplemented

    def __add__(self, other):
        other = self._of(other)
        return NotImplemented if other is NotImplemented else Objective(self.terms + other.terms)

    def __radd__(self, other):
        if other == 0:  # sum([...]) starts from 0
            return self
        other = self._of(other)
        return NotImplemented if other is NotImplemented else other + self

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        other = self._of(other)
        return NotImplemented if other is NotImplemented else self + (-other)

    def __rsub__(self, other):
        other = self._of(other)
        return NotImplemented if other is NotImplemented else other + (-self)

    def __mul__(self, k):
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            return NotImplemented
        return Objective([dict(t, weight=t.get("weight", 1.0) * float(k)) for t in self.terms])

    __rmul__ = __mul__

    def __truediv__(self, k):
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            return NotImplemented
        return self * (1.0 / k)

    def __eq__(self, other):
        other = self._of(other)
        return other is not NotImplemented and self.terms == other.terms

    def __repr__(self):
        def term(t):
            w = t.get("weight", 1.0)
            where = ", ".join(repr(t[k]) for k in ("layer", "filter") if k in t)
            if "x" in t:
                where += (", " if where else "") + "x=%d, y=%d" % (t["x"], t["y"])
            text = "%s(%s)" % (t["type"], where)
            return (text if w == 1 else "%g * %s" % (abs(w), text)), w < 0
        parts = [term(t) for t in self.terms]
        out = ("-" if parts[0][1] else "") + parts[0][0]
        for text, negative in parts[1:]:
            out += (" - " if negative else " + ") + text
        return out


def _term(kind, layer, filter, weight):
    t = {"type": kind, "weight": float(weight)}
    if layer is not None:
        if not isinstance(layer, str):
            raise TypeError("layer must be a layer name such as 'block4_conv3', got %r" % (layer,))
        t["layer"] = layer
    if filter is not None:
        if isinstance(filter, bool) or not isinstance(filter, int) or filter < 0:
            raise ValueError("filter must be a whole number from 0, got %r" % (filter,))
        t["filter"] = filter
    return t


def channel(layer=None, filter=None, weight=1.0):
    """The mean activation of filter ``filter`` of ``layer`` (default: the request's layer and filter).

    ``fvd.channel("block4_conv3", 12) - fvd.channel("block4_conv3", 40)`` as in Lucent."""
    if isinstance(layer, (int, float)) and not isinstance(layer, bool) and filter is None:
        layer, weight = None, layer  # channel(0.5): the weight, as before objectives could name a layer
    return Objective([_term("channel", layer, filter, weight)])


def neuron(layer=None, filter=None, x=None, y=None, weight=1.0):
    """Filter ``filter`` of ``layer`` at one position x, y of the layer (default: the centre)."""
    if isinstance(layer, int) and not isinstance(layer, bool):
        layer, filter, x, y = None, None, layer, filter  # neuron(3, 4): a position, as before
    t = _term("neuron", layer, filter, weight)
    if x is not None or y is not None:
        if x is None or y is None:
            raise ValueError("neuron needs both x and y, or neither (the centre)")
        t["x"], t["y"] = int(x), int(y)
    return Objective([t])


def direction(vector, weight=1.0, layer=None):
    """A direction over the channels of ``layer`` (one number per channel; default: the request's layer)."""
    t = _term("direction", layer, None, weight)
    t["vector"] = [float(v) for v in vector]
    return Objective([t])


def deepdream(layer=None, weight=1.0):
    """DeepDream's mean square of the whole of ``layer`` (default: the request's layer)."""
    if isinstance(layer, (int, float)) and not isinstance(layer, bool):
        layer, weight = None, layer  # deepdream(0.5): the weight, as before
    return Objective([_term("deepdream", layer, None, weight)])


class Picture:
    """A PNG shown inline in Jupyter (``_repr_png_``), with ``save(path)``."""

    def __init__(self, png):
        self.png = png

    def _repr_png_(self):
        return self.png

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.png)
        return path

    def __repr__(self):
        return "<fvd.Picture, %d bytes of PNG>" % len(self.png)


class Render(Picture):
    """A rendered picture: ``png`` bytes, ``loss`` (the final objective), ``history`` (the objective
    per step), ``params`` (the request) and ``result`` (the daemon's whole answer, minus the PNG)."""

    def __init__(self, result, params):
        self.png = base64.b64decode(result["png"])
        self.loss = result.get("loss")
        self.history = result.get("history", [])
        self.params = params
        self.snapshots = {s["step"]: base64.b64decode(s["png"]) for s in result.get("snapshots", [])}
        self._raw = result.get("raw")
        # MACO's importance map (importance=True) and the picture with it as opacity (alpha=True).
        self.importance = Picture(base64.b64decode(result["importancePNG"])) if "importancePNG" in result else None
        self.alpha = Picture(base64.b64decode(result["alphaPNG"])) if "alphaPNG" in result else None
        self.result = {k: v for k, v in result.items() if k not in ("png", "snapshots", "raw", "importancePNG", "alphaPNG")}

    def rgb(self):
        """The picture as shown, for ``plt.imshow``: a numpy uint8 array (height, width, 3), RGB
        (a negative pair or a diversity set: the whole strip, as in the PNG)."""
        import numpy
        width, height, pixels = decode_rgb(self.png)
        return numpy.frombuffer(pixels, dtype=numpy.uint8).reshape(height, width, 3)

    def array(self):
        """The picture as shown, as float32 RGB in [0, 1] (height, width, 3): ``rgb() / 255``."""
        import numpy
        return self.rgb().astype(numpy.float32) / 255

    def model_array(self):
        """The optimised pictures in the network's own input space (needs ``raw=True`` on the
        request, and numpy): float32, shape (height, width, 3) for one picture, else (count,
        height, width, 3); BGR on the 0-255 scale, as VGG16 reads it (not for display)."""
        if self._raw is None:
            raise ValueError("ask for raw=True to get the pictures in the model's input space")
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
        if "tiles" in self.result:
            what += ", %d tiles" % len(self.result["tiles"])
        objective = "objective %s" % self.loss
        if self.result.get("negativeLoss") is not None:
            objective = "objective %s (left), negative %s (right)" % (self.loss, self.result["negativeLoss"])
        elif len(self.result.get("losses") or []) > 1:
            objective = "%d pictures, objectives %s" % (len(self.result["losses"]), ", ".join("%.4g" % l for l in self.result["losses"]))
        steps = len(self.history) if self.history and not isinstance(self.history[0], list) else self.result.get("stepsRun", "?")
        return "<fvd.Render %s, %s, %s steps%s>" % (what, objective, steps, " (cached)" if self.result.get("cached") else "")


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

    def __repr__(self):
        top = ", ".join("%d (%.4g)" % t for t in self.top[:5])
        shape = "%sx%sx%s" % (self.result.get("width"), self.result.get("height"), self.result.get("channels"))
        heat = ", heat map of filter %d" % self.result["map"]["filter"] if self.result.get("map") else ""
        return "<fvd.Activations %s %s: top %s%s>" % (self.result.get("layer"), shape, top, heat)


def _filter_list(filters):
    """``[0, 1, 5]``, or fvctl's text ``"0-15,32"``."""
    if isinstance(filters, str):
        out = []
        for part in filters.split(","):
            part = part.strip()
            lo, sep, hi = part.partition("-")
            if not lo.isdigit() or (sep and not hi.isdigit()):
                raise ValueError("filters are numbers and ranges, comma-separated, e.g. \"0-15,32\"; got %r" % filters)
            out.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
        return out
    return [int(f) for f in filters]


def _spectrum(spectrum):
    """The request's ``spectrum``: a dict, or the path of the JSON file ``fvctl spectrum`` writes.
    The daemon checks its numbers against the render's size; here only its shape."""
    if isinstance(spectrum, (str, os.PathLike)):
        try:
            with open(spectrum, encoding="utf-8") as f:
                spectrum = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError("cannot read the spectrum %s (%s); write it with `fvctl spectrum FOLDER --size N -o FILE`" % (spectrum, e))
    if not isinstance(spectrum, dict) or not {"size", "angles", "amplitude"} <= set(spectrum):
        raise ValueError("a spectrum is what `fvctl spectrum FOLDER --size N -o FILE` writes: an object with size, angles and amplitude")
    return {k: spectrum[k] for k in ("size", "angles", "amplitude")}


def _target(layer, filter, objective):
    """The request's layer and filter: the arguments, else the first ones the objective names."""
    terms = [] if objective is None else ([objective] if isinstance(objective, dict) else list(objective))
    named = next((t for t in terms if isinstance(t, dict) and "layer" in t), None)
    if layer is None:
        if named is None:
            raise ValueError("give the layer and filter, e.g. pattern('block3_conv1', 27), or an objective that names them")
        layer = named["layer"]
    if filter is None:
        reads_own = any(isinstance(t, dict) and t.get("type") in ("channel", "neuron") and "filter" not in t for t in terms)
        if not terms or reads_own:
            raise ValueError("give the filter of %s, e.g. pattern(%r, 27)" % (layer, layer))
        filter = named.get("filter", 0) if named is not None and named["layer"] == layer else 0
    return layer, filter


class _ProgressBar:
    """tqdm's notebook-aware bar where tqdm is installed; nothing otherwise."""

    def __init__(self, enabled):
        self.bar = None
        self.enabled = enabled

    def __call__(self, p):
        if not self.enabled:
            return
        if self.bar is None:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self.enabled = False
                return
            self.bar = tqdm(total=p.get("steps"), desc="fvd", leave=False)
        self.bar.n = p.get("step", 0)
        if "loss" in p:
            self.bar.set_postfix(loss="%.4g" % p["loss"], refresh=False)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


class Client:
    """One connection to fvd, found and checked as fvctl does: ``path`` (default: $FVD_SOCKET, the
    system socket, the per-user one), trusted only if the daemon runs as you or its socket could
    only have been placed by root; with none answering, a per-user fvd is started (unless
    ``start=False``). ``progress``: a tqdm bar in notebooks where tqdm is installed."""

    def __init__(self, path=None, timeout=None, start=True, progress=True):
        self.path, self.sock = _connect.connect(path, timeout, start)
        self.reader = self.sock.makefile("rb")
        self.next_id = 1
        self.progress = progress

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
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError:
            # A daemon that refuses the connection or the line (too many connections, a line
            # too long) says why in one error line with a null id, then closes: that is the
            # error to raise, not the broken pipe.
            self._raise_pending_error()
            raise
        job = None
        bar = _ProgressBar(self.progress and on_progress is None and method in ("pattern", "grid", "dream"))
        try:
            for line in self.reader:
                reply = json.loads(line)
                if "id" not in reply:
                    p = reply.get("params") or {}
                    if p.get("request") == request_id and "job" in p:
                        job = p["job"]
                    if reply.get("method") == "progress":
                        (on_progress or bar)(p)
                    continue
                if reply["id"] is None and "error" in reply:
                    raise FvdError(reply["error"])
                if reply["id"] != request_id:
                    continue
                if "error" in reply:
                    raise FvdError(reply["error"])
                return reply["result"]
        except KeyboardInterrupt:
            # The job's id came with its first notification (renders always ask for them).
            if job is not None:
                try:
                    with Client(self.path, timeout=5, start=False) as other:
                        other.call("cancel", {"job": job})
                except (OSError, FvdError):
                    pass
            raise
        except ConnectionResetError:
            self._raise_pending_error()
            raise
        finally:
            bar.close()
        raise ConnectionError("fvd closed the connection")

    def _raise_pending_error(self):
        """Raises the daemon's last word on this connection (an error with a null id), if it sent one."""
        try:
            self.sock.settimeout(2)
            for line in self.reader:
                reply = json.loads(line)
                if reply.get("id") is None and "error" in reply:
                    raise FvdError(reply["error"])
        except (OSError, ValueError):
            pass

    @staticmethod
    def _render_options(preset, size, steps, step_size, seed, objective, pre_relu, diversity, diversity_weight, penalties, snapshots,
                        raw=False, spectrum=None):
        o = {"raw": True} if raw else {}
        if spectrum is not None:
            o["spectrum"] = _spectrum(spectrum)
        for key, value in (("preset", preset), ("size", size), ("steps", steps), ("stepSize", step_size), ("seed", seed),
                           ("snapshots", snapshots)):
            if value is not None:
                o[key] = value
        if objective is not None or pre_relu is not None or diversity is not None:
            terms = objective if objective is not None else channel()
            if isinstance(terms, dict):
                terms = [terms]
            elif isinstance(terms, (list, tuple)):
                terms = [t for item in terms for t in (item if isinstance(item, Objective) else [item])]
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

    def pattern(self, layer=None, filter=None, preset=None, size=None, steps=None, step_size=None, seed=None, objective=None,
                pre_relu=None, negative=False, diversity=None, diversity_weight=None, penalties=None, snapshots=None,
                display=None, raw=False, on_progress=None, importance=False, alpha=False, spectrum=None):
        """The pattern filter ``filter`` of ``layer`` responds to most (a Render).

        With an ``objective`` that names its own layers and filters, ``layer`` and ``filter`` may be
        left out: ``c.pattern(objective=fvd.channel("block4_conv3", 12) - fvd.channel("block4_conv3", 40))``.

        ``spectrum`` (with ``preset="natural"``): the amplitude spectrum of your own pictures, as
        ``fvctl spectrum FOLDER --size N -o FILE`` writes it (the file's path, or its dict)."""
        layer, filter = _target(layer, filter, objective)
        # Progress always: its notifications carry the job's id, which Ctrl-C needs to cancel it.
        params = {"layer": layer, "filter": int(filter), "progress": True}
        params.update(self._render_options(preset, size, steps, step_size, seed, objective, pre_relu, diversity, diversity_weight,
                                           penalties, snapshots, raw, spectrum))
        if negative:
            params["negative"] = True
        if importance:
            params["importance"] = True  # r.importance: where the objective comes from (best with preset="natural")
        if alpha:
            params["alpha"] = True  # r.alpha: the picture with that importance as its opacity
        if display:
            params["display"] = display
        return Render(self.call("pattern", params, on_progress), params)

    def grid(self, layer, filters=None, preset=None, size=None, steps=None, step_size=None, seed=None, objective=None,
             pre_relu=None, penalties=None, columns=None, labels=False, scale=None, display=None, raw=False, on_progress=None,
             spectrum=None):
        """Many filters of ``layer`` in one batched optimisation, tiled (a Render; per-tile
        objectives and histories in ``result["tiles"]``)."""
        params = {"layer": layer, "progress": True}
        if filters is not None:
            params["filters"] = _filter_list(filters)
        params.update(self._render_options(preset, size, steps, step_size, seed, objective, pre_relu, None, None, penalties, None, raw,
                                           spectrum))
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
        params = {"layer": layer, "image": base64.b64encode(self._image_bytes(photo)).decode(), "progress": True}
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
