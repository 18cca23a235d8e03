"""Figure of geometricdistortion outputs (synthetic fractal DEM window) for docs/geometry.md.

Run: `make bench FAMILY=geometry CASE=dem_100mp`, then /usr/bin/python3 docs/make_geometry_figure.py
.build/bench-geometry/fractal_10000x10000.tif .build/bench-geometry/out_10000x10000
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from osgeo import gdal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NAMES = ["active layover", "passive layover", "active shadow", "passive shadow", "strong foreshort.",
         "moderate foreshort.", "good visibility"]
COLOURS = ["#d7191c", "#fdae61", "#2b2b2b", "#7f7f7f", "#abd9e9", "#74add1", "#1a9641"]


def main():
    dem, out = sys.argv[1], sys.argv[2]
    win = (slice(0, 250), slice(0, 250))
    z = gdal.Open(dem).ReadAsArray()[win]
    cls = gdal.Open(os.path.join(out, "classes.tif")).ReadAsArray()[win].astype(float)
    ri = gdal.Open(os.path.join(out, "rindex.tif")).ReadAsArray()[win]
    cls[cls == 0] = np.nan
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.6))
    ax[0].imshow(z, cmap="terrain")
    ax[0].set_title("synthetic fractal DEM (20 m pixels)", fontsize=10)
    im = ax[1].imshow(cls, cmap=ListedColormap(COLOURS), vmin=0.5, vmax=7.5, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax[1], ticks=range(1, 8), shrink=0.85)
    cb.ax.set_yticklabels(NAMES, fontsize=7)
    ax[1].set_title("classes (heading -12, incidence 37)", fontsize=10)
    im = ax[2].imshow(ri, cmap="RdYlGn", vmin=-1, vmax=1)
    fig.colorbar(im, ax=ax[2], shrink=0.85)
    ax[2].set_title("R-index", fontsize=10)
    for a in ax:
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    os.makedirs(os.path.join(ROOT, "docs", "img"), exist_ok=True)
    fig.savefig(os.path.join(ROOT, "docs", "img", "geometry_distortion_fractal.png"), dpi=80)


if __name__ == "__main__":
    main()
