#!/usr/bin/python3
# test-vgg19-transfer.py - whole runs of the command line with a VGG19
# weights file (random weights, written here), on photos that are not
# square: a landscape, a portrait, and one too elongated for VGG19.
#
#   test-vgg19-transfer.py CLI
#
# VGG19 halves the image four times, so its short side needs 16 px.  The
# plan's search for the largest size that fits the memory budget once
# started at a long side of 16 px, where the short side of any non-square
# photo is under 16: every such run was refused with "the memory budget
# ... is too small for any size", whatever the budget.

import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError as e:
    print("skipped: %s (apt install python3-numpy)" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import vgg_fixtures as fx  # noqa: E402
from checks import check, summary  # noqa: E402
from tiny_png import png  # noqa: E402

CLI = os.path.abspath(sys.argv[1])


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def picture(path, w, h, seed):
    """Smooth colour waves: something for the style to paint."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.uniform(0.05, 0.3, 3)

    def pixel(x, y):
        return tuple(int(127.5 + 127 * np.sin(k * x + m * y))
                     for k, m in ((a, b), (b, c), (c, a)))
    png(path, w, h, pixel)


def run(tmp, weights, content, args=()):
    out = os.path.join(tmp, "out.png")
    if os.path.exists(out):
        os.remove(out)
    result = subprocess.run(
        [CLI, "--network", weights, "--threads", "1", "-i", "2", "-q",
         "-o", out, content, os.path.join(tmp, "style.png")] + list(args),
        capture_output=True, text=True, timeout=600)
    return result, out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "vgg19.safetensors")
        fx.write_safetensors(weights, fx.keras_to_torch(
            fx.random_weights(np.random.default_rng(7))))
        picture(os.path.join(tmp, "style.png"), 48, 48, 1)
        for name, w, h in (("landscape", 72, 48), ("portrait", 40, 64)):
            content = os.path.join(tmp, name + ".png")
            picture(content, w, h, 2)
            result, out = run(tmp, weights, content)
            check("%s %d x %d with VGG19: the run succeeds" % (name, w, h),
                  result.returncode == 0,
                  "rc %d, %s" % (result.returncode, result.stderr.strip()))
            check("%s: the result has the photo's own size" % name,
                  os.path.exists(out) and png_size(out) == (w, h))
        # 600 x 17: at its own size the short side has VGG19's 16 px, but
        # the coarse-to-fine schedule starts at 150 x 4: a clear refusal
        # that says why, not a memory message.
        content = os.path.join(tmp, "strip.png")
        picture(content, 600, 17, 3)
        result, out = run(tmp, weights, content)
        message = result.stderr.strip()
        check("a 600 x 17 strip with VGG19 is refused",
              result.returncode != 0 and not os.path.exists(out),
              "rc %d" % result.returncode)
        check("the refusal names the 16 px minimum, not the memory",
              "memory" not in message and "16 px" in message
              and len(message.splitlines()) == 1, repr(message))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
