#!/usr/bin/env python3
"""Runs the same gradient-ascent jobs in TensorFlow (CPU) and in fvd, in one run on one machine,
and prints seconds per step and the ratio. Not part of the test suite.

    scripts/compare-tensorflow.sh            (makes .venv-tf with tensorflow-cpu, then runs this)

TensorFlow gets fvd's own weights file (the same ImageNet VGG16 weights), the notebook's
objective and update, and a tf.function-compiled step. Both start from numpy's seed-0 noise, so
their losses after a few steps must agree too: that is printed as a correctness check.
"""
import os
import re
import statistics
import struct
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_fvw(path):
    """fvd's weights file (format in Sources/FVModel/WeightsFile.swift) -> {layer: (kernel HWIO, bias)}."""
    data = open(path, "rb").read()
    assert data[:8] == b"FVDWGHT1", "not an fvd weights file"
    count = struct.unpack_from("<I", data, 12)[0]
    layers = {}
    for i in range(count):
        e = 128 + 64 * i
        name = data[e:e + 32].split(b"\0")[0].decode()
        out_c, in_c, kh, kw = struct.unpack_from("<4I", data, e + 32)
        koff, boff = struct.unpack_from("<2Q", data, e + 48)
        k = np.frombuffer(data, "<f4", out_c * in_c * kh * kw, koff).reshape(out_c, in_c, kh, kw)
        b = np.frombuffer(data, "<f4", out_c, boff)
        layers[name] = (k.transpose(2, 3, 1, 0).copy(), b.copy())
    return layers


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


def seeded_noise(seed, size):
    rng = np.random.RandomState(seed)
    return rng.random_sample((size, size, 3)) * 20 + 128.0


def fvd_render(layer, filt, steps, size, step_size, seed=0):
    out = subprocess.run([f"{ROOT}/.build/release/fvd", "render", layer, str(filt), "--steps", str(steps), "--size", str(size),
                          "--step-size", str(step_size), "--seed", str(seed), "-o", "/tmp/fvd-compare.png"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"final loss ([0-9.eE+-]+)", out).group(1)), float(re.search(r"\(([0-9.]+) s/step\)", out).group(1))


def main():
    weights = load_fvw(os.path.join(ROOT, "weights", "vgg16.fvw"))
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} cores; fvd from {ROOT}/.build/release")
    print()

    # Correctness: the seed job's start and first steps, TF vs fvd (filter 0 for TF's slicing).
    # The TF loop here is written for filter 0 of each image; fvd renders filter 0 with seed 0.
    steps_check = 10
    _, tf_losses = tf_job(weights, "block3_conv1", 150, 1, steps_check + 1, 0.1)
    fvd_loss, _ = fvd_render("block3_conv1", 0, steps_check, 150, 0.1)
    rel = abs(fvd_loss - tf_losses[steps_check]) / abs(tf_losses[steps_check])
    print(f"same start, {steps_check} steps, block3_conv1 filter 0: loss TF {tf_losses[steps_check]:.4f}, fvd {fvd_loss:.4f} (relative difference {rel:.2e})")
    print()

    jobs = [("seed: 150x150, block3_conv1, batch 1", "block3_conv1", 150, 1, 0.1),
            ("grid: 64x64, block4_conv3, batch 16", "block4_conv3", 64, 16, 1.0),
            ("big: 224x224, block5_conv3, batch 1", "block5_conv3", 224, 1, 1.0)]
    tf_times = {}
    for name, layer, size, batch, step_size in jobs:
        tf_times[name], _ = tf_job(weights, layer, size, batch, 12, step_size)

    bench = subprocess.run([f"{ROOT}/.build/release/fvbench", "--jobs-only", "--reps", "3"], capture_output=True, text=True, check=True).stdout
    fvd_times = {}
    for line in bench.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in tf_times:
            fvd_times[cells[0]] = float(cells[1])
    print("| job | TensorFlow s/step | fvd s/step | fvd speed-up |")
    print("| --- | --- | --- | --- |")
    for name, *_ in jobs:
        t, f = tf_times[name], fvd_times[name]
        print(f"| {name} | {t:.4f} | {f:.4f} | {t / f:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
