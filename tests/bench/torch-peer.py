#!/usr/bin/python3
# torch-peer.py - the PyTorch side of style-transfer-bench.
#
# Does the work of one optimizer iteration exactly as the engine's
# st_graph_loss does it, in Debian's python3-torch on the CPU: VGG19 up to
# conv5_1 from the same safetensors file, the same synthetic images (the
# formulas are those of style-transfer-bench.c), average pooling, ReLU
# outputs at the taps, style = mean over conv1_1, conv2_1, conv3_1,
# conv4_1, conv5_1 of ||G - Gs||^2 / ||Gs||^2 with G = F F^T / (h w),
# content = ||F - Fc||^2 / ||Fc||^2 at conv4_2, then backward to the image
# only (the weights do not require gradients, as in the engine).
#
# Prints one JSON line: {"ms_per_pass": median, "loss": ..., ...}; exits
# 3 with {"error": ...} when torch is missing.  Run it with /usr/bin/python3
# (Debian's), not a pyenv or conda python3 that lacks torch.

import argparse
import json
import resource
import struct
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - depends on the machine
    print(json.dumps({"error": "no torch in %s: %s" % (sys.executable, exc)}))
    sys.exit(3)

INDEX = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
POOL_AFTER = {1, 3, 7, 11}
STYLE = [0, 2, 4, 8, 12]  # conv1_1 conv2_1 conv3_1 conv4_1 conv5_1
CONTENT = [9]  # conv4_2
DEEPEST = 12  # conv5_1


def load_safetensors(path):
    """The convolutions up to conv5_1 as torch tensors, and the
    preprocessing named in __metadata__ (torch when absent)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    preprocess = header.get("__metadata__", {}).get("preprocess", "torch")

    def tensor(name):
        entry = header[name]
        a, b = entry["data_offsets"]
        raw = data[base + a:base + b]
        if entry["dtype"] == "F32":
            arr = np.frombuffer(raw, "<f4")
        elif entry["dtype"] == "F16":
            arr = np.frombuffer(raw, "<f2").astype(np.float32)
        elif entry["dtype"] == "BF16":
            arr = (np.frombuffer(raw, "<u2").astype(np.uint32)
                   << 16).view(np.float32)
        else:
            raise ValueError("%s: dtype %s" % (name, entry["dtype"]))
        return torch.from_numpy(arr.reshape(entry["shape"]).copy())

    convs = [(tensor("features.%d.weight" % i), tensor("features.%d.bias" % i))
             for i in INDEX[:DEEPEST + 1]]
    return convs, preprocess


def synthetic_image(n, which):
    """(3, n, n) float32: the formulas of style-transfer-bench.c."""
    c = np.arange(3, dtype=np.float64)[:, None, None]
    y = np.arange(n, dtype=np.float64)[None, :, None]
    x = np.arange(n, dtype=np.float64)[None, None, :]
    content = 0.5 + 0.3 * np.sin(0.031 * x * (c + 1) + 0.017 * y) \
        * np.cos(0.023 * y * (3 - c) - 0.011 * x)
    style = 0.5 + 0.4 * np.sin(0.055 * (x + y) * (c + 1)) \
        * np.sin(0.07 * (x - y) + c)
    v = {0: content, 1: style, 2: 0.9 * content + 0.1 * style}[which]
    return torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))


def preprocess_image(x, kind):
    if kind == "caffe":
        mean = torch.tensor([103.939, 116.779, 123.68]).view(3, 1, 1)
        return x[[2, 1, 0]] * 255.0 - mean
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    return (x - mean) / std


def taps(x, convs, kind):
    h = preprocess_image(x, kind).unsqueeze(0)
    out = {}
    for i, (w, b) in enumerate(convs):
        h = F.relu(F.conv2d(h, w, b, padding=1))
        if i in STYLE or i in CONTENT:
            out[i] = h
        if i in POOL_AFTER and i < DEEPEST:
            h = F.avg_pool2d(h, 2)
    return out


def gram(f):
    c = f.shape[1]
    f = f.reshape(c, -1)
    return f @ f.t() / f.shape[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--style-weight", type=float, default=2000.0)
    ap.add_argument("--content-weight", type=float, default=1.0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    convs, kind = load_safetensors(args.weights)
    n = args.size
    with torch.no_grad():
        ft = taps(synthetic_image(n, 0), convs, kind)
        fc = {i: ft[i] for i in CONTENT}
        fc_norm = {i: float((fc[i] ** 2).sum()) for i in CONTENT}
        st = taps(synthetic_image(n, 1), convs, kind)
        gs = {i: gram(st[i]) for i in STYLE}
        gs_norm = {i: float((gs[i] ** 2).sum()) for i in STYLE}
        del ft, st
    ws = args.style_weight / len(STYLE)
    wc = args.content_weight / len(CONTENT)
    x = synthetic_image(n, 2).requires_grad_(True)

    def one_pass():
        x.grad = None
        t = taps(x, convs, kind)
        loss = 0.0
        for i in STYLE:
            loss = loss + ws * ((gram(t[i]) - gs[i]) ** 2).sum() / gs_norm[i]
        for i in CONTENT:
            loss = loss + wc * ((t[i] - fc[i]) ** 2).sum() / fc_norm[i]
        loss.backward()
        return float(loss)

    loss = one_pass()  # warm-up
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = one_pass()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)  # all threads of the process
    def median(v):
        v = sorted(v)
        m = len(v)
        return v[m // 2] if m % 2 else 0.5 * (v[m // 2 - 1] + v[m // 2])

    med = median(times)
    print(json.dumps({
        "ms_per_pass": 1000.0 * med,
        "ms_min": 1000.0 * min(times),
        "cpu_ms_per_pass": 1000.0 * median(cpu),
        "loss": loss,
        "size": n,
        "threads": torch.get_num_threads(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        / 1024.0,
        "torch": torch.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    }))


if __name__ == "__main__":
    main()
