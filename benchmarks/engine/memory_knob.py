"""Peak memory of whole tool runs under two memory budgets (MAX_MEMORY_MB): what the knob buys.

Usage: /usr/bin/python3 benchmarks/engine/memory_knob.py [--size tiny|modest] [--budgets 512,8] [--tools a,b]

Each tool runs once per budget in a fresh headless QGIS process; the child reports its ``VmHWM`` after the run (not
``ru_maxrss``, which keeps the forking parent's mark), the blocks the engine was handed and the CPU and wall time of
``processing.run``. The outputs must be the same bytes whatever the budget.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time

from common import GT, ROOT, cpu_s, write_patched_fault, write_tif

SIZES = {  # per size: DEM side, Okada grid side and sources, SLC stack (dates, rows, cols), series (dates, rows, cols)
    "tiny": {"dem": 300, "okada": (200, 5), "slc": (8, 64, 100), "series": (20, 64, 100)},
    "modest": {"dem": 2000, "okada": (1200, 40), "slc": (20, 400, 800), "series": (60, 400, 1000)},
}


# --------------------------------------------------------------------------- inputs (parent)
def _write(path, arr, *, descriptions=None):
    return write_tif(path, arr, gt=GT, options=["TILED=YES", "COMPRESS=NONE"], descriptions=descriptions)


def make_inputs(size: str) -> dict:
    """Tool -> parameters (outputs left out), the inputs written once per size."""
    import numpy as np

    s = SIZES[size]
    folder = os.path.join(ROOT, ".build", "bench_memory_knob", size)
    os.makedirs(folder, exist_ok=True)
    j = os.path.join
    rng = np.random.default_rng(0)
    if not os.path.exists(j(folder, "dem.tif")):
        n = s["dem"]
        yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
        _write(j(folder, "dem.tif"), 800 + 600 * np.sin(yy / 150.0) * np.cos(xx / 210.0) + 40 * np.sin(xx / 17.0))
    side, n_src = s["okada"]
    if not os.path.exists(j(folder, "faults.gpkg")):  # a fault in patches along strike, 1 m of reverse slip
        write_patched_fault(j(folder, "faults.gpkg"), side, GT[1], n_src)
    n_dates, rows, cols = s["slc"]
    slc_dir = j(folder, "slc")
    if not os.path.isdir(slc_dir):
        from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

        os.makedirs(slc_dir)
        sim = simulate_slc_stack(shape=(rows, cols), n_dates=n_dates, seed=1)
        for i, d in enumerate(sim.dates):
            _write(j(slc_dir, f"slc_{d:%Y%m%d}.tif"), sim.slc[i])
    n_dates, rows, cols = s["series"]
    if not os.path.exists(j(folder, "series.tif")):
        dates = [dt.date(2019, 1, 4) + dt.timedelta(days=12 * k) for k in range(n_dates)]
        t = np.arange(n_dates) * 12 / 365.25
        v = rng.normal(-8, 4, (rows, cols)).astype(np.float32)
        arr = v[None] * t[:, None, None].astype(np.float32) + rng.normal(0, 1.0, (n_dates, rows, cols)).astype(
            np.float32)
        _write(j(folder, "series.tif"), arr - arr[:1], descriptions=[d.isoformat() for d in dates])
    ext = f"{GT[0]},{GT[0] + side * GT[1]},{GT[3] - side * GT[1]},{GT[3]} [EPSG:32633]"
    return {
        "geometricdistortion": {"DEM": j(folder, "dem.tif"), "HEADING": -12.0, "INCIDENCE": 37.0,
                                "OUTPUT_CLASSES": "cls.tif", "OUTPUT_RINDEX": "rindex.tif"},
        "okadaforward": {"FAULTS": j(folder, "faults.gpkg"), "EXTENT": ext, "PIXEL_SIZE": GT[1], "OUTPUT": "disp.tif"},
        "phaselinking": {"INPUT": sorted(j(slc_dir, f) for f in os.listdir(slc_dir)), "WINDOW_ROWS": 5,
                         "WINDOW_COLS": 11, "OUTPUT": "phase.tif", "OUTPUT_TEMPORAL_COHERENCE": "tcoh.tif"},
        "timeseriesmodels": {"INPUT_RASTER": j(folder, "series.tif"), "MODELS": [0, 1, 2], "OUTPUT_RASTER": "m.tif"},
    }


# --------------------------------------------------------------------------- one run (child)
def child(tool: str, params: dict, budget: str, out_dir: str) -> None:
    from bench_qgis import start_qgis

    app, plugin = start_qgis()
    import processing

    from insar_geohazards.algorithms import engine

    plans = []
    orig = engine.process_blocks

    def recording(plan, *args, **kwargs):
        plans.append([b.rows for b in plan])
        return orig(plan, *args, **kwargs)

    for m in list(sys.modules.values()):
        if getattr(m, "__name__", "").startswith("insar_geohazards") and getattr(m, "process_blocks", None) is orig:
            m.process_blocks = recording
    params = {k: (os.path.join(out_dir, v) if k.startswith("OUTPUT") else v) for k, v in params.items()}
    if budget:
        params["MAX_MEMORY_MB"] = int(budget)
    t0, c0 = time.perf_counter(), cpu_s()
    res = processing.run(f"geohazard:{tool}", params)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    print(json.dumps({"tool": tool, "budget": budget, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "peak_rss_mb": vm_hwm_mb(),
                      "blocks": [len(p) for p in plans], "rows": max((max(p) for p in plans if p), default=0),
                      "digest": digest([v for k, v in res.items() if isinstance(v, str) and v.endswith(".tif")])}))


def vm_hwm_mb() -> float:
    """Peak resident set of this process since it started (exec), MB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    return float("nan")


def digest(paths) -> str:
    """sha1 of every band's values and name (file layouts may differ; the numbers must not)."""
    from osgeo import gdal

    h = hashlib.sha1()
    for p in sorted(paths):
        ds = gdal.Open(p)
        for b in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(b)
            h.update(band.GetDescription().encode())
            h.update(band.ReadAsArray().tobytes())
    return h.hexdigest()[:12]


def run_child(tool: str, params: dict, budget: str, out_dir: str) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("INSAR_GEOHAZARDS_MAX_MEMORY_MB", None)
    proc = subprocess.Popen([sys.executable, __file__, "--child", tool, json.dumps(params), budget, out_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    out = proc.stdout.read()
    status = proc.wait()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if status != 0 or not lines:
        raise SystemExit(f"{tool} at {budget or 'default'} failed (status {status}): {out[-2000:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="modest", choices=sorted(SIZES))
    ap.add_argument("--budgets", default="512,8", help="MiB, comma separated ('' = the default)")
    ap.add_argument("--tools", default="geometricdistortion,okadaforward,phaselinking,timeseriesmodels")
    a = ap.parse_args()
    inputs = make_inputs(a.size)
    rows = []
    for tool in a.tools.split(","):
        for budget in a.budgets.split(","):
            out_dir = os.path.join(ROOT, ".build", "bench_memory_knob", a.size, "out", f"{tool}_{budget or 'default'}")
            row = run_child(tool, inputs[tool], budget, out_dir)
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| tool | MAX_MEMORY_MB | blocks | rows of the tallest | peak RSS (MB) | vs the first budget (MB) | "
          "CPU (s) | wall (s) | outputs |\n|---|---|---|---|---|---|---|---|---|")
    for tool in a.tools.split(","):
        mine = [r for r in rows if r["tool"] == tool]
        digests = {r["digest"] for r in mine}
        for r in mine:
            print(f"| {tool} | {r['budget'] or 'default (512)'} | {'+'.join(map(str, r['blocks']))} | {r['rows']} | "
                  f"{r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] - mine[0]['peak_rss_mb']:+.0f} | {r['cpu_s']:.1f} | "
                  f"{r['wall_s']:.1f} | "
                  f"{'same bytes' if len(digests) == 1 else r['digest']} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
