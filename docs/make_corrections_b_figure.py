"""Figures of docs/corrections.md, part B (unwrapping errors by phase closure, PCA atmosphere).

Usage: /usr/bin/python3 docs/make_corrections_b_figure.py   (writes docs/img/corrections_closure.png and
docs/img/corrections_pca.png; the closure figure uses the Mexico City stack of tests/data with cycle
slips planted in three interferograms, the PCA figure the synthetic stacks of tests/testutils_atmosphere.py).
"""

from __future__ import annotations

import glob
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

PLANTED = {"cropA_20180307-20180506_VV_8rlks_eqa_unw.tif": (slice(10, 25), slice(60, 80), 1),
           "cropA_20180319-20180331_VV_8rlks_eqa_unw.tif": (slice(30, 45), slice(20, 35), -2),
           "cropA_20180331-20180506_VV_8rlks_eqa_unw.tif": (slice(40, 55), slice(70, 90), 1)}


def closure_figure(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from osgeo import gdal

    from insar_geohazards.algorithms.corrections.closure import (
        closure_offsets,
        correct_closure_block,
        network_triplets,
    )
    from insar_geohazards.algorithms.formats.dates import parse_date_pair

    files = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs", "*_unw.tif")))
    pairs = [tuple(sorted(parse_date_pair(f))) for f in files]
    order = np.argsort([f"{a:%Y%m%d}{b:%Y%m%d}" for a, b in pairs])
    files = [files[i] for i in order]
    pairs = [pairs[i] for i in order]
    rad = []
    for f in files:
        ds = gdal.Open(f)
        a = ds.ReadAsArray().astype(np.float64)
        a[a == 0] = np.nan
        r, c, n = PLANTED.get(os.path.basename(f), (slice(0, 0), slice(0, 0), 0))
        a[r, c] += n * 2 * np.pi
        rad.append(a)
    rad = np.array(rad)
    lam = 0.055504158
    mm = -rad * lam * 1000 / (4 * np.pi)
    cyc = lam * 1000 / 2
    tri = network_triplets(pairs)
    out = correct_closure_block(mm, tri, cycle_mm=cyc, closure_offset=closure_offsets(mm, tri, cycle_mm=cyc))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), dpi=110)
    vmax = max(1, int(out["n_nonclosing"].max()))
    for ax, arr, title in ((axes[0], out["n_nonclosing"], "non-closing loops, before"),
                           (axes[1], out["n_nonclosing_after"], "non-closing loops, after"),
                           (axes[2], out["n_cycles"], "cycles corrected (sum over interferograms)")):
        im = ax.imshow(np.where(out["n_loops"] > 0, arr, np.nan), cmap="magma", vmin=0,
                       vmax=vmax if "loops" in title else max(1, int(out["n_cycles"].max())))
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.035)
    fig.suptitle("unwrapclosurecorrection on the Mexico City Sentinel-1 stack (30 interferograms, 24 loops) with "
                 "slips planted in 3 interferograms", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def pca_figure(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from testutils_atmosphere import atmosphere_stack

    from insar_geohazards.algorithms.corrections.pca import pca_block, phase_elevation_block, smooth_model

    s = atmosphere_stack(seed=11, strat_mm_per_km=10, turb_mm=5)
    pca = pca_block(s["series_mm"], smooth_model(s["dates"]), tile=64)["corrected_mm"]
    pe = phase_elevation_block(s["series_mm"], s["dem_m"], tile=64)
    k = 27
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), dpi=110)
    v = np.abs(s["deformation_mm"][k]).max()
    for ax, arr, title in ((axes[0], s["deformation_mm"][k], f"true displacement {s['dates'][k]}"),
                           (axes[1], s["series_mm"][k], "input (stratified + turbulent delay)"),
                           (axes[2], pca[k], "pcaatmosphere (tiles of 64 px)"),
                           (axes[3], pe[k], "phase-elevation fit (tiles of 64 px)")):
        im = ax.imshow(arr, cmap="RdBu", vmin=-v, vmax=v)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=list(axes), fraction=0.012, label="LOS mm")
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "img"), exist_ok=True)
    closure_figure(os.path.join(HERE, "img", "corrections_closure.png"))
    pca_figure(os.path.join(HERE, "img", "corrections_pca.png"))
