#!/usr/bin/env python3
"""The JAX half of scripts/compare-tensorflow.sh: the same three gradient-ascent jobs as
compare_tensorflow.py (the notebook's objective, RMS normalisation and update, fvd's own weights
file), written with jax.lax and compiled with jax.jit. Runs in its own private environment
(.venv-jax) so that JAX's and TensorFlow's pinned dependencies never meet; prints one JSON
object: {"version": ..., "seconds": {job: median s/step}, "losses": [...]}.

    .venv-jax/bin/python scripts/compare_jax.py JOBS_JSON
"""
import json
import os
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fvw import LAYERS, POOL_AFTER, load_fvw, seeded_noise  # noqa: E402


def features(params, x, target):
    """VGG16's conv stack (NHWC, HWIO) up to and including `target` (after its ReLU)."""
    for name in LAYERS:
        k, b = params[name]
        x = jax.lax.conv_general_dilated(x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        x = jax.nn.relu(x + b)
        if name == target:
            return x
        if name in POOL_AFTER:
            x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    raise ValueError(target)


def jax_job(weights, layer, size, batch, steps, step_size):
    """The notebook's loop in JAX; returns (median seconds per step, losses after each step)."""
    params = {n: (jnp.asarray(k), jnp.asarray(b)) for n, (k, b) in weights.items()}
    filters = jnp.arange(batch)

    def objective(x):
        out = features(params, x, layer)
        per_image = jnp.mean(out[jnp.arange(batch), :, :, filters], axis=(1, 2))
        return jnp.sum(per_image), per_image

    @jax.jit
    def step(x):
        (_, per_image), g = jax.value_and_grad(objective, has_aux=True)(x)
        rms = jnp.sqrt(jnp.mean(jnp.square(g), axis=(1, 2, 3), keepdims=True)) + 1e-5
        return per_image, x + g / rms * step_size

    x = jnp.asarray(np.stack([seeded_noise(i, size) for i in range(batch)]), jnp.float32)
    times, losses = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        per_image, x = step(x)
        x.block_until_ready()
        times.append(time.perf_counter() - t0)
        losses.append(float(per_image[0]))
    return statistics.median(times[2:]), losses


def main():
    jobs = json.loads(sys.argv[1])
    weights = load_fvw(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights", "vgg16.fvw"))
    result = {"version": jax.__version__, "seconds": {}, "losses": []}
    _, result["losses"] = jax_job(weights, "block3_conv1", 150, 1, 11, 0.1)
    for name, layer, size, batch, step_size in jobs:
        result["seconds"][name], _ = jax_job(weights, layer, size, batch, 12, step_size)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
