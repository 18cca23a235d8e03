"""SBAS side by side in one run: geohazard:sbasinversion (whole qgis_process run) vs MintPy
``ifgram_inversion.py`` (whole run), one after the other (the I/O floor: floor_1mpx.py).

Usage (make bench FAMILY=timeseries CASE=mintpy_1mpx): bench_sbas_1mpx.py STACK_DIR MINTPY_BIN_DIR OUT_JSON
       [--repeat N] [--threads N] [--weight no|var] [--variants]

Both get the same cores: ours numba threads, MintPy one OpenBLAS thread per process and ``-c local --num-worker N``
(as its documentation runs it); ``--variants`` adds MintPy on N OpenBLAS threads and on one process, which measure
OpenBLAS's thread overhead rather than MintPy.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import numpy as np
from common import ROOT, fresh, loadavg, option, qgis_env, qgis_run, read_tif, save_json, time_v, warm

from insar_geohazards.algorithms.timeseries.sbas import linear_velocity

OUTPUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
           "OUTPUT_COHCOUNT")


def sbas_params(tif, meta, out, *, weighted=False, memory_mb=512):
    """geohazard:sbasinversion's parameters for a stack of make_stack.py / make_big_stack.py."""
    x, y = meta["ref_xy"]
    params = {"INTERFEROGRAMS": tif, "REFERENCE": f"{x},{y} [EPSG:{meta['epsg']}]",
              "WAVELENGTH_M": meta["wavelength_m"], "ISBAS_MIN_COUNT": 1, "MIN_TEMPORAL_COHERENCE": 0,
              "MAX_MEMORY_MB": memory_mb, "WEIGHTING": 1 if weighted else 0, "LOOKS": meta.get("looks", 10)}
    if weighted:
        params["COHERENCE"] = tif
    params.update({k: os.path.join(out, k.lower() + ".tif") for k in OUTPUTS})
    return params


def ours(tif, meta, out, *, weighted, threads):
    """The whole qgis_process run into an empty folder (replacing the previous run's outputs, tens of MB freed by
    the file system inside the run, would cost either side ~0.3 CPU-s)."""
    return qgis_run("sbasinversion", sbas_params(tif, meta, fresh(out), weighted=weighted),
                    env=qgis_env(threads))


def mintpy(stack_dir, bindir, *, weight, out, blas_threads=1, workers=2):
    """MintPy's whole ``ifgram_inversion.py`` run. ``blas_threads``: OpenBLAS/OpenMP threads; ``workers`` > 1:
    MintPy's own parallelism, ``-c local --num-worker N`` (a Dask LocalCluster of processes). The defaults are
    the baseline of every SBAS ratio (one OpenBLAS thread per process, 2 workers for 2 cores)."""
    cmd = [os.path.join(bindir, "ifgram_inversion.py"), os.path.join(stack_dir, "ifgramStack.h5"), "-w", weight,
           "-o", "timeseries.h5", "temporalCoherence.h5", "numInvIfgram.h5", "--ram", "4"]
    if workers > 1:
        cmd += ["-c", "local", "--num-worker", str(workers)]
    env = {**os.environ, **{k: str(blas_threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                          "MKL_NUM_THREADS")}}
    return time_v(cmd, cwd=fresh(out), env=env)


def compare(our_dir, mp_dir, truth):
    """Ours against MintPy on the time series and the temporal coherence, and both velocities against the truth."""
    import h5py

    ts_ours = read_tif(os.path.join(our_dir, "output_timeseries.tif"))
    v_ours = read_tif(os.path.join(our_dir, "output_velocity.tif"))
    tc_ours = read_tif(os.path.join(our_dir, "output_temporal_coherence.tif"))
    with h5py.File(os.path.join(mp_dir, "timeseries.h5")) as f:
        ts_mp = f["timeseries"][:].astype(np.float64) * 1000.0
        dates = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in (x.decode() for x in f["date"][:])])
    with h5py.File(os.path.join(mp_dir, "temporalCoherence.h5")) as f:
        tc_mp = f["temporalCoherence"][:].astype(np.float64)
    v_mp, _ = linear_velocity(ts_mp, (dates - dates[0]).astype(int) / 365.25)
    ok = np.isfinite(ts_ours).all(axis=0) & np.isfinite(ts_mp).all(axis=0)
    diff = np.abs(ts_ours - ts_mp)[:, ok]
    return {"velocity_rms_error_ours_mm_yr": float(np.sqrt(np.nanmean((v_ours - truth) ** 2))),
            "velocity_rms_error_mintpy_mm_yr": float(np.sqrt(np.nanmean((v_mp - truth) ** 2))),
            "pixels_compared": int(ok.sum()), "ts_max_abs_diff_mm": float(diff.max()),
            "ts_p99_9_abs_diff_mm": float(np.percentile(diff, 99.9)),
            "ts_max_abs_mm": float(np.abs(ts_mp[:, ok]).max()),
            "tcoh_max_abs_diff": float(np.nanmax(np.abs(tc_ours - tc_mp)[ok]))}


def main():
    stack_dir, bindir, out_json = (os.path.abspath(a) for a in sys.argv[1:4])
    repeat, threads = option(sys.argv, "--repeat", 1, int), option(sys.argv, "--threads", 2, int)
    weight = option(sys.argv, "--weight", "no")
    # (name, OpenBLAS threads, MintPy workers): the first is the baseline of the ratio
    configs = [(f"mintpy_{weight}", 1, threads)]
    if "--variants" in sys.argv:
        configs += [(f"mintpy_{weight}_blas{threads}", threads, 0), (f"mintpy_{weight}_blas1_1proc", 1, 0)]
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    truth = np.load(os.path.join(stack_dir, "truth_velocity.npy")).astype(np.float64)
    work = os.path.join(stack_dir, "runs_1mpx")
    peer_env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    venv_py = os.path.join(bindir, "python")
    peer_versions = subprocess.run(
        [venv_py, "-c", "import mintpy, numpy, json; from threadpoolctl import threadpool_info; "
                        "print(json.dumps({'mintpy': mintpy.__version__, 'numpy': numpy.__version__, "
                        "'blas': [(i.get('internal_api'), i.get('version'), i.get('num_threads')) "
                        "for i in threadpool_info()]}))"],
        capture_output=True, text=True, env={**os.environ, **peer_env}).stdout.strip()
    res = {"stack": meta, "threads": threads, "machine": platform.node(), "cpus": os.cpu_count(),
           "peer": json.loads(peer_versions) if peer_versions else None, "peer_env": peer_env,
           "peer_configs": [{"name": n, "blas_threads": b, "workers": w} for n, b, w in configs],
           "weight": weight, "load_before": loadavg(), "runs": []}
    # numba kernels compile on the first run after a change (cached on disk afterwards): warm up
    mex = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
    wmeta = {"ref_xy": [-99.178, 19.44], "epsg": 4326, "wavelength_m": meta["wavelength_m"], "looks": 10}
    ours(mex, wmeta, os.path.join(work, "warmup"), weighted=False, threads=threads)
    npx = meta["rows"] * meta["cols"]
    tifs = [os.path.join(stack_dir, "tif", f) for f in sorted(os.listdir(os.path.join(stack_dir, "tif")))]
    for _ in range(repeat):
        run = {"load_start": loadavg()}
        # every tool starts with its inputs in the page cache (read once, untimed): cold-cache disk
        # reads would favour whichever tool runs second
        warm(tifs)
        our_dir = os.path.join(work, f"ours_{weight}")
        t = ours(os.path.join(stack_dir, "tif"), meta, our_dir, weighted=weight == "var", threads=threads)
        run["ours"] = {"wall_s": t["wall_s"], "cpu_s": t["cpu_s"], "px_per_s": round(npx / t["wall_s"]),
                       "peak_rss_mb": t["peak_rss_mb"]}
        for name, blas, workers in configs:
            warm([os.path.join(stack_dir, "ifgramStack.h5")])
            t = mintpy(stack_dir, bindir, weight=weight, out=os.path.join(work, name), blas_threads=blas,
                       workers=workers)
            run[name] = {"wall_s": t["wall_s"], "cpu_s": t["cpu_s"], "px_per_s": round(npx / t["wall_s"]),
                         "peak_rss_mb": t["peak_rss_mb"], "blas_threads": blas, "workers": workers}
            run[f"ratio_{name}_over_ours"] = round(t["wall_s"] / run["ours"]["wall_s"], 2)
            run[f"cpu_ratio_{name}_over_ours"] = round(t["cpu_s"] / run["ours"]["cpu_s"], 2)
        run["load_end"] = loadavg()
        print(json.dumps(run), flush=True)
        res["runs"].append(run)
    res[f"compare_{weight}"] = compare(os.path.join(work, f"ours_{weight}"), os.path.join(work, configs[0][0]), truth)
    res["load_after"] = loadavg()
    print(json.dumps({f"compare_{weight}": res[f"compare_{weight}"]}), flush=True)
    save_json(out_json, res)


if __name__ == "__main__":
    main()
