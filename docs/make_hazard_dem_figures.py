"""Figures of docs/hazard.md (DEM difference and slope stability sections), from real runs of the tools on the bundled
Ecuador DEM (tests/data/ecuador_dem, 10 m, EPSG:32717).

1. hazard_demdifference.png: the DEM as the reference; the "other" DEM is the demo's SIMULATED one (the same terrain
   displaced 7.3 m east and 4.2 m north by a cubic-spline shift, 1.8 m higher, with 0.5 m of noise and a 12 m-high
   dump of 0.2 km2 added: demo/run_demo.py, write_simulated_dem_pair); the
   naive difference (other minus reference), the difference after `demdifference` (EXCLUDE_AREA: the dump's
   polygon), and a histogram of the stable ground before and after.
2. hazard_slopestability.png: `slopestability` on the same DEM (c' 6 kPa, phi' 35 degrees, gamma 18.5 kN/m3, z
   1.5 m, m 0.5): the factor-of-safety classes; and a second run, the probability of failure with c' 3-9 kPa and
   m 0.2-1 (400 draws).
Drawn with matplotlib's object API (Figure + FigureCanvasAgg).
Run: `make link` then /usr/bin/python3 docs/make_hazard_dem_figures.py
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from figure_common import image_panels, load_demo, start_processing  # noqa: E402

OUT = os.path.join(HERE, "img")
DEM = os.path.join(ROOT, "tests", "data", "ecuador_dem", "dem.tif")
DUMP = (713900.0, 9558400.0, 250.0)  # centre east, north and radius (m) of the demo's dump (ECUADOR_DUMP)


def _save(fig, name):
    """The figure as a PNG of 256 colours (noisy terrain maps compress badly in full colour)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    buf.seek(0)
    Image.open(buf).convert("RGB").quantize(256).save(os.path.join(OUT, name), optimize=True)


def make_pair(work):
    """The demo's SIMULATED second DEM and dump polygon (demo/run_demo.py); paths, the dump's volume (m3) and both
    DEMs as arrays."""
    from osgeo import gdal

    volume = load_demo().write_simulated_dem_pair(DEM, work)
    other_p = os.path.join(work, "simulated_ecuador_dem_2.tif")
    ref = gdal.Open(DEM).ReadAsArray().astype(float)
    other = gdal.Open(other_p).ReadAsArray().astype(float)
    return other_p, os.path.join(work, "simulated_ecuador_dump.gpkg"), volume, ref, other


def dem_figure(processing, work):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from osgeo import gdal, ogr

    other_p, dump_p, volume, ref, other = make_pair(work)
    res = processing.run("geohazard:demdifference", {
        "INPUT": DEM, "INPUT_2": other_p, "EXCLUDE_AREA": dump_p, "OUTPUT": os.path.join(work, "dod.tif"),
        "OUTPUT_VOLUMES": os.path.join(work, "volumes.gpkg")})
    dod = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    naive = other - ref
    vds = ogr.Open(res["OUTPUT_VOLUMES"])
    f = vds.GetLayer(0).GetNextFeature()
    print(f"demdifference: shift {res['SHIFT_X_M']:.2f} E {res['SHIFT_Y_M']:.2f} N {res['SHIFT_Z_M']:.2f} U m, "
          f"NMAD {res['NMAD_M']:.3f} m; dump {f['net_m3']:.0f} m3 (made: {volume:.0f} m3), sigma {f['sigma_m3']:.0f}")
    r, c = np.mgrid[0:ref.shape[0], 0:ref.shape[1]]
    ds = gdal.Open(DEM)
    gt = ds.GetGeoTransform()
    dist2 = (gt[0] + (c + 0.5) * gt[1] - DUMP[0]) ** 2 + (gt[3] + (r + 0.5) * gt[5] - DUMP[1]) ** 2
    far = dist2 > (1.3 * DUMP[2]) ** 2
    nmad = [1.4826 * np.nanmedian(np.abs(d[far] - np.nanmedian(d[far]))) for d in (naive, dod)]
    fig = Figure(figsize=(15, 4.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    style = dict(cmap="RdBu", vmin=-12, vmax=12, interpolation="nearest")
    for ax, arr, title in ((axes[0], naive, f"Naive difference (m): NMAD {nmad[0]:.2f} m off the dump"),
                           (axes[1], dod, f"After demdifference (m): NMAD {nmad[1]:.2f} m")):
        im = ax.imshow(arr, **style)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.85)
    axes[1].text(5, 405, f"dump: {f['net_m3'] / 1e3:.0f} +/- {f['sigma_m3'] / 1e3:.0f} thousand m3 "
                         f"(made {volume / 1e3:.0f})", fontsize=9, color="k", va="bottom")
    ax = axes[2]
    bins = np.linspace(-15, 15, 121)
    ax.hist(naive[far & np.isfinite(naive)], bins=bins, histtype="step", color="0.5", label="naive")
    ax.hist(dod[far & np.isfinite(dod)], bins=bins, histtype="step", color="C3", label="co-registered")
    ax.set_xlabel("difference on stable ground (m)")
    ax.set_ylabel("cells")
    ax.set_title(f"Shift applied: {res['SHIFT_X_M']:.2f} m E, {res['SHIFT_Y_M']:.2f} m N, "
                 f"{res['SHIFT_Z_M']:.2f} m up", fontsize=10)
    ax.legend(fontsize=9)
    fig.tight_layout()
    _save(fig, "hazard_demdifference.png")


def slope_figure(processing, work):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from osgeo import gdal

    soil = {"DEM": DEM, "COHESION_KPA": 6.0, "FRICTION_DEG": 35.0, "UNIT_WEIGHT_KN_M3": 18.5, "SOIL_DEPTH_M": 1.5,
            "WETNESS": 0.5}
    res = processing.run("geohazard:slopestability", dict(soil, OUTPUT=os.path.join(work, "fs.tif"),
                                                          OUTPUT_CLASSES=os.path.join(work, "classes.tif")))
    mc = processing.run("geohazard:slopestability", dict(
        soil, COHESION_KPA=3.0, COHESION_KPA_MAX=9.0, WETNESS=0.2, WETNESS_MAX=1.0, SAMPLES=400,
        OUTPUT=os.path.join(work, "fs_mc.tif"), OUTPUT_PROBABILITY=os.path.join(work, "p.tif")))
    classes = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray().astype(float)
    prob = gdal.Open(mc["OUTPUT_PROBABILITY"]).ReadAsArray().astype(float)
    classes[classes == 0] = np.nan
    shares = [float(np.nanmean(classes == k)) for k in (1, 2, 3, 4)]
    print("slopestability: class shares " + ", ".join(f"{s:.3f}" for s in shares)
          + f"; probability > 0.5 on {np.nanmean(prob > 0.5):.3f}")
    fig = Figure(figsize=(12, 4.8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    cmap = ListedColormap(["#d7191c", "#fdae61", "#ffffbf", "#1a9641"])
    bars = image_panels(fig, axes, [
        (classes, {"cmap": cmap, "vmin": 0.5, "vmax": 4.5, "interpolation": "nearest"},
         f"FS classes (c' 6 kPa, phi' 35, z 1.5 m, m 0.5): {100 * shares[0]:.0f} % FS < 1", {"ticks": [1, 2, 3, 4]}),
        (prob, {"cmap": "Reds", "vmin": 0, "vmax": 1, "interpolation": "nearest"},
         "Probability of failure (c' 3-9 kPa, m 0.2-1, 400 draws)")], fontsize=10, shrink=0.85)
    bars[0].ax.set_yticklabels(["FS < 1", "1-1.3", "1.3-1.5", ">= 1.5"])
    fig.tight_layout()
    _save(fig, "hazard_slopestability.png")


def main():
    app, plugin, processing = start_processing()
    with tempfile.TemporaryDirectory() as work:
        dem_figure(processing, work)
        slope_figure(processing, work)
    del plugin, app


if __name__ == "__main__":
    main()
