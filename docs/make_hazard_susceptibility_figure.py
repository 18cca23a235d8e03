"""Figures of docs/hazard.md (susceptibility): the demo's Ustica run, made again in a temporary folder.

EGMS L2b Ustica ascending (tests/data/egms_ustica) loaded, its active deformation areas detected, terrain gridded
from the points' heights (demo/run_demo.py: ustica_terrain), then geohazard:susceptibility (frequency ratio,
defaults otherwise), all through qgis_process as a user runs them. Writes docs/img/hazard_susceptibility.png (slope
with the ADAs, susceptibility classes) and docs/img/hazard_susceptibility_curves.png (the report's ROC and
success/prediction-rate chart).
Run: `make link` then /usr/bin/python3 docs/make_hazard_susceptibility_figure.py
"""

import base64
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "demo")]

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import run_demo  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from osgeo import gdal, ogr  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "egms_ustica")


def main():
    out = tempfile.mkdtemp(prefix="hazard_fig_")
    j = os.path.join
    run_demo.qgis_process("geohazard:loadegms", {"INPUT": j(DATA, "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"),
                                                 "OUTPUT": j(out, "asc.gpkg")})
    run_demo.qgis_process("geohazard:adadetection", {"INPUT": j(out, "asc.gpkg"), "OUTPUT": j(out, "ada.gpkg")})
    slope_path, _ = run_demo.ustica_terrain(j(out, "asc.gpkg"), out)
    res = run_demo.qgis_process("geohazard:susceptibility", {
        "INVENTORY": j(out, "ada.gpkg"), "FACTORS": [slope_path, j(out, "ustica_height.tif")], "METHOD": 0,
        "ABSENCE_BUFFER_M": 50.0, "OUTPUT": j(out, "s.tif"), "OUTPUT_CLASSES": j(out, "c.tif"),
        "OUTPUT_REPORT": j(out, "r.html")})
    ds = gdal.Open(slope_path)
    gt = ds.GetGeoTransform()
    slope = ds.ReadAsArray()
    classes = gdal.Open(j(out, "c.tif")).ReadAsArray().astype(float)
    classes[classes == 0] = np.nan
    extent = (gt[0], gt[0] + gt[1] * slope.shape[1], gt[3] + gt[5] * slope.shape[0], gt[3])
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4))
    im = axes[0].imshow(slope, extent=extent, cmap="Greys", vmin=0, vmax=45)
    fig.colorbar(im, ax=axes[0], label="slope (degrees)", shrink=0.8)
    cmap = ListedColormap(["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"])
    im2 = axes[1].imshow(classes, extent=extent, cmap=cmap, vmin=0.5, vmax=5.5, interpolation="nearest")
    bar = fig.colorbar(im2, ax=axes[1], ticks=[1, 2, 3, 4, 5], shrink=0.8)
    bar.ax.set_yticklabels(["very low", "low", "moderate", "high", "very high"])
    layer_ds = ogr.Open(j(out, "ada.gpkg"))
    for feat in layer_ds.GetLayer(0):
        geom = feat.GetGeometryRef()
        for k in range(geom.GetGeometryCount()):
            part = geom.GetGeometryRef(k)
            ring = part.GetGeometryRef(0) if part.GetGeometryCount() else part
            pts = np.array(ring.GetPoints())
            for ax in axes:
                ax.plot(pts[:, 0], pts[:, 1], color="#2166ac", lw=0.9)
    axes[0].set_title("Slope from EGMS heights, and the ADAs (blue)", fontsize=10)
    axes[1].set_title(f"Susceptibility (frequency ratio), AUC {res['AUC']:.2f} \u00b1 {res['AUC_SD']:.2f} (spatial "
                      "CV)", fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(j(HERE, "img", "hazard_susceptibility.png"), dpi=90)
    page = open(j(out, "r.html"), encoding="utf-8").read()
    first = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page).group(1)
    with open(j(HERE, "img", "hazard_susceptibility_curves.png"), "wb") as fh:
        fh.write(base64.b64decode(first))
    print(f"AUC {res['AUC']:.3f} +- {res['AUC_SD']:.3f}; figures in docs/img")


if __name__ == "__main__":
    main()
