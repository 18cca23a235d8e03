"""SBAS at scale: one whole `qgis_process run geohazard:sbasinversion` on a big stack from make_big_stack.py, in
this process or on a Dask cluster of worker processes (dask_cluster.py, measured with /usr/bin/time around it).

Usage (run_scale.sh): bench_sbas_scale.py STACK_DIR OUT_DIR [--workers N] [--results FILE] [--label TEXT]
Appends one JSON line: wall, CPU, peak RSS (of the cluster too), the per-block log and the velocity error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import time

import numpy as np
from bench_sbas_1mpx import sbas_params
from common import ROOT, parse_time_v, qgis_cmd, qgis_env, read_tif, time_v

HERE = os.path.dirname(os.path.abspath(__file__))


def start_cluster(n: int, out_dir: str):
    addr_file = os.path.join(out_dir, "scheduler_address")
    if os.path.exists(addr_file):
        os.remove(addr_file)
    err = open(os.path.join(out_dir, "cluster_time.txt"), "w")
    proc = subprocess.Popen(["/usr/bin/time", "-v", "/usr/bin/python3", os.path.join(HERE, "dask_cluster.py"), str(n),
                             addr_file], stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    t0 = time.time()
    while not os.path.exists(addr_file):
        if proc.poll() is not None or time.time() - t0 > 120:
            raise SystemExit("the Dask cluster did not start (see cluster_time.txt)")
        time.sleep(0.2)
    return proc, open(addr_file).read().strip()


def stop_cluster(proc, out_dir: str) -> dict:
    # /usr/bin/time forwards nothing: signal the Python under it (the session's other member)
    child = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    for pid in child:
        os.kill(int(pid), signal.SIGTERM)
    proc.wait(timeout=120)
    return parse_time_v(open(os.path.join(out_dir, "cluster_time.txt")).read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stack")
    ap.add_argument("out")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "sbas", "results_scale.json"))
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.stack, "stack.json")))
    rows = meta["rows"]
    os.makedirs(a.out, exist_ok=True)
    params = sbas_params(os.path.join(a.stack, "tif"), meta, a.out, memory_mb=512)
    # GDAL keeps at most 100 datasets open by default: with 300 inputs it would close and re-open them
    env = qgis_env(GDAL_MAX_DATASET_POOL_SIZE=max(450, meta["n_ifgs"] + 50))
    cluster, cluster_stats = None, None
    if a.workers:
        cluster, address = start_cluster(a.workers, a.out)
        params["DASK_SCHEDULER"] = address
    uptime_before = open("/proc/loadavg").read().split()[:3]
    try:
        run = time_v(qgis_cmd("sbasinversion", params), env=env)
    finally:
        if cluster is not None:
            cluster_stats = stop_cluster(cluster, a.out)
    with open(os.path.join(a.out, "log.txt"), "w") as fh:
        fh.write(run["stdout"] + run["stderr"])
    blocks = [ln.strip() for ln in run["stdout"].splitlines() if re.search(r"block (pass|\d+/\d+)", ln)]
    truth = np.load(os.path.join(a.stack, "truth_velocity.npy"), mmap_mode="r")
    vel = read_tif(params["OUTPUT_VELOCITY"])
    res = {"label": a.label, "rows": rows, "cols": meta["cols"], "n_ifgs": meta["n_ifgs"], "workers": a.workers,
           "memory_mb": 512, **{k: run[k] for k in ("wall_s", "user_s", "sys_s", "peak_rss_mb")},
           "cluster": cluster_stats, "load_before": uptime_before,
           "load_after": open("/proc/loadavg").read().split()[:3],
           "velocity_rms_error_mm_yr": float(np.sqrt(np.nanmean((vel - truth) ** 2))),
           "velocity_nan": int(np.isnan(vel).sum()), "block_log": blocks, "out": a.out,
           "utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    print(json.dumps(res))
    os.makedirs(os.path.dirname(a.results), exist_ok=True)
    with open(a.results, "a") as fh:
        fh.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
