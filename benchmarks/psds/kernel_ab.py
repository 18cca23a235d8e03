"""``phase_link`` (EMI, GLRT, 11 x 11, PS mask) of two checkouts on the same stack: CPU seconds, interleaved.

Usage: /usr/bin/python3 benchmarks/psds/kernel_ab.py BEFORE_PLUGINS STACK.npz [ROUNDS] [ROWS]
BEFORE_PLUGINS is a folder holding an ``insar_geohazards`` package (e.g. ``git archive <commit>`` unpacked into
``X/insar_geohazards``), "after" is this checkout (``.build/plugins``); STACK.npz from ``bench_psds.py simulate``
(``benchmarks/results/psds_whole/stack.npz`` of whole_run.sh). Each round runs one fresh process per version, one
numba thread then two (``NUMBA_NUM_THREADS``), each timing 3 calls after a warm-up; prints the best CPU (user + sys)
and wall seconds of each and the md5 of the outputs (phase, temporal coherence, SHP count), which must match.
~1.5 min idle for 3 rounds (numba caches compiled; 3.2 min at load 10). ROWS: only the first ROWS rows of the stack
(a crop: quicker rounds, the same code paths).
"""

import hashlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
AFTER = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "plugins")


def child(plugins, stack, rows=0):
    sys.path.insert(0, plugins)
    import numpy as np

    from insar_geohazards.algorithms.timeseries.phase_linking import phase_link

    d = np.load(stack)
    slc, ps = d["slc"], d["ps_mask"]
    if rows:
        slc, ps = slc[:, :rows], ps[:rows]
    phase_link(slc[:, :20], window=(11, 11), ps_mask=ps[:20])  # numba's cache load
    best = None
    for _ in range(3):
        w, c = time.perf_counter(), time.process_time()
        r = phase_link(slc, window=(11, 11), ps_mask=ps)
        got = (time.process_time() - c, time.perf_counter() - w)
        best = got if best is None or got[0] < best[0] else best
    md5 = hashlib.md5(r.phase.tobytes() + r.temporal_coherence.tobytes() + r.shp_count.tobytes()).hexdigest()
    print(json.dumps({"cpu_s": best[0], "wall_s": best[1], "md5": md5}))


def main(before, stack, rounds=3, rows=0):
    res = {}
    for _ in range(rounds):
        for threads in (1, 2):
            for name, plugins in (("before", before), ("after", AFTER)):
                env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
                out = subprocess.run([sys.executable, __file__, "--child", plugins, stack, str(rows)], env=env,
                                     capture_output=True, text=True, check=True)
                got = json.loads(out.stdout.strip().splitlines()[-1])
                key = f"{name}_{threads}thread"
                old = res.get(key)
                res[key] = got if old is None or got["cpu_s"] < old["cpu_s"] else old
    res["same_bytes"] = len({v["md5"] for v in res.values()}) == 1
    res["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    else:
        main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:5]))
