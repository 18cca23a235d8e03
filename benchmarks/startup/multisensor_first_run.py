"""First run of ``geohazard:multisensortimeseries`` on a fresh install (its numba kernels compile) against the second
run, through ``qgis_process`` on the command-line test's scene (two per-date series and an interferogram stack,
18 x 22 px), each with an empty ``NUMBA_CACHE_DIR`` of its own then that cache. Prints wall and CPU seconds of both
runs and the md5 of every output raster (the bytes must not depend on the cache).

Usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 benchmarks/startup/multisensor_first_run.py [OUT_DIR]
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))


def run(out: str, scene: dict, cache: str) -> dict:
    from osgeo import gdal

    os.makedirs(out, exist_ok=True)
    args = [f"SERIES={s}" for s in scene["series"]] + [
        f"MANIFEST={scene['manifest']}", "INCIDENCES=36,41", "HEADINGS=-12,192",
        f"OUTPUT_UP={out}/up.tif", f"OUTPUT_EAST={out}/east.tif", f"OUTPUT_SIGMA_UP={out}/sup.tif",
        f"OUTPUT_SIGMA_EAST={out}/se.tif", f"OUTPUT_VELOCITY={out}/v.tif", f"OUTPUT_REPORT={out}/r.csv"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NUMBA_CACHE_DIR": cache, "INSAR_GEOHAZARDS_COMPILE": "always",
           "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([shutil.which("qgis_process.bin"), "--json", "run", "geohazard:multisensortimeseries", "--",
                           *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    digests = {f: hashlib.md5(gdal.Open(os.path.join(out, f)).ReadAsArray().tobytes()).hexdigest()[:12]
               for f in sorted(os.listdir(out)) if f.endswith(".tif")}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "digests": digests}


def main() -> None:
    from testutils_multisensor import scene

    base = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ms_first_run_")
    shutil.rmtree(base, ignore_errors=True)
    sc = scene(os.path.join(base, "in"))
    cache = os.path.join(base, "numba_cache")
    os.makedirs(cache)
    cold = run(os.path.join(base, "cold"), sc, cache)
    warm = run(os.path.join(base, "warm"), sc, cache)
    import numba

    print(f"numba {numba.__version__}, load {os.getloadavg()[0]:.1f}")
    print(f"cold: {cold['wall_s']} s, {cold['cpu_s']} CPU-s; warm: {warm['wall_s']} s, {warm['cpu_s']} CPU-s")
    print("same outputs cold and warm:", cold["digests"] == warm["digests"], cold["digests"])


if __name__ == "__main__":
    main()
