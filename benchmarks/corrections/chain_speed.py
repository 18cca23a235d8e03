"""CPU of the whole Corrected SBAS chain through ``qgis_process`` against MintPy's matching steps, per stack size.

    /usr/bin/python3 benchmarks/corrections/chain_speed.py [--stack W04_volcano_uplift]
        [--sizes 200x200x30,220x220x29,400x400x50] [--cold 220x220x29] [--repeat 2] [--work DIR]

Each size is chain_world.py's scenario (or a chain_stacks.py stack) on that grid. Ours: the shipped model
``geohazard:correctedsbas`` by ``qgis_process.bin run``, warm runs best of ``--repeat`` (at the ``--cold`` sizes the
first run also from an empty numba cache); the floor: an empty ``qgis_process`` run; MintPy: chain_mintpy.py, best
of ``--repeat``. Prints one JSON line per size and the ``{"bench": ...}`` rows (case ``chain_speed_<rows>``).
Where the model's CPU goes, step by step and function by function: chain_profile.py on a stack this script wrote.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import subprocess
import sys

from common import ROOT, qgis_env, time_v

sys.path.insert(0, os.path.join(ROOT, "benchmarks", "startup"))
from cold_warm import background  # noqa: E402  (the background compile a first run starts, and its CPU)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE]
VENV = os.path.join(ROOT, ".build", "venv-bench", "bin", "python")
#: The kernel families of the chain's steps (algorithms/kernel_families.py).
CHAIN_KERNELS = ("sbas",)
OUTPUTS = (("network:NETWORK_REPORT", "net.csv"), ("unwrapping:LOOP_STATS", "loops.csv"),
           ("ramps:CORRECTED", "corrected"), ("reference:REFERENCE", "ref.gpkg"), ("sbas:TIMESERIES", "ts.tif"),
           ("sbas:VELOCITY", "v.tif"), ("demerror:TIMESERIES", "ts_dem.tif"), ("demerror:DEM_ERROR", "dz.tif"),
           ("demerror:VELOCITY", "v_final.tif"), ("demerror:VELOCITY_STD", "v_final_std.tif"))


def write_stack(name: str, size: str, folder: str) -> None:
    import chain_stacks
    import chain_world

    if os.path.exists(os.path.join(folder, "truth.npz")):
        return
    if name in chain_world.ALL:
        chain_stacks.write_stack(chain_world.make_stack(f"{name}@{size}"), folder)
        return
    rows, cols, _ = (int(x) for x in size.split("x"))
    key = f"{name}@{size}"
    chain_stacks.ALL_SPECS[key] = dict(chain_stacks.ALL_SPECS[name], shape=(rows, cols))
    chain_stacks.write_stack(chain_stacks.make_stack(key), folder)


def model_args(sdir: str, out: str) -> list:
    """``qgis_process`` arguments of the model on the stack in ``sdir``, outputs in ``out``."""
    args = [f"INTERFEROGRAMS={p}" for p in sorted(glob.glob(os.path.join(sdir, "ifg", "*.tif")))]
    args += [f"COHERENCE={p}" for p in sorted(glob.glob(os.path.join(sdir, "coh", "*.tif")))]
    args += [f"DEM={sdir}/dem.tif", f"BASELINES={sdir}/bperp.csv", f"INCIDENCE={sdir}/incidence.tif",
             f"SLANT_RANGE={sdir}/slant_range.tif"]
    return args + [f"{key}={os.path.join(out, name)}" for key, name in OUTPUTS]


def timed(cmd: list, env=None) -> dict:
    """One command under ``/usr/bin/time``: CPU seconds (user + system of it and its children), wall, peak RSS."""
    r = time_v(cmd, env=env)
    return {"cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "peak_rss_mib": round(r["peak_rss_mb"]), "stdout": r["stdout"]}


def qgis_process(args: list) -> dict:
    return timed(["qgis_process.bin", *args], qgis_env())


def empty_numba_cache() -> int:
    """Remove this checkout's numba cache, the warm-up's ready files and the families' rent-or-buy ledgers, as on a
    fresh install (the kernels compile again, or run as Python while they compile in the background). A ready file
    left without its cache would make the run compile every kernel of the family in its own process, which no
    installation does."""
    files = [p for pattern in ("*.nbi", "*.nbc", ".geohazard-ready-*.json", ".geohazard-background.log",
                               ".geohazard-ledger-*.json")
             for p in glob.glob(os.path.join(ROOT, "algorithms", "**", "__pycache__", pattern), recursive=True)]
    for p in files:
        os.remove(p)
    return len(files)


def floor() -> dict:
    """An empty ``qgis_process`` run: a 10 x 10 constant raster by a native algorithm (best of two)."""
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "chain_speed_floor.tif")
    runs = [qgis_process(["run", "native:createconstantrasterlayer", "--", "EXTENT=0,10,0,10 [EPSG:32614]",
                          "TARGET_CRS=EPSG:32614", "PIXEL_SIZE=1", "NUMBER=1", f"OUTPUT={out}"]) for _ in range(2)]
    best = min(runs, key=lambda r: r["cpu_s"])
    return {k: v for k, v in best.items() if k != "stdout"}


def ours(sdir: str, work: str, repeat: int, cold: bool) -> dict:
    """The model through ``qgis_process``: the first run (cold when the cache was emptied) and the best warm run."""
    import shutil

    def run(tag):
        out = os.path.join(work, tag)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        return qgis_process(["run", "geohazard:correctedsbas", "--", *model_args(sdir, out)])

    removed = empty_numba_cache() if cold else None
    first = run("first")
    # what the first run left compiling in the background (a detached process: not in the run's own CPU)
    bg = background(os.path.join(ROOT, "algorithms")) if cold else {"background_cpu_s": None, "background_families": []}
    # a small first run on an empty cache runs its kernels as Python and compiles none: the warm-up a user runs
    subprocess.run(["/usr/bin/python3", "-m", "insar_geohazards.warm_kernels", *CHAIN_KERNELS], check=True,
                   capture_output=True, env={**os.environ, "PYTHONPATH": os.path.join(ROOT, ".build", "plugins")})
    warm = [run(f"warm{i}") for i in range(repeat)]
    best = min(warm, key=lambda r: r["cpu_s"])
    return {"cold_cpu_s": first["cpu_s"] if cold else None, "cache_files_removed": removed, **bg,
            "first_cpu_s": first["cpu_s"], "warm_cpu_s": best["cpu_s"], "warm_runs_cpu_s": [r["cpu_s"] for r in warm],
            "warm_wall_s": best["wall_s"], "peak_rss_mib": max(r["peak_rss_mib"] for r in warm + [first])}


def mintpy(sdir: str, work: str, repeat: int) -> dict:
    runs = []
    for i in range(repeat):
        r = timed([VENV, os.path.join(HERE, "chain_mintpy.py"), sdir, os.path.join(work, f"mintpy{i}")])
        runs.append({**json.loads(r["stdout"].strip().splitlines()[-1]), "process_cpu_s": r["cpu_s"],
                     "peak_rss_mib": r["peak_rss_mib"]})
    best = min(runs, key=lambda r: r["cpu_s"])
    return {"mintpy_cpu_s": best["cpu_s"], "mintpy_runs_cpu_s": [r["cpu_s"] for r in runs],
            "mintpy_process_cpu_s": best["process_cpu_s"], "mintpy_peak_rss_mib": best["peak_rss_mib"],
            "mintpy_steps": best["steps"], "mintpy_load": round(best["load"], 1), "mintpy_velocity": best["velocity"]}


def velocity_rms(sdir: str, ours_tif: str, mintpy_h5: str | None) -> dict:
    """RMS (mm/yr) against the truth of our model's final velocity and MintPy's, both referenced to the stable
    area, on the pixels where both have a value (chain_stacks.score; MintPy's 0 = nothing inverted)."""
    import numpy as np
    from chain_stacks import score
    from osgeo import gdal

    t = np.load(os.path.join(sdir, "truth.npz"))
    stack = {k: t[k] for k in ("truth_rate_mm_yr", "stable", "mean_coherence")}
    ds = gdal.Open(ours_tif)
    band = ds.GetRasterBand(1)
    ours_v = band.ReadAsArray().astype(np.float64)
    if band.GetNoDataValue() is not None:
        ours_v[ours_v == band.GetNoDataValue()] = np.nan
    vel = {"ours": ours_v}
    if mintpy_h5:
        import subprocess as sp

        code = ("import h5py, numpy, sys; f = h5py.File(sys.argv[1], 'r'); "
                "numpy.save(sys.argv[2], f['velocity'][:].astype('float64') * 1000.0)")
        npy = os.path.join(os.path.dirname(mintpy_h5), "velocity_mm_yr.npy")
        sp.run([VENV, "-c", code, mintpy_h5, npy], check=True)
        v = np.load(npy)
        v[v == 0] = np.nan
        vel["mintpy"] = v
    common = np.logical_and.reduce([np.isfinite(v) for v in vel.values()])
    out = {f"rms_{k}": round(score(v, stack, common=common)["rms"], 3) for k, v in vel.items()}
    out["rms_pixels"] = score(ours_v, stack, common=common)["pixels"]
    return out


def bench_row(size: str, r: dict, fl: dict) -> dict:
    rows, cols, dates = size.split("x")
    cold = ""
    if r.get("cold_cpu_s") is not None:
        bg = r.get("background_cpu_s") or 0.0
        cold = (f", first run {r['cold_cpu_s']:.1f} (empty numba cache; + {bg:.1f} CPU-s compiling "
                f"{', '.join(r.get('background_families') or []) or 'nothing'} in the background, once per machine)")
    cells = {"ours": f"{r['warm_cpu_s']:.1f} CPU-s warm{cold}", "accuracy": "the `world` row",
             "floor": f"empty `qgis_process` run {fl['cpu_s']:.1f} CPU-s",
             "peak_rss": f"{r['peak_rss_mib']} MiB (`qgis_process`); MintPy {r.get('mintpy_peak_rss_mib', '-')} MiB",
             "date": f"{datetime.date.today().isoformat()}, load {r['load_before']:.1f}-{r['load_after']:.1f}"}
    if "mintpy_cpu_s" in r:
        cells["peer"] = (f"MintPy 1.6.4's eight matching smallbaselineApp steps in one process "
                         f"(`mintpy_chain.cfg`): {r['mintpy_cpu_s']:.1f} CPU-s")
        cells["ratio"] = (f"**{r['mintpy_cpu_s'] / r['warm_cpu_s']:.1f}x** less CPU (ours "
                          f"{r['warm_cpu_s'] / r['mintpy_cpu_s']:.2f}x MintPy's)")
        if r.get("cold_cpu_s") is not None:
            cells["ratio"] += (f"; first run {r['cold_cpu_s'] / r['mintpy_cpu_s']:.2f}x, with the background compile "
                               f"{(r['cold_cpu_s'] + (r.get('background_cpu_s') or 0.0)) / r['mintpy_cpu_s']:.2f}x")
    return {"bench": cells, "case": f"chain_speed_{rows}", "size": [int(rows), int(cols), int(dates)]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", default="W04_volcano_uplift")
    ap.add_argument("--sizes", default="200x200x30,220x220x29,400x400x50")
    ap.add_argument("--cold", default="", help="sizes whose first run is timed from an empty numba cache")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(ROOT, ".build", "bench", "chain_speed"))
    args = ap.parse_args()
    fl = floor()
    print(json.dumps({"floor": fl}), flush=True)
    for size in args.sizes.split(","):
        sdir = os.path.join(args.work, "stacks", f"{args.stack}@{size}")
        write_stack(args.stack, size, sdir)
        r = {"stack": f"{args.stack}@{size}", "interferograms": len(glob.glob(os.path.join(sdir, "ifg", "*.tif"))),
             "load_before": os.getloadavg()[0]}
        r.update(ours(sdir, os.path.join(args.work, size), args.repeat, size in args.cold.split(",")))
        r.update(mintpy(sdir, os.path.join(args.work, size), args.repeat))
        r["ratio_ours_over_mintpy"] = round(r["warm_cpu_s"] / r["mintpy_cpu_s"], 3)
        r.update(velocity_rms(sdir, os.path.join(args.work, size, "warm0", "v_final.tif"), r["mintpy_velocity"]))
        r["load_after"] = os.getloadavg()[0]
        print(json.dumps(r), flush=True)
        print(json.dumps(bench_row(size, r, fl)), flush=True)


if __name__ == "__main__":
    main()
