"""Drives the installed `fvd` package against a real daemon (run by PythonPackageTests).
Prints one JSON line of observations; the Swift test asserts on them."""
import json
import os
import signal
import sys
import threading

import fvd

sock = sys.argv[1]
out = {}
c = fvd.Client(sock)
steps = []
r = c.pattern("block2_conv1", 5, size=32, steps=6, step_size=1, on_progress=lambda p: steps.append(p["step"]))
out["png_magic"] = r._repr_png_()[:4].hex()
out["history"] = len(r.history)
out["rises"] = r.history[-1] > r.history[0]
out["progress_last"] = steps[-1] if steps else None
out["repr"] = repr(r)
n = c.pattern("block2_conv1", 5, preset="lucid", size=32, steps=4, objective=fvd.neuron(x=3, y=4))
out["neuron_params"] = n.params["objective"]["terms"][0]
# Lucent's objective algebra, across two layers; layer and filter come from the objective.
o = fvd.channel("block2_conv1", 3) - 0.5 * fvd.channel("block1_conv2", 5)
s = c.pattern(objective=o, preset="lucid", size=32, steps=4)
out["sum_repr"] = repr(o)
out["sum_request"] = [s.params["layer"], s.params["filter"], s.params["objective"]["terms"]]
out["sum_result_layer"] = s.result.get("layer")
try:
    c.pattern(objective=fvd.channel())
except ValueError as e:
    out["sum_no_layer"] = str(e)
# The natural preset with MACO's importance map, shown inline like any picture.
m = c.pattern("block2_conv1", 5, preset="natural", size=32, steps=3, importance=True, alpha=True)
out["natural"] = [m.importance._repr_png_()[:4].hex(), m.alpha._repr_png_()[25], "importancePNG" in m.result]
# --spectrum-from's table, as `fvctl spectrum` writes it, from a file or a dict.
table = {"size": 32, "angles": 4, "amplitude": [1.0 / (1 + (i // 4) % 24) for i in range(3 * 24 * 4)]}
table_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "fvd-check-spectrum-%d.json" % os.getpid())
with open(table_file, "w") as f:
    json.dump(table, f)
sp = c.pattern("block2_conv1", 5, preset="natural", size=32, steps=3, spectrum=table_file)
os.unlink(table_file)
out["spectrum"] = [sp.params["spectrum"]["angles"], len(sp.png) > 0]
try:
    c.pattern("block2_conv1", 5, preset="natural", size=32, steps=3, spectrum={"size": 32})
except ValueError as e:
    out["spectrum_shape"] = str(e)
try:
    c.pattern("block2_conv1", 5, preset="natural", size=48, steps=3, spectrum=table)
except fvd.FvdError as e:
    out["spectrum_size"] = str(e)
d = c.pattern("block2_conv1", 5, preset="lucid", size=32, steps=3, diversity=2)
out["diversity_losses"] = len(d.result.get("losses", []))
out["diversity_repr"] = repr(d)
neg = c.pattern("block2_conv1", 5, preset="lucid", size=32, steps=3, negative=True)
out["negative_repr"] = repr(neg)
g = c.grid("block1_conv2", filters="0-2", size=16, steps=2, labels=True, raw=True)
out["grid_tiles"] = len(g.result["tiles"])
try:
    out["grid_array_shape"] = list(g.model_array().shape)
    shown = r.array()
    out["shown"] = [list(shown.shape), str(shown.dtype), float(shown.min()) >= 0, float(shown.max()) <= 1, list(r.rgb().shape), str(r.rgb().dtype)]
except ImportError:
    out["grid_array_shape"] = "no numpy"
photo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "gallery", "landscape.png")
out["activations_repr"] = repr(c.activations(photo, "block3_conv1", top=3))

# A line longer than the daemon takes: its -32006 error, not a broken pipe.
try:
    with fvd.Client(sock, start=False) as big:
        big.activations(b"\x89PNG\r\n\x1a\n" + bytes(2_000_000), "block1_conv1")
    out["too_long"] = "accepted"
except fvd.FvdError as e:
    out["too_long"] = e.code

try:
    c.pattern("block2_conv1", 9999)
except fvd.FvdError as e:
    out["error"] = [e.code, str(e)]

# Ctrl-C during a long render cancels it in the daemon.
timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
timer.start()
try:
    c.pattern("block3_conv1", 1, size=64, steps=100000)  # no progress callback: the job id still comes
    out["interrupted"] = False
except KeyboardInterrupt:
    out["interrupted"] = True
c.close()
import time
with fvd.Client(sock) as other:
    deadline = time.time() + 5  # a running job stops within a step
    while other.jobs() and time.time() < deadline:
        time.sleep(0.1)
    out["jobs_after_interrupt"] = len(other.jobs())
print(json.dumps(out))
