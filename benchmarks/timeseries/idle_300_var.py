"""Weighted SBAS 300 x 300 after the machine sat idle, and again right after: ours and MintPy, same window.

    /usr/bin/python3 benchmarks/timeseries/idle_300_var.py MINTPY_BIN_DIR [ROUNDS] [IDLE_S]
    (run_300_var.sh's stack .build/bench_ts/s300; idle_300_var.sh sets up the venv and calls this)

Some virtual machines (ours: a Firecracker guest whose kernel runs DAMON with a ``pageout`` scheme) write back and
drop memory that no process touched for a while, file pages included: the shared libraries of QGIS, Qt, GDAL,
numpy and numba, the plugin's bytecode and kernel cache, the inputs. A run after such a pause reads them from disk
again (major page faults). Each round, for each tool: IDLE_S seconds (default 80) of nothing, one timed run
("after idle"), at once a second timed run ("hot"). Both tools get the same treatment; MintPy runs its baseline
configuration (one OpenBLAS thread per process, ``-c local --num-worker 2``). Prints one JSON line per run (wall,
CPU = user + sys, system time, major page faults) and the medians.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_sbas as bs  # noqa: E402


def _faults_and_sys(cmd, env=None, cwd=None):
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd[:3])}")

    def field(label):
        return float(re.search(label + r": ([\d.]+)", proc.stderr).group(1))

    user, syst = field(r"User time \(seconds\)"), field(r"System time \(seconds\)")
    return {"wall_s": round(wall, 2), "cpu_s": round(user + syst, 2), "sys_s": round(syst, 2),
            "major_faults": int(field(r"Major \(requiring I/O\) page faults"))}


def main():
    bindir = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    idle = float(sys.argv[3]) if len(sys.argv) > 3 else 80.0
    stack = os.path.join(bs.ROOT, ".build", "bench_ts", "s300")
    with open(os.path.join(stack, "stack.json")) as fh:
        meta = json.load(fh)
    work = os.path.join(stack, "runs_idle")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(bs.ROOT, ".build", "plugins"),
           "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    x, y = meta["ref_xy"]
    out = os.path.join(work, "ours")
    ours = ["qgis_process.bin", "run", "geohazard:sbasinversion", "--", f"INTERFEROGRAMS={stack}/tif",
            f"COHERENCE={stack}/tif", f"REFERENCE={x},{y} [EPSG:{meta['epsg']}]",
            f"WAVELENGTH_M={meta['wavelength_m']}", "ISBAS_MIN_COUNT=1", "MIN_TEMPORAL_COHERENCE=0",
            "MAX_MEMORY_MB=512", "WEIGHTING=1", f"LOOKS={meta['looks']}"]
    ours += [f"OUTPUT_{k.upper()}={out}/output_{k}.tif" for k in
             ("timeseries", "velocity", "velocity_std", "temporal_coherence", "cohcount")]
    mp_out = os.path.join(work, "mintpy")
    mintpy = [os.path.join(bindir, "ifgram_inversion.py"), os.path.join(stack, "ifgramStack.h5"), "-w", "var", "-o",
              "timeseries.h5", "temporalCoherence.h5", "numInvIfgram.h5", "--ram", "4", "-c", "local",
              "--num-worker", "2"]
    mp_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs = {(tool, state): [] for tool in ("ours", "mintpy") for state in ("after_idle", "hot")}
    print(json.dumps({"load_start": [round(v, 2) for v in os.getloadavg()], "idle_s": idle}), flush=True)
    for _ in range(rounds):
        for tool in ("ours", "mintpy"):
            time.sleep(idle)
            for state in ("after_idle", "hot"):
                if tool == "ours":
                    bs.fresh_folder(out)
                    r = _faults_and_sys(ours, env=env)
                else:
                    bs.fresh_folder(mp_out)
                    r = _faults_and_sys(mintpy, env=mp_env, cwd=mp_out)
                runs[(tool, state)].append(r)
                print(json.dumps({"tool": tool, "state": state, **r}), flush=True)
    summary = {f"{tool}_{state}": {k: statistics.median(r[k] for r in rs) for k in rs[0]}
               for (tool, state), rs in runs.items()}
    for state in ("after_idle", "hot"):
        summary[f"ratio_{state}"] = round(summary[f"mintpy_{state}"]["wall_s"] / summary[f"ours_{state}"]["wall_s"], 2)
    summary["load_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
