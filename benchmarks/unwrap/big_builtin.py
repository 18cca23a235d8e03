"""The built-in backend alone on compare.py's 2000 x 2000 BIG case (no snaphu needed, minutes not half an hour).

Usage: /usr/bin/python3 benchmarks/unwrap/big_builtin.py [SEED ...]   (default: 0)
Prints per seed the correct-cycle share (compare.py's score) of the global run and of the tiled
run at a 64 MB budget (8 tiles of 256 rows), the number of components and the seconds.
"""

import os
import sys
import time

import numpy as np
from testutils_unwrap import correct_share, synthetic_interferogram

from insar_geohazards.algorithms.timeseries.unwrap import unwrap_interferogram
from insar_geohazards.algorithms.timeseries.unwrap_tiles import unwrap_array_tiled

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare.py")) as fh:
    _src = fh.read()
_ns = {}
exec(_src[_src.index("BIG = "):_src.index("TILED =")], _ns)  # the same case as compare.py --big
KW = dict(next(iter(_ns["BIG"].values())))


def main(seeds):
    print(f"{'seed':>4s} {'method':24s} {'correct %':>9s} {'comp':>5s} {'s':>6s}")
    for seed in seeds:
        d = synthetic_interferogram(seed=seed, **KW)
        region = d["land"] & (d["coherence"] >= 0.3)
        t = time.perf_counter()
        r = unwrap_interferogram(d["wrapped"], d["coherence"])
        sec = time.perf_counter() - t
        share = correct_share(r.unwrapped, r.components, d["truth"], region)
        print(f"{seed:4d} {'built-in, global':24s} {100 * share:9.2f} "
              f"{len(np.unique(r.components[r.components > 0])):5d} {sec:6.1f}", flush=True)
        t = time.perf_counter()
        u, c, _ = unwrap_array_tiled(d["wrapped"], d["coherence"], max_memory_mb=64)
        sec = time.perf_counter() - t
        share = correct_share(u, c, d["truth"], region)
        print(f"{seed:4d} {'built-in, tiled 64 MB':24s} {100 * share:9.2f} "
              f"{len(np.unique(c[c > 0])):5d} {sec:6.1f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [0])
