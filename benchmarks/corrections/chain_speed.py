"""Speed of the whole Corrected SBAS chain against MintPy's matching smallbaselineApp steps.

    /usr/bin/python3 benchmarks/corrections/chain_speed.py [--stack S4_volcano] [--size 700] [--work DIR]
        [--repeat 1] [--via processing,qgis_process] [--json OUT] [--mintpy-result F]

The stack (chain_stacks.py; S4_volcano is 220 x 220 px, 84 interferograms, 30 dates; ``--size N``: the same
scenario on N x N px) is written once. The floor: every raster the chain reads (interferograms, coherence, DEM,
incidence, slant range) read once with GDAL. Our side: the shipped model geohazard:correctedsbas, numba compiled
(and cached on disk) by a first run that is not timed, then (1) with processing.run in this process (QGIS
initialised: what the dialog does) and (2) through ``qgis_process.bin run`` with the same parameters (as a batch
user runs it; CPU of the child process from getrusage), with QGIS's start measured alone (``qgis_process.bin help
geohazard:correctedsbas``: the application, its providers, this plugin and the model loaded) and its share of the
run. MintPy's side is chain_mintpy.py in the benchmark venv (the stack converted to its HDF5 inputs and its import
not timed; its eight steps in one process, CPU of that process and its threads). CPU seconds are user + system;
the load average is printed with them. Run: make bench FAMILY=corrections CASE=chain_speed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# ROOT too: numba caches kernels compiled when the core was imported as "algorithms" (the other benchmarks)
sys.path[:0] = [HERE, ROOT]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def start_qgis():
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    plugins = os.path.join(ROOT, ".build", "plugins")
    sys.path.insert(0, plugins)
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from insar_geohazards.processing_provider.provider import GeohazardProvider

    provider = GeohazardProvider()
    QgsApplication.processingRegistry().addProvider(provider)

    return app, provider


def model_params(sdir: str, out: str, stable: bool) -> dict:
    p = {"INTERFEROGRAMS": sorted(glob.glob(os.path.join(sdir, "ifg", "*.tif"))),
         "COHERENCE": sorted(glob.glob(os.path.join(sdir, "coh", "*.tif"))), "DEM": os.path.join(sdir, "dem.tif"),
         "BASELINES": [os.path.join(sdir, "bperp.csv")], "INCIDENCE": os.path.join(sdir, "incidence.tif"),
         "SLANT_RANGE": os.path.join(sdir, "slant_range.tif")}
    if stable:
        p["STABLE_AREA"] = os.path.join(sdir, "stable_area.gpkg")
    for k, name in (("network:NETWORK_REPORT", "net.csv"), ("unwrapping:LOOP_STATS", "loops.csv"),
                    ("ramps:CORRECTED", "corrected"), ("reference:REFERENCE", "ref.gpkg"),
                    ("sbas:TIMESERIES", "ts.tif"), ("sbas:VELOCITY", "v.tif"), ("demerror:TIMESERIES", "ts_dem.tif"),
                    ("demerror:DEM_ERROR", "dz.tif"), ("demerror:VELOCITY", "v_final.tif"),
                    ("demerror:VELOCITY_STD", "v_final_std.tif")):
        p[k] = os.path.join(out, name)
    return p


def run_model(sdir: str, out: str, stable: bool) -> dict:
    import shutil

    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    c0, w0 = cpu(), time.perf_counter()
    res = processing.run("geohazard:correctedsbas", model_params(sdir, out, stable), context=QgsProcessingContext(),
                         feedback=QgsProcessingFeedback())
    return {"cpu_s": cpu() - c0, "wall_s": time.perf_counter() - w0, "outputs": res}


def read_floor(sdir: str) -> dict:
    """The floor: every raster the chain reads (interferograms, coherence, DEM, incidence, slant range) read once
    with GDAL, whole, into float32 arrays; CPU and wall seconds in this process."""
    import numpy as np
    from osgeo import gdal

    files = sorted(glob.glob(os.path.join(sdir, "ifg", "*.tif"))) + sorted(glob.glob(os.path.join(sdir, "coh",
                                                                                                  "*.tif"))) \
        + [os.path.join(sdir, n) for n in ("dem.tif", "incidence.tif", "slant_range.tif")]
    c0, w0 = cpu(), time.perf_counter()
    total = 0.0
    for f in files:
        ds = gdal.Open(f)
        total += float(np.asarray(ds.GetRasterBand(1).ReadAsArray(), np.float32)[0, 0])
        ds = None
    return {"files": len(files), "cpu_s": round(cpu() - c0, 2), "wall_s": round(time.perf_counter() - w0, 2)}


def qgis_process(args: list, env: dict) -> dict:
    """One ``qgis_process.bin`` run: CPU seconds (user + system of it and its children, from getrusage), wall."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    proc = subprocess.run(["qgis_process.bin", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"qgis_process {' '.join(args[:3])} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    return {"cpu_s": round(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, 2), "wall_s": round(wall, 2),
            "peak_rss_mib": round(r1.ru_maxrss / 1024.0)}


def run_qgis_process(sdir: str, out: str, stable: bool) -> dict:
    """The shipped model through ``qgis_process.bin run``, as a batch user runs it (the same parameters)."""
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    args = ["--json", "run", "geohazard:correctedsbas", "--"]
    for key, value in model_params(sdir, out, stable).items():
        args += [f"{key}={v}" for v in (value if isinstance(value, list) else [value])]
    return qgis_process(args, qgis_env())


def qgis_env() -> dict:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", default="S4_volcano")
    ap.add_argument("--work", default="/tmp/geohazard_chain_speed")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--mintpy-repeat", type=int, default=0, help="MintPy runs (default: --repeat)")
    ap.add_argument("--stable", action="store_true")
    ap.add_argument("--no-mintpy", action="store_true")
    ap.add_argument("--via", default="processing,qgis_process",
                    help="processing (processing.run in this process), qgis_process, or both (comma separated)")
    ap.add_argument("--size", type=int, default=0, help="rows = columns of the stack (default: the stack's own)")
    ap.add_argument("--json", default="", help="also write the result here")
    ap.add_argument("--mintpy-result", action="append", default=[],
                    help="the output (JSON line) of an earlier chain_mintpy.py run on the same stack, instead of "
                         "running MintPy again (repeatable)")
    args = ap.parse_args()
    import chain_stacks

    base, via = args.stack, set(args.via.split(","))
    if args.size:
        args.stack = f"{base}@{args.size}"
        chain_stacks.ALL_SPECS[args.stack] = dict(chain_stacks.ALL_SPECS[base], shape=(args.size, args.size))
    sdir = os.path.join(args.work, "stacks", args.stack)
    if not os.path.exists(os.path.join(sdir, "truth.npz")):
        chain_stacks.write_stack(chain_stacks.make_stack(args.stack), sdir)
    n_ifg = len(glob.glob(os.path.join(sdir, "ifg", "*.tif")))
    out = {"stack": args.stack, "shape": list(chain_stacks.ALL_SPECS[args.stack]["shape"]), "interferograms": n_ifg,
           "stable": args.stable, "load_before": round(os.getloadavg()[0], 2), "floor_read_once": read_floor(sdir)}
    app, provider = start_qgis()
    run_model(sdir, os.path.join(args.work, "warm"), args.stable)  # compiles numba (and caches it); not timed
    if "processing" in via:
        ours = [run_model(sdir, os.path.join(args.work, f"run{i}"), args.stable) for i in range(args.repeat)]
        best = min(ours, key=lambda r: r["cpu_s"])
        out.update({"processing_run_cpu_s": round(best["cpu_s"], 2), "processing_run_wall_s": round(best["wall_s"], 2),
                    "processing_run_runs_cpu_s": [round(r["cpu_s"], 2) for r in ours]})
    del provider
    app.exitQgis()
    if "qgis_process" in via:
        # QGIS's start as qgis_process makes it: the application, its providers, this plugin and the model loaded
        start = [qgis_process(["--json", "help", "geohazard:correctedsbas"], qgis_env()) for _ in range(2)]
        runs = [run_qgis_process(sdir, os.path.join(args.work, f"qp{i}"), args.stable) for i in range(args.repeat)]
        qp = min(runs, key=lambda r: r["cpu_s"])
        st = min(start, key=lambda r: r["cpu_s"])
        out.update({"qgis_process_cpu_s": qp["cpu_s"], "qgis_process_wall_s": qp["wall_s"],
                    "qgis_process_runs_cpu_s": [r["cpu_s"] for r in runs], "qgis_process_peak_rss_mib":
                    qp["peak_rss_mib"], "qgis_start_cpu_s": st["cpu_s"],
                    "qgis_start_share": round(st["cpu_s"] / qp["cpu_s"], 3)})
    if not args.no_mintpy:
        venv = os.path.join(ROOT, ".build", "venv-bench", "bin", "python")
        runs = [json.loads(open(f).read().strip().splitlines()[-1]) for f in args.mintpy_result]
        for i in range(0 if runs else (args.mintpy_repeat or args.repeat)):
            cmd = [venv, os.path.join(HERE, "chain_mintpy.py"), sdir, os.path.join(args.work, f"mintpy{i}")] \
                + (["--stable"] if args.stable else []) \
                + (["--quadratic"] if chain_stacks.ALL_SPECS[args.stack].get("quadratic") else [])
            r = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
        m = min(runs, key=lambda r: r["cpu_s"])
        out.update({"mintpy_cpu_s": m["cpu_s"], "mintpy_wall_s": m["wall_s"], "mintpy_steps": m["steps"],
                    "mintpy_runs_cpu_s": [r["cpu_s"] for r in runs]})
        for key in ("processing_run", "qgis_process"):
            if f"{key}_cpu_s" in out:
                out[f"cpu_ratio_mintpy_over_{key}"] = round(m["cpu_s"] / out[f"{key}_cpu_s"], 2)
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
