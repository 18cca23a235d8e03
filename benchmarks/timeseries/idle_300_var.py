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
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_sbas as bs  # noqa: E402


def main():
    bindir = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    idle = float(sys.argv[3]) if len(sys.argv) > 3 else 80.0
    stack = os.path.join(bs.ROOT, ".build", "bench_ts", "s300")
    with open(os.path.join(stack, "stack.json")) as fh:
        meta = json.load(fh)
    work = os.path.join(stack, "runs_idle")
    runs = {(tool, state): [] for tool in ("ours", "mintpy") for state in ("after_idle", "hot")}
    print(json.dumps({"load_start": [round(v, 2) for v in os.getloadavg()], "idle_s": idle}), flush=True)
    for _ in range(rounds):
        for tool in ("ours", "mintpy"):
            time.sleep(idle)
            for state in ("after_idle", "hot"):
                st = {}
                if tool == "ours":  # run_300_var.sh's command (bench_sbas.ours), 2 threads
                    wall, _, _ = bs.ours(stack, meta, weighted=True, out=os.path.join(work, "ours"), threads=2,
                                         stats=st)
                else:  # MintPy's baseline: one OpenBLAS thread per process, 2 workers
                    wall, _ = bs.mintpy(stack, bindir, weight="var", out=os.path.join(work, "mintpy"), stats=st)
                r = {"wall_s": round(wall, 2), "cpu_s": st["cpu_s"], "sys_s": st["sys_s"],
                     "major_faults": st["major_faults"]}
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
