"""Figure of docs/interferograms.md: the demo's interferogram filter step (run as `make demo` runs it, through
qgis_process) on a real Mexico City interferogram, and the filter on a simulated one against its noise-free phase.

    make link && /usr/bin/python3 docs/make_interferograms_filter_figure.py [WORK_FOLDER]

Writes docs/img/interferograms_filter.png.
"""

from __future__ import annotations

import os
import sys

import figure_common

ROOT = figure_common.ROOT
IMG = os.path.join(ROOT, "docs", "img", "interferograms_filter.png")
ALG = "geohazard:interferogramfilter"
PAIR = "20180106_20180412"


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.GetRasterBand(1).ReadAsArray().astype(float)
    ds = None
    return arr


def simulated(seed: int = 1):
    """A bowl of fringes on a ramp with single-look noise of coherence 0.5 (as the benchmark simulates it)."""
    import numpy as np

    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    from insar_geohazards.algorithms.interferograms import interferogramfilter as filtering

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:160, 0:160].astype(float)
    truth = -30.0 * np.exp(-((y - 80) ** 2 + (x - 85) ** 2) / (2 * 25.0 ** 2)) + 0.3 * x
    a = (rng.normal(size=truth.shape) + 1j * rng.normal(size=truth.shape)) / np.sqrt(2)
    b = (rng.normal(size=truth.shape) + 1j * rng.normal(size=truth.shape)) / np.sqrt(2)
    z = a * np.conj(0.5 * a * np.exp(-1j * truth) + np.sqrt(0.75) * b)
    filtered, _ = filtering.filter_array(z, method="goldstein", alpha=0.8)
    return np.angle(np.exp(1j * truth)), np.angle(z), np.angle(filtered), truth, z, filtered


def main(work: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure_common.run_demo_step(work, ALG)
    real = [_read(os.path.join(work, folder, f"{PAIR}.{kind}.tif")) for folder, kind in (
        ("mexico_wrapped", "wrapped"), ("mexico_filtered", "wrapped"), ("mexico_filtered_coherence", "coh"))]
    clean, noisy, flt, truth, z, filtered = simulated()

    def err(c):
        return np.sqrt(np.mean(np.angle(c * np.exp(-1j * truth)) ** 2))

    fig, axes = plt.subplots(2, 3, figsize=(11, 7.4))
    cyc = {"cmap": "twilight", "vmin": -np.pi, "vmax": np.pi, "interpolation": "nearest"}
    panels = [
        (real[0], cyc, f"Mexico City {PAIR}: wrapped (rad)"),
        (real[1], cyc, "filtered: Goldstein alpha 0.6, 2 x 2 looks"),
        (real[2], {"cmap": "viridis", "vmin": 0, "vmax": 1, "interpolation": "nearest"},
         "coherence estimate |sum z| / sum |z|"),
        (noisy, cyc, f"SIMULATED, coherence 0.5: {err(z):.2f} rad RMS"),
        (flt, cyc, f"filtered, alpha 0.8: {err(filtered):.2f} rad RMS"),
        (clean, cyc, "SIMULATED noise-free phase"),
    ]
    figure_common.image_panels(fig, axes.ravel(), panels, shrink=0.75)
    fig.suptitle("geohazard:interferogramfilter: a real interferogram (top), a SIMULATED one with its truth "
                 "(bottom)", fontsize=10)
    fig.tight_layout()
    fig.savefig(IMG, dpi=90)
    return IMG


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "docs_interferograms")))
