#!/usr/bin/python3
"""Paints data/swirls.png, the sample style image, from nothing but a seed.

A flow field of a few vortices carries noise along its streamlines (line
integral convolution), which gives long brush strokes that bend like those of
a night-sky painting; a palette of deep blues, with yellow where the
strokes gather around the small vortex centres, colours them.  Made by this
project, so the sample needs no licence beyond the project's own.

Usage: /usr/bin/python3 data/make-swirls.py data/swirls.png
"""
import sys

import numpy as np
from PIL import Image

W, H = 520, 400  # painted larger, then cropped to 480 x 360: no edge streaks
rng = np.random.default_rng(1889)
y, x = np.mgrid[0:H, 0:W].astype(np.float64)

# Vortices: (cx, cy, strength, radius)
vortices = [(0.20, 0.25, 1.0, 0.10), (0.55, 0.18, -0.8, 0.08),
            (0.85, 0.35, 1.0, 0.07), (0.38, 0.62, -0.7, 0.11),
            (0.70, 0.75, 0.8, 0.08), (0.08, 0.78, 0.7, 0.07)]
vx = np.full((H, W), 1.0)  # a steady wind to the right
vy = 0.25 * np.sin(x / W * 6.0)
glow = np.zeros((H, W))
for cx, cy, s, r in vortices:
    dx, dy = (x - cx * W) / W, (y - cy * H) / W
    d2 = dx * dx + dy * dy
    f = s * np.exp(-d2 / (2 * r * r)) / np.sqrt(d2 + 1e-4)
    vx += -dy * f * 2.5
    vy += dx * f * 2.5
    glow += 0.6 * np.exp(-d2 / (2 * (0.3 * r) ** 2))
norm = np.sqrt(vx * vx + vy * vy) + 1e-9
vx, vy = vx / norm, vy / norm

# Line integral convolution of coarse noise: strokes of about 30 px.
noise = rng.random((H // 2, W // 2))
noise = np.kron(noise, np.ones((2, 2)))[:H, :W]
acc = np.zeros((H, W))
for sign in (1.0, -1.0):
    px, py = x.copy(), y.copy()
    for step in range(16):
        ix = np.clip(px.astype(int), 0, W - 1)
        iy = np.clip(py.astype(int), 0, H - 1)
        acc += noise[iy, ix]
        px += sign * vx[iy, ix] * 1.5
        py += sign * vy[iy, ix] * 1.5
strokes = acc / 32.0
strokes = (strokes - strokes.mean()) / strokes.std()

# Palette: night blues for the sky, yellow and white where strokes glow.
t = np.clip(0.42 + 0.25 * strokes + 0.9 * glow, 0, 1)
stops = np.array([[0.05, 0.10, 0.30], [0.10, 0.25, 0.60], [0.30, 0.50, 0.80],
                  [0.55, 0.70, 0.85], [0.95, 0.85, 0.35], [1.00, 0.97, 0.80]])
pos = np.linspace(0, 1, len(stops))
rgb = np.stack([np.interp(t, pos, stops[:, c]) for c in range(3)], axis=-1)
rgb = rgb[20:380, 20:500]
Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)).save(
    sys.argv[1] if len(sys.argv) > 1 else 'swirls.png', optimize=True)
