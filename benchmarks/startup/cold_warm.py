"""First run on a fresh install, per tool: each tool and shipped model run twice through ``qgis_process.bin run`` on
the bundled data (``demo/run_demo.py``'s jobs and the stack tools the demo does not run), first with an empty numba
cache of its own (cold), then with that cache (warm); the kernels compiled counted from its ``*.nbi`` files. Refuses
to start when the plugin tree holds numba cache files.

    /usr/bin/python3 benchmarks/startup/cold_warm.py [JSON] [TOOL ...]   (make bench FAMILY=startup)
"""

from __future__ import annotations

import functools
import glob
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: INSAR_GEOHAZARDS_COMPILE of the runs ("" the user's default, auto): ``always`` measures every tool's compilation
#: against the log's estimate ("Compiling kernels (once per machine, ~N s)")
POLICY = os.environ.get("COLD_WARM_COMPILE", "")
DATA = os.path.join(ROOT, "tests", "data")
sys.path.insert(0, os.path.join(ROOT, "demo"))
import run_demo  # noqa: E402  (the demo's jobs on bundled data, with their parameters)
from common import cpu_model, save_json, time_v  # noqa: E402


def extra_steps(out: str) -> list[dict]:
    """Stack tools the demo does not run, on the bundled Mexico City folder (30 interferograms, 60 x 100 px)."""
    mexico, o = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs"), functools.partial(os.path.join, out)
    both = {"INTERFEROGRAMS": mexico, "COHERENCE": mexico}
    return [
        {"alg": "geohazard:stackingvelocity", "params": {**both, "OUTPUT_VELOCITY": o("stack_v.tif")}},
        {"alg": "geohazard:modifynetwork", "params": {**both, "MAX_TEMPORAL_BASELINE": 60, "KEEP_CONNECTED": "true",
                                                      "OUTPUT": o("net"), "OUTPUT_REPORT": o("net.csv")}},
        {"alg": "geohazard:referencepoint", "params": {"INTERFEROGRAMS": mexico, "OUTPUT": o("ref.gpkg")}},
        {"alg": "geohazard:unwrapclosurecorrection", "params": {**both, "OUTPUT": o("closure")}},
        {"alg": "geohazard:troposphericcorrection",
         "params": {**both, "DEM": os.path.join(mexico, "cropA_T005A_dem.tif"), "OUTPUT": o("tropo")}},
    ]


def offset_steps(out: str) -> list[dict]:
    """Offset tracking between a real Sentinel-1 coherence map (100 x 60 px, Mexico City) and a copy moved by
    (2, -1) pixels, in radar geometry."""
    cc = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs", "cropA_20180106-20180130_VV_8rlks_flat_eqa_cc.tif")
    ref, sec = os.path.join(out, "offset_ref.tif"), os.path.join(out, "offset_sec.tif")

    def prepare():
        import numpy as np
        from osgeo import gdal

        img = gdal.Open(cc).ReadAsArray().astype(np.float32)
        for path, data in ((ref, img), (sec, np.roll(img, (2, -1), axis=(0, 1)))):
            ds = gdal.GetDriverByName("GTiff").Create(path, data.shape[1], data.shape[0], 1, gdal.GDT_Float32)
            ds.GetRasterBand(1).WriteArray(data)
            ds = None

    return [{"alg": "geohazard:offsettracking", "prepare": prepare,
             "params": {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 24, "SEARCH": 3, "STEP": 8,
                        "GEOMETRY": 1, "RANGE_SPACING": 2.3, "AZIMUTH_SPACING": 13.9,
                        "OUTPUT": os.path.join(out, "offsets.tif")}}]


def activity_steps(out: str) -> list[dict]:
    """Landslide activity of the demo's EGMS Ustica points inside the demo's ADA polygons (as the inventory)."""
    o = functools.partial(os.path.join, out)
    return [{"alg": "geohazard:landslideactivity", "params": {
        "INVENTORY": o("egms_ustica_asc_ada.gpkg"), "POINTS": o("egms_ustica_asc.gpkg"), "OUTPUT": o("activity.gpkg")}}]


def slc_steps(out: str) -> list[dict]:
    """The PS/DS tools on the demo's simulated SLC stack (16 dates, 60 x 80 px): amplitude dispersion, phase
    linking, then unwrapping of the linked interferograms."""
    folder, o = os.path.join(out, "slc"), functools.partial(os.path.join, out)

    def prepare():
        if not os.path.isdir(folder):
            run_demo.write_simulated_slc_stack(folder)

    def slcs():
        return sorted(glob.glob(os.path.join(folder, "slc_*.tif")))

    return [
        {"alg": "geohazard:amplitudedispersion", "prepare": prepare, "params": {
            "INPUT": slcs, "OUTPUT_DISPERSION": o("da.tif"), "OUTPUT_MEAN_AMPLITUDE": o("amp.tif"),
            "OUTPUT_PS_MASK": o("ps.tif")}},
        {"alg": "geohazard:phaselinking", "prepare": prepare, "params": {
            "INPUT": slcs, "OUTPUT": o("ph.tif"), "OUTPUT_TEMPORAL_COHERENCE": o("tc.tif"),
            "OUTPUT_INTERFEROGRAMS": o("linked")}},
        {"alg": "geohazard:pstimeseries", "params": {
            "INPUT": o("ph.tif"), "DISPERSION": o("da.tif"), "TEMPORAL_COHERENCE": o("tc.tif"),
            "OUTPUT": o("ps.gpkg")}},
        {"alg": "geohazard:unwrap", "params": {"INPUT": o("linked"), "OUTPUT": o("unwrapped")}},
    ]


def multisensor_steps(out: str) -> list[dict]:
    """Multi-sensor time series of the tests' SIMULATED three-stack scene (two Sentinel-1 per-date series, 70 and 68
    dates, and a TerraSAR-X interferogram stack, 24 x 22 px)."""
    folder, o = os.path.join(out, "multisensor"), functools.partial(os.path.join, out)
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from testutils_multisensor import scene

    state = {}

    def prepare():
        state.update(scene(folder))

    return [{"alg": "geohazard:multisensortimeseries", "prepare": prepare,
             "params": {"SERIES": lambda: state["series"], "MANIFEST": lambda: state["manifest"],
                        "INCIDENCES": "36,41", "HEADINGS": "-12,192", "OUTPUT_UP": o("ms_up.tif"),
                        "OUTPUT_EAST": o("ms_east.tif"), "OUTPUT_VELOCITY": o("ms_v.tif")}}]


def slip_steps(out: str) -> list[dict]:
    """The two slip inversions on the tests' SIMULATED Mw 6.52 thrust (ascending and descending LOS, 80 x 80 px)."""
    q = functools.partial(os.path.join, out, "quake")
    sys.path[:0] = [os.path.join(ROOT, "tests", "processing"), os.path.join(ROOT, "tests")]
    from test_slipinversion import E0, N0, _synthetic

    def prepare():
        if not os.path.isdir(q()):
            os.makedirs(q())
            _synthetic(pathlib.Path(q()))

    los = {"LOS_ASC": q("asc.tif"), "ASC_INCIDENCE": 34, "ASC_HEADING": -12, "LOS_DESC": q("desc.tif"),
           "DESC_INCIDENCE": 39, "DESC_HEADING": 192}
    return [{"alg": "geohazard:slipinversion", "prepare": prepare, "params": {
                **los, "FAULT": q("trace.gpkg"), "DIP": 50, "TOP_DEPTH": 500, "BOTTOM_DEPTH": 11000,
                "PATCH_LENGTH": 3000, "PATCH_WIDTH": 2750, "OUTPUT_PATCHES": q("patches.gpkg")}},
            {"alg": "geohazard:uniformslipinversion", "prepare": prepare, "params": {
                **los, "EAST_RANGE": f"{E0 - 8e3},{E0 + 8e3}", "NORTH_RANGE": f"{N0 - 8e3},{N0 + 8e3}",
                "STRIKE_RANGE": "80,140", "DIP_RANGE": "30,80", "TOP_RANGE": "0,5000", "LENGTH_RANGE": "8000,25000",
                "WIDTH_RANGE": "4000,15000", "QUADTREE_STD": 3, "N_MONTE_CARLO": 2, "MAX_ITERATIONS": 30, "SEED": 1,
                "OUTPUT_FAULT": q("uniform.gpkg")}}]


#: The Okada grids at a benchmark row's size (``memory_okada``: 1200 x 1200 pixels of 20 m, a fault in 40 patches of
#: reverse slip along strike; ``coulombstress`` on 500 x 500 pixels of that extent, 1 depth): jobs named apart from
#: the demo's runs of the same tools
GRID_SIDE, GRID_PATCHES = 1200, 40


def okada_grid_steps(out: str) -> list[dict]:
    """okadaforward and coulombstress on the memory_okada row's grid (first run at a benchmark size)."""
    from common import GT, write_patched_fault

    faults = os.path.join(out, "grid_faults.gpkg")
    side, px = GRID_SIDE, GT[1]

    def prepare():
        if os.path.exists(faults):
            return
        write_patched_fault(faults, side, px, GRID_PATCHES)

    ext = f"{GT[0]},{GT[0] + side * px},{GT[3] - side * px},{GT[3]} [EPSG:32633]"
    return [{"alg": "geohazard:okadaforward", "name": "okadaforward_grid", "prepare": prepare,
             "params": {"FAULTS": faults, "EXTENT": ext, "PIXEL_SIZE": px, "OUTPUT": os.path.join(out, "grid.tif")}},
            {"alg": "geohazard:coulombstress", "name": "coulombstress_grid", "prepare": prepare,
             "params": {"FAULTS": faults, "EXTENT": ext, "PIXEL_SIZE_KM": side * px / 500 / 1000.0, "DEPTHS": "10",
                        "RECEIVER_STRIKE": 90.0, "RECEIVER_DIP": 60.0, "RECEIVER_RAKE": 90.0,
                        "OUTPUT": os.path.join(out, "grid_dcfs.tif")}}]


def jobs(out: str) -> list[dict]:
    return (run_demo.steps(out) + extra_steps(out) + slc_steps(out) + offset_steps(out) + activity_steps(out)
            + multisensor_steps(out) + slip_steps(out) + okada_grid_steps(out))


def nb_files(folder: str, pattern: str) -> list[str]:
    return glob.glob(os.path.join(folder, "**", pattern), recursive=True)


def run(job: dict, cache: str) -> dict:
    if "prepare" in job:
        job["prepare"]()
    args = ["qgis_process.bin", "--json", "run", job["alg"], "--"]
    for key, value in job["params"].items():
        value = value() if callable(value) else value
        args += [f"{key}={v}" for v in (value if isinstance(value, (list, tuple)) else [value])]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NUMBA_CACHE_DIR": cache,
           "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    if POLICY:
        env["INSAR_GEOHAZARDS_COMPILE"] = POLICY
    load = os.getloadavg()[0]
    proc = time_v(args, env=env, check=False)
    log = proc["stdout"] + proc["stderr"]
    estimates = [int(n) for n in re.findall(r"Compiling kernels \(once per machine, ~(\d+) s\)", log)]
    entries = re.findall(r"Compile cost row ([\w:]+)", log)
    return {"ok": proc["rc"] == 0, "wall_s": round(proc["wall_s"], 2), "cpu_s": proc["cpu_s"],
            "estimate_s": sum(estimates) if estimates else None, "entry": entries[0] if entries else "",
            "numpy_path": "runs them as Python" in log or "this run runs them as numpy" in log,
            "peak_rss_mib": round(proc["peak_rss_mb"]), "load_1min": round(load, 2),
            "log_tail": "" if proc["rc"] == 0 else log[-1600:]}


def background(cache: str, timeout_s: float = 1800.0) -> dict:
    """The compilation a first run started in the background (a detached process, not counted in the run's CPU):
    waited for (its locks in ``cache`` free), then its CPU seconds and families from its log lines."""
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    from insar_geohazards.algorithms._numba import lock_busy

    end = time.monotonic() + timeout_s
    while time.monotonic() < end and any(lock_busy(p) for p in nb_files(cache, ".geohazard-background-*.lock")):
        time.sleep(0.5)
    cpu, families = 0.0, []
    for log in nb_files(cache, ".geohazard-background.log"):
        with open(log, encoding="utf-8", errors="replace") as fh:
            for m in re.finditer(r"\[warm-up\] (\w+): \d+ kernels compiled, ([\d.]+) CPU-s", fh.read()):
                families.append(m.group(1))
                cpu += float(m.group(2))
    return {"background_cpu_s": round(cpu, 1), "background_families": families}


def main() -> None:
    out_json = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "benchmarks", "results",
                                                                    "startup_cold_warm.json")
    only = set(sys.argv[2:])
    stale = nb_files(ROOT, "*.nbi") + nb_files(ROOT, "*.nbc")
    if stale:
        raise SystemExit(f"numba cache files in the plugin tree would serve the cold runs: {stale[:3]}")
    work = tempfile.mkdtemp(prefix="cold_warm_")
    cold_jobs, warm_jobs = jobs(os.path.join(work, "cold")), jobs(os.path.join(work, "warm"))
    os.makedirs(os.path.join(work, "cold")), os.makedirs(os.path.join(work, "warm"))
    rows = []
    for i, (cold_job, warm_job) in enumerate(zip(cold_jobs, warm_jobs)):
        alg = cold_job.get("name") or cold_job["alg"].split(":", 1)[1]
        cache = os.path.join(work, f"numba_{i:02d}_{alg}")
        os.makedirs(cache)
        if only and alg not in only and not any(a in only for a in _needed_by(cold_jobs, i, only)):
            continue
        cold = run(cold_job, cache)
        cold.update(background(cache))
        kernels = len(nb_files(cache, "*.nbi"))
        warm = run(warm_job, cache)
        rows.append({"tool": alg, "kernels_compiled": kernels, "cold": cold, "warm": warm,
                     "compile_cpu_s": round(cold["cpu_s"] - warm["cpu_s"] + cold["background_cpu_s"], 2),
                     "first_over_compiled": round(cold["cpu_s"] / max(warm["cpu_s"], 0.01), 2)})
        print(f"{alg}: {kernels} kernels, cold {cold['wall_s']} s / {cold['cpu_s']} CPU-s (+ {cold['background_cpu_s']}"
              f" CPU-s in the background, {cold['background_families']}), warm {warm['wall_s']} s / {warm['cpu_s']} "
              f"CPU-s, load {cold['load_1min']}, log's estimate {cold['estimate_s']} s, numpy path "
              f"{cold['numpy_path']}" + ("" if cold["ok"] and warm["ok"] else " FAILED " + cold["log_tail"]),
              flush=True)
    meta = {"cpu": cpu_model(), "cores": os.cpu_count(), "numba": _numba_version(),
            "command": "benchmarks/startup/cold_warm.py",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if only and os.path.exists(out_json):  # a partial run replaces its tools' rows, keeps the others
        with open(out_json, encoding="utf-8") as f:
            kept = [r for r in json.load(f)["tools"] if r["tool"] not in {r["tool"] for r in rows}]
        rows = kept + rows
    save_json(out_json, {"machine": meta, "tools": rows})
    if POLICY == "always":
        print(json.dumps({"bench": estimate_cells(rows)}), flush=True)
    elif rows and not only_total(rows):
        print(json.dumps({"bench": first_run_cells([r for r in rows if not only or r["tool"] in only])}),
              flush=True)
    shutil.rmtree(work, ignore_errors=True)


def only_total(rows: list[dict]) -> bool:
    return not any(r["cold"]["ok"] and r["warm"]["ok"] for r in rows)


def first_run_cells(rows: list[dict]) -> dict:
    """The cold_* rows' cells: per tool, the first run's CPU seconds against the second (compiled) run's, the
    compilation the first run left to the background (not in its CPU), and the first run's wall seconds."""
    done = [r for r in rows if r["cold"]["ok"] and r["warm"]["ok"]]
    parts, diffs = [], []
    for r in done:
        c, w = r["cold"], r["warm"]
        how = ("numpy path" if c["numpy_path"] else "compiled in the run" if c.get("estimate_s") else
               f"waited {c['wall_s']:.0f} s for {c['background_cpu_s']} CPU-s compiling in the background"
               if c["background_cpu_s"] else "nothing to compile")
        parts.append(f"{r['tool']} **{c['cpu_s']:.1f} / {w['cpu_s']:.1f}** ({how})")
        diffs.append(f"{c['cpu_s'] - w['cpu_s']:+.1f}")
    loads = [r["cold"]["load_1min"] for r in done] or [0.0]
    rss = [r["cold"]["peak_rss_mib"] for r in done] or [0]
    return {"ours": "first / second run CPU-s: " + "; ".join(parts), "ratio": " / ".join(diffs) + " CPU-s",
            "peak_rss": f"{min(rss)}-{max(rss)} MiB", "date": time.strftime("%Y-%m-%d", time.gmtime())
            + f", load {min(loads):.1f}-{max(loads):.1f}"}


def estimate_cells(rows: list[dict]) -> dict:
    """The compile_estimate row's cells: per run, the log's "~N s" against the measured compile (first - second
    run CPU-s) and their difference, named by the run's compile cost row."""
    done = [r for r in rows if r["cold"]["ok"] and r["warm"]["ok"] and r["cold"].get("estimate_s")]
    pairs = [f"{r['cold'].get('entry') or r['tool']} {r['cold']['estimate_s']} / {r['compile_cpu_s']:.1f}"
             for r in done]
    ratio = [f"{100.0 * (r['cold']['estimate_s'] / max(0.1, r['compile_cpu_s']) - 1):+.0f} %" for r in done]
    loads = [r["cold"]["load_1min"] for r in done] or [0.0]
    return {"ours": "estimate / measured CPU-s: " + "; ".join(pairs) + f" (load {min(loads):.1f}-{max(loads):.1f})",
            "ratio": ", ".join(ratio),
            "accuracy": "the estimate sums the run's row of algorithms/compile_costs.json (the tool's measured "
                        "compile; a variant where it compiles less, e.g. SBAS reading no coherence)"}


def _needed_by(jobs_, i, only):
    """Later jobs named in ``only`` that read this job's outputs (the demo chains a few: loadegms -> ADA)."""
    outs = {str(v) for k, v in jobs_[i]["params"].items()
            if isinstance(v, str) and (k.startswith("OUTPUT") or ":" in k)}
    return [j["alg"].split(":", 1)[1] for j in jobs_[i + 1:]
            if outs & {str(v) for v in j["params"].values() if isinstance(v, str)}]


def _numba_version() -> str:
    import importlib.util

    return __import__("numba").__version__ if importlib.util.find_spec("numba") else ""


if __name__ == "__main__":
    main()
