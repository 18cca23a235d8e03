"""SBAS side by side in one run: geohazard:sbasinversion (whole qgis_process run) vs MintPy
``ifgram_inversion.py`` (whole run), plus the I/O floor, one after the other.

Usage: /usr/bin/python3 bench_sbas_1mpx.py STACK_DIR MINTPY_BIN_DIR OUT_JSON [--repeat N] [--threads N]
       [--weight no|var] [--no-floor] [--variants]

Both tools get the same number of cores (default 2). Ours: numba threads. MintPy as its documentation
runs it in parallel: one OpenBLAS/OpenMP thread per process (MintPy asks for 1 itself, but too late for
OpenBLAS, which reads the variable when numpy is imported) and ``-c local --num-worker N``. Per-pixel
least squares on a 202 x 59 matrix is 9x slower in CPU with 2 OpenBLAS threads than with 1 on this loaded
machine, so "OpenBLAS N threads, no workers" (``--variants`` runs it, and the 1-thread, 1-process run)
measures OpenBLAS's thread overhead, not MintPy. Each repeat runs ours, MintPy and the floor back to
back; the JSON keeps every repeat (wall and CPU seconds), the load average before and after, versions
and thread settings, and ours vs MintPy on the time series.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_sbas as bs  # noqa: E402
import numpy as np  # noqa: E402


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def warm(paths):
    """Read ``paths`` once (into the page cache), then write back whatever the previous run left dirty: the
    kernel would otherwise flush the last tool's outputs (MintPy's HDF5 files, hundreds of MB) during the next
    timed run and bill it to whichever tool runs next."""
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass
    os.sync()


def main():
    stack_dir, bindir, out_json = (os.path.abspath(a) for a in sys.argv[1:4])
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    weight = sys.argv[sys.argv.index("--weight") + 1] if "--weight" in sys.argv else "no"
    with_floor = "--no-floor" not in sys.argv
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
    mex = os.path.join(bs.ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
    wmeta = {"ref_xy": [-99.178, 19.44], "epsg": 4326, "wavelength_m": meta["wavelength_m"], "looks": 10}
    os.makedirs(os.path.join(work, "warmup"), exist_ok=True)
    bs.ours(os.path.dirname(mex), wmeta, weighted=False, out=os.path.join(work, "warmup"), threads=threads, tif=mex)
    npx = meta["rows"] * meta["cols"]
    tifs = [os.path.join(stack_dir, "tif", f) for f in sorted(os.listdir(os.path.join(stack_dir, "tif")))]
    for _ in range(repeat):
        run = {"load_start": loadavg()}
        # every tool starts with its inputs in the page cache (read once, untimed): cold-cache disk
        # reads would favour whichever tool runs second
        warm(tifs)
        our_dir = os.path.join(work, f"ours_{weight}")
        st = {}
        wall, rss, _ = bs.ours(stack_dir, meta, weighted=weight == "var", out=our_dir, threads=threads, stats=st)
        run["ours"] = {"wall_s": round(wall, 2), "cpu_s": st["cpu_s"], "px_per_s": round(npx / wall),
                       "peak_rss_mb": round(rss)}
        for name, blas, workers in configs:
            warm([os.path.join(stack_dir, "ifgramStack.h5")])
            st = {}
            wall, rss = bs.mintpy(stack_dir, bindir, weight=weight, out=os.path.join(work, name),
                                  blas_threads=blas, workers=workers, stats=st)
            run[name] = {"wall_s": round(wall, 2), "cpu_s": st["cpu_s"], "px_per_s": round(npx / wall),
                         "peak_rss_mb": round(rss), "blas_threads": blas, "workers": workers}
            run[f"ratio_{name}_over_ours"] = round(wall / run["ours"]["wall_s"], 2)
            run[f"cpu_ratio_{name}_over_ours"] = round(st["cpu_s"] / run["ours"]["cpu_s"], 2)
        if with_floor:
            fl = subprocess.run([sys.executable, os.path.join(HERE, "io_floor.py"), stack_dir, our_dir],
                                capture_output=True, text=True, check=True).stdout
            run["io_floor"] = json.loads(fl)
            run["ours_over_floor_gdal_default"] = round(run["ours"]["wall_s"] / run["io_floor"]["gdal_default_s"], 2)
            run["ours_over_floor_our_options"] = round(run["ours"]["wall_s"] / run["io_floor"]["our_options_s"], 2)
        run["load_end"] = loadavg()
        print(json.dumps(run), flush=True)
        res["runs"].append(run)
    res[f"compare_{weight}"] = bs.compare(meta, os.path.join(work, f"ours_{weight}"),
                                          os.path.join(work, configs[0][0]), truth)
    res["load_after"] = loadavg()
    print(json.dumps({f"compare_{weight}": res[f"compare_{weight}"]}), flush=True)
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    with open(out_json, "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
