"""The figures of docs/geometry.md from the geometry benchmarks' outputs.

Run: `make bench FAMILY=geometry CASE=dem_100mp`, then
  /usr/bin/python3 docs/make_geometry_figure.py distortion .build/bench-geometry/fractal_10000x10000.tif \
      .build/bench-geometry/out_10000x10000          (docs/img/geometry_distortion_fractal.png)
`make bench FAMILY=geometry CASE=egms_ustica`, then
  /usr/bin/python3 docs/make_geometry_figure.py egms .build/bench/geometry/egms_ustica   (geometry_egms_ustica.png)
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
sys.path.insert(0, HERE)
from figure_common import image_panels  # noqa: E402

NAMES = ["active layover", "passive layover", "active shadow", "passive shadow", "strong foreshort.",
         "moderate foreshort.", "good visibility"]
COLOURS = ["#d7191c", "#fdae61", "#2b2b2b", "#7f7f7f", "#abd9e9", "#74add1", "#1a9641"]


def distortion(dem, out):
    win = (slice(0, 250), slice(0, 250))
    z = gdal.Open(dem).ReadAsArray()[win]
    cls = gdal.Open(os.path.join(out, "classes.tif")).ReadAsArray()[win].astype(float)
    ri = gdal.Open(os.path.join(out, "rindex.tif")).ReadAsArray()[win]
    cls[cls == 0] = np.nan
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.6))
    ax[0].imshow(z, cmap="terrain")
    ax[0].set_title("synthetic fractal DEM (20 m pixels)", fontsize=10)
    ax[0].set_xticks([])
    ax[0].set_yticks([])
    bars = image_panels(fig, ax[1:], [
        (cls, {"cmap": ListedColormap(COLOURS), "vmin": 0.5, "vmax": 7.5, "interpolation": "nearest"},
         "classes (heading -12, incidence 37)", {"ticks": range(1, 8)}),
        (ri, {"cmap": "RdYlGn", "vmin": -1, "vmax": 1}, "R-index")], fontsize=10, shrink=0.85)
    bars[0].ax.set_yticklabels(NAMES, fontsize=7)
    fig.tight_layout()
    os.makedirs(os.path.join(ROOT, "docs", "img"), exist_ok=True)
    fig.savefig(os.path.join(ROOT, "docs", "img", "geometry_distortion_fractal.png"), dpi=80)


def egms(out):
    d = np.load(os.path.join(out, "ustica_decomposition.npz"))
    up_ts, east_ts, up_v, east_v, gt = d["up"], d["east"], d["up_v"], d["east_v"], d["geotransform"]
    ok = np.isfinite(up_v) & np.isfinite(up_ts)
    ext = [gt[0], gt[0] + up_ts.shape[1] * gt[1], gt[3] + up_ts.shape[0] * gt[5], gt[3]]
    fig, ax = plt.subplots(1, 3, figsize=(13, 4.2))
    for a, arr, title in ((ax[0], up_ts, "Up (mm/yr), EGMS L3 route"), (ax[1], east_ts, "East (mm/yr), EGMS L3 route")):
        im = a.imshow(arr, extent=ext, cmap="RdBu", vmin=-4, vmax=4)
        a.set_title(title, fontsize=10)
        a.set_xlabel("easting EPSG:3035 (m)", fontsize=8)
        a.tick_params(labelsize=7)
        fig.colorbar(im, ax=a, shrink=0.8)
    ax[2].plot(up_v[ok], up_ts[ok], ".", ms=3, label="up")
    ax[2].plot(east_v[ok], east_ts[ok], ".", ms=3, label="east")
    ax[2].plot([-5, 5], [-5, 5], "k-", lw=0.5)
    ax[2].set_xlabel("velocity-level decomposition (mm/yr)", fontsize=8)
    ax[2].set_ylabel("time-series decomposition + fit (mm/yr)", fontsize=8)
    ax[2].set_title("Ustica 100 m cells: the two routes", fontsize=10)
    ax[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(ROOT, "docs", "img", "geometry_egms_ustica.png"), dpi=90)


if __name__ == "__main__":
    if sys.argv[1] == "egms":
        egms(sys.argv[2])
    else:
        distortion(*sys.argv[2:4])
