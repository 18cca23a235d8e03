"""The Corrected SBAS model against MintPy 1.6.4's smallbaselineApp on a stack laid out as the practice corrections
stack, scored against its truth (stack_score.py), CPU of both in one script:

    /usr/bin/python3 benchmarks/corrections/stack_compare.py STACK WORK [--mintpy /work/venvs/mintpy/bin/python]
        [--slant-range-m 850000] [--cold] [--repeat 2] [--json OUT]

Ours: the shipped model ``geohazard:correctedsbas`` through ``qgis_process`` with its defaults (STABLE_AREA, DEM,
BASELINES, INCIDENCE and SLANT_RANGE_M given); with ``--cold`` its first run on an empty numba cache (the kernels
compile or run as Python; the compile it leaves in the background is waited for and reported apart, not in the
run's CPU), its second run as a user meets it (``second_run``: a family whose numpy form is as fast may still run
as numpy, its compile not due yet), then the families still not compiled are compiled ahead (``warm_kernels.py``,
the warm-up a user can run; its CPU reported apart), then the warm runs (best of ``--repeat``). The unwrapping
step is scored on the model's own step run alone with the model's parameters (read from
models/corrected_sbas.model3), the interferograms the model's network step dropped (its report) counted as dropped.
MintPy: stack_mintpy.py with phase_closure, the ramps on its default mask and on the stable area; CPU = its steps in
one process (not the imports), best of ``--repeat``. The model alone on two plugin folders, alternated, its outputs
compared byte for byte: model_ab.py.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET

from common import ROOT, loadavg, qgis_env, time_v

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE]
import stack_score  # noqa: E402
from chain_speed import empty_numba_cache  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "benchmarks", "startup"))
from cold_warm import background  # noqa: E402

MODEL = os.path.join(ROOT, "models", "corrected_sbas.model3")


def step_params(child: str) -> dict:
    """The static parameters the model gives its step ``child`` (model3 XML: source 2 = a static value)."""
    root = ET.parse(MODEL).getroot()
    out = {}
    for node in root.iter("Option"):
        if node.get("name") == child and node.get("type") == "Map":
            params = [c for c in node if c.get("name") == "params"]
            for p in (params[0] if params else []):
                m = p.find("Option")
                if m is None:
                    continue
                src = {o.get("name"): o.get("value") for o in m}
                if src.get("source") == "2":
                    out[p.get("name")] = src.get("static_value")
            break
    return out


def model_args(stack: str, out: str, slant_range_m: float) -> list:
    args = [f"INTERFEROGRAMS={p}" for p in sorted(glob.glob(os.path.join(stack, "unw", "*.unw.tif")))]
    args += [f"COHERENCE={p}" for p in sorted(glob.glob(os.path.join(stack, "coh", "*.cc.tif")))]
    args += [f"DEM={stack}/dem.tif", f"BASELINES={stack}/bperp.csv", f"INCIDENCE={stack}/incidence.tif",
             f"SLANT_RANGE_M={slant_range_m}", f"STABLE_AREA={stack}/stable.gpkg"]
    return args + [f"network:NETWORK_REPORT={out}/net.csv", f"demerror:VELOCITY={out}/v.tif",
                   f"demerror:DEM_ERROR={out}/dz.tif"]


def run_model(stack: str, out: str, slant_range_m: float) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    r = time_v(["qgis_process.bin", "run", "geohazard:correctedsbas", "--", *model_args(stack, out, slant_range_m)],
               env=qgis_env())
    return {"cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "peak_rss_mib": round(r["peak_rss_mb"]), "load": loadavg()}


def dropped(report: str) -> list:
    with open(report, newline="") as f:
        return [row["interferogram"].split(".")[0] for row in csv.DictReader(f) if row["kept"] != "yes"]


def unwrapping_step(stack: str, out: str) -> dict:
    """The model's unwrapping step run alone (its parameters), its corrected interferograms."""
    shutil.rmtree(out, ignore_errors=True)
    params = {k: v for k, v in step_params("unwrapping").items()}
    args = [f"INTERFEROGRAMS={p}" for p in sorted(glob.glob(os.path.join(stack, "unw", "*.unw.tif")))]
    args += [f"COHERENCE={p}" for p in sorted(glob.glob(os.path.join(stack, "coh", "*.cc.tif")))]
    args += [f"{k}={v}" for k, v in params.items()] + [f"OUTPUT={out}"]
    time_v(["qgis_process.bin", "run", "geohazard:unwrapclosurecorrection", "--", *args], env=qgis_env())
    return params


def stable_npy(stack: str, path: str) -> str:
    import numpy as np
    from osgeo import gdal, ogr

    ref = gdal.Open(os.path.join(stack, "dem.tif"))
    ds = gdal.GetDriverByName("MEM").Create("", ref.RasterXSize, ref.RasterYSize, 1, gdal.GDT_Byte)
    ds.SetGeoTransform(ref.GetGeoTransform())
    ds.SetProjection(ref.GetProjection())
    src = ogr.Open(os.path.join(stack, "stable.gpkg"))
    gdal.RasterizeLayer(ds, [1], src.GetLayer(0), burn_values=[1])
    np.save(path, ds.ReadAsArray().astype(bool))
    return path


def run_mintpy(python: str, stack: str, work: str, mask: str, slant_range_m: float, stable: str) -> dict:
    env = dict(os.environ, PYTHONPATH=HERE, OPENBLAS_NUM_THREADS="1")
    r = time_v([python, os.path.join(HERE, "stack_mintpy.py"), stack, work, "--method", "phase_closure",
                "--deramp-mask", mask, "--slant-range-m", str(slant_range_m), "--stable-npy", stable], env=env)
    out = json.loads(r["stdout"].strip().splitlines()[-1])
    out["process_cpu_s"] = r["cpu_s"]
    return out


def compile_ahead() -> dict:
    """The kernel families whose numpy form is as fast and still not compiled after the cold runs, compiled
    with the warm-up (``warm_kernels.py``, what a user can run ahead): the warm runs then load every kernel."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from insar_geohazards.algorithms import kernel_families as k; "
            "c = k.measured_costs(); print(' '.join(f.name for f in k.FAMILIES "
            "if k.numpy_as_fast(f.name, c) and not k.family_ready(f)))")
    plugins = os.path.join(ROOT, ".build", "plugins")
    names = time_v([sys.executable, "-c", code, plugins])["stdout"].split()
    if not names:
        return {"families": [], "cpu_s": 0.0}
    # the linked plugin's file: run as a file, the warm-up takes its folder's name as the package's
    r = time_v([sys.executable, os.path.join(plugins, "insar_geohazards", "warm_kernels.py"), *names])
    return {"families": names, "cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "load": loadavg()}


def main():
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stack")
    ap.add_argument("work")
    ap.add_argument("--mintpy", default="/work/venvs/mintpy/bin/python")
    ap.add_argument("--slant-range-m", type=float, default=850e3)
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", default="")
    ap.add_argument("--no-mintpy", action="store_true", help="ours alone (MintPy's results do not change with ours)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    res = {"stack": os.path.abspath(a.stack), "load_start": loadavg()}
    if a.cold:
        res["cache_files_removed"] = empty_numba_cache()
        res["first_run"] = run_model(a.stack, os.path.join(a.work, "first"), a.slant_range_m)
        res["first_run"].update(background(os.path.join(ROOT, "algorithms")))
        res["second_run"] = run_model(a.stack, os.path.join(a.work, "second"), a.slant_range_m)
        bg = background(os.path.join(ROOT, "algorithms"))  # the logs' lines so far: the first run's too
        first = res["first_run"]
        res["second_run"].update(background_cpu_s=round(bg["background_cpu_s"] - first["background_cpu_s"], 1),
                                 background_families=bg["background_families"][len(first["background_families"]):])
        res["compiled_ahead"] = compile_ahead()
    warm = [run_model(a.stack, os.path.join(a.work, f"warm{i}"), a.slant_range_m) for i in range(a.repeat)]
    res["warm_runs_cpu_s"] = [w["cpu_s"] for w in warm]
    res["warm_run"] = min(warm, key=lambda w: w["cpu_s"])
    names, _ = stack_score.interferograms(a.stack)
    res["unwrapping_params"] = unwrapping_step(a.stack, os.path.join(a.work, "unwrapped"))
    gone = set(dropped(os.path.join(a.work, "warm0", "net.csv")))
    corrected = {n: v for n, v in stack_score.corrected_folder(os.path.join(a.work, "unwrapped"), names).items()
                 if n not in gone}
    ours = stack_score.score_unwrapping(a.stack, corrected)
    stable = stable_npy(a.stack, os.path.join(a.work, "stable.npy"))
    mp = {}
    for mask in () if a.no_mintpy else ("tempcoh", "stable"):
        runs = [run_mintpy(a.mintpy, a.stack, os.path.join(a.work, f"mintpy_{mask}{i}"), mask, a.slant_range_m,
                           stable) for i in range(a.repeat)]
        mp[mask] = min(runs, key=lambda r: r["cpu_s"])
        mp[mask]["runs_cpu_s"] = [r["cpu_s"] for r in runs]
    theirs = {}
    if mp:
        best = mp["tempcoh"]
        c = np.load(os.path.join(best["work"], "corrected.npy"))
        theirs = stack_score.score_unwrapping(a.stack, {n: c[k] for k, n in enumerate(best["names"])
                                                        if best["kept"][k]})
    vel = {"ours": stack_score.read_tif(os.path.join(a.work, "warm0", "v.tif"))}
    dz = {"ours": stack_score.read_tif(os.path.join(a.work, "warm0", "dz.tif"))}
    for mask in mp:
        vel[f"mintpy_{mask}"] = np.load(os.path.join(mp[mask]["work"], "velocity_mm_yr.npy"))
    res["unwrapping"] = {"ours": {k: v for k, v in ours.items() if k != "rows"}, "ours_rows": ours["rows"],
                         "mintpy": {k: v for k, v in theirs.items() if k != "rows"}}
    res["velocity_rms_mm_yr"] = stack_score.velocity_rms(a.stack, vel)
    res["dem_error_rms_m"] = stack_score.dem_error_rms(a.stack, dz)
    res["mintpy_cpu_s"] = {mask: mp[mask]["cpu_s"] for mask in mp}
    res["mintpy_runs_cpu_s"] = {mask: mp[mask]["runs_cpu_s"] for mask in mp}
    bar = min(res["mintpy_cpu_s"].values()) if mp else float("nan")
    res["ratio_warm"] = round(res["warm_run"]["cpu_s"] / bar, 3)
    if a.cold:
        res["ratio_first"] = round(res["first_run"]["cpu_s"] / bar, 3)
        res["ratio_first_with_background"] = round(
            (res["first_run"]["cpu_s"] + res["first_run"]["background_cpu_s"]) / bar, 3)
        res["ratio_second"] = round(res["second_run"]["cpu_s"] / bar, 3)
    res["load_end"] = loadavg()
    text = json.dumps(res, indent=1, default=str)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
