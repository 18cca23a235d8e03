"""CPU time of ``offset_field`` at its defaults, this tree against an earlier commit, in one process: the two
versions alternate call by call on the benchmark's 1024 x 1024 fractal pair, so machine load hits both alike.

Run from the repository root after `make link`: `bash benchmarks/offsets/ab_offsets.sh <commit> [rounds]`
(the script unpacks ``<commit>`` into a temporary folder and passes it here as ``BASE_DIR``).
"""

import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("INSAR_GEOHAZARDS_FFT_WORKERS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests"), os.environ["BASE_DIR"]]

import testutils_kinematics as kt  # noqa: E402
from insar_base.algorithms.kinematics import offsets as base  # noqa: E402

from insar_geohazards.algorithms.kinematics import offsets as new  # noqa: E402

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 12
img = kt.texture((1024, 1024), "fractal", seed=5)
sec = kt.fourier_shift(img, 1.58, -3.25)
res = {m: m.offset_field(img, sec) for m in (base, new)}  # compile, first touch
diff = max(float(np.nanmax(np.abs(res[new][k] - res[base][k]))) for k in ("dx", "dy"))
same_flags = np.array_equal(res[new]["flag"], res[base]["flag"])
tb, tn = [], []
for _ in range(rounds):
    t0 = time.process_time()
    base.offset_field(img, sec)
    tb.append(time.process_time() - t0)
    t0 = time.process_time()
    new.offset_field(img, sec)
    tn.append(time.process_time() - t0)
tb, tn = np.array(tb), np.array(tn)
print(f"before {np.median(tb):.4f} s (min {tb.min():.4f}), after {np.median(tn):.4f} s (min {tn.min():.4f}) CPU per "
      f"field; after / before, median of {rounds} pairs: {np.median(tn / tb):.3f}; flags identical: {same_flags}, "
      f"largest offset difference {diff:.2e} px; load {os.getloadavg()[0]:.1f}")
