"""Speed at 1 Mpx: geohazard:unwrapclosurecorrection (whole qgis_process run: read, closures, integer
solves, 202 corrected GeoTIFFs, statistics) vs MintPy 1.6.4's per-pixel closure pass
(``calc_num_triplet_with_nonzero_integer_ambiguity``: read, reference, closures, integer ambiguity count,
one output) on the same 1000 x 1000 px, 202-interferogram stack, one after the other, same threads.

Usage: /usr/bin/python3 bench_closure_1mpx.py STACK_DIR MINTPY_PYTHON WORK_DIR OUT_JSON [--threads 2]

STACK_DIR holds ``tif/*_unw.tif`` and ``ifgramStack.h5`` (benchmarks/timeseries/make_stack.py). MintPy's
correcting action needs connected components, which this stack has not: its closure pass is the part of
MintPy's method that runs per pixel, and a lower bound of its cost.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    stack, venv_py, work, out_json = (os.path.abspath(a) for a in sys.argv[1:5])
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    env_t = {"OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
             "NUMBA_NUM_THREADS": str(threads)}
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    res = {"stack": stack, "threads": threads, "load_before": os.getloadavg()}
    env = {**os.environ, **env_t, "QT_QPA_PLATFORM": "offscreen",
           "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    args = [f"INTERFEROGRAMS={os.path.join(stack, 'tif')}", f"OUTPUT={os.path.join(work, 'fixed')}",
            f"OUTPUT_STATS={os.path.join(work, 'stats.csv')}", f"OUTPUT_NONCLOSING={os.path.join(work, 'nc.tif')}"]
    t0 = time.perf_counter()
    p = subprocess.run(["qgis_process.bin", "--json", "run", "geohazard:unwrapclosurecorrection", "--", *args],
                       capture_output=True, text=True, env=env)
    res["ours_s"] = time.perf_counter() - t0
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    log = json.loads(p.stdout[p.stdout.index("{"):]).get("log", {})
    res["ours_log"] = log.get("info", "")[-6:] if isinstance(log.get("info"), list) else str(log)[-1500:]
    code = ("from mintpy.unwrap_error_phase_closure import calc_num_triplet_with_nonzero_integer_ambiguity as f; "
            f"f({os.path.join(stack, 'ifgramStack.h5')!r}, out_file={os.path.join(work, 'numTri.h5')!r}, "
            "update_mode=False)")
    t0 = time.perf_counter()
    p = subprocess.run([venv_py, "-c", code], capture_output=True, text=True, cwd=work, env={**os.environ, **env_t})
    res["mintpy_closure_pass_s"] = time.perf_counter() - t0
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res["load_after"] = os.getloadavg()
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    with open(out_json, "w") as fh:
        json.dump(res, fh, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
