"""Figure and numbers of docs/kinematics.md: landslidethickness volume against the noise of landslide3d.

1. The noise landslide3d produces: synthetic 3-D landslide velocities (tests/testutils_kinematics.py,
   landslide_body) projected onto four full-rank geometries (Sentinel-1 ascending + descending LOS with
   azimuth offsets, with or without ALOS-2), Gaussian noise on each observation, solved by landslide3d's
   core (motion3d.solve_3d, no surface-parallel constraint, which would make dz/dt zero by construction):
   the spread of east / north / up around the truth.
2. landslidethickness on those solutions, five landslide shapes and sizes (ellipses, a narrow tongue, a
   flat-topped plug; 6-25 m cells; flowing toward four directions; f = 1 and 2/3) at 100, 300 and 1000
   mm/yr, eight noise draws each: volume error against the true volume, with the operator's velocities
   as given (smooth_cells=0, the rule before) and smoothed (the default).

Run: `make link` then /usr/bin/python3 docs/make_thickness_noise_figure.py   (about a minute and a half)
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests")]

import testutils_kinematics as kt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from insar_geohazards.algorithms.geometry.los import los_unit_vector  # noqa: E402
from insar_geohazards.algorithms.kinematics import motion3d as m3  # noqa: E402
from insar_geohazards.algorithms.kinematics import thickness as th  # noqa: E402

S1A, S1D = los_unit_vector(38.97, -8.94), los_unit_vector(36.5, -171.5)
LA, LD = los_unit_vector(32.0, -10.5), los_unit_vector(40.0, -169.5)
AZA, AZD = m3.azimuth_unit_vector(-8.94), m3.azimuth_unit_vector(-171.5)
GEOMETRIES = {"S1 asc+desc (1 mm/yr) + azimuth (15)": ([S1A, S1D, AZA], [1, 1, 15]),
              "S1 asc+desc (2) + azimuth (30)": ([S1A, S1D, AZA], [2, 2, 30]),
              "S1 + ALOS-2 asc/desc (1, 2) + 2 azimuth (10)": ([S1A, S1D, LA, LD, AZA, AZD], [1, 1, 2, 2, 10, 10]),
              "S1 + ALOS-2 asc/desc (2, 4) + 2 azimuth (20)": ([S1A, S1D, LA, LD, AZA, AZD], [2, 2, 4, 4, 20, 20])}
SEEDS = 8
SHAPES = {"ellipse 500 x 300 m, 15 m cells, east": dict(n=40, dx=15.0),
          "ellipse 500 x 300 m, 25 m cells, west, f = 2/3": dict(n=24, dx=25.0, flow_deg=265, f=2 / 3),
          "small ellipse 200 x 120 m, 6 m cells": dict(n=46, dx=6.0, a=100, b=60, h0=8),
          "tongue 900 x 200 m, 10 m cells, north-east": dict(n=112, dx=10.0, a=450, b=100, flow_deg=40, h0=15),
          "flat-topped plug 400 x 400 m, 6 m cells, south": dict(n=92, dx=6.0, a=200, b=200, flow_deg=190,
                                                                 profile="flat", h0=12)}


def solve(vecs, sig, e, n, u, seed):
    a = np.array([list(v) for v in vecs], float)
    truth = np.stack([e.ravel(), n.ravel(), u.ravel()])
    rng = np.random.default_rng(seed)
    d = a @ truth + rng.normal(0, 1, (len(vecs), truth.shape[1])) * np.array(sig, float)[:, None]
    sigma = np.array(sig, float)[:, None] * np.ones((1, truth.shape[1]))
    r = m3.solve_3d(d, a[:, 0:1], a[:, 1:2], a[:, 2:3], sigma=sigma, constraint="never")
    return [r[c][0].reshape(e.shape) for c in ("east", "north", "up")]


def main():
    print("landslide3d noise (spread around the truth, mm/yr), ellipse at 200 mm/yr:")
    e, n, u, z, h, r2 = kt.landslide_body()
    for name, (vecs, sig) in GEOMETRIES.items():
        got = solve(vecs, sig, e, n, u, 0)
        print(f"  {name}: east {np.std(got[0] - e):.2f}, north {np.std(got[1] - n):.2f}, up {np.std(got[2] - u):.2f}")
    rows = []  # per case: shape, speed, geometry, north noise / speed, mean and std of the error before and now
    for sname, kw in SHAPES.items():
        f = kw.get("f", 1.0)
        for u0 in (100.0, 300.0, 1000.0):
            e, n, u, z, h, r2 = kt.landslide_body(u0=u0, **kw)
            dx = kw["dx"]
            truth = h.sum() * dx * dx
            free = th.invert_thickness(e, n, u, z, dx_m=dx, dy_m=dx, mask=r2 < 1, rheology_factor=f)
            for gname, (vecs, sig) in GEOMETRIES.items():
                err = np.zeros((SEEDS, 2))
                ratio = 0.0
                for seed in range(SEEDS):
                    got = solve(vecs, sig, e, n, u, seed)
                    ratio += np.std(got[1] - n) / u0 / SEEDS
                    for k, sc in enumerate((0.0, 2.0)):
                        err[seed, k] = 100 * (th.invert_thickness(*got, z, dx_m=dx, dy_m=dx, mask=r2 < 1,
                                                                  rheology_factor=f, smooth_cells=sc)["volume_m3"]
                                              / truth - 1)
                rows.append((sname, u0, gname, ratio, *err.mean(0), *err.std(0),
                             100 * (free["volume_m3"] / truth - 1)))
    arr = np.array([r[3:] for r in rows])  # ratio, mean before, mean now, std before, std now, noise-free
    for sname in SHAPES:
        sel = np.array([r[0] == sname for r in rows])
        print(f"{sname}: noise-free {arr[sel, 5].min():+.1f}%; mean error with landslide3d noise before "
              f"{arr[sel, 1].min():+.1f}..{arr[sel, 1].max():+.1f}%, now {arr[sel, 2].min():+.1f}.."
              f"{arr[sel, 2].max():+.1f}% (scatter 1 sigma up to {arr[sel, 4].max():.1f}%)")
    print(f"all {len(rows)} cases x {SEEDS} draws: mean error before {arr[:, 1].min():+.1f}..{arr[:, 1].max():+.1f}%, "
          f"now {arr[:, 2].min():+.1f}..{arr[:, 2].max():+.1f}%; scatter now {arr[:, 4].min():.1f}.."
          f"{arr[:, 4].max():.1f}%")
    fig = Figure(figsize=(9.5, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    for k, (col, title) in enumerate(((1, "operator velocities as given (before)"), (2, "smoothed operator (now)"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for sname, mk in zip(SHAPES, "osD^v"):
            sel = np.array([r[0] == sname for r in rows])
            ax.errorbar(arr[sel, 0], arr[sel, col], yerr=arr[sel, col + 2], fmt=mk, ms=4, alpha=0.75, capsize=2,
                        label=sname)
        ax.set_xscale("log")
        ax.axhspan(-5, 5, color="0.85", zorder=0)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xlabel("north noise of landslide3d / landslide speed")
        ax.set_ylabel(f"volume error (%), mean +- 1 sigma of {SEEDS} draws")
        ax.set_title(title, fontsize=9)
        ax.set_ylim(-95, 20)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    out = os.path.join(HERE, "img", "thickness_noise.png")
    fig.savefig(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
