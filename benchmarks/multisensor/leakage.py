"""North motion leaking into east and up when it is neglected: the closed form per geometry pair (``[dE, dU] =
A^-1 n vN``, bounded by ``|n| / s_min(A)``), the joint solver's own response, and the landslide scenario with north
neglected / along the slope.

Usage: /usr/bin/python3 leakage.py [OUT_JSON]
"""

from __future__ import annotations

import json
import sys

import numpy as np
import scenarios as scn
from common import save_json

from insar_geohazards.algorithms.geometry.los import los_unit_vector

PAIRS = [
    ("Sentinel-1 asc (39 deg, -12) + desc (41 deg, 192)", [(39.0, -12.0), (41.0, 192.0)]),
    ("Sentinel-1 asc near range (31 deg) + desc far range (45 deg)", [(31.0, -12.0), (45.0, 192.0)]),
    ("Envisat asc + desc (23 deg, -13 / 193)", [(23.0, -13.0), (23.0, 193.0)]),
    ("TerraSAR-X asc (28 deg, -10) + COSMO-SkyMed desc (33 deg, 190)", [(28.0, -10.0), (33.0, 190.0)]),
    ("ALOS asc (38.7 deg, -10) + Envisat desc (23 deg, 193)", [(38.7, -10.0), (23.0, 193.0)]),
    ("Sentinel-1 asc + desc + TerraSAR-X asc (equal weights)", [(39.0, -12.0), (41.0, 192.0), (28.0, -10.0)]),
    ("two ascending: Sentinel-1 (39 deg) + TerraSAR-X (28 deg)", [(39.0, -12.0), (28.0, -10.0)]),
]


def closed_form(geoms):
    vec = [los_unit_vector(*g) for g in geoms]
    a = np.array([[float(v[0]), float(v[2])] for v in vec])
    n = np.array([float(v[1]) for v in vec])
    leak = np.linalg.lstsq(a, n, rcond=None)[0]
    smin = np.linalg.svd(a, compute_uv=False).min()
    return leak, float(np.linalg.norm(n) / smin), float(np.linalg.cond(a))


def landslide():
    gen = scn.generate("landslide")
    sc = gen["scenario"]
    zero = scn.run_ours(gen)
    slope = scn.run_ours(gen, north="slope")
    r0, r1, c0, c1 = scn.terrain(sc.shape)[2]
    body = np.zeros(sc.shape, bool)
    body[r0 + 2:r1 - 2, c0 + 2:c1 - 2] = True
    a, b = scn.D(2019, 1, 1), scn.D(2021, 1, 1)
    te, tn, tu = scn.truth_at(sc, [a, b])
    years = (b - a).days / 365.25
    v_true = {"east": (te[1] - te[0]) / years, "north": (tn[1] - tn[0]) / years, "up": (tu[1] - tu[0]) / years}
    # the velocities of the solver are least-squares slopes over the whole span: compare the same on the truth
    dates = zero.dates
    te_all, tn_all, tu_all = scn.truth_at(sc, dates)
    g = None
    out = {}
    for name, res in (("north neglected", zero), ("along the slope aspect", slope)):
        g = res.arrays
        row = {}
        for ci, (c, t) in enumerate((("east", te_all), ("up", tu_all))):
            tv = np.tensordot(_slope_weights(dates), t, axes=1)
            err = g["velocity"][ci] - tv
            row[c] = {"body_error_median": float(np.nanmedian(err[body])),
                      "body_abs_error_p90": float(np.nanpercentile(np.abs(err[body]), 90)),
                      "outside_abs_error_median": float(np.nanmedian(np.abs(err[~body])))}
        if "velocity_north" in g:
            tvn = np.tensordot(_slope_weights(dates), tn_all, axes=1)
            row["north"] = {"body_error_median": float(np.nanmedian((g["velocity_north"] - tvn)[body]))}
        if "leak_per_north" in g:
            row["leak_per_north_median"] = [float(np.nanmedian(g["leak_per_north"][k][body])) for k in (0, 1)]
        out[name] = row
    out["true_velocity_body"] = {k: float(np.median(v[body])) for k, v in v_true.items()}
    return out


def _slope_weights(dates):
    t = np.array([(d - dates[0]).days for d in dates], float) / 365.25
    cols = [np.ones_like(t), t - t.mean(), np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)]
    return np.linalg.pinv(np.stack(cols, 1))[1]


def main():
    rows = []
    print("| geometries | dE / dvN | dU / dvN | bound abs / s_min | condition |")
    print("|---|---|---|---|---|")
    for label, geoms in PAIRS:
        leak, bound, cond = closed_form(geoms)
        rows.append({"geometries": label, "dE_dN": float(leak[0]), "dU_dN": float(leak[1]), "bound": bound,
                     "condition": cond})
        print(f"| {label} | {leak[0]:+.3f} | {leak[1]:+.3f} | {bound:.3f} | {cond:.1f} |")
    ls = landslide()
    print(json.dumps(ls, indent=1))
    if len(sys.argv) > 1:
        save_json(sys.argv[1], {"closed_form": rows, "landslide": ls})


if __name__ == "__main__":
    main()
