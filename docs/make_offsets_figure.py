"""Figure of docs/kinematics.md: offset tracking of a synthetic landslide on a textured image.

A 384 x 384 textured image (Gaussian-filtered noise, tests/testutils_kinematics.py; band-limited,
so the cubic-spline warp moves all its frequencies alike) is warped by a smooth landslide-like
displacement (up to 3 px toward the south-east inside an elliptical body, zero outside) plus a
uniform 0.3 px co-registration error; part of the slide is covered by a featureless patch ("snow")
in the secondary image, and both images carry white sensor noise of 5 % of the texture's spread (the
snow patch is then pure noise, which the flatness test must tell from texture). offset_field (window
48, search 8, step 8) with the area outside the slide as stable ground.
Run: `make link` then /usr/bin/python3 docs/make_offsets_figure.py
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests")]

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import testutils_kinematics as kt  # noqa: E402
from scipy import ndimage  # noqa: E402

from insar_geohazards.algorithms.kinematics import offsets as off  # noqa: E402

N = 384


def field(rows, cols):
    """Displacement (px of the 384 grid) at reference positions: landslide body + co-registration error."""
    body = np.exp(-(((rows - 190) / 70.0) ** 2 + ((cols - 170) / 110.0) ** 2) ** 2)
    return 2.4 * body + 0.3, 1.8 * body + 0.3, body


img = kt.texture((N, N), "smooth", seed=21)
rows, cols = np.mgrid[0:N, 0:N].astype(float)
uy, ux, body = field(rows, cols)
sec = ndimage.map_coordinates(img, [rows - uy, cols - ux], order=3, mode="reflect")

snow = (rows > 150) & (rows < 240) & (cols > 200) & (cols < 290)
sec[snow] = 100.0
rng = np.random.default_rng(22)
noise = 0.05 * off.robust_spread(img)
img = img + rng.normal(0, noise, img.shape)
sec = sec + rng.normal(0, noise, sec.shape)
stable = body < 0.01
r = off.offset_field(img, sec, window=48, search=8, step=8, stable=stable)
rr, cc = kt.cell_centres(*r["dx"].shape, step=8, shift_px=r["shift_px"])
ti = np.clip(np.round(rr).astype(int), 0, N - 1), np.clip(np.round(cc).astype(int), 0, N - 1)
tx, ty = (ux - 0.3)[ti], (uy - 0.3)[ti]
ok = np.isfinite(r["dx"])
err = np.hypot(r["dx"] - tx, r["dy"] - ty)[ok]
print(f"noise {noise:.3f}; estimated (upper bounds) {r['noise'][0]:.3f} / {r['noise'][1]:.3f}")
print(f"bias removed: col {r['bias']['dx']:+.3f} px, row {r['bias']['dy']:+.3f} px (truth +0.300, +0.300)")
print(f"{ok.sum()} of {ok.size} cells valid; vector error RMS {np.sqrt(np.mean(err ** 2)):.3f} px, "
      f"95th percentile {np.percentile(err, 95):.3f} px; cells over the snow patch valid: "
      f"{int(ok[snow[ti]].sum())}")

fig, ax = plt.subplots(1, 3, figsize=(13.5, 4.6))
ax[0].imshow(sec, cmap="gray")
ax[0].set_title("secondary image (snow patch: featureless)")
mag = np.hypot(r["dx"], r["dy"])
ext = (cc.min() - 4, cc.max() + 4, rr.max() + 4, rr.min() - 4)
im = ax[1].imshow(mag, extent=ext, cmap="viridis", vmin=0, vmax=3.2)
q = 3
ax[1].quiver(cc[::q, ::q], rr[::q, ::q], r["dx"][::q, ::q], -r["dy"][::q, ::q], color="w", scale=40)
ax[1].set_xlim(0, N)
ax[1].set_ylim(N, 0)
ax[1].set_title("measured offset (px), bias removed; NaN = white")
fig.colorbar(im, ax=ax[1], fraction=0.046)
im2 = ax[2].imshow(np.hypot(r["dx"] - tx, r["dy"] - ty), extent=ext, cmap="magma", vmin=0, vmax=0.2)
ax[2].set_xlim(0, N)
ax[2].set_ylim(N, 0)
ax[2].set_title(f"error vs truth (px): RMS {np.sqrt(np.mean(err ** 2)):.3f}")
fig.colorbar(im2, ax=ax[2], fraction=0.046)
for a in ax:
    a.set_xticks([])
    a.set_yticks([])
fig.tight_layout()
out = os.path.join(HERE, "img", "offsets_field.png")
fig.savefig(out, dpi=90)
print("wrote", out)
