"""What the peer comparisons (compare_tensorflow.py, compare_jax.py) share: fvd's weights file
read into numpy, VGG16's layer order, and the seeded start noise fvd's seed preset uses."""
import struct

import numpy as np

LAYERS = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1", "block3_conv2",
          "block3_conv3", "block4_conv1", "block4_conv2", "block4_conv3", "block5_conv1", "block5_conv2",
          "block5_conv3"]
# A 2x2 max pool follows the last conv of each block.
POOL_AFTER = {"block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"}


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


def seeded_noise(seed, size):
    rng = np.random.RandomState(seed)
    return rng.random_sample((size, size, 3)) * 20 + 128.0
