"""SBAS's solver core on its numpy path (the kernels run as Python) or compiled: CPU-s best of N and a digest of every
output, on ROWS x 1000 px of make_stack.py's network (60 dates, 202 interferograms, 3 % of the pixels missing 1-10 of
them), solved in blocks of 128 rows.

    /usr/bin/python3 benchmarks/compile/sbas_paths.py numba|numpy no|var [ROWS [REPEAT]]
"""
import datetime as dt
import hashlib
import os
import resource
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "benchmarks", "timeseries"), os.path.join(ROOT, "benchmarks"),
                os.path.join(ROOT, ".build", "plugins")]
from make_stack import LOOKS, bowl, pairs_for  # noqa: E402

from insar_geohazards.algorithms._numba import python_kernels  # noqa: E402
from insar_geohazards.algorithms.timeseries import sbas  # noqa: E402
from insar_geohazards.algorithms.timeseries.network import build_network  # noqa: E402

mode = sys.argv[1]  # numba|numpy
weighted = sys.argv[2] == "var"
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
cols = 1000
dates = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(60)]
net = build_network(pairs_for(dates))
m = net.n_pairs
blk = 128  # rows per block (tool's blocks at 512 MB ~ this order)
def block(r0, r1):
    g = np.random.default_rng(r0)
    yy, xx = np.mgrid[r0:r1, 0:cols]
    v = bowl(yy, xx, rows, cols)
    ts = v[None] * net.years[:, None, None] + 4.0 * np.sin(2 * np.pi * net.years)[:, None, None]
    ifg = ts[net.sec_index] - ts[net.ref_index]
    coh = g.uniform(0.2, 0.95, (m, r1 - r0, cols)).astype(np.float32)
    d = (ifg + g.normal(0, 1.0, ifg.shape) * 2.0).astype(np.float32)
    mp = g.random((r1 - r0, cols)) < 0.03
    for rr, cc in zip(*np.nonzero(mp)):
        d[g.choice(m, size=g.integers(1, 11), replace=False), rr, cc] = np.nan
    return d, coh
blocks = [block(r0, min(rows, r0 + blk)) for r0 in range(0, rows, blk)]
solver = sbas.SbasSolver(net, wavelength_m=0.05546576, weighting="variance" if weighted else "none", looks=LOOKS,
                         min_count=1)
def run():
    h = hashlib.sha256()
    for d, coh in blocks:
        r = solver.solve(d, coherence=coh if weighted else None)
        for a in (r.timeseries_mm, r.velocity_mm_yr, r.velocity_std_mm_yr, r.temporal_coherence, r.count,
                  r.disconnected):
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
if mode == "numba":
    run()  # compile / load cache
best = 1e9
for _ in range(reps):
    c0, w0 = cpu(), time.time()
    if mode == "numpy":
        with python_kernels([sbas]):
            dig = run()
    else:
        dig = run()
    best = min(best, cpu() - c0)
    print(f"{mode} {'var' if weighted else 'no'} rows={rows} cpu={cpu() - c0:.2f} wall={time.time() - w0:.2f} "
          f"digest={dig}", flush=True)
print(f"BEST {mode} {'var' if weighted else 'no'} {best:.2f}")
