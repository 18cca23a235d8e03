"""DEM co-registration and difference: `demdifference` (qgis_process) beside xDEM's NuthKaab on the same pair.

Steps:
  make DIR ROWS COLS        an analytic terrain pair (10 m cells, UTM 17S): ref = z(x, y); other = z(x - 13.7,
                            y + 8.2) + 2.5 m + 0.3 m of noise (so the shift that aligns other is -13.7 E, +8.2 N,
                            -2.5 m), written in strips (bounded memory at any size)
  ours DIR OUT [MAX_MB]     qgis_process run geohazard:demdifference (TILT=false, as xDEM's NuthKaab), timed
  core DIR                  the fit alone (the tool's windows read, then algorithms.hazard.demdifference.coregister),
                            its CPU-s beside xDEM's fit_cpu_s
  xdem DIR                  xDEM's NuthKaab().fit on the same files in the peers' venv, timed; its shifts
Each prints one JSON line: the shift found (m), its error against the truth in cells, CPU-s and peak RSS.
"""

import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from common import loadavg, qgis_env, steps, time_v  # noqa: E402

DX = 10.0
GT = (700000.0, DX, 0.0, 9560000.0, 0.0, -DX)
TRUTH = (-13.7, 8.2, -2.5)  # the shift that aligns other onto ref: east, north, up (m)


def terrain(x, y):
    return (300 + 60 * np.sin(x / 230.0) * np.cos(y / 310.0) + 25 * np.sin((x + 2 * y) / 97.0)
            + 12 * np.cos((3 * x - y) / 61.0) + 0.05 * (x - GT[0]))


def make(folder, rows, cols):
    from common import create_tif

    rows, cols = int(rows), int(cols)
    os.makedirs(folder, exist_ok=True)
    opts = ["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=IF_SAFER"]
    ref = create_tif(os.path.join(folder, "ref.tif"), rows, cols, gt=GT, epsg=32717, options=opts)
    other = create_tif(os.path.join(folder, "other.tif"), rows, cols, gt=GT, epsg=32717, options=opts)
    rng = np.random.default_rng(0)
    x = GT[0] + (np.arange(cols) + 0.5) * DX
    for r0 in range(0, rows, 512):
        r1 = min(rows, r0 + 512)
        y = GT[3] - (np.arange(r0, r1) + 0.5) * DX
        xx, yy = np.meshgrid(x, y)
        ref.GetRasterBand(1).WriteArray(terrain(xx, yy).astype(np.float32), 0, r0)
        moved = terrain(xx + TRUTH[0], yy + TRUTH[1]) - TRUTH[2] + rng.normal(0.0, 0.3, xx.shape)
        other.GetRasterBand(1).WriteArray(moved.astype(np.float32), 0, r0)
    ref = other = None


def _report(side, shift, t, **extra):
    err = [abs(shift[0] - TRUTH[0]) / DX, abs(shift[1] - TRUTH[1]) / DX]
    print(json.dumps({"side": side, "shift_m": [round(s, 4) for s in shift], "error_cells": [round(e, 4) for e in err],
                      "vertical_error_m": round(abs(shift[2] - TRUTH[2]), 4), "cpu_s": t["cpu_s"],
                      "wall_s": t["wall_s"], "peak_rss_mb": t["peak_rss_mb"], "load": loadavg(), **extra}))


def ours(folder, out, max_mb="512"):
    os.makedirs(out, exist_ok=True)
    cmd = ["qgis_process.bin", "--json", "run", "geohazard:demdifference", "--",
           f"INPUT={os.path.join(folder, 'ref.tif')}", f"INPUT_2={os.path.join(folder, 'other.tif')}", "TILT=false",
           f"OUTPUT={os.path.join(out, 'dod.tif')}", f"MAX_MEMORY_MB={max_mb}"]
    t = time_v(cmd, env=qgis_env())
    res = json.loads(t["stdout"][t["stdout"].index("{"):])["results"]
    _report("ours", (res["SHIFT_X_M"], res["SHIFT_Y_M"], res["SHIFT_Z_M"]), t, nmad_m=res["NMAD_M"],
            max_memory_mb=float(max_mb))


def core(folder):
    from common import cpu_s

    from insar_geohazards.algorithms.hazard import demdifference as dd
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard import dem_difference as io

    ref, other = os.path.join(folder, "ref.tif"), os.path.join(folder, "other.tif")
    info = raster_info(ref)
    c0 = cpu_s()
    tiles = io.fit_tiles(ref, other, info, stable_wkb=None, exclude_wkb=None, names=("INPUT", "INPUT_2"))
    c1 = cpu_s()
    res = dd.coregister(tiles, dx_m=DX, dy_m=DX, geotransform=info.geotransform, n_rows=info.height,
                        n_cols=info.width, tilt=False)
    c2 = cpu_s()
    t = {"cpu_s": round(c2 - c0, 2), "wall_s": float("nan"), "peak_rss_mb": float("nan")}
    _report("ours_core", (res.shift_x_m, res.shift_y_m, res.shift_z_m), t, read_cpu_s=round(c1 - c0, 2),
            fit_cpu_s=round(c2 - c1, 2), iterations=res.iterations)


_XDEM = r"""
import json, resource, sys, time
import xdem
ref = xdem.DEM(sys.argv[1]); other = xdem.DEM(sys.argv[2])
c0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
nk = xdem.coreg.NuthKaab()
nk.fit(ref, other)
c1 = resource.getrusage(resource.RUSAGE_SELF)
aff = nk.meta["outputs"]["affine"]
print(json.dumps({"shift": [aff["shift_x"], aff["shift_y"], aff["shift_z"]], "version": xdem.__version__,
                  "fit_cpu_s": round(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime, 2),
                  "fit_wall_s": round(time.perf_counter() - t0, 2)}))
"""


def xdem(folder):
    venv = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "venv-bench", "bin", "python")
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    t = time_v([venv, "-c", _XDEM, os.path.join(folder, "ref.tif"), os.path.join(folder, "other.tif")], env=env)
    res = json.loads(t["stdout"].strip().splitlines()[-1])
    _report("xdem", res["shift"], t, xdem=res["version"], fit_cpu_s=res["fit_cpu_s"], fit_wall_s=res["fit_wall_s"])


if __name__ == "__main__":
    assert math.isfinite(DX)
    steps(__doc__, make=make, ours=ours, core=core, xdem=xdem)
