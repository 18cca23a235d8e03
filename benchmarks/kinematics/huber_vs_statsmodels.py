"""landslide3d's Huber IRLS against statsmodels RLM (HuberT, k = 1.345, scale fixed at 1 on rows whitened by their
known sigmas) on the same weighted 3-D systems.

Run:  .build/venv-bench/bin/python benchmarks/kinematics/huber_vs_statsmodels.py
"""

import time

import numpy as np
import statsmodels.api as sm

from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.kinematics import motion3d as m3

n = 2000
rng = np.random.default_rng(0)
vecs = [los_unit_vector(38.97, -8.94), los_unit_vector(36.5, -171.5), los_unit_vector(32.0, -10.5),
        los_unit_vector(40.0, -169.5), m3.azimuth_unit_vector(-8.94), m3.azimuth_unit_vector(-171.5)]
a = np.array([list(v) for v in vecs], float)
sig = np.array([1.0, 1.0, 2.0, 2.0, 10.0, 10.0])
truth = rng.normal(0, 20, (3, n))
d = a @ truth + rng.normal(0, 1, (6, n)) * sig[:, None]
out = rng.uniform(size=n) < 0.3
d[2, out] += rng.choice([-40.0, 40.0], out.sum())  # unwrapping errors in 30 % of the cells

t = time.perf_counter()
r = m3.solve_3d(d, a[:, 0:1], a[:, 1:2], a[:, 2:3], sigma=sig[:, None] * np.ones((1, n)), method="huber")
t_ours = time.perf_counter() - t
ours = np.stack([r["east"][0], r["north"][0], r["up"][0]])

t = time.perf_counter()
ref = np.empty((3, n))
for j in range(n):
    model = sm.RLM(d[:, j] / sig, a / sig[:, None], M=sm.robust.norms.HuberT(t=1.345))
    # scale held at 1: the rows are already whitened by the known sigmas
    ref[:, j] = model.fit(scale_est=lambda *args: 1.0, update_scale=False, conv="coefs", tol=1e-10,
                          maxiter=200).params
t_sm = time.perf_counter() - t
diff = np.abs(ours - ref)
print(f"cells {n}; max |ours - statsmodels| E/N/U {diff[0].max():.2e} / {diff[1].max():.2e} / {diff[2].max():.2e} "
      f"mm/yr; median {np.median(diff):.2e}")
print(f"time: ours {t_ours:.3f} s (vectorised), statsmodels {t_sm:.2f} s (one RLM per cell)")
err_ls = m3.solve_3d(d, a[:, 0:1], a[:, 1:2], a[:, 2:3], sigma=sig[:, None] * np.ones((1, n)))
e_ls = np.sqrt(np.mean((np.stack([err_ls[k][0] for k in ("east", "north", "up")]) - truth)[:, out] ** 2, axis=1))
e_h = np.sqrt(np.mean((ours - truth)[:, out] ** 2, axis=1))
print(f"cells with the outlier: RMS error LS {np.round(e_ls, 2)}, Huber {np.round(e_h, 2)} (E, N, U mm/yr)")


def huber_objective(x):
    z = (d - a @ x) / sig[:, None]
    az = np.abs(z)
    return np.where(az <= 1.345, 0.5 * z * z, 1.345 * az - 0.5 * 1.345 ** 2).sum(axis=0)


bad = diff.max(axis=0) > 1e-3
f_ours, f_ref = huber_objective(ours), huber_objective(ref)
print(f"cells differing > 1e-3 mm/yr: {bad.sum()}; there, Huber objective ours - statsmodels: "
      f"min {np.min(f_ours[bad] - f_ref[bad]) if bad.any() else 0:.2e}, "
      f"max {np.max(f_ours[bad] - f_ref[bad]) if bad.any() else 0:.2e} (negative = ours lower)")
