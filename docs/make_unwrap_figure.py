"""Figure of docs/unwrap.md: the demo's SIMULATED SLC stack through the shipped model
geohazard:slcstacktotimeseries (run exactly as `make demo` runs it, through qgis_process).

    make link && /usr/bin/python3 docs/make_unwrap_figure.py [WORK_FOLDER]

Writes docs/img/unwrap_simulated_slc_model.png: the longest wrapped interferogram of the network,
its unwrapped phase and connected components, and the SBAS velocity against the simulated truth.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import os
import sys

import figure_common

ROOT = figure_common.ROOT
IMG = os.path.join(ROOT, "docs", "img", "unwrap_simulated_slc_model.png")
ALG = "geohazard:slcstacktotimeseries"


def _read(path):
    import numpy as np
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    ds = None
    if np.iscomplexobj(arr):
        return arr
    arr = arr.astype(float)
    if nodata is not None and np.isfinite(nodata):
        arr[arr == nodata] = np.nan
    return arr


def main(work: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    demo = figure_common.run_demo_step(work, ALG)

    # the longest interferogram (most fringes); among equals, the fewest residues
    with open(os.path.join(work, "simulated_unwrap_report.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    def span(name):
        a, b = (dt.datetime.strptime(x, "%Y%m%d") for x in name.split("_"))
        return (b - a).days

    best = max(rows, key=lambda r: (span(r["interferogram"]), -int(r["residues"])))["interferogram"]
    wrapped = _read(glob.glob(os.path.join(work, "simulated_wrapped", best + "*.tif"))[0])
    wrapped = np.angle(wrapped) if np.iscomplexobj(wrapped) else wrapped
    unw = _read(os.path.join(work, "simulated_unwrapped", best + ".unw.tif"))
    cc = _read(os.path.join(work, "simulated_unwrapped", best + ".conncomp.tif"))
    truth = _read(os.path.join(work, "simulated_slc", demo.SIMULATED_TRUTH))
    vel = _read(os.path.join(work, "simulated_velocity.tif"))
    e = demo.velocity_error(os.path.join(work, "simulated_velocity.tif"),
                            os.path.join(work, "simulated_slc", demo.SIMULATED_TRUTH))
    vel_c = vel - e["offset"]
    px = demo.SIMULATED_GEOTRANSFORM[1]
    rows_, cols_ = truth.shape
    extent = (0, cols_ * px / 1000.0, rows_ * px / 1000.0, 0)

    fig, ax = plt.subplots(2, 3, figsize=(15, 8.6))
    d1, d2 = best.split("_")
    title = f"{d1[:4]}-{d1[4:6]}-{d1[6:]} / {d2[:4]}-{d2[4:6]}-{d2[6:]} ({span(best)} days)"

    def show(a, data, t, cmap, label, ticks=None, **kw):
        im = a.imshow(data, cmap=cmap, extent=extent, interpolation="nearest", **kw)
        a.set_title(t, fontsize=11)
        a.set_xlabel("east (km)")
        a.set_ylabel("south (km)")
        fig.colorbar(im, ax=a, shrink=0.85, label=label, ticks=ticks)

    show(ax[0, 0], wrapped, f"Wrapped interferogram (phase linking)\n{title}", "twilight",
         "phase (rad)", vmin=-np.pi, vmax=np.pi)
    show(ax[0, 1], unw, "Unwrapped phase (built-in backend)\nsame interferogram; white = not unwrapped",
         "viridis", "phase (rad)")
    cc = np.nan_to_num(cc, nan=0.0)  # 0 = not unwrapped (the file's nodata)
    ncomp = int(cc.max())
    show(ax[0, 2], cc, f"Connected components\n(0 = not unwrapped: {int((cc == 0).sum())} px; "
         f"{ncomp} component{'s' * (ncomp != 1)})", plt.get_cmap("tab10", max(ncomp + 1, 2)), "component",
         ticks=list(range(max(ncomp, 1) + 1)), vmin=-0.5, vmax=max(ncomp, 1) + 0.5)
    lim = float(np.nanmax(np.abs(truth)))
    show(ax[1, 0], truth, "SIMULATED truth: LOS velocity", "YlOrRd_r", "mm/yr (+ toward satellite)",
         vmin=-lim, vmax=0)
    show(ax[1, 1], vel_c, f"SBAS velocity from the model\n(reference offset {e['offset']:+.1f} mm/yr removed)",
         "YlOrRd_r", "mm/yr (+ toward satellite)", vmin=-lim, vmax=0)
    ok = np.isfinite(vel_c) & np.isfinite(truth)
    a = ax[1, 2]
    a.plot(truth[ok], vel_c[ok], ".", ms=2, alpha=0.4, color="tab:blue", label="pixels")
    a.plot([-lim, 0], [-lim, 0], "k--", lw=1, label="1:1")
    a.set_xlim(-1.08 * lim, 0.05 * lim)
    a.set_ylim(-1.08 * lim, 0.05 * lim)
    a.set_xlabel("simulated velocity (mm/yr)")
    a.set_ylabel("SBAS velocity (mm/yr)")
    a.set_title(f"SBAS vs truth: RMS {e['rms']:.1f} mm/yr, r = {e['correlation']:.3f}\n"
                f"{e['pixels']} pixels ({100 * e['share']:.1f} %)", fontsize=11)
    a.set_aspect("equal")
    a.grid(alpha=0.3)
    a.legend(loc="upper left")
    n = len(glob.glob(os.path.join(work, "simulated_slc", "slc_*.tif")))
    fig.suptitle(f"SIMULATED SLC stack ({n} dates, {rows_} x {cols_} px of {px:.0f} m, seed "
                 f"{demo.SIMULATION['seed']}) through the model SLC stack to time series "
                 "(amplitude dispersion -> phase linking -> unwrap -> SBAS)", fontsize=12)
    fig.tight_layout()
    os.makedirs(os.path.dirname(IMG), exist_ok=True)
    fig.savefig(IMG, dpi=100)
    print(f"wrote {IMG}")
    return IMG


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "/tmp/unwrap_figure"))
