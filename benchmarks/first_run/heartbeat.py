"""Longest pause of the desktop's event loop (a 20 ms QTimer heartbeat) while a tool or model runs for the first time
(empty numba cache) as a background task, as the dialog runs it.

Usage: /usr/bin/python3 benchmarks/first_run/heartbeat.py [--root DIR] [--repeats 5] [--json OUT]

Runs ``tests/processing/test_model_first_run.py``'s script of the plugin folder ``--root`` per case; prints per run
the longest heartbeat gap and progress stall, wall and CPU seconds, and a digest of the output rasters.
"""

import argparse
import glob
import hashlib
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

from common import save_json

HERE = os.path.dirname(os.path.abspath(__file__))


def load_script(root):
    path = os.path.join(root, "tests", "processing", "test_model_first_run.py")
    spec = importlib.util.spec_from_file_location("first_run_case", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SCRIPT


def raster_digest(folder):
    """sha256 of the pixel bytes of every GeoTIFF written and of the attributes of every GeoPackage feature (the files
    also hold creation times)."""
    from osgeo import gdal

    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(folder, "*.tif"))):
        ds = gdal.Open(path)
        for b in range(1, ds.RasterCount + 1):
            h.update(ds.GetRasterBand(b).ReadAsArray().tobytes())
        ds = None
    from osgeo import ogr

    for path in sorted(glob.glob(os.path.join(folder, "*.gpkg"))):
        if os.path.basename(path) == "inv.gpkg":  # the input inventory
            continue
        ds = ogr.Open(path)
        for i in range(ds.GetLayerCount()):
            for feature in ds.GetLayer(i):
                h.update(repr(sorted(feature.items().items())).encode())
        ds = None
    return h.hexdigest()[:16]


def run_once(script, root, case):
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "numba_cache")
        os.makedirs(cache)
        path = os.path.join(tmp, "first_run.py")
        with open(path, "w") as f:
            f.write(script)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NUMBA_CACHE_DIR=cache, INSAR_GEOHAZARDS_COMPILE="always",
                   QGIS_PLUGINPATH=os.path.join(root, ".build", "plugins"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([sys.executable, path, tmp, case], env=env, capture_output=True, text=True, timeout=1800)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            return {"case": case, "failed": out.stderr[-800:]}
        res = json.loads(line[len("RESULT "):])
        res.update(case=case, cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                   digest=raster_digest(tmp))
        return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", action="append", help="plugin folder (repeat it to compare checkouts, interleaved)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    cases = ["sbastolandslideactivity", "phaselinking"]
    roots = [os.path.abspath(r) for r in (args.root or [os.path.dirname(os.path.dirname(HERE))])]
    scripts = {root: load_script(root) for root in roots}
    results = []
    for _ in range(args.repeats):
        for root in roots:
            for case in cases:
                r = dict(run_once(scripts[root], root, case), root=root)
                results.append(r)
                print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()
                                  if k not in ("compiled", "errors", "longest_gaps")}), flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    for root in roots:
        for case in cases:
            runs = [r for r in results if r["root"] == root and r["case"] == case and "max_gap" in r]
            if not runs:
                continue
            gaps = sorted(r["max_gap"] for r in runs)
            still = sorted(r["bar_still"] for r in runs)
            print(f"{root} {case}: max gap s median {statistics.median(gaps):.3f}, worst {gaps[-1]:.3f} (all "
                  + " ".join(f"{g:.2f}" for g in gaps) + f"); bar still s median {statistics.median(still):.1f}, "
                  f"worst {still[-1]:.1f}; CPU s median {statistics.median(r['cpu_s'] for r in runs):.1f}; "
                  f"digests {sorted({r['digest'] for r in runs})}")
    if args.json:
        save_json(args.json, {"roots": roots, "runs": results})


if __name__ == "__main__":
    main()
