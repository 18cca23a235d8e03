"""Run the time-series tools on the bundled real data through qgis_process and draw the
figures of docs/timeseries.md (docs/img/timeseries_*.png).

Run: `make link` then /usr/bin/python3 docs/make_timeseries_figures.py [WORK_DIR]
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "tests", "data")
IMG = os.path.join(ROOT, "docs", "img")
MEX = os.path.join(DATA, "sentinel1_mexico_city")
REF = "-99.1780,19.4400 [EPSG:4326]"


def run(alg, params):
    args = ["qgis_process.bin", "--json", "run", alg, "--"]
    for k, v in params.items():
        for item in (v if isinstance(v, list) else [v]):
            args.append(f"{k}={item}")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    if p.returncode:
        raise SystemExit(p.stdout[-3000:] + p.stderr[-3000:])
    return json.loads(p.stdout[p.stdout.index("{"):])["results"]


def read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    gt = ds.GetGeoTransform()
    ext = (gt[0], gt[0] + gt[1] * ds.RasterXSize, gt[3] + gt[5] * ds.RasterYSize, gt[3])
    return ds.ReadAsArray().astype(float), ext, ds


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    work = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "ts_figures"))
    os.makedirs(work, exist_ok=True)
    os.makedirs(IMG, exist_ok=True)
    folder = os.path.join(MEX, "geotiffs")
    outs = {k: os.path.join(work, f"mx_{k.lower()}.tif") for k in (
        "OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT")}
    run("geohazard:sbasinversion", {"INTERFEROGRAMS": folder, "COHERENCE": folder, "WEIGHTING": 1,
                                    "BASELINES": os.path.join(MEX, "baselines"), "REFERENCE": REF,
                                    "OUTPUT_REPORT": os.path.join(work, "mx_network.html"), **outs})
    stk = run("geohazard:stackingvelocity", {"INTERFEROGRAMS": folder, "REFERENCE": REF,
                                             "OUTPUT_VELOCITY": os.path.join(work, "mx_stack.tif")})
    pgs = run("geohazard:phasegradientstacking", {"INTERFEROGRAMS": folder, "MAX_TEMPORAL_BASELINE": 48,
                                                  "OUTPUT": os.path.join(work, "mx_pgs.tif")})
    v, ext, _ = read(outs["OUTPUT_VELOCITY"])
    tc, _, _ = read(outs["OUTPUT_TEMPORAL_COHERENCE"])
    sv, _, _ = read(stk["OUTPUT_VELOCITY"])
    g, _, _ = read(pgs["OUTPUT"])
    ts, _, tds = read(outs["OUTPUT_TIMESERIES"])
    dates = [np.datetime64(tds.GetRasterBand(i + 1).GetDescription()) for i in range(tds.RasterCount)]

    fig, ax = plt.subplots(2, 2, figsize=(11, 6.6), dpi=110)
    lim = 300
    im = ax[0, 0].imshow(v, extent=ext, cmap="RdBu", vmin=-lim, vmax=lim)
    ax[0, 0].plot(-99.1780, 19.4400, "k^", ms=7)
    ax[0, 0].set_title("SBAS velocity, mm/yr LOS (+ toward satellite)")
    fig.colorbar(im, ax=ax[0, 0])
    im = ax[0, 1].imshow(sv, extent=ext, cmap="RdBu", vmin=-lim, vmax=lim)
    ax[0, 1].set_title("Rate stacking velocity, mm/yr")
    fig.colorbar(im, ax=ax[0, 1])
    im = ax[1, 0].imshow(tc, extent=ext, cmap="viridis", vmin=0.5, vmax=1)
    ax[1, 0].set_title("Temporal coherence")
    fig.colorbar(im, ax=ax[1, 0])
    im = ax[1, 1].imshow(g, extent=ext, cmap="magma", vmin=0, vmax=np.nanpercentile(g, 98))
    ax[1, 1].set_title("Phase-gradient stack, mm/yr per pixel (<= 48 d)")
    fig.colorbar(im, ax=ax[1, 1])
    for a in ax.ravel():
        a.set_xlabel("lon")
        a.set_ylabel("lat")
        a.tick_params(labelsize=7)
    fig.suptitle("Mexico City, Sentinel-1 VV, 30 interferograms, 13 dates 2018-01-06..07-17 (PyRate cropA)")
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "timeseries_mexico_maps.png"))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    for (r, c), label in (((30, 90), "east (bowl)"), ((30, 55), "centre"), ((30, 8), "west (near reference)")):
        ax.plot(dates, ts[:, r, c], "o-", label=f"{label}: {v[r, c]:.0f} mm/yr")
    ax.set_ylabel("LOS displacement (mm)")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Mexico City SBAS time series (coherence-weighted), three pixels of row 30")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "timeseries_mexico_series.png"))
    plt.close(fig)
    os.replace(os.path.join(work, "mx_network.png"), os.path.join(IMG, "timeseries_mexico_network.png"))

    env_files = sorted(glob.glob(os.path.join(DATA, "envisat_small_test", "tif", "*_unw.tif")))
    eo = {k: os.path.join(work, f"ev_{k.lower()}.tif") for k in outs}
    run("geohazard:sbasinversion", {"INTERFEROGRAMS": env_files, "WAVELENGTH_M": 0.0562356,
                                    "ISBAS_MIN_COUNT": 12, "MIN_TEMPORAL_COHERENCE": 0.5, **eo})
    ev, eext, _ = read(eo["OUTPUT_VELOCITY"])
    en, _, _ = read(eo["OUTPUT_COHCOUNT"])
    fig, ax = plt.subplots(1, 2, figsize=(8, 4.5), dpi=110)
    lim = np.nanpercentile(np.abs(ev), 98)
    im = ax[0].imshow(ev, extent=eext, cmap="RdBu", vmin=-lim, vmax=lim)
    ax[0].set_title("Envisat ISBAS velocity, mm/yr")
    fig.colorbar(im, ax=ax[0])
    im = ax[1].imshow(np.where(en >= 0, en, np.nan), extent=eext, cmap="viridis", vmin=0, vmax=17)
    ax[1].set_title("Interferograms used (of 17)")
    fig.colorbar(im, ax=ax[1])
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "timeseries_envisat.png"))
    plt.close(fig)
    print(json.dumps({"mexico_velocity_p10_east": float(np.nanpercentile(v[:, 70:], 10)),
                      "mexico_velocity_median_west": float(np.nanmedian(v[:, :15])),
                      "mexico_stack_vs_sbas_median_abs_diff": float(np.nanmedian(np.abs(sv - v))),
                      "mexico_tcoh_median": float(np.nanmedian(tc)),
                      "envisat_velocity_p2_p98": [float(np.nanpercentile(ev, 2)), float(np.nanpercentile(ev, 98))],
                      "envisat_valid_fraction": float(np.isfinite(ev).mean())}, indent=1))


if __name__ == "__main__":
    main()
