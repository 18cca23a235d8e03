"""CPU and wall time of detect_ada untiled vs on spatial tiles with halos, in one process.

Usage: /usr/bin/python3 benchmarks/ada/tile_times.py [TRUTH.npz] [TILE_POINTS]
(default: .build/bench-ada/urban_rural_1000000.npz from run_generators.sh, 170,000 points per
tile = 6 tiles). Two alternated repetitions; the results are checked to be byte-identical.
"""

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms.ada.detection import detect_ada  # noqa: E402


def main(npz, tile_points):
    d = np.load(npz)
    x, y, v = d["x"], d["y"], d["v"]
    detect_ada(x[:20000], y[:20000], v[:20000])  # imports, kernels
    labels = {}
    for rep in (1, 2):
        for tp in (None, tile_points):
            c0, t0 = time.process_time(), time.perf_counter()
            r = detect_ada(x, y, v, tile_points=tp)
            print(f"rep {rep}, tile_points {tp}: wall {time.perf_counter() - t0:.2f} s, "
                  f"CPU {time.process_time() - c0:.2f} s, {r.n_ada} ADAs", flush=True)
            labels.setdefault(tp, r.labels.tobytes() + r.flags.tobytes())
    print("tiled == untiled:", len(set(labels.values())) == 1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "bench-ada", "urban_rural_1000000.npz"),
         int(sys.argv[2]) if len(sys.argv) > 2 else 170_000)
