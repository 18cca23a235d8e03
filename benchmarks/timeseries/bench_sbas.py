"""SBAS side by side: geohazard:sbasinversion (qgis_process, GeoTIFF in/out) vs MintPy ifgram_inversion.py
(HDF5 in/out) on the same synthetic stack, unweighted (-w no) and variance-weighted (-w var).

Usage: /usr/bin/python3 bench_sbas.py STACK_DIR MINTPY_BIN_DIR [--skip-mintpy-var] [--threads N]

Prints one JSON line per run (wall time, px/s, peak RSS) and the comparison of time series
(ours vs MintPy, mm) and velocity error against the synthetic truth.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms.timeseries.sbas import linear_velocity  # noqa: E402


def timed(cmd, env=None, cwd=None, stats=None):
    """Wall seconds and peak RSS (MB) of ``cmd``; ``stats`` (a dict) also gets its CPU seconds (user + sys of
    the process and the children it waited for, e.g. MintPy's Dask worker processes) and major page faults."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd[:3])}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024.0
    if stats is not None:
        user = float(re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr).group(1))
        syst = float(re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr).group(1))
        faults = int(re.search(r"Major \(requiring I/O\) page faults: (\d+)", proc.stderr).group(1))
        stats.update(user_s=user, sys_s=syst, cpu_s=round(user + syst, 2), major_faults=faults)
    return wall, rss


def fresh_folder(out):
    """An empty output folder for each timed run: replacing the previous run's outputs (tens of MB, freed by
    the file system inside the run) cost ours ~0.3 CPU-s a run and would cost MintPy the same."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)


def ours(stack_dir, meta, *, weighted, out, threads, memory_mb=512, tif=None, stats=None):
    tif = tif or os.path.join(stack_dir, "tif")
    fresh_folder(out)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins"),
           "NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "OPENBLAS_NUM_THREADS": str(threads)}
    x, y = meta["ref_xy"]
    params = {"INTERFEROGRAMS": tif, "REFERENCE": f"{x},{y} [EPSG:{meta['epsg']}]",
              "WAVELENGTH_M": meta["wavelength_m"], "ISBAS_MIN_COUNT": 1, "MIN_TEMPORAL_COHERENCE": 0,
              "MAX_MEMORY_MB": memory_mb, "WEIGHTING": 1 if weighted else 0, "LOOKS": meta["looks"]}
    if weighted:
        params["COHERENCE"] = tif
    for k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
              "OUTPUT_COHCOUNT"):
        params[k] = os.path.join(out, k.lower() + ".tif")
    cmd = ["qgis_process.bin", "run", "geohazard:sbasinversion", "--"] + [f"{k}={v}" for k, v in params.items()]
    wall, rss = timed(cmd, env=env, stats=stats)
    return wall, rss, params


def mintpy(stack_dir, bindir, *, weight, out, blas_threads=1, workers=2, stats=None):
    """MintPy's whole ``ifgram_inversion.py`` run. ``blas_threads``: OpenBLAS/OpenMP threads (None: the
    caller's environment); ``workers`` > 1: MintPy's own parallelism, ``-c local --num-worker N`` (a Dask
    LocalCluster of processes, each solving a strip of the block). The defaults are the baseline of
    every SBAS ratio (BENCHMARKS.md: one OpenBLAS thread per process, 2 workers for 2 cores)."""
    fresh_folder(out)
    cmd = [os.path.join(bindir, "ifgram_inversion.py"), os.path.join(stack_dir, "ifgramStack.h5"), "-w", weight,
           "-o", "timeseries.h5", "temporalCoherence.h5", "numInvIfgram.h5", "--ram", "4"]
    if workers > 1:
        cmd += ["-c", "local", "--num-worker", str(workers)]
    env = None
    if blas_threads is not None:
        env = {**os.environ, **{k: str(blas_threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                              "MKL_NUM_THREADS")}}
    return timed(cmd, cwd=out, env=env, stats=stats)


def read_tif(path):
    from osgeo import gdal

    return gdal.Open(path).ReadAsArray().astype(np.float64)


def compare(meta, our_dir, mp_dir, truth):
    import h5py

    ts_ours = read_tif(os.path.join(our_dir, "output_timeseries.tif"))
    v_ours = read_tif(os.path.join(our_dir, "output_velocity.tif"))
    tc_ours = read_tif(os.path.join(our_dir, "output_temporal_coherence.tif"))
    out = {"velocity_rms_error_ours_mm_yr": float(np.sqrt(np.nanmean((v_ours - truth) ** 2)))}
    if mp_dir is None:
        return out
    with h5py.File(os.path.join(mp_dir, "timeseries.h5")) as f:
        ts_mp = f["timeseries"][:].astype(np.float64) * 1000.0
        dates = [d.decode() for d in f["date"][:]]
    with h5py.File(os.path.join(mp_dir, "temporalCoherence.h5")) as f:
        tc_mp = f["temporalCoherence"][:].astype(np.float64)
    years = np.array([(np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}") - np.datetime64(
        f"{dates[0][:4]}-{dates[0][4:6]}-{dates[0][6:]}")).astype(int) for d in dates]) / 365.25
    v_mp, _ = linear_velocity(ts_mp, years)
    ok = np.isfinite(ts_ours).all(axis=0) & np.isfinite(ts_mp).all(axis=0)
    diff = np.abs(ts_ours - ts_mp)[:, ok]
    scale = np.abs(ts_mp[:, ok]).max()
    out.update({
        "pixels_compared": int(ok.sum()),
        "ts_max_abs_diff_mm": float(diff.max()),
        "ts_p99_9_abs_diff_mm": float(np.percentile(diff, 99.9)),
        "ts_max_abs_mm": float(scale),
        "tcoh_max_abs_diff": float(np.nanmax(np.abs(tc_ours - tc_mp)[ok])),
        "velocity_rms_error_mintpy_mm_yr": float(np.sqrt(np.nanmean((v_mp - truth) ** 2))),
    })
    return out


def main():
    stack_dir, bindir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    skip_var = "--skip-mintpy-var" in sys.argv
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    truth = np.load(os.path.join(stack_dir, "truth_velocity.npy")).astype(np.float64)
    npx = meta["rows"] * meta["cols"]
    work = os.path.join(stack_dir, "runs")
    results = {"stack": meta}
    # warm-up: the first run after installing/changing the plugin compiles the numba kernels
    # (cached on disk afterwards); time it once, then time the cached runs
    mex = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
    for weighted in (False, True):
        t0 = time.perf_counter()
        wmeta = {"ref_xy": [-99.178, 19.44], "epsg": 4326, "wavelength_m": meta["wavelength_m"], "looks": 10}
        os.makedirs(os.path.join(work, "warmup"), exist_ok=True)
        ours(os.path.dirname(mex), wmeta, weighted=weighted, out=os.path.join(work, "warmup"), threads=threads,
             tif=mex)
        results[f"ours_mexico_run_weighted_{weighted}_s"] = round(time.perf_counter() - t0, 1)
    for weighted, mweight in ((False, "no"), (True, "var")):
        tag = "var" if weighted else "no"
        for th in sorted({1, threads}):
            wall, rss, _ = ours(stack_dir, meta, weighted=weighted, out=os.path.join(work, f"ours_{tag}_{th}"),
                                threads=th)
            results[f"ours_{tag}_{th}thread"] = {"wall_s": round(wall, 2), "px_per_s": round(npx / wall),
                                                 "peak_rss_mb": round(rss)}
            print(json.dumps({f"ours_{tag}_{th}thread": results[f"ours_{tag}_{th}thread"]}), flush=True)
        mp_dir = None
        if not (weighted and skip_var):
            mp_dir = os.path.join(work, f"mintpy_{tag}")
            wall, rss = mintpy(stack_dir, bindir, weight=mweight, out=mp_dir, workers=threads)
            results[f"mintpy_{tag}"] = {"wall_s": round(wall, 2), "px_per_s": round(npx / wall),
                                        "peak_rss_mb": round(rss)}
            print(json.dumps({f"mintpy_{tag}": results[f"mintpy_{tag}"]}), flush=True)
        results[f"compare_{tag}"] = compare(meta, os.path.join(work, f"ours_{tag}_{threads}"), mp_dir, truth)
        print(json.dumps({f"compare_{tag}": results[f"compare_{tag}"]}), flush=True)
    for mem in (64, 1024):
        wall, rss, _ = ours(stack_dir, meta, weighted=False, out=os.path.join(work, f"ours_mem{mem}"),
                            threads=threads, memory_mb=mem)
        results[f"ours_no_block{mem}MB"] = {"wall_s": round(wall, 2), "peak_rss_mb": round(rss)}
        print(json.dumps({f"ours_no_block{mem}MB": results[f"ours_no_block{mem}MB"]}), flush=True)
    with open(os.path.join(stack_dir, "results.json"), "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
