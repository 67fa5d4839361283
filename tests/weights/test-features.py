#!/usr/bin/python3
# test-features.py - the engine's VGG19 forward pass against an independent
# one, straight from the weight files.
#
#   test-features.py DUMP_FEATURES CONVERT_SCRIPT
#
# Keras HDF5 files with random weights in both layouts are converted with
# convert-vgg19 and run through the engine (dump-features); the reference
# runs in float64 with torch from the HDF5 kernels as they are (HWIO, one
# einsum per kernel tap, so no transposition is shared with the converter)
# with Keras's "caffe" preprocessing.  A torchvision-named safetensors file
# is run as is and compared with torch's conv2d and "torch" preprocessing.
# Every loss layer (style conv1_1 ... conv5_1, content conv4_2, after ReLU)
# must agree within a relative error of 1e-4, with max and average pooling.
# Last, the same file converted with --f16 measures how much F16 storage
# changes the features (the figure weights/README.md quotes).

import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import h5py  # noqa: F401  (the fixtures need it)
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print("skipped: %s (apt install python3-numpy python3-h5py "
          "python3-torch)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vgg_fixtures as fx  # noqa: E402

DUMP = os.path.abspath(sys.argv[1])
CONVERT = os.path.abspath(sys.argv[2])
WIDTH, HEIGHT = 40, 32  # 40 -> 20 -> 10 -> 5 -> 2: an odd size floors
TOLERANCE = 1e-4
ORDER = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1"]
CAFFE_MEAN_BGR = [103.939, 116.779, 123.68]
TORCH_MEAN, TORCH_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
failures = []


def check(condition, what):
    print("%s: %s" % ("ok" if condition else "FAILED", what), flush=True)
    if not condition:
        failures.append(what)


# ------------------------------------------------------------ reference


def conv_hwio(x, kernel, bias):
    """3x3 'same' correlation, zero padding, from a Keras HWIO kernel."""
    k = torch.from_numpy(kernel).double()
    h, w = x.shape[2:]
    padded = F.pad(x, (1, 1, 1, 1))
    y = torch.zeros(1, k.shape[3], h, w, dtype=torch.float64)
    for dy in range(3):
        for dx in range(3):
            y += torch.einsum("nchw,co->nohw",
                              padded[:, :, dy:dy + h, dx:dx + w], k[dy, dx])
    return y + torch.from_numpy(bias).double().view(1, -1, 1, 1)


def pool(x, pooling):
    return (F.max_pool2d if pooling == "max" else F.avg_pool2d)(x, 2, 2)


def reference_keras(weights, image, pooling):
    """Keras's VGG19 with preprocess_input (mode "caffe")."""
    x = torch.from_numpy(image).double()[[2, 1, 0]] * 255.0  # RGB -> BGR
    x = (x - torch.tensor(CAFFE_MEAN_BGR, dtype=torch.float64)
         .view(3, 1, 1)).unsqueeze(0)
    out = {}
    for name, _, _, _ in fx.CONVS:
        x = F.relu(conv_hwio(x, *weights[name]))
        layer = fx.literature_name(name)
        if layer in fx.LOSS_LAYERS:
            out[layer] = x[0].numpy()
        if layer == "conv5_1":
            break
        if name in fx.POOL_AFTER:
            x = pool(x, pooling)
    return out


def reference_torch(tensors, image, pooling):
    """torchvision's vgg19.features with ImageNet mean/std input."""
    x = torch.from_numpy(image).double()
    x = ((x - torch.tensor(TORCH_MEAN, dtype=torch.float64).view(3, 1, 1))
         / torch.tensor(TORCH_STD, dtype=torch.float64).view(3, 1, 1))
    x = x.unsqueeze(0)
    out = {}
    for name, index, _, _ in fx.CONVS:
        weight = torch.from_numpy(
            tensors["features.%d.weight" % index].astype(np.float64))
        bias = torch.from_numpy(
            tensors["features.%d.bias" % index].astype(np.float64))
        x = F.relu(F.conv2d(x, weight, bias, padding=1))
        layer = fx.literature_name(name)
        if layer in fx.LOSS_LAYERS:
            out[layer] = x[0].numpy()
        if layer == "conv5_1":
            break
        if name in fx.POOL_AFTER:
            x = pool(x, pooling)
    return out


# --------------------------------------------------------------- engine


def engine_features(tmp, weights_file, image, pooling):
    """[(name, style, content, array (c, h, w))] from dump-features."""
    image_file = os.path.join(tmp, "image.f32")
    out_file = os.path.join(tmp, "features.bin")
    image.astype("<f4").tofile(image_file)
    result = subprocess.run([DUMP, weights_file, image_file, str(WIDTH),
                             str(HEIGHT), pooling, out_file],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError("dump-features failed: " + result.stderr.strip())
    raw = open(out_file, "rb").read()
    n = int(np.frombuffer(raw, "<i4", 1)[0])
    at, features = 4, []
    for _ in range(n):
        name = raw[at:at + 16].split(b"\0")[0].decode()
        c, h, w, flags = np.frombuffer(raw, "<i4", 4, at + 16)
        at += 32
        data = np.frombuffer(raw, "<f4", c * h * w, at).reshape(c, h, w)
        at += 4 * c * h * w
        features.append((name, bool(flags & 1), bool(flags & 2), data))
    return features


def relative_error(got, want):
    return float(np.linalg.norm(got.astype(np.float64) - want)
                 / max(np.linalg.norm(want), 1e-30))


def compare(what, features, reference):
    names = [f[0] for f in features]
    check(names == ORDER, "%s: loss layers %s" % (what, names))
    worst = 0.0
    for name, style, content, data in features:
        if name not in reference:
            continue
        check((style, content) == fx.LOSS_LAYERS[name],
              "%s: %s is %s" % (what, name, "content" if content
                                else "style"))
        want = reference[name]
        if data.shape != want.shape:
            check(False, "%s: %s shape %s, reference %s"
                  % (what, name, data.shape, want.shape))
            continue
        check(np.abs(want).max() > 0, "%s: %s is not all zero"
              % (what, name))
        error = relative_error(data, want)
        worst = max(worst, error)
        check(error <= TOLERANCE, "%s: %s %s relative error %.2e"
              % (what, name, "x".join(map(str, data.shape)), error))
    return worst


def convert(*args):
    result = subprocess.run([sys.executable, CONVERT] + list(args),
                            capture_output=True, text=True, timeout=120)
    check(result.returncode == 0, "convert-vgg19 %s (%s)"
          % (" ".join(os.path.basename(a) for a in args),
             result.stderr.strip()))
    return result.returncode == 0


def main():
    rng = np.random.default_rng(2024)
    image = rng.uniform(0.0, 1.0, (3, HEIGHT, WIDTH)).astype(np.float32)

    with tempfile.TemporaryDirectory(prefix="st-features-") as tmp:
        # ---- Keras, both layouts, caffe preprocessing
        for layout, seed in (("nested", 1), ("flat", 2)):
            weights = fx.random_weights(np.random.default_rng(seed))
            h5 = os.path.join(tmp, "%s.h5" % layout)
            converted = os.path.join(tmp, "%s.safetensors" % layout)
            fx.write_keras_h5(h5, weights, layout)
            if not convert(h5, converted):
                continue
            for pooling in ("max", "average"):
                reference = reference_keras(weights, image, pooling)
                compare("keras %s, %s pooling" % (layout, pooling),
                        engine_features(tmp, converted, image, pooling),
                        reference)
            if layout == "nested":  # kept for the F16 measurement
                keras_weights, keras_h5, keras_f32 = weights, h5, converted
            else:
                os.unlink(h5)
                os.unlink(converted)

        # ---- torchvision names, torch preprocessing, extra tensors
        weights = fx.random_weights(np.random.default_rng(3))
        tensors = fx.keras_to_torch(weights)
        extended = dict(tensors)
        extended["classifier.0.weight"] = np.zeros((16, 8), np.float32)
        extended["classifier.0.bias"] = np.zeros(16, np.float32)
        torch_file = os.path.join(tmp, "torchvision.safetensors")
        fx.write_safetensors(torch_file, extended)
        for pooling in ("max", "average"):
            compare("torchvision, %s pooling" % pooling,
                    engine_features(tmp, torch_file, image, pooling),
                    reference_torch(tensors, image, pooling))
        trimmed = os.path.join(tmp, "trimmed.safetensors")
        if convert(torch_file, trimmed):
            direct = engine_features(tmp, torch_file, image, "average")
            via = engine_features(tmp, trimmed, image, "average")
            check(all(np.array_equal(a[3], b[3])
                      for a, b in zip(direct, via)),
                  "torchvision trimmed by convert-vgg19: same features")
            os.unlink(trimmed)
        os.unlink(torch_file)

        # ---- F16: the engine reads it right, and what it costs
        f16 = os.path.join(tmp, "f16.safetensors")
        if convert("--f16", keras_h5, f16):
            rounded = {name: (k.astype(np.float16).astype(np.float32),
                              b.astype(np.float16).astype(np.float32))
                       for name, (k, b) in keras_weights.items()}
            half = engine_features(tmp, f16, image, "average")
            compare("F16 file against F16-rounded weights", half,
                    reference_keras(rounded, image, "average"))
            full = engine_features(tmp, keras_f32, image, "average")
            changes = [(a[0], relative_error(b[3], a[3].astype(np.float64)))
                       for a, b in zip(full, half)]
            print("F16 storage changes the features by (relative L2): "
                  + ", ".join("%s %.1e" % c for c in changes))
            check(max(c[1] for c in changes) < 1e-2,
                  "F16 changes every loss layer by under 1%")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
