#!/usr/bin/env python3
"""Renders filters the Lucid way in TensorFlow, on fvd's own weights, so the quality benchmark's
pictures can be judged against what Lucid itself would make of the same network. Not part of the
test suite. Run through scripts/lucid-tensorflow.sh, which makes the venv:

    scripts/lucid-tensorflow.sh OUTDIR [LAYER:FILTER ...]     (default: the quality set)
    fvbench --remeasure-trr OUTDIR                             (the same TRR as fvbench --quality)

This follows tensorflow/lucid's render_vis defaults as ../shared/LUCID.md gives them, op by op,
with TensorFlow's own ops where Lucid used them: the FFT picture (irfft2d of the 1/f-scaled
spectrum, / 4), the colour matrix, sigmoid; each step pad 12 (grey 0.5), random crop 8, bilinear
resize by 0.90-1.10 (TF1's resize_bilinear), rotation by -10..10 degrees (nearest neighbour,
black corners, as tf.contrib.image.rotate), random crop 4; caffe preprocessing; the conv output
before its ReLU; Adam(0.05); 512 steps; the redirected ReLU gradient for the first 16 steps.
The pictures are written as OUTDIR/lucid-LAYER-FILTER.png, the names fvbench --quality uses.
"""
import math
import os
import struct
import sys
import zlib

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fvw import LAYERS, POOL_AFTER, load_fvw  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUALITY_SET = ["block2_conv2:10", "block2_conv2:60", "block3_conv1:27", "block3_conv1:100", "block3_conv3:5",
               "block3_conv3:200", "block4_conv1:30", "block4_conv1:300", "block4_conv3:12", "block4_conv3:100",
               "block4_conv3:400", "block5_conv1:50", "block5_conv1:250", "block5_conv3:10", "block5_conv3:65",
               "block5_conv3:300"]
SIZE, REDIRECT_STEPS = 128, 16
STEPS = int(os.environ.get("STEPS", "512"))  # fewer only to try the script out
COLOR = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
COLOR_NORMALIZED = COLOR / np.max(np.linalg.norm(COLOR, axis=0))
BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)


def write_png(path, rgb8):
    """A plain 8-bit RGB PNG with zlib (no imaging library needed)."""
    h, w, _ = rgb8.shape
    raw = b"".join(b"\0" + rgb8[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)


def rfft2d_freqs(h, w):
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def make_step_counter():
    return tf.Variable(0, dtype=tf.int64, trainable=False)


def redirected_relu(step):
    """ReLU whose gradient, for the first 16 steps, passes through where the true one is zero for
    the whole image, except where it would push an already negative input lower (Lucid's
    redirected_relu_grad)."""
    @tf.custom_gradient
    def relu(x):
        def grad(dy):
            relu_grad = tf.where(x < 0.0, tf.zeros_like(dy), dy)
            # dy is the gradient of the loss (-objective) being minimised: dy > 0 lowers x.
            redirected = tf.where(tf.logical_and(x < 0.0, dy > 0.0), tf.zeros_like(dy), dy)
            magnitude = tf.norm(tf.reshape(relu_grad, [tf.shape(x)[0], -1]), axis=1)
            chosen = tf.where(tf.reshape(magnitude > 0.0, [-1, 1, 1, 1]), relu_grad, redirected)
            return tf.where(step > REDIRECT_STEPS, relu_grad, chosen)
        return tf.nn.relu(x), grad
    return relu


def network_to(weights, layer, step):
    """VGG16 up to `layer`'s conv output before its ReLU, on caffe-preprocessed BGR input."""
    relu = redirected_relu(step)
    kernels = [(tf.constant(weights[n][0]), tf.constant(weights[n][1])) for n in LAYERS[: LAYERS.index(layer) + 1]]

    def run(x):
        for name, (k, b) in zip(LAYERS, kernels):
            x = tf.nn.conv2d(x, k, 1, "SAME") + b
            if name == layer:
                return x
            x = relu(x)
            if name in POOL_AFTER:
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
    return run


def rotate_nearest(image, degrees):
    """tf.contrib.image.rotate(image, angle) as Lucid called it: about the centre, nearest
    neighbour, zeros outside."""
    h = tf.cast(tf.shape(image)[1], tf.float32)
    w = tf.cast(tf.shape(image)[2], tf.float32)
    a = degrees * math.pi / 180
    c, s = tf.cos(a), tf.sin(a)
    x_offset = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2.0
    y_offset = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2.0
    transform = tf.stack([c, -s, x_offset, s, c, y_offset, 0.0, 0.0])[None]
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=image, transforms=transform, output_shape=tf.shape(image)[1:3], fill_value=0.0,
        interpolation="NEAREST", fill_mode="CONSTANT")


def draw(rng, size):
    """One draw of Lucid's standard_transforms for a picture of `size` px: (first crop offsets,
    size after resizing, angle in degrees, second crop offsets)."""
    padded = size + 24
    oy1, ox1 = rng.integers(0, 9, 2)
    scale = [1 + (i - 5) / 50 for i in range(11)][rng.integers(0, 11)]
    scaled = int((padded - 8) * scale)
    angle = (list(range(-10, 11)) + 5 * [0])[rng.integers(0, 26)]
    oy2, ox2 = rng.integers(0, 5, 2)
    return int(oy1), int(ox1), scaled, float(angle), int(oy2), int(ox2)


def transforms(image, oy1, ox1, scaled, angle, oy2, ox2):
    """Lucid's standard_transforms: pad 12 (grey), crop 8, resize, rotate, crop 4."""
    image = tf.pad(image, [[0, 0], [12, 12], [12, 12], [0, 0]], constant_values=0.5)
    cropped = SIZE + 24 - 8
    image = tf.slice(image, [0, oy1, ox1, 0], [-1, cropped, cropped, -1])
    image = tf.compat.v1.image.resize_bilinear(image, tf.stack([scaled, scaled]))
    image = rotate_nearest(image, angle)
    return tf.slice(image, [0, oy2, ox2, 0], tf.stack([-1, scaled - 4, scaled - 4, -1]))


def render(weights, layer, channel, seed):
    np_rng = np.random.default_rng(seed)
    freqs = rfft2d_freqs(SIZE, SIZE)
    scale = (1.0 / np.maximum(freqs, 1.0 / SIZE)) * SIZE  # * sqrt(h*w)
    spectrum = tf.Variable(0.01 * np_rng.standard_normal((2, 3) + freqs.shape).astype(np.float32))
    scale_t = tf.constant(scale.astype(np.complex64))
    step = make_step_counter()
    net = network_to(weights, layer, step)
    optimizer = tf.keras.optimizers.Adam(0.05, epsilon=1e-8)

    def picture():
        image = tf.signal.irfft2d(tf.complex(spectrum[0], spectrum[1]) * scale_t)[:, :SIZE, :SIZE]
        image = tf.transpose(image, [1, 2, 0])[None] / 4.0
        image = tf.reshape(tf.matmul(tf.reshape(image, [-1, 3]), COLOR_NORMALIZED.T), [1, SIZE, SIZE, 3])
        return tf.sigmoid(image)

    i32, f32 = tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)

    @tf.function(input_signature=[i32, i32, i32, f32, i32, i32])
    def train_step(oy1, ox1, scaled, angle, oy2, ox2):
        with tf.GradientTape() as tape:
            rgb = transforms(picture(), oy1, ox1, scaled, angle, oy2, ox2)
            bgr = rgb[..., ::-1] * 255.0 - BGR_MEAN
            objective = tf.reduce_mean(net(bgr)[..., channel])
            loss = -objective
        grads = tape.gradient(loss, [spectrum])
        optimizer.apply_gradients(zip(grads, [spectrum]))
        return objective

    for i in range(STEPS):
        step.assign(i + 1)
        objective = train_step(*draw(np_rng, SIZE))
    return np.clip(np.round(picture().numpy()[0] * 255), 0, 255).astype(np.uint8), float(objective)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: lucid_tensorflow.py OUTDIR [LAYER:FILTER ...]")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    weights = load_fvw(os.environ.get("FVD_WEIGHTS", os.path.join(ROOT, "weights", "vgg16.fvw")))
    for item in sys.argv[2:] or QUALITY_SET:
        layer, filt = item.split(":")
        rgb8, objective = render(weights, layer, int(filt), seed=0)
        path = os.path.join(out, f"lucid-{layer}-{filt}.png")
        write_png(path, rgb8)
        print(f"{path}: objective on the last step {objective:.1f}", flush=True)


if __name__ == "__main__":
    main()
