"""Speed and peak memory on compare.py's 2000 x 2000 case: built-in backend vs snaphu-py, one process each.

Usage: python speed_2000.py builtin|tiled|snaphu [SEED]   (run by speed_2000.sh; snaphu needs .build/venv-unwrap)
Prints the correct-cycle share (compare.py's score, SNAPHU with its own components), the components,
the wall seconds of the unwrapping call and the CPU seconds (user + sys) of the process so far.
"""

import os
import resource
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from big_builtin import KW  # noqa: E402  (compare.py's BIG case)
from testutils_unwrap import correct_share, synthetic_interferogram  # noqa: E402


def main(method, seed):
    d = synthetic_interferogram(seed=seed, **KW)
    region = d["land"] & (d["coherence"] >= 0.3)
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
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{method:8s} seed {seed}: correct {100 * correct_share(unw, cc, d['truth'], region):.2f} %, "
          f"{len(np.unique(cc[cc > 0]))} component(s), unwrapping {sec:.1f} s wall, process CPU "
          f"{ru.ru_utime + ru.ru_stime:.1f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
