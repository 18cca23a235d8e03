"""Synthetic DEM pairs of analytic terrain for the DEM-difference tests and benchmark: a DEM moved by any amount is
the same formula at moved coordinates (no interpolation), so the shift that aligns it is known exactly."""

import os

import numpy as np

DX = 10.0
GT = (700000.0, DX, 0.0, 9560000.0, 0.0, -DX)
#: The benchmark pair's shift that aligns the other DEM onto the reference: east, north, up (m).
TRUTH = (-13.7, 8.2, -2.5)


def terrain(x, y, x0=GT[0]):
    """Heights (m) of smooth hills at map coordinates ``(x, y)`` (m)."""
    return (300 + 60 * np.sin(x / 230.0) * np.cos(y / 310.0) + 25 * np.sin((x + 2 * y) / 97.0)
            + 12 * np.cos((3 * x - y) / 61.0) + 0.05 * (x - x0))


def write_pair(folder, rows, cols, *, truth=TRUTH, noise=0.3, seed=0):
    """``ref.tif`` = terrain, ``other.tif`` = terrain moved by ``-truth`` (+ noise) in ``folder``, on :data:`GT`
    (EPSG:32717), written in strips of 512 rows (bounded memory at any size); returns both paths."""
    from osgeo import gdal, osr

    os.makedirs(folder, exist_ok=True)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32717)
    paths = [os.path.join(folder, n) for n in ("ref.tif", "other.tif")]
    opts = ["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=IF_SAFER"]
    dss = [gdal.GetDriverByName("GTiff").Create(p, int(cols), int(rows), 1, gdal.GDT_Float32, opts) for p in paths]
    for ds in dss:
        ds.SetGeoTransform(GT)
        ds.SetProjection(srs.ExportToWkt())
    rng = np.random.default_rng(seed)
    x = GT[0] + (np.arange(int(cols)) + 0.5) * DX
    for r0 in range(0, int(rows), 512):
        xx, yy = np.meshgrid(x, GT[3] - (np.arange(r0, min(int(rows), r0 + 512)) + 0.5) * DX)
        dss[0].GetRasterBand(1).WriteArray(terrain(xx, yy).astype(np.float32), 0, r0)
        moved = terrain(xx + truth[0], yy + truth[1]) - truth[2] + rng.normal(0.0, noise, xx.shape)
        dss[1].GetRasterBand(1).WriteArray(moved.astype(np.float32), 0, r0)
    dss = None
    return paths


#: xDEM's NuthKaab on ``sys.argv[1:3]`` in the peers' venv: its shift and the fit's CPU seconds, as one JSON line.
XDEM_FIT = r"""
import json, resource, sys, xdem
ref, other = xdem.DEM(sys.argv[1]), xdem.DEM(sys.argv[2])
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
c0 = cpu(); nk = xdem.coreg.NuthKaab(); nk.fit(ref, other); aff = nk.meta["outputs"]["affine"]
print(json.dumps({"shift_m": [aff["shift_x"], aff["shift_y"], aff["shift_z"]], "fit_cpu_s": round(cpu() - c0, 2),
                  "xdem": xdem.__version__}))
"""


def our_fit(folder):
    """The tool's fit alone on ``folder``'s pair (its windows read, then ``coregister``): shift and CPU seconds."""
    import resource

    from insar_geohazards.algorithms.hazard import demdifference as dd
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard import demdifference as io

    ref, other = (os.path.join(folder, n) for n in ("ref.tif", "other.tif"))
    info = raster_info(ref)
    c0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    tiles = io.fit_tiles(ref, other, info, stable_wkb=None, exclude_wkb=None, names=("INPUT", "INPUT_2"))
    res = dd.coregister(tiles, dx_m=DX, dy_m=DX, geotransform=info.geotransform, n_rows=info.height,
                        n_cols=info.width, tilt=False)
    return {"shift_m": [res.shift_x_m, res.shift_y_m, res.shift_z_m],
            "fit_cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - c0, 2)}


def bench(out):
    """The benchmark case ``hazard/demdifference`` (benchmarks/ is at its line ceiling; the runner lives beside the
    pair it makes), in ``out``: the pair of ``SIZE`` cells a side (default 1000) made once, the whole qgis_process
    run (TILT=false, as NuthKaab; ``MAX_MEMORY_MB``, default 512), our fit alone and, unless ``PEER=none``, xDEM's
    fit in the peers' venv; one JSON line each."""
    import json

    from common import ROOT, loadavg, qgis_env, time_v

    size = int(os.environ.get("SIZE") or 1000)
    max_memory_mb, peer = os.environ.get("MAX_MEMORY_MB") or "512", os.environ.get("PEER") or "xdem"
    folder = os.path.join(out, f"pair_{size}")
    ref, other = (os.path.join(folder, n) for n in ("ref.tif", "other.tif"))
    if not os.path.exists(other):
        write_pair(folder, size, size)
    t = time_v(["qgis_process.bin", "--json", "run", "geohazard:demdifference", "--", f"INPUT={ref}",
                f"INPUT_2={other}", "TILT=false", f"OUTPUT={os.path.join(folder, 'dod.tif')}",
                f"MAX_MEMORY_MB={max_memory_mb}"], env=qgis_env())
    res = json.loads(t["stdout"][t["stdout"].index("{"):])["results"]
    print(json.dumps({"ours": [res[k] for k in ("SHIFT_X_M", "SHIFT_Y_M", "SHIFT_Z_M")], "cpu_s": t["cpu_s"],
                      "wall_s": t["wall_s"], "peak_rss_mb": t["peak_rss_mb"], "fit": our_fit(folder),
                      "load": loadavg()}))
    if peer == "xdem":
        x = time_v([os.path.join(ROOT, ".build", "venv-bench", "bin", "python"), "-c", XDEM_FIT, ref, other])
        print(json.dumps({"xdem": json.loads(x["stdout"].splitlines()[-1]), "cpu_s": x["cpu_s"],
                          "peak_rss_mb": x["peak_rss_mb"]}))


if __name__ == "__main__":
    import sys

    bench(*sys.argv[1:])
