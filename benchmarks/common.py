"""What the benchmark scripts share (importable as ``common``: setup_env.sh puts benchmarks/, tests/ and the plugin
link on PYTHONPATH): the paths, a command or a ``qgis_process`` run timed under ``/usr/bin/time -v``, the load and
the CPU, inputs read into the page cache, GeoTIFFs read and written, result JSON written, and a command line's
step and ``--name value`` options."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
_TIME_V = {"user_s": r"User time \(seconds\): ([\d.]+)", "sys_s": r"System time \(seconds\): ([\d.]+)",
           "peak_rss_mb": r"Maximum resident set size \(kbytes\): (\d+)",
           "major_faults": r"Major \(requiring I/O\) page faults: (\d+)"}


def parse_time_v(text):
    """{user_s, sys_s, cpu_s, peak_rss_mb, major_faults} from what ``/usr/bin/time -v`` wrote."""
    out = {}
    for key, pattern in _TIME_V.items():
        m = re.search(pattern, text)
        out[key] = float(m.group(1)) if m else float("nan")
    out["peak_rss_mb"] = round(out["peak_rss_mb"] / 1024.0, 1)
    out["cpu_s"] = round(out["user_s"] + out["sys_s"], 2)
    return out


def time_v(cmd, *, env=None, cwd=None, check=True):
    """Run ``cmd`` under ``/usr/bin/time -v``: {wall_s, rc, stdout, stderr} and :func:`parse_time_v`'s figures
    (CPU of its waited-for children included, peak RSS of its largest process); a failure ends the benchmark."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True, env=env, cwd=cwd)
    out = {"wall_s": round(time.perf_counter() - t0, 3), "rc": proc.returncode, "stdout": proc.stdout,
           "stderr": proc.stderr, **parse_time_v(proc.stderr)}
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(map(str, cmd[:4]))}")
    return out


def qgis_env(threads=None, **extra):
    """The environment of a headless ``qgis_process`` with this checkout's plugin; ``threads`` caps numba, OpenMP
    and OpenBLAS. Python writes the plugin's compiled modules beside them as a user's QGIS does (a shell's
    PYTHONDONTWRITEBYTECODE left out, as the Makefile does): with it set and no ``__pycache__`` up to date (a fresh
    checkout, a module changed by a merge), every ``qgis_process`` start compiles the plugin's modules again,
    0.35-0.5 CPU-s of a Corrected SBAS model run no user pays after the first."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=PLUGINS)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if threads:
        env.update({k: str(threads) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    return {**env, **{k: str(v) for k, v in extra.items()}}


def qgis_cmd(tool, params):
    return ["qgis_process.bin", "run", f"geohazard:{tool}", "--"] + [f"{k}={v}" for k, v in params.items()]


def qgis_run(tool, params, *, env=None, **kw):
    """One whole ``qgis_process run geohazard:TOOL`` timed (see :func:`time_v`)."""
    return time_v(qgis_cmd(tool, params), env=env or qgis_env(), **kw)


def compile_family(env, family):
    """The kernel family ``family`` compiled into the cache of ``env`` (its NUMBA_CACHE_DIR) at normal priority by
    the warm-up command, as a user's "compile every kernel ahead" does: it passes by a background compile a first
    run left below normal priority. Returns {wall_s, cpu_s, log}: what a compiled run's cache cost after a first
    run on the numpy path."""
    out = time_v([sys.executable, "-m", "insar_geohazards.warm_kernels", family],
                 env={**env, "PYTHONPATH": PLUGINS + os.pathsep + env.get("PYTHONPATH", "")})
    return {"wall_s": out["wall_s"], "cpu_s": out["cpu_s"], "log": (out["stdout"] + out["stderr"])[-2000:]}


def cpu_s(children=False):
    """User + system CPU seconds of this process so far, every thread (numba's and GDAL's included); with
    ``children``, of the child processes it waited for instead."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model():
    """The CPU's model name as /proc/cpuinfo gives it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        names = []
    return names[0] if names else "unknown CPU"


def fresh(folder):
    """An empty folder (the previous run's outputs removed untimed)."""
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def warm(paths):
    """Write back what the previous run left dirty (not billed to the next), then read ``paths`` once so both
    sides start with their inputs in the page cache."""
    os.sync()
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass


def read_tif(path, dtype="float64"):
    """Every band of ``path`` (as ``dtype``; None: as stored)."""
    from osgeo import gdal

    arr = gdal.Open(path).ReadAsArray()
    return arr if dtype is None else arr.astype(dtype)


GT = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)  # 20 m pixels in UTM 33N: the synthetic rasters' default


def create_tif(path, rows, cols, bands=1, *, gt=GT, epsg=32633, dtype=None, options=(), nodata=None):
    """An empty GeoTIFF, open, to write band by band or in strips (``dtype``: a GDAL data type, default Float32;
    ``epsg``: an EPSG code or a WKT; ``options``: GDAL creation options; ``nodata`` set on every band)."""
    from osgeo import gdal, osr

    ds = gdal.GetDriverByName("GTiff").Create(str(path), cols, rows, bands, dtype or gdal.GDT_Float32, list(options))
    ds.SetGeoTransform(gt)
    srs = osr.SpatialReference()
    if isinstance(epsg, int):
        srs.ImportFromEPSG(epsg)
    else:
        srs.ImportFromWkt(epsg)
    ds.SetProjection(srs.ExportToWkt())
    for i in range(bands if nodata is not None else 0):
        ds.GetRasterBand(i + 1).SetNoDataValue(nodata)
    return ds


def write_tif(path, arr, *, dtype=None, descriptions=None, **kw):
    """A GeoTIFF of a 2-D or (bands, rows, cols) array (Float32, or CFloat32 for complex values, unless ``dtype``
    says); the other keywords as :func:`create_tif`'s. Returns ``path``."""
    import numpy as np
    from osgeo import gdal

    arr = np.asarray(arr)
    arr = arr[None] if arr.ndim == 2 else arr
    if dtype is None:
        dtype = gdal.GDT_CFloat32 if np.iscomplexobj(arr) else gdal.GDT_Float32
    ds = create_tif(path, arr.shape[1], arr.shape[2], arr.shape[0], dtype=dtype, **kw)
    for i in range(arr.shape[0]):
        if descriptions:
            ds.GetRasterBand(i + 1).SetDescription(descriptions[i])
        ds.GetRasterBand(i + 1).WriteArray(arr[i])
    ds = None
    return str(path)


def save_json(path, obj, **kw):
    """``obj`` as indented JSON at ``path`` (its folder made)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, **{"indent": 1, **kw})


def steps(doc, **functions):
    """Run the step the command line names (``SCRIPT STEP ARG ...``, ``-`` for ``_`` in the name) with its arguments;
    without a known step, ``doc`` (the script's usage)."""
    name = sys.argv[1].replace("-", "_") if len(sys.argv) > 1 else ""
    if name not in functions:
        raise SystemExit(doc)
    functions[name](*sys.argv[2:])


def option(argv, name, default=None, cast=str):
    """The value after ``--name`` in ``argv``, cast, or ``default``."""
    return cast(argv[argv.index(name) + 1]) if name in argv else default


def write_patched_fault(path, side_px, px, patches):
    """A GeoPackage of ``patches`` fault lines end to end along the middle row of a ``side_px`` grid of ``px`` m
    pixels from :data:`GT` (EPSG:32633), 4 km in from each side, each with 1 m of reverse slip (a fault in patches
    along strike)."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("faults", srs, ogr.wkbLineString)
    for name in ("slip_m", "rake_deg"):
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    length = (side_px * px - 8000.0) / patches
    for k in range(patches):
        x0, y0 = GT[0] + 4000.0 + k * length, GT[3] - side_px * px / 2
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"LINESTRING ({x0} {y0}, {x0 + length} {y0})"))
        f.SetField("slip_m", 1.0)
        f.SetField("rake_deg", 90.0)
        lyr.CreateFeature(f)
    ds = None
