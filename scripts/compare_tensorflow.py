#!/usr/bin/env python3
"""Runs the same gradient-ascent jobs in TensorFlow (CPU), JAX (CPU) and fvd, in turn, in one run
on one machine, and prints seconds per step and fvd's ratio to each. Not part of the test suite.

    scripts/compare-tensorflow.sh            (makes .venv-tf and .venv-jax, then runs this)
    ROUNDS=3 scripts/compare-tensorflow.sh   (the three in turn three times; medians)

The peers get fvd's own weights file (the same ImageNet VGG16 weights), the notebook's
objective and update, and a compiled step (tf.function; jax.jit in compare_jax.py). All start
from numpy's seed-0 noise, so their losses after a few steps must agree too: that is printed as
a correctness check.
"""
import os
import re
import statistics
import json
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fvw import load_fvw, seeded_noise  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tf_job(weights, layer, size, batch, steps, step_size):
    """The notebook's loop in TF2; returns (median seconds per step, losses after each step)."""
    base = tf.keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    for l in base.layers:
        if l.name in weights:
            l.set_weights(list(weights[l.name]))
    feature = tf.keras.Model(base.inputs, base.get_layer(layer).output)
    filters = tf.constant(np.arange(batch), tf.int32)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = feature(x)
            per_image = tf.reduce_mean(tf.gather(out, filters, axis=3, batch_dims=1), axis=[1, 2]) if batch > 1 \
                else tf.reduce_mean(out[:, :, :, 0:1], axis=[1, 2, 3])
            loss = tf.reduce_sum(per_image)
        g = tape.gradient(loss, x)
        rms = tf.sqrt(tf.reduce_mean(tf.square(g), axis=[1, 2, 3], keepdims=True)) + 1e-5
        return per_image, g / rms

    x = np.stack([seeded_noise(i, size) for i in range(batch)])
    times, losses = [], []
    for i in range(steps):
        t0 = time.perf_counter()
        per_image, g = step(tf.constant(x, tf.float32))
        x += g.numpy() * step_size
        times.append(time.perf_counter() - t0)
        losses.append(float(per_image.numpy()[0]))
    return statistics.median(times[2:]), losses


def fvd_render(layer, filt, steps, size, step_size, seed=0):
    out = subprocess.run([f"{ROOT}/.build/release/fvd", "render", layer, str(filt), "--steps", str(steps), "--size", str(size),
                          "--step-size", str(step_size), "--seed", str(seed), "-o", "/tmp/fvd-compare.png"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"final loss ([0-9.eE+-]+)", out).group(1)), float(re.search(r"\(([0-9.]+) s/step\)", out).group(1))


def jax_times(jobs):
    """The same jobs in JAX, run by compare_jax.py in its own environment (.venv-jax)."""
    python = os.path.join(ROOT, ".venv-jax", "bin", "python")
    spec = json.dumps([list(j) for j in jobs])
    out = subprocess.run([python, os.path.join(ROOT, "scripts", "compare_jax.py"), spec],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    weights = load_fvw(os.path.join(ROOT, "weights", "vgg16.fvw"))
    rounds = int(os.environ.get("ROUNDS", "1"))
    jobs = [("seed: 150x150, block3_conv1, batch 1", "block3_conv1", 150, 1, 0.1),
            ("grid: 64x64, block4_conv3, batch 16", "block4_conv3", 64, 16, 1.0),
            ("big: 224x224, block5_conv3, batch 1", "block5_conv3", 224, 1, 1.0)]
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} cores; fvd from {ROOT}/.build/release; "
          f"{rounds} round(s) of TF, JAX, fvd in turn, medians")
    print()

    # Correctness: the seed job's start and first steps, TF vs JAX vs fvd (filter 0 for the
    # peers' slicing; fvd renders filter 0 with seed 0).
    steps_check = 10
    _, tf_losses = tf_job(weights, "block3_conv1", 150, 1, steps_check + 1, 0.1)
    fvd_loss, _ = fvd_render("block3_conv1", 0, steps_check, 150, 0.1)
    rel = abs(fvd_loss - tf_losses[steps_check]) / abs(tf_losses[steps_check])
    print(f"same start, {steps_check} steps, block3_conv1 filter 0: loss TF {tf_losses[steps_check]:.4f}, fvd {fvd_loss:.4f} (relative difference {rel:.2e})")

    samples = {name: {"tf": [], "jax": [], "fvd": []} for name, *_ in jobs}
    jax_version = "?"
    for _ in range(rounds):
        for name, layer, size, batch, step_size in jobs:
            samples[name]["tf"].append(tf_job(weights, layer, size, batch, 12, step_size)[0])
        j = jax_times(jobs)
        jax_version = j["version"]
        for name in samples:
            samples[name]["jax"].append(j["seconds"][name])
        bench = subprocess.run([f"{ROOT}/.build/release/fvbench", "--jobs-only", "--reps", "3"],
                               capture_output=True, text=True, check=True).stdout
        for line in bench.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) >= 2 and cells[0] in samples:
                samples[cells[0]]["fvd"].append(float(cells[1]))
    jax_loss = j["losses"][steps_check]
    rel = abs(fvd_loss - jax_loss) / abs(jax_loss)
    print(f"same start, {steps_check} steps, block3_conv1 filter 0: loss JAX {jax_loss:.4f}, fvd {fvd_loss:.4f} (relative difference {rel:.2e})")
    print()
    print(f"TensorFlow {tf.__version__}, JAX {jax_version}")
    print()
    print("| job | TensorFlow s/step | JAX s/step | fvd s/step | fvd vs TF | fvd vs JAX | fvd vs best peer |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, *_ in jobs:
        t, x, f = (statistics.median(samples[name][k]) for k in ("tf", "jax", "fvd"))
        print(f"| {name} | {t:.4f} | {x:.4f} | {f:.4f} | {t / f:.2f}x | {x / f:.2f}x | {min(t, x) / f:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
