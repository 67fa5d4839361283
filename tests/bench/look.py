#!/usr/bin/python3
"""The look of a result at its own size (issue 18), the measures the issue
states them in (the same definitions as the project's evaluation script):

  grid     the largest peak of the spectrum of the per-column (per-row)
           mean of |dL/dx| (|dL/dy|), periods 4-64 px, over the band's
           median.  Photos, paintings and neural-style's VGG19 results
           score 4-7; a block grid one can see scores 13 and up.
  edges    the correlation of the blurred gradient magnitude of the result
           and of the photo, both shrunk to 384 px on the long side: how
           much of the photo's drawing survives.
  layout   the correlation of the 8 x 8-block mean luminance of the result
           and of the photo at 384 px.
  border   the Laplacian energy in the outer 8 px over the inside's
           (1: no frame line; over 1.3: a line one can see).

Usage: look.py RESULT PHOTO  -> one JSON line.  Needs numpy, scipy, PIL."""
import json
import sys

import numpy as np
from PIL import Image
from scipy import ndimage


def _axis_score(g):
    prof = g.mean(axis=0)
    prof = prof - prof.mean()
    spec = np.abs(np.fft.rfft(prof * np.hanning(prof.size)))
    freqs = np.fft.rfftfreq(prof.size)
    band = (freqs >= 1 / 64) & (freqs <= 1 / 4)
    if band.sum() < 8:
        return 0.0, 0.0
    s = spec[band]
    i = int(np.argmax(s))
    return float(s[i] / (np.median(s) + 1e-12)), float(1 / freqs[band][i])


def grid(path):
    """(score, period in px) of the stronger axis."""
    y = np.asarray(Image.open(path).convert("L"), np.float64)
    sx = _axis_score(np.abs(np.diff(y, axis=1)))
    sy = _axis_score(np.abs(np.diff(y, axis=0)).T)
    return max(sx, sy)


def _shrunk(path, size=None, long_side=384):
    im = Image.open(path).convert("RGB")
    if size is None:
        w, h = im.size
        k = long_side / max(w, h)
        size = (max(1, round(w * k)), max(1, round(h * k)))
    a = np.asarray(im.resize(size, Image.LANCZOS), np.float64) / 255.0
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2], size


def _blocks(y, b=8):
    h, w = y.shape[0] - y.shape[0] % b, y.shape[1] - y.shape[1] % b
    return y[:h, :w].reshape(h // b, b, w // b, b).mean((1, 3))


def _edges(y):
    mag = np.hypot(ndimage.sobel(y, 0), ndimage.sobel(y, 1))
    return ndimage.gaussian_filter(mag, 2)


def border(path, b=8):
    y = np.asarray(Image.open(path).convert("L"), np.float64)
    lap = np.abs(ndimage.laplace(y))
    edge = np.zeros_like(lap, bool)
    edge[:b, :] = edge[-b:, :] = edge[:, :b] = edge[:, -b:] = True
    return float(lap[edge].mean() / (lap[~edge].mean() + 1e-12))


def look(result, photo):
    r, size = _shrunk(result)
    c, _ = _shrunk(photo, size=size)
    g, period = grid(result)
    return {
        "grid": round(g, 1),
        "period": round(period, 1),
        "edges": round(float(np.corrcoef(_edges(r).ravel(),
                                         _edges(c).ravel())[0, 1]), 3),
        "layout": round(float(np.corrcoef(_blocks(r).ravel(),
                                          _blocks(c).ravel())[0, 1]), 3),
        "border": round(border(result), 2),
    }


if __name__ == "__main__":
    print(json.dumps(look(sys.argv[1], sys.argv[2])))
