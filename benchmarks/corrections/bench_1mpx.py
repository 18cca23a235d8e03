"""Speed at 1 Mpx x 202 interferograms: rampremoval / troposphericcorrection (whole qgis_process runs) against
MintPy 1.6.4's ``deramp`` / ``tropo_phase_elevation`` (reading and writing ifgramStack.h5) in the same session.

    make bench FAMILY=corrections CASE=ramp_1mpx   (bench_1mpx.py STACK_FOLDER VENV_PYTHON [--threads 2])

STACK_FOLDER: benchmarks/timeseries/make_stack.py's stack; a synthetic DEM and the outputs go to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile

from common import loadavg, qgis_env, qgis_run, time_v, write_tif

MINTPY = r'''
import sys, time, json
import numpy as np, h5py
t0 = time.time()
task, h5, dem_path, out, threads = sys.argv[1:6]
with h5py.File(h5, "r") as f:
    data = f["unwrapPhase"][:]
t_read = time.time() - t0
if task == "ramp":
    from mintpy.objects.ramp import deramp
    corr, _ = deramp(data, mask_in=None, ramp_type="linear", max_num_sample=None)
else:
    from argparse import Namespace
    import contextlib, io
    from mintpy.tropo_phase_elevation import estimate_phase_elevation_ratio, estimate_tropospheric_delay
    from mintpy.utils import writefile
    from osgeo import gdal
    dem = gdal.Open(dem_path).ReadAsArray().astype(np.float32)
    mfile = out + ".mask.h5"
    writefile.write({"mask": np.ones(dem.shape, bool)}, out_file=mfile,
                    metadata={"FILE_TYPE": "mask", "LENGTH": dem.shape[0], "WIDTH": dem.shape[1]})
    inps = Namespace(mask_file=mfile, threshold=0.0, poly_order=1, num_multilook=8,
                     date_list=[str(i) for i in range(data.shape[0])])
    with contextlib.redirect_stdout(io.StringIO()):
        x = estimate_phase_elevation_ratio(dem, np.nan_to_num(data), inps)
        delay = estimate_tropospheric_delay(dem, x, {"REF_Y": 0, "REF_X": 0})
    corr = data - delay
t_comp = time.time() - t0 - t_read
with h5py.File(out, "w") as f:
    f.create_dataset("unwrapPhase", data=corr.astype(np.float32), chunks=(corr.shape[0], 128, 128))
print(json.dumps({"read_s": t_read, "compute_s": t_comp, "total_s": time.time() - t0}))
'''


def make_dem(stack: str, path: str) -> str:
    import numpy as np
    from osgeo import gdal

    first = sorted(f for f in os.listdir(os.path.join(stack, "tif")) if f.endswith("_unw.tif"))[0]
    src = gdal.Open(os.path.join(stack, "tif", first))
    h, w = src.RasterYSize, src.RasterXSize
    yy, xx = np.mgrid[0:h, 0:w]
    dem = 800 + 600 * np.exp(-(((xx - 0.6 * w) / (0.3 * w)) ** 2 + ((yy - 0.4 * h) / (0.3 * h)) ** 2)) + 0.05 * xx
    return write_tif(path, dem, gt=src.GetGeoTransform(), epsg=src.GetProjection(),
                     options=["TILED=YES", "COMPRESS=DEFLATE"])


def ours(alg: str, params: dict, threads: int) -> float:
    return qgis_run(alg, params, env=qgis_env(GDAL_NUM_THREADS=threads, NUMBA_NUM_THREADS=threads,
                                              OMP_NUM_THREADS=threads))["wall_s"]


def mintpy(python: str, task: str, stack: str, dem: str, out: str, threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    run = time_v([python, "-c", MINTPY, task, os.path.join(stack, "ifgramStack.h5"), dem, out, threads], env=env)
    return {**json.loads(run["stdout"].strip().splitlines()[-1]), "wall_s": run["wall_s"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stack")
    ap.add_argument("python")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_corrections_")
    try:
        dem = make_dem(a.stack, os.path.join(tmp, "dem.tif"))
        tif = os.path.join(a.stack, "tif")
        print(f"load before: {loadavg()}")
        r = {}
        r["ours_rampremoval_s"] = ours("rampremoval", {"INTERFEROGRAMS": tif, "OUTPUT": os.path.join(tmp, "ramp")},
                                       a.threads)
        shutil.rmtree(os.path.join(tmp, "ramp"), ignore_errors=True)
        r["mintpy_deramp"] = mintpy(a.python, "ramp", a.stack, dem, os.path.join(tmp, "m_ramp.h5"), a.threads)
        os.remove(os.path.join(tmp, "m_ramp.h5"))
        r["ours_phase_elevation_s"] = ours("troposphericcorrection", {
            "INTERFEROGRAMS": tif, "DEM": dem, "OUTPUT": os.path.join(tmp, "tropo")}, a.threads)
        shutil.rmtree(os.path.join(tmp, "tropo"), ignore_errors=True)
        r["mintpy_phase_elevation"] = mintpy(a.python, "tropo", a.stack, dem, os.path.join(tmp, "m_tropo.h5"),
                                             a.threads)
        print(f"load after: {loadavg()}")
        print(json.dumps(r, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
