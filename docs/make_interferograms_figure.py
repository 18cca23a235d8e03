"""Figure of docs/interferograms.md: the shipped basin detector on a held-out simulated frame and on the Sentinel-1
stack of Mexico City (tests/data/sentinel1_mexico_city, unwrapped interferograms wrapped again).

    make link && /usr/bin/python3 docs/make_interferograms_figure.py

Writes docs/img/interferograms_basins.png. The detections are those of the tool (the same core functions and the
shipped model; the tool adds reading, the block engine and the GeoPackage).
"""

from __future__ import annotations

import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img", "interferograms_basins.png")
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

#: the held-out frame shown (a seed the training never drew) and the Mexico City pair
FRAME_SEED = 200003
PAIR = "20180106-20180518"


def _mexico(pair):
    import numpy as np
    from osgeo import gdal

    path = glob.glob(os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs", f"*{pair}*unw.tif"))[0]
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray().astype(float)
    arr[arr == band.GetNoDataValue()] = np.nan
    return arr, ds.GetGeoTransform()


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Circle

    from insar_geohazards.algorithms.interferograms import basin_sim
    from insar_geohazards.algorithms.interferograms import basindetection as detection

    with open(os.path.join(ROOT, "models", "detector", "basin_detector.json"), encoding="utf-8") as f:
        model = detection.check_model(json.load(f))
    frame = basin_sim.simulate_frame(FRAME_SEED)
    dets = detection.detect_frame(frame.phase, model)
    mex, gt = _mexico(PAIR)
    pixel_m = 0.0013888889 * 111320.0 * np.cos(np.radians(19.43))
    mdets = detection.detect_frame(mex, model, min_radius_px=250.0 / 2 / pixel_m)

    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.6), gridspec_kw={"width_ratios": [1.0, 1.25]})
    ax = axes[0]
    ax.imshow(frame.phase, cmap="hsv", vmin=-np.pi, vmax=np.pi, interpolation="nearest")
    for r, c, rad in frame.truth:
        ax.add_patch(Circle((c - 0.5, r - 0.5), rad, fill=False, ls="--", lw=1.5, color="white"))
    for d in dets:
        ax.add_patch(Circle((d.col - 0.5, d.row - 0.5), d.radius_px, fill=False, lw=2.0, color="black"))
        ax.text(d.col - 0.5, d.row - 0.5 - d.radius_px - 2, f"{d.score:.2f}", ha="center", fontsize=8)
    ax.set_title(f"SIMULATED held-out frame (seed {FRAME_SEED}): {', '.join(sorted(set(frame.bait))) or 'no bait'}\n"
                 "white dashed: simulated basins; black: detections (score)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax = axes[1]
    ext = [gt[0], gt[0] + gt[1] * mex.shape[1], gt[3] + gt[5] * mex.shape[0], gt[3]]
    ax.imshow(np.angle(np.exp(1j * mex)), cmap="hsv", vmin=-np.pi, vmax=np.pi, extent=ext, interpolation="nearest")
    for d in mdets:
        x, y = gt[0] + d.col * gt[1], gt[3] + d.row * gt[5]
        ax.add_patch(Circle((x, y), d.radius_px * gt[1], fill=False, lw=2.0, color="black"))
        ax.text(x, y + d.radius_px * gt[1] * 1.1, f"{d.score:.2f}", ha="center", fontsize=8)
    ax.set_title(f"Mexico City, Sentinel-1 {PAIR} (132 days), unwrapped phase wrapped again:\n"
                 "detections of basindetection (black, score)", fontsize=9)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(IMG), exist_ok=True)
    fig.savefig(IMG, dpi=90)
    print(f"wrote {IMG}: {len(dets)} detection(s) on the frame ({len(frame.truth)} basins), {len(mdets)} on {PAIR}")


if __name__ == "__main__":
    main()
