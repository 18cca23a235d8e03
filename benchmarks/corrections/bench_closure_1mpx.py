"""Speed at 1 Mpx: geohazard:unwrapclosurecorrection (whole qgis_process run) vs MintPy 1.6.4's per-pixel closure
pass (``calc_num_triplet_with_nonzero_integer_ambiguity``) on the same 202-interferogram stack, same threads.

Usage (make bench FAMILY=corrections CASE=closure_1mpx):
  bench_closure_1mpx.py STACK_DIR MINTPY_PYTHON WORK_DIR OUT_JSON [--threads 2]

MintPy's correction needs connected components, which this stack has not: its closure pass is a lower bound of its
cost.
"""

from __future__ import annotations

import json
import os
import sys

from common import fresh, loadavg, option, qgis_cmd, qgis_env, save_json, time_v


def main():
    stack, venv_py, work, out_json = (os.path.abspath(a) for a in sys.argv[1:5])
    threads = option(sys.argv, "--threads", 2, int)
    env = qgis_env(threads, MKL_NUM_THREADS=threads)
    fresh(work)
    res = {"stack": stack, "threads": threads, "load_before": loadavg()}
    params = {"INTERFEROGRAMS": os.path.join(stack, "tif"), "OUTPUT": os.path.join(work, "fixed"),
              "OUTPUT_STATS": os.path.join(work, "stats.csv"), "OUTPUT_NONCLOSING": os.path.join(work, "nc.tif")}
    p = time_v(qgis_cmd("unwrapclosurecorrection", params), env=env)
    res["ours_s"] = p["wall_s"]
    res["ours_log"] = p["stdout"].strip().splitlines()[-6:]
    code = ("from mintpy.unwrap_error_phase_closure import calc_num_triplet_with_nonzero_integer_ambiguity as f; "
            f"f({os.path.join(stack, 'ifgramStack.h5')!r}, out_file={os.path.join(work, 'numTri.h5')!r}, "
            "update_mode=False)")
    res["mintpy_closure_pass_s"] = time_v([venv_py, "-c", code], cwd=work, env=env)["wall_s"]
    res["load_after"] = loadavg()
    save_json(out_json, res)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
