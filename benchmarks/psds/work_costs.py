"""Phase linking's CPU per unit of work on each path (numpy, compiled): the cost model a first run chooses by.

A phase-linking run's work has two parts: the window sums of ``s s^H`` and the SHP tests (``pixels x window pixels
x dates^2``) and the linking of each pixel's ``N x N`` coherence matrix (``pixels x dates^2``: the matrix-vector
steps of EMI's inverse iteration; see ``phase_link_work``). Both paths are timed on crops of the benchmark stack
(``bench_psds.py simulate``: 30 dates, EMI, GLRT SHP, PS mask) at several windows and date counts, one numba
thread, best of ``BENCH_REPEAT`` CPU-s with the paths interleaved; ``cpu_s = a * cov_work + b * link_work`` is
fitted per path by least squares on the relative error (non-negative), the worst relative residual reported. The
fit goes to ``algorithms/compile_costs.json``'s ``work`` row of the family (``--write``).

    make bench FAMILY=psds CASE=work_costs          (the stack, the runs, the fit written)
    /usr/bin/python3 benchmarks/psds/work_costs.py STACK.npz OUT.json [--write]
    /usr/bin/python3 benchmarks/psds/work_costs.py --fit OUT.json [--write]     (the fit again, no runs)
"""

import json
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

import numpy as np  # noqa: E402

from insar_geohazards.algorithms import _numba  # noqa: E402
from insar_geohazards.algorithms.kernel_families import BY_NAME, COSTS_FILE  # noqa: E402
from insar_geohazards.algorithms.psds.phase_linking import phase_link, phase_link_work  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", 3))
#: (crop side, dates, window side) per path: the numpy path on smaller crops (tens of CPU-s each)
CONFIGS = {
    "numpy": [(120, 30, 11), (120, 30, 5), (120, 30, 15), (120, 15, 11), (120, 20, 7)],
    "numba": [(200, 30, 11), (200, 30, 5), (200, 30, 15), (200, 15, 11), (200, 20, 7)],
}


def _run(slc, ps, dates, win, path):
    s, p = slc[:dates], ps
    c0 = time.process_time()
    if path == "numpy":
        with _numba.python_kernels(BY_NAME["phase_linking"].modules()):
            phase_link(s, window=(win, win), ps_mask=p)
    else:
        phase_link(s, window=(win, win), ps_mask=p)
    return time.process_time() - c0


def fit(rows):
    """Non-negative least squares of ``cpu_s`` on the two work terms (the relative error weighs each row alike)."""
    a = np.array([[r["cov_work"], r["link_work"]] for r in rows], float)
    y = np.array([r["cpu_s"] for r in rows], float)
    w = 1.0 / y
    best = None
    for cols in ((0, 1), (0,), (1,)):  # the unconstrained fit, else one term alone
        coef = np.zeros(2)
        sol = np.linalg.lstsq(a[:, cols] * w[:, None], y * w, rcond=None)[0]
        if np.any(sol < 0):
            continue
        coef[list(cols)] = sol
        err = float(np.max(np.abs(a @ coef - y) / y))
        if best is None or err < best[1]:
            best = (coef, err)
    return best


def main(stack, out, write=False):
    if stack == "--fit":
        with open(out, encoding="utf-8") as fh:
            done = json.load(fh)
        return report({path: done[path]["rows"] for path in ("numpy", "numba")}, out, write, done["how"])
    d = np.load(stack)
    slc, ps = d["slc"], d["ps_mask"]
    phase_link(slc[:, :30, :30], window=(5, 5), ps_mask=ps[:30, :30])  # compiled (or loaded) before timing
    rows = {"numpy": [], "numba": []}
    for path in ("numpy", "numba"):
        for side, dates, win in CONFIGS[path]:
            rows[path].append({"side": side, "dates": dates, "window": win, "cpu_s": float("inf")})
    for _ in range(REPEAT):
        for i in range(len(CONFIGS["numpy"])):
            for path in ("numpy", "numba"):
                r = rows[path][i]
                s = slice(0, r["side"])
                r["cpu_s"] = min(r["cpu_s"], _run(slc[:, s, s], ps[s, s], r["dates"], r["window"], path))
                print(path, r, flush=True)
    how = (f"benchmarks/psds/work_costs.py: one numba thread, best of {REPEAT} CPU-s interleaved, "
           f"{time.strftime('%Y-%m-%d')}, load {os.getloadavg()[0]:.1f}")
    report(rows, out, write, how)


def report(rows, out, write, how):
    result = {}
    for path, rr in rows.items():
        for r in rr:
            r.update(zip(("cov_work", "link_work"), phase_link_work((r["side"], r["side"]), r["dates"],
                                                                    (r["window"], r["window"]))))
        coef, err = fit(rr)
        result[path] = {"cpu_s_per_gcov": round(coef[0] * 1e9, 4), "cpu_s_per_glink": round(coef[1] * 1e9, 4),
                        "max_rel_error": round(err, 3), "rows": rr}
    result["how"] = how
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
    print(json.dumps({k: {kk: v for kk, v in r.items() if kk != "rows"} if isinstance(r, dict) else r
                      for k, r in result.items()}))
    if write:
        with open(COSTS_FILE, encoding="utf-8") as fh:
            doc = json.load(fh)
        row = {f"{path}_cpu_s_per_g{term}": result[path][f"cpu_s_per_g{term}"]
               for path in ("numpy", "numba") for term in ("cov", "link")}
        row["how"] = result["how"]
        doc.setdefault("work", {})["phase_linking"] = row
        with open(COSTS_FILE, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
            fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--write" in sys.argv[3:])
