#!/usr/bin/python3
# test-convert.py - weights/convert-vgg19 on good and bad inputs.
#
#   test-convert.py CONVERT_SCRIPT
#
# Good: Keras HDF5 in both layouts gives the same OIHW tensors, caffe
# preprocessing, 8-byte-aligned data; a torchvision file is trimmed to the
# 16 convolutions and keeps "torch"; --f16 halves the file.
# Bad: wrong shapes, VGG16, channels-first kernels, NaN, truncated files,
# missing tensors: exit status 1, a message naming the file, and no output
# file (nor a temporary one) left behind.

import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import h5py  # noqa: F401  (the fixtures need it)
except ImportError as e:
    print("skipped: %s (apt install python3-numpy python3-h5py)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vgg_fixtures as fx  # noqa: E402

CONVERT = os.path.abspath(sys.argv[1])
failures = []


def run(*args):
    return subprocess.run([sys.executable, CONVERT] + list(args),
                          capture_output=True, text=True)


def check(condition, what):
    print("%s: %s" % ("ok" if condition else "FAILED", what))
    if not condition:
        failures.append(what)


def expect_refused(tmp, source, words, what, extra=()):
    out = os.path.join(tmp, "out.safetensors")
    result = run(*extra, source, out)
    message = result.stderr.strip()
    print("   -> %s" % message)
    check(result.returncode == 1, "%s: exit status 1" % what)
    check(source in message, "%s: the message names the file" % what)
    check(all(w in message for w in words),
          "%s: the message says %s" % (what, " / ".join(words)))
    left = [n for n in os.listdir(tmp)
            if n == "out.safetensors" or n.endswith(".tmp")]
    check(not left, "%s: nothing written (%s)" % (what, left))


def main():
    rng = np.random.default_rng(7)
    weights = fx.random_weights(rng)
    expected = fx.keras_to_torch(weights)

    with tempfile.TemporaryDirectory(prefix="st-convert-") as tmp:
        # ---- both Keras layouts
        converted = {}
        for layout in ("nested", "flat"):
            h5 = os.path.join(tmp, "keras-%s.h5" % layout)
            out = os.path.join(tmp, "%s.safetensors" % layout)
            fx.write_keras_h5(h5, weights, layout)
            result = run(h5, out)
            check(result.returncode == 0,
                  "%s layout converts (%s)" % (layout,
                                               result.stderr.strip()))
            if result.returncode != 0:
                continue
            metadata, tensors = fx.read_safetensors(out)
            converted[layout] = tensors
            check(metadata.get("preprocess") == "caffe",
                  "%s: preprocess caffe" % layout)
            check(sorted(tensors) == sorted(expected),
                  "%s: exactly the 32 VGG19 tensors" % layout)
            check(all(np.array_equal(tensors[k], expected[k])
                      for k in expected),
                  "%s: kernels HWIO -> OIHW, values unchanged" % layout)
            with open(out, "rb") as f:
                length = int.from_bytes(f.read(8), "little")
            check((8 + length) % 8 == 0, "%s: data 8-byte aligned" % layout)
            check(not [n for n in os.listdir(tmp) if n.endswith(".tmp")],
                  "%s: no temporary file left" % layout)
            os.unlink(h5)

        # ---- F16
        h5 = os.path.join(tmp, "keras.h5")
        fx.write_keras_h5(h5, weights, "nested")
        f32 = os.path.join(tmp, "f32.safetensors")
        f16 = os.path.join(tmp, "f16.safetensors")
        check(run(h5, f32).returncode == 0, "F32 conversion")
        result = run("--f16", h5, f16)
        check(result.returncode == 0, "F16 conversion")
        if result.returncode == 0:
            _, tensors = fx.read_safetensors(f16)
            check(all(tensors[k].dtype == np.float16 for k in tensors),
                  "--f16 stores F16")
            check(abs(os.path.getsize(f16) * 2 - os.path.getsize(f32))
                  < 20000, "--f16 halves the file")
            worst = max(float(np.max(np.abs(tensors[k].astype(np.float32)
                                            - expected[k])
                                     / (np.abs(expected[k]) + 1e-3)))
                        for k in expected)
            check(worst < 1e-2, "F16 rounding only (worst %.2g)" % worst)

        # ---- torchvision / timm safetensors: trim, keep torch
        torch_file = os.path.join(tmp, "vgg19-torchvision.safetensors")
        tensors = dict(reversed(list(expected.items())))  # any order
        tensors["classifier.0.weight"] = np.ones((8, 4), np.float32)
        tensors["classifier.0.bias"] = np.ones(8, np.float32)
        fx.write_safetensors(torch_file, tensors)
        out = os.path.join(tmp, "trimmed.safetensors")
        result = run(torch_file, out)
        check(result.returncode == 0, "torchvision file converts (%s)"
              % result.stderr.strip())
        if result.returncode == 0:
            metadata, got = fx.read_safetensors(out)
            check(metadata.get("preprocess") == "torch",
                  "torchvision: preprocess torch")
            check(sorted(got) == sorted(expected),
                  "torchvision: trimmed to the 32 VGG19 tensors")
            check(all(np.array_equal(got[k], expected[k]) for k in expected),
                  "torchvision: values passed through")
        # an F16 torch file with caffe metadata keeps caffe
        half = {k: v.astype(np.float16) for k, v in expected.items()}
        fx.write_safetensors(torch_file, half, {"preprocess": "caffe"})
        result = run(torch_file, out)
        check(result.returncode == 0, "F16 safetensors converts")
        if result.returncode == 0:
            metadata, got = fx.read_safetensors(out)
            check(metadata.get("preprocess") == "caffe",
                  "safetensors: its preprocess is kept")
            check(all(np.array_equal(got[k], half[k].astype(np.float32))
                      for k in expected), "F16 widened to F32 exactly")
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))

    # ---- bad inputs, each in a folder of its own
    def bad_case(what, words, make, extra=()):
        with tempfile.TemporaryDirectory(prefix="st-convert-bad-") as tmp:
            source = make(tmp)
            expect_refused(tmp, source, words, what, extra)

    def keras_with(change):
        def make(tmp):
            w = dict(weights)
            change(w)
            path = os.path.join(tmp, "bad.h5")
            fx.write_keras_h5(path, w, "nested")
            return path
        return make

    def wrong_shape(w):
        w["block3_conv2"] = (np.zeros((3, 3, 256, 128), np.float32),
                             np.zeros(128, np.float32))
    bad_case("wrong kernel shape", ["block3_conv2", "(3, 3, 256, 128)"],
             keras_with(wrong_shape))

    def vgg16(w):
        for name in ("block3_conv4", "block4_conv4", "block5_conv4"):
            del w[name]
    bad_case("VGG16 instead of VGG19", ["13", "VGG16"], keras_with(vgg16))

    def channels_first(w):
        k, b = w["block1_conv1"]
        w["block1_conv1"] = (np.ascontiguousarray(k.transpose(3, 2, 0, 1)),
                             b)
    bad_case("channels-first kernel", ["Theano"], keras_with(channels_first))

    def bias_mismatch(w):
        k, _ = w["block2_conv1"]
        w["block2_conv1"] = (k, np.zeros(64, np.float32))
    bad_case("bias of the wrong length", ["block2_conv1", "bias"],
             keras_with(bias_mismatch))

    def nan(w):
        k, b = w["block5_conv1"]
        k = k.copy()
        k[1, 1, 7, 3] = np.nan
        w["block5_conv1"] = (k, b)
    bad_case("NaN weight", ["conv5_1", "NaN"], keras_with(nan))

    def truncated(tmp):
        full = os.path.join(tmp, "full.h5")
        fx.write_keras_h5(full, weights, "nested")
        path = os.path.join(tmp, "truncated.h5")
        with open(full, "rb") as f, open(path, "wb") as g:
            g.write(f.read(os.path.getsize(full) // 2))
        os.unlink(full)
        return path
    bad_case("truncated HDF5", ["truncated.h5"], truncated)

    def text_file(tmp):
        path = os.path.join(tmp, "notes.txt")
        with open(path, "w") as f:
            f.write("these are not the weights you are looking for\n")
        return path
    bad_case("not a weights file", ["neither"], text_file)

    def missing_tensor(tmp):
        path = os.path.join(tmp, "partial.safetensors")
        partial = dict(expected)
        del partial["features.21.bias"]
        fx.write_safetensors(path, partial)
        return path
    bad_case("safetensors without conv4_2's bias",
             ["features.21.bias", "conv4_2", "missing"], missing_tensor)

    def missing_file(tmp):
        return os.path.join(tmp, "nowhere.h5")
    bad_case("missing input", ["nowhere.h5"], missing_file)

    def too_big_for_f16(w):
        k, b = w["block1_conv1"]
        w["block1_conv1"] = (k, b + 70000)
    bad_case("F16 overflow", ["F16"], keras_with(too_big_for_f16),
             extra=("--f16",))

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
