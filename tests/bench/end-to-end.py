#!/usr/bin/python3
"""End-to-end benchmark of issue 12: a photo painted at default settings.

For each size, the content photo is resized to W x H, the command line
paints it with the default settings (embedded network, no size given, so
the photo's own size), and this prints:

  - the wall time, and the time the command's first line estimated
    (estimate / measured: the estimate is honest within +-30 %);
  - the peak memory (max RSS of the process);
  - "detail kept": the detail the result loses when halved and enlarged
    again, divided by what the photo itself loses the same way.  A small
    painting enlarged to the photo's size has little to lose (ratio well
    under 0.5); a painting with brushwork at full resolution keeps at least
    half the photo's ratio.
  - the look at the result's own size (issue 18, tests/bench/look.py):
    grid score (a block grid scores 13 and up, photos 4-7), edges kept
    (at 384 px, against the photo), border (over 1.3: a frame line).

Usage: end-to-end.py CLI CONTENT STYLE [WxH ...] [--threads N]
[--network NAME|FILE] [--json] (default sizes: 384x288 768x576 1920x1440;
for VGG19 with random weights, write them first with
`style-transfer-bench --write-vgg19-random FILE` and give that FILE).
Run it on a quiet machine and write the load (uptime) next to the
figures: tests/bench/README.md.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import look  # noqa: E402  (beside this file)


def detail_lost(path):
    """Mean absolute difference between an image and its halved-then-
    enlarged copy (bicubic both ways), on luminance in [0, 1]."""
    im = Image.open(path).convert("L")
    w, h = im.size
    small = im.resize((max(1, w // 2), max(1, h // 2)), Image.BICUBIC)
    back = small.resize((w, h), Image.BICUBIC)
    a = np.asarray(im, dtype=np.float64) / 255.0
    b = np.asarray(back, dtype=np.float64) / 255.0
    return float(np.mean(np.abs(a - b)))


def run_one(cli, content, style, size, threads, network, tmp):
    w, h = size
    photo = os.path.join(tmp, "photo-%dx%d.png" % (w, h))
    out = os.path.join(tmp, "out-%dx%d.png" % (w, h))
    Image.open(content).convert("RGB").resize((w, h), Image.LANCZOS).save(photo)
    cmd = [cli, photo, style, "-o", out]
    if threads:
        cmd += ["-t", str(threads)]
    if network:
        cmd += ["-n", network]
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)  # as installed: the engine chooses
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    # wait4 gives the child's own peak RSS
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    stdout = proc.stdout.read().decode(errors="replace")
    stderr = proc.stderr.read().decode(errors="replace")
    if status != 0:
        sys.exit("end-to-end: %s failed: %s" % (" ".join(cmd), stderr.strip()))
    m = re.search(r"about (\d+) MiB and (\d+) s", stdout)
    estimate = float(m.group(2)) if m else float("nan")
    result = Image.open(out)
    return {
        "size": "%dx%d" % (w, h),
        "result_size": "%dx%d" % result.size,
        "wall_s": round(wall, 1),
        "estimate_s": estimate,
        "estimate_over_measured": round(estimate / wall, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024.0, 1),
        "detail_kept": round(detail_lost(out) / detail_lost(photo), 2),
        "look": look.look(out, photo),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cli")
    ap.add_argument("content")
    ap.add_argument("style")
    ap.add_argument("sizes", nargs="*",
                    default=["384x288", "768x576", "1920x1440"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--network", default="embedded",
                    help="embedded (default), vgg19 or a .safetensors file")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="st-e2e-") as tmp:
        for s in args.sizes:
            w, h = (int(v) for v in s.lower().split("x"))
            rows.append(run_one(args.cli, args.content, args.style, (w, h),
                                args.threads, args.network, tmp))
            if not args.json:
                r = rows[-1]
                print("%-10s -> %-10s %7.1f s (estimated %5.0f s, x%.2f)  "
                      "peak %7.1f MiB  detail kept %.2f  grid %.1f  "
                      "edges %.2f  border %.2f" % (
                          r["size"], r["result_size"], r["wall_s"],
                          r["estimate_s"], r["estimate_over_measured"],
                          r["peak_rss_mib"], r["detail_kept"],
                          r["look"]["grid"], r["look"]["edges"],
                          r["look"]["border"]), flush=True)
    with open("/proc/loadavg") as f:
        load += " -> " + f.read().split()[0]
    if args.json:
        print(json.dumps({"load": load, "threads": args.threads,
                          "runs": rows}, indent=1))
    else:
        print("load average (1 min) before -> after: %s; threads %d"
              % (load, args.threads))


if __name__ == "__main__":
    main()
