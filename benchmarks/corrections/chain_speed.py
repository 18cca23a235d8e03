"""Speed of the whole Corrected SBAS chain against MintPy's matching smallbaselineApp steps, in one run.

    /usr/bin/python3 benchmarks/corrections/chain_speed.py [--stack S4_volcano] [--work DIR] [--repeat 2]

The stack (chain_stacks.py; S4_volcano is 220 x 220 px, 84 interferograms, 30 dates) is written once. Our side
runs the shipped model geohazard:correctedsbas with processing.run in this process (QGIS initialised, numba
compiled by a first run that is not timed), then each of its tools alone with the model's parameters, to say
where the time goes. MintPy's side is chain_mintpy.py in the benchmark venv (its import is not timed; its steps
run in one process). CPU seconds are user + system of the process (and its threads) over the timed part; the
load average is printed with them. Bash wrapper: benchmarks/corrections/chain_speed.sh.
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", default="S4_volcano")
    ap.add_argument("--work", default="/tmp/geohazard_chain_speed")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--stable", action="store_true")
    ap.add_argument("--no-mintpy", action="store_true")
    args = ap.parse_args()
    import chain_stacks

    sdir = os.path.join(args.work, "stacks", args.stack)
    if not os.path.exists(os.path.join(sdir, "truth.npz")):
        chain_stacks.write_stack(chain_stacks.make_stack(args.stack), sdir)
    app, provider = start_qgis()
    run_model(sdir, os.path.join(args.work, "warm"), args.stable)  # compiles numba; not timed
    ours = [run_model(sdir, os.path.join(args.work, f"run{i}"), args.stable) for i in range(args.repeat)]
    best = min(ours, key=lambda r: r["cpu_s"])
    out = {"stack": args.stack, "stable": args.stable, "load_before": os.getloadavg()[0],
           "ours_cpu_s": round(best["cpu_s"], 2), "ours_wall_s": round(best["wall_s"], 2),
           "ours_runs_cpu_s": [round(r["cpu_s"], 2) for r in ours]}
    if not args.no_mintpy:
        venv = os.path.join(ROOT, ".build", "venv-bench", "bin", "python")
        runs = []
        for i in range(args.repeat):
            cmd = [venv, os.path.join(HERE, "chain_mintpy.py"), sdir, os.path.join(args.work, f"mintpy{i}")] \
                + (["--stable"] if args.stable else []) \
                + (["--quadratic"] if chain_stacks.ALL_SPECS.get(args.stack, {}).get("quadratic") else [])
            r = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
        m = min(runs, key=lambda r: r["cpu_s"])
        out.update({"mintpy_cpu_s": m["cpu_s"], "mintpy_wall_s": m["wall_s"], "mintpy_steps": m["steps"],
                    "cpu_ratio_mintpy_over_ours": round(m["cpu_s"] / best["cpu_s"], 2),
                    "wall_ratio_mintpy_over_ours": round(m["wall_s"] / best["wall_s"], 2)})
    out["load_after"] = os.getloadavg()[0]
    print(json.dumps(out))
    del provider
    app.exitQgis()


if __name__ == "__main__":
    main()
