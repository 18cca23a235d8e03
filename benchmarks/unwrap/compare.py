"""Built-in unwrapper (global and tiled) vs SNAPHU (our backend) vs snaphu-py run directly, on synthetic truth.

Usage: python compare.py [N_SEEDS]   (needs numpy, scipy, numba, snaphu; no QGIS)
Per case and method: the share of the connected coherent area on the right cycle (left-out pixels wrong), the same
among the pixels it unwrapped, components, seconds; and whether our SNAPHU backend gives snaphu-py's bytes.

       python compare.py speed builtin|tiled|snaphu [SEED]   (snaphu: .build/venv-unwrap)
The 2000 x 2000 case (``BENCH_BIG``), one method a process: the correct-cycle share, components, wall and CPU
seconds of the unwrapping call and the peak RSS.
"""

import resource
import sys
import time

import numpy as np
from testutils_unwrap import BENCH_BIG, BENCH_CASES, correct_share, synthetic_interferogram

CASES = BENCH_CASES
TILED = {"tile_rows": 128}


def main(n_seeds=3, cases=CASES):
    import snaphu

    from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram
    from insar_geohazards.algorithms.unwrap.unwrap_tiles import unwrap_array_tiled

    rows_out = []
    print(f"{'case':38s} {'seed':>4s} {'method':28s} {'correct %':>9s} {'of unw %':>9s} {'comp':>5s} {'s':>6s}")
    for case, kw in cases.items():
        for seed in range(n_seeds):
            d = synthetic_interferogram(seed=seed, **kw)
            region = d["land"] & (d["coherence"] >= 0.3)
            looks = float(kw.get("looks", 9))
            runs = {}
            t = time.perf_counter()
            runs["builtin"] = unwrap_interferogram(d["wrapped"], d["coherence"])
            runs["builtin"].seconds = time.perf_counter() - t
            t = time.perf_counter()
            u, c, _ = unwrap_array_tiled(d["wrapped"], d["coherence"], **TILED)
            runs["builtin tiled"] = type("R", (), {"unwrapped": u, "components": c,
                                                   "seconds": time.perf_counter() - t})
            t = time.perf_counter()
            runs["snaphu backend"] = unwrap_interferogram(d["wrapped"], d["coherence"], backend="snaphu",
                                                          min_coherence=0.0, nlooks=looks)
            runs["snaphu backend"].seconds = time.perf_counter() - t
            t = time.perf_counter()
            unw, cc = snaphu.unwrap(np.exp(1j * d["wrapped"]).astype(np.complex64), d["coherence"], nlooks=looks,
                                    cost="smooth", init="mcf")
            sec = time.perf_counter() - t
            direct = type("R", (), {"unwrapped": np.where(cc > 0, unw, np.nan), "components": cc,
                                    "seconds": sec})
            runs["snaphu-py direct"] = direct
            runs["snaphu-py, conncomp ignored"] = type("R", (), {"unwrapped": unw, "seconds": sec,
                                                                 "components": np.ones(unw.shape, np.uint16)})
            mine = runs["snaphu backend"]
            same = bool(np.array_equal(mine.components, cc.astype(np.uint16))
                                             and np.array_equal(mine.unwrapped[cc > 0], unw[cc > 0].astype(np.float32)))
            for name, r in runs.items():
                share = correct_share(r.unwrapped, r.components, d["truth"], region)
                done = region & (r.components > 0)
                of_done = correct_share(r.unwrapped, r.components, d["truth"], done)
                ncomp = len(np.unique(r.components[r.components > 0]))
                rows_out.append((case, seed, name, share))
                print(f"{case:38s} {seed:4d} {name:28s} {100 * share:9.2f} {100 * of_done:9.2f} {ncomp:5d} "
                      f"{r.seconds:6.2f}")
            print(f"{'':38s} {seed:4d} snaphu backend == snaphu-py direct: {same}")
    print("\nmean correct % per case: built-in / built-in tiled / snaphu-py direct (built-in - snaphu, points) / "
          "snaphu-py with its conncomp ignored (built-in - it)")
    for case in cases:
        b, bt, s, a = (np.mean([v for c, _, m, v in rows_out if c == case and m == name]) * 100
                       for name in ("builtin", "builtin tiled", "snaphu-py direct", "snaphu-py, conncomp ignored"))
        print(f"{case:38s} {b:7.2f} {bt:7.2f} {s:7.2f} ({b - s:+6.2f}) {a:7.2f} ({b - a:+6.2f})")


def speed(method, seed):
    d = synthetic_interferogram(seed=seed, **BENCH_BIG)
    region = d["land"] & (d["coherence"] >= 0.3)
    cpu0 = _cpu()
    t = time.perf_counter()
    if method == "snaphu":
        import snaphu

        unw, cc = snaphu.unwrap(np.exp(1j * d["wrapped"]).astype(np.complex64), d["coherence"],
                                nlooks=float(BENCH_BIG["looks"]), cost="smooth", init="mcf")
        unw = np.where(cc > 0, unw, np.nan)
    elif method == "tiled":
        from insar_geohazards.algorithms.unwrap.unwrap_tiles import unwrap_array_tiled

        unw, cc, _ = unwrap_array_tiled(d["wrapped"], d["coherence"], max_memory_mb=64)
    else:
        from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram

        r = unwrap_interferogram(d["wrapped"], d["coherence"])
        unw, cc = r.unwrapped, r.components
    sec = time.perf_counter() - t
    cpu = _cpu() - cpu0
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(f"{method:8s} seed {seed}: correct {100 * correct_share(unw, cc, d['truth'], region):.2f} %, "
          f"{len(np.unique(cc[cc > 0]))} component(s), unwrapping {sec:.1f} s wall, {cpu:.1f} CPU-s (user + sys, "
          f"child processes included: snaphu-py runs SNAPHU as one), peak RSS of the largest process "
          f"{peak / 1024:.0f} MB (the synthetic case's generator included)", flush=True)


def _cpu():
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["speed"]:
        speed(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
