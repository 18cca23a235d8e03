"""Okada's numpy form against its compiled kernels on the benchmark rows' inputs: CPU-s, best of N, interleaved.

Each entry point is run compiled (kernels loaded from the cache: run the warm-up or any Okada run first) and as numpy
(the numpy path of a first run: ``python_kernels``, :mod:`algorithms.faults.okada_numpy`), one after the other, N
times; the best CPU-s (user + sys, all threads) of each and their ratio are printed and written as JSON. The outputs
of both are compared byte for byte. Inputs: the displacement row's 10,000 points x 200 patches, variable slip
(``okada_peers``); the Coulomb grid's gradients at 10 km, 1,000 variable-slip patches, on ``GRID_ROWS`` rows of its
500 x 500 nodes (``coulomb_peers``; the cost is linear in the nodes); the slip inversions' design matrix
(``okada_greens``, the displacement row's points x patches); the 1200 x 1200 grid of 40 patches (``memory_okada``).

    python3 numpy_vs_compiled.py OUT.json [--repeat 3] [--cases disp,gradients,greens,grid]
"""

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))


def _cases(names):
    from bench_okada import grid_source, make_input

    from insar_geohazards.algorithms.faults.faults import faults_from_traces
    from insar_geohazards.algorithms.faults.okada import okada_displacement, okada_gradients, okada_greens

    out = {}
    if {"disp", "greens"} & set(names):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "okada_numpy_vs_compiled.npz")
        make_input(path)
        d = np.load(path)
        e, n, table = d["e"], d["n"], d["table"].copy()
        table[:, 7:10] *= np.random.default_rng(1).uniform(0.5, 1.5, (len(table), 1))
        out["disp"] = ("displacement, 10,000 points x 200 patches, variable slip",
                       lambda: okada_displacement(e, n, table))
        m = int(os.environ.get("GREENS_POINTS", "2000"))
        out["greens"] = (f"design matrix (okada_greens), {m} points x 200 patches",
                         lambda: okada_greens(e[:m], n[:m], table))
    if "gradients" in names:
        rows = int(os.environ.get("GRID_ROWS", "10"))
        gtab, _, xx, yy = grid_source("variable")
        out["gradients"] = (f"Coulomb grid gradients at 10 km, 1,000 variable-slip patches, {rows} x 500 nodes",
                            lambda: okada_gradients(xx[:rows], yy[:rows], gtab, up_m=-10e3))
    if "grid" in names:
        side, n_src, px = 1200, 40, 30.0
        length = (side * px - 8000.0) / n_src
        traces = [np.array([[4000.0 + k * length, -side * px / 2], [4000.0 + (k + 1) * length, -side * px / 2]])
                  for k in range(n_src)]
        f = faults_from_traces(traces, dip_deg=60.0, top_m=0.0, bottom_m=15000.0, slip_m=1.0, rake_deg=90.0)
        x = (np.arange(side) + 0.5) * px
        gx, gy = np.meshgrid(x, -x)
        tab = f.table()
        out["grid"] = ("okadaforward grid 1200 x 1200, 40 patches (displacement)",
                       lambda: okada_displacement(gx, gy, tab))
    return {k: out[k] for k in names if k in out}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="disp,gradients,greens,grid")
    args = ap.parse_args(argv)
    from insar_geohazards.algorithms import _numba, kernel_families

    modules = kernel_families.BY_NAME["okada"].modules()
    results = {}
    for name, (label, fn) in _cases(args.cases.split(",")).items():
        fn()  # compiled: loaded (or compiled) before the timing
        best = {"compiled": np.inf, "numpy": np.inf}
        walls = {"compiled": np.inf, "numpy": np.inf}
        outs = {}
        for _ in range(args.repeat):
            for path in ("compiled", "numpy"):
                c, t = time.process_time(), time.perf_counter()
                if path == "numpy":
                    with _numba.python_kernels(modules):
                        got = fn()
                else:
                    got = fn()
                best[path] = min(best[path], time.process_time() - c)
                walls[path] = min(walls[path], time.perf_counter() - t)
                outs[path] = got
        same = all(np.asarray(a).tobytes() == np.asarray(b).tobytes()
                   for a, b in zip(np.atleast_1d(outs["compiled"]) if not isinstance(outs["compiled"], tuple)
                                   else outs["compiled"],
                                   np.atleast_1d(outs["numpy"]) if not isinstance(outs["numpy"], tuple)
                                   else outs["numpy"]))
        ratio = best["numpy"] / best["compiled"]
        results[name] = {"measures": label, "compiled_cpu_s": round(best["compiled"], 4),
                         "numpy_cpu_s": round(best["numpy"], 4), "compiled_wall_s": round(walls["compiled"], 4),
                         "numpy_wall_s": round(walls["numpy"], 4), "ratio": round(ratio, 2), "same_bytes": same}
        print(f"{name}: {label}: compiled {best['compiled']:.3f} CPU-s, numpy {best['numpy']:.3f} CPU-s, "
              f"numpy/compiled {ratio:.2f}x, same bytes {same}", flush=True)
    results["how"] = (f"benchmarks/faults/numpy_vs_compiled.py --repeat {args.repeat}, best CPU-s (user+sys) of "
                      f"each path, interleaved, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load "
                      f"{os.getloadavg()[0]:.1f}")
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1)
    rows = {k: v for k, v in results.items() if k != "how"}
    short = {"disp": "displacement", "gradients": "Coulomb gradients", "greens": "design matrix",
             "grid": "1200 x 1200 grid"}
    print(json.dumps({"bench": {
        "ours": "numpy / compiled CPU-s: " + "; ".join(
            f"{short.get(k, k)} {v['numpy_cpu_s']:.2f} / {v['compiled_cpu_s']:.2f}" for k, v in rows.items()),
        "ratio": ", ".join(f"{v['ratio']:.1f}x" for v in rows.values()),
        "accuracy": "same bytes" if all(v["same_bytes"] for v in rows.values()) else "BYTES DIFFER",
        "peak_rss": "not measured",
        "date": time.strftime("%Y-%m-%d", time.gmtime()) + f", load {os.getloadavg()[0]:.1f}"}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
