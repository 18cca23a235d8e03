"""Okada's CPU per unit of work on each path (numpy, compiled): the cost model a fault tool's first run chooses by.

The block functions the tools call are timed on both paths: ``okada_grid_block`` (okadaforward: displacement at the
surface), ``coulomb_grid_block`` at 10 km with a fixed receiver (coulombstress, coulombonfaults: the nine gradients
and the stress) and ``okada_greens`` (the slip inversions' design matrix), on grids and fault tables of several
sizes: one patch, 40 uniform-slip patches along one plane (4 distinct corners), the same with variable slip (82
corners), 8 planes of different strikes (32 corners). One numba thread, best of ``BENCH_REPEAT`` CPU-s with the paths
interleaved. ``cpu_s = a * pairs + b * calls + c * stations`` (:mod:`algorithms.faults.okada_cost`) is fitted per kind
and path by non-negative least squares on the relative error; the worst relative residual is reported. The fit goes
to ``algorithms/compile_costs.json``'s ``work`` row of ``okada`` (``--write``).

    make bench FAMILY=faults CASE=work_costs
    /usr/bin/python3 benchmarks/faults/work_costs.py OUT.json [--write]
    /usr/bin/python3 benchmarks/faults/work_costs.py --fit OUT.json [--write]     (the fit again, no runs)
"""

import json
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

import numpy as np  # noqa: E402
from scipy.optimize import nnls  # noqa: E402

from insar_geohazards.algorithms import _numba  # noqa: E402
from insar_geohazards.algorithms.faults.faults import faults_from_traces  # noqa: E402
from insar_geohazards.algorithms.faults.grid_blocks import (  # noqa: E402
    COULOMB_BLOCK_PIXELS,
    OKADA_BLOCK_PIXELS,
    coulomb_grid_block,
    okada_grid_block,
)
from insar_geohazards.algorithms.faults.okada import okada_greens  # noqa: E402
from insar_geohazards.algorithms.faults.okada_cost import KINDS, TERMS, okada_work  # noqa: E402
from insar_geohazards.algorithms.kernel_families import BY_NAME, COSTS_FILE, _Block  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", 2))
SPAN_M = 36_000.0  # the grid's side (m)
#: the startup rows' grid (benchmarks/startup cold_okada_grid: memory_okada's 1200 x 1200 pixels of 20 m, a fault in 40
#: uniform-slip patches; coulombstress on 500 x 500 pixels of it at 10 km)
GRID_SPAN_M = 24_000.0


def table(name: str) -> np.ndarray:
    """The source tables: ``one`` patch, ``uniform`` / ``variable`` slip on 40 patches of one plane, ``planes``: 8
    patches of different strikes (each a plane of its own), ``grid``: the startup rows' 40 uniform-slip patches."""
    if name == "planes":
        traces = [np.array([[8000.0 + 2500.0 * k, -18000.0], [8000.0 + 2500.0 * k + 3000.0 * np.cos(0.3 * k),
                                                                -18000.0 + 3000.0 * np.sin(0.3 * k)]])
                  for k in range(8)]
        return faults_from_traces(traces, dip_deg=60.0, top_m=0.0, bottom_m=15000.0, slip_m=1.0,
                                  rake_deg=90.0).table()
    n = 1 if name == "one" else 40
    span = GRID_SPAN_M if name == "grid" else SPAN_M
    length = (span - 8000.0) / n
    traces = [np.array([[4000.0 + k * length, -span / 2], [4000.0 + (k + 1) * length, -span / 2]])
              for k in range(n)]
    t = faults_from_traces(traces, dip_deg=60.0, top_m=0.0, bottom_m=15000.0, slip_m=1.0, rake_deg=90.0).table()
    if name == "variable":
        t[:, 7:10] *= np.random.default_rng(1).uniform(0.5, 1.5, (n, 1))
    return t


#: (kind, table or patches, rows, cols) per path: the numpy path on smaller grids (a few CPU-s each)
CONFIGS = {
    "displacement": {
        "numpy": [("one", 256, 256), ("uniform", 256, 256), ("variable", 128, 128), ("planes", 256, 256),
                  ("variable", 20, 25), ("grid", 1200, 1200)],
        "numba": [("one", 512, 512), ("uniform", 512, 512), ("variable", 256, 256), ("planes", 512, 512),
                  ("variable", 20, 25), ("grid", 1200, 1200)],
    },
    "gradients": {
        "numpy": [("one", 128, 128), ("uniform", 128, 128), ("variable", 96, 96), ("planes", 128, 128),
                  ("variable", 20, 25), ("grid", 500, 500)],
        "numba": [("one", 512, 512), ("uniform", 512, 512), ("variable", 256, 256), ("planes", 512, 512),
                  ("variable", 20, 25), ("grid", 500, 500)],
    },
    "greens": {
        "numpy": [(1, 20, 25), (20, 40, 50), (100, 40, 50), (50, 10, 20), (200, 20, 25)],
        "numba": [(1, 20, 25), (20, 40, 50), (100, 40, 50), (50, 10, 20), (200, 100, 100)],
    },
}


def _blocks(func, rows, cols, pixels):
    """``func(block)`` over row blocks of at most ``pixels`` pixels, as the tools' runs hand them out."""
    step = max(1, pixels // cols)

    def go():
        out = []
        for r0 in range(0, rows, step):
            b = _Block(min(step, rows - r0), cols)
            b.row0, b.row1, b.n_rows_total = r0, r0 + b.rows, rows
            out.append(func(b))
        return {k: np.concatenate([o[k] for o in out], axis=1) for k in out[0]}

    return go


def _job(kind, what, rows, cols):
    """The call timed and its work (:func:`okada_work`)."""
    span = GRID_SPAN_M if what == "grid" else SPAN_M
    gt = (0.0, span / cols, 0.0, 0.0, 0.0, -span / rows)
    if kind == "greens":
        t = np.tile(table("variable"), (-(-what // 40), 1))[:what]
        e, n = np.meshgrid((np.arange(cols) + 0.5) * SPAN_M / cols, -(np.arange(rows) + 0.5) * SPAN_M / rows)
        e, n = e.ravel() + 0.37, n.ravel() + 0.29  # off the patches' edges
        return (lambda: okada_greens(e, n, t)), okada_work(e.size, t, kind)
    t = table(what)
    xx, yy = np.meshgrid(gt[0] + (np.arange(cols) + 0.5) * gt[1], gt[3] + (np.arange(rows) + 0.5) * gt[5])
    depth = 0.0 if kind == "displacement" else 10e3
    work = okada_work(rows * cols, t, kind, points=(xx, yy), depths_m=(depth,))
    if kind == "displacement":
        return _blocks(lambda b: okada_grid_block(b, {}, geotransform=gt, table=t, poisson=0.25,
                                                  los_vec=(0.6, -0.1, 0.79)), rows, cols, OKADA_BLOCK_PIXELS), work
    return _blocks(lambda b: coulomb_grid_block(b, {}, geotransform=gt, table=t, depths_m=[depth], regional=None,
                                                shear_modulus_pa=3.2e10, poisson=0.25, friction=0.4, scale_pa=1e5,
                                                receiver={"strike_deg": 90.0, "dip_deg": 60.0, "rake_deg": 90.0}),
                   rows, cols, COULOMB_BLOCK_PIXELS), work


def _run(fn, path):
    modules = BY_NAME["okada"].modules()
    c0 = time.process_time()
    if path == "numpy":
        with _numba.python_kernels(modules):
            got = fn()
    else:
        got = fn()
    return time.process_time() - c0, got


def fit(rows):
    """Non-negative least squares of ``cpu_s`` on the work terms (the relative error weighs each row alike)."""
    a = np.array([[r[t] for t in TERMS] for r in rows], float)
    y = np.array([r["cpu_s"] for r in rows], float)
    w = 1.0 / y
    scale = np.maximum(a.max(axis=0), 1e-30)
    coef, _ = nnls(a / scale * w[:, None], y * w)
    coef = coef / scale
    err = float(np.max(np.abs(a @ coef - y) / y))
    return coef, err


def main(out, write=False):
    if out == "--fit":
        out = sys.argv[2]
        with open(out, encoding="utf-8") as fh:
            done = json.load(fh)
        return report({k: {p: done[k][p]["rows"] for p in ("numpy", "numba")} for k in KINDS}, out, write,
                      done["how"])
    for kind in KINDS:  # compiled (or loaded) before timing
        _job(kind, "one" if kind != "greens" else 1, 4, 5)[0]()
    rows = {k: {p: [] for p in ("numpy", "numba")} for k in KINDS}
    for kind in KINDS:
        for path in ("numpy", "numba"):
            for what, r, c in CONFIGS[kind][path]:
                _, work = _job(kind, what, r, c)
                rows[kind][path].append({"what": what, "rows": r, "cols": c, "cpu_s": float("inf"),
                                         **{t: getattr(work, t) for t in TERMS}})
        for _ in range(REPEAT):
            for i in range(len(CONFIGS[kind]["numpy"])):
                for path in ("numpy", "numba"):
                    row = rows[kind][path][i]
                    fn, _ = _job(kind, row["what"], row["rows"], row["cols"])
                    cpu, _ = _run(fn, path)
                    row["cpu_s"] = min(row["cpu_s"], cpu)
                    print(kind, path, {k: v for k, v in row.items()}, flush=True)
    how = (f"benchmarks/faults/work_costs.py: one numba thread, best of {REPEAT} CPU-s interleaved, "
           f"{time.strftime('%Y-%m-%d')}, load {os.getloadavg()[0]:.1f}")
    report(rows, out, write, how)


def report(rows, out, write, how):
    result = {"how": how}
    for kind in KINDS:
        result[kind] = {}
        for path, rr in rows[kind].items():
            for r in rr:  # the work counted as the model counts it now (a fit again after a change of the count)
                _, work = _job(kind, r["what"], r["rows"], r["cols"])
                r.update({t: getattr(work, t) for t in TERMS})
            coef, err = fit(rr)
            result[kind][path] = {"rates": {t: float(f"{c:.4g}") for t, c in zip(TERMS, coef)},
                                  "max_rel_error": round(err, 3), "rows": rr}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
    summary = {k: {p: {"rates": result[k][p]["rates"], "max_rel_error": result[k][p]["max_rel_error"]}
                   for p in ("numpy", "numba")} for k in KINDS}
    print(json.dumps(summary, indent=1))
    worst = max(result[k][p]["max_rel_error"] for k in KINDS for p in ("numpy", "numba"))
    print(json.dumps({"bench": {"ours": "CPU-s per unit, numpy / compiled, per kind: " + "; ".join(
        f"{k} {result[k]['numpy']['rates']['pairs']:.3g} / {result[k]['numba']['rates']['pairs']:.3g} per pair"
        for k in KINDS), "accuracy": f"fit within {100 * worst:.0f} % of every measured row",
        "date": time.strftime("%Y-%m-%d") + f", load {os.getloadavg()[0]:.1f}"}}), flush=True)
    if write:
        with open(COSTS_FILE, encoding="utf-8") as fh:
            doc = json.load(fh)
        row = {k: {p: result[k][p]["rates"] for p in ("numpy", "numba")} for k in KINDS}
        row["how"] = how
        row["max_rel_error"] = worst
        doc.setdefault("work", {})["okada"] = row
        with open(COSTS_FILE, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
            fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], "--write" in sys.argv[2:])
