# vgg_fixtures.py - VGG19 weight files with random weights, for the tests.
#
# Written here, independently of weights/convert-vgg19, so that a mistake
# in the converter's layout handling cannot be mirrored by the test.

import json
import struct

import numpy as np

# (Keras layer name, torchvision features index, c_in, c_out)
CONVS = [
    ("block1_conv1", 0, 3, 64), ("block1_conv2", 2, 64, 64),
    ("block2_conv1", 5, 64, 128), ("block2_conv2", 7, 128, 128),
    ("block3_conv1", 10, 128, 256), ("block3_conv2", 12, 256, 256),
    ("block3_conv3", 14, 256, 256), ("block3_conv4", 16, 256, 256),
    ("block4_conv1", 19, 256, 512), ("block4_conv2", 21, 512, 512),
    ("block4_conv3", 23, 512, 512), ("block4_conv4", 25, 512, 512),
    ("block5_conv1", 28, 512, 512), ("block5_conv2", 30, 512, 512),
    ("block5_conv3", 32, 512, 512), ("block5_conv4", 34, 512, 512),
]
POOL_AFTER = {"block1_conv2", "block2_conv2", "block3_conv4",
              "block4_conv4"}
# the layers the engine reports, with (style, content)
LOSS_LAYERS = {"conv1_1": (True, False), "conv2_1": (True, False),
               "conv3_1": (True, False), "conv4_1": (True, False),
               "conv4_2": (False, True), "conv5_1": (True, False)}


def literature_name(keras_name):
    """block4_conv2 -> conv4_2"""
    block, conv = keras_name.split("_")
    return "conv%s_%s" % (block[len("block"):], conv[len("conv"):])


def random_weights(rng, scale=1.0):
    """{keras name: (kernel HWIO, bias)} in float32, He-scaled so that
    activations neither vanish nor explode through 16 layers; the bias is
    positive enough that few channels die under ReLU."""
    weights = {}
    for name, _, c_in, c_out in CONVS:
        std = scale * np.sqrt(2.0 / (9 * c_in))
        kernel = rng.standard_normal((3, 3, c_in, c_out), dtype=np.float32)
        kernel *= np.float32(std)
        bias = rng.uniform(0.0, 0.1, c_out).astype(np.float32)
        weights[name] = (kernel, bias)
    return weights


def write_keras_h5(path, weights, layout):
    """A Keras weights file: layout "nested" (Keras 2:
    block1_conv1/block1_conv1/kernel:0, with a layer_names attribute) or
    "flat" (Keras 1: block1_conv1/block1_conv1_W_1:0, and here no
    layer_names, so that the reader must find the order itself)."""
    import h5py

    layer_names = ["input_1"]
    for name, _, _, _ in CONVS:
        layer_names.append(name)
        if name in POOL_AFTER:
            layer_names.append(name.split("_")[0] + "_pool")
    layer_names.append("block5_pool")

    with h5py.File(path, "w") as f:
        if layout == "nested":
            f.attrs["layer_names"] = np.array(
                [n.encode() for n in layer_names])
            f.attrs["backend"] = b"tensorflow"
            f.attrs["keras_version"] = b"2.2.4"
        for layer in layer_names:
            group = f.create_group(layer)
            if layer not in weights:
                group.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            kernel, bias = weights[layer]
            if layout == "nested":
                names = ["%s/kernel:0" % layer, "%s/bias:0" % layer]
            else:
                names = ["%s_W_1:0" % layer, "%s_b_1:0" % layer]
            group.attrs["weight_names"] = np.array(
                [n.encode() for n in names])
            group.create_dataset(names[0], data=kernel)
            group.create_dataset(names[1], data=bias)


def keras_to_torch(weights):
    """{features.N.weight / .bias: OIHW / (out,)} from Keras HWIO."""
    tensors = {}
    for name, index, _, _ in CONVS:
        kernel, bias = weights[name]
        tensors["features.%d.weight" % index] = np.ascontiguousarray(
            kernel.transpose(3, 2, 0, 1))
        tensors["features.%d.bias" % index] = bias
    return tensors


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: float32 or float16 array}, written in the given
    order with little-endian data."""
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, value in tensors.items():
        dtype = {np.dtype(np.float32): ("F32", "<f4"),
                 np.dtype(np.float16): ("F16", "<f2")}[value.dtype]
        data = np.ascontiguousarray(value).astype(dtype[1]).tobytes()
        header[name] = {"dtype": dtype[0], "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def read_safetensors(path):
    """(metadata, {name: array}) - F32 and F16 only."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(
            entry["shape"])
    return metadata, tensors
