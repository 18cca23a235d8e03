"""Speed and peak memory on compare.py's 2000 x 2000 case, built-in backend vs snaphu-py, one process each: the
correct-cycle share, components, wall and CPU seconds of the unwrapping call.

Usage: python speed_2000.py builtin|tiled|snaphu [SEED]   (snaphu: .build/venv-unwrap)
"""

import resource
import sys
import time

import numpy as np
from testutils_unwrap import BENCH_BIG as KW
from testutils_unwrap import correct_share, synthetic_interferogram


def main(method, seed):
    d = synthetic_interferogram(seed=seed, **KW)
    region = d["land"] & (d["coherence"] >= 0.3)
    cpu0 = _cpu()
    t = time.perf_counter()
    if method == "snaphu":
        import snaphu

        unw, cc = snaphu.unwrap(np.exp(1j * d["wrapped"]).astype(np.complex64), d["coherence"],
                                nlooks=float(KW["looks"]), cost="smooth", init="mcf")
        unw = np.where(cc > 0, unw, np.nan)
    elif method == "tiled":
        from insar_geohazards.algorithms.timeseries.unwrap_tiles import unwrap_array_tiled

        unw, cc, _ = unwrap_array_tiled(d["wrapped"], d["coherence"], max_memory_mb=64)
    else:
        from insar_geohazards.algorithms.timeseries.unwrap import unwrap_interferogram

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
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
