"""landslide3d block function speed on 0.25 Mpx (500 x 500 cells): LS / Huber / TLS, 2 and 6 geometries.

Run:  /usr/bin/python3 benchmarks/kinematics/bench_landslide3d.py   (one process, numpy only)
"""

import functools
import time

import numpy as np

from insar_geohazards.algorithms.engine import map_blocks
from insar_geohazards.algorithms.kinematics import motion3d as m3

N = 500
rng = np.random.default_rng(0)
yy, xx = np.mgrid[0:N, 0:N] * 20.0
dem = 1000 + 200 * np.sin(xx / 700) + 150 * np.cos(yy / 500)
cases = {
    "asc+desc+DEM": (m3.parse_geometries("-12,39,1;192,34,1", 2), True),
    "6 geometries (S1 + L-band asc/desc + 2 azimuth)": (
        m3.parse_geometries("-12,39,1;192,34,1;-10,32,2;190,40,2;az,-12,10;az,192,10", 6), False),
}
for label, (geoms, with_dem) in cases.items():
    obs = {f"obs{g}": rng.normal(0, 5, (1, N, N)) for g in range(len(geoms))}
    if with_dem:
        obs["dem"] = dem
    for method in m3.METHODS:
        f = functools.partial(m3.motion3d_block, vectors=geoms, dx_rows_m=np.full(N, 20.0), dy_m=20.0, method=method)
        t = time.perf_counter()
        r = map_blocks(f, obs, n_rows=N, n_cols=N, outputs=["velocity", "quality"], halo=1 if with_dem else 0)
        dt = time.perf_counter() - t
        print(f"{label:50s} {method:6s} {dt:6.2f} s  ({N * N / dt / 1e6:.2f} Mpx/s, solved "
              f"{np.isfinite(r['velocity'][0]).mean():.2f})")
