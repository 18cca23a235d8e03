"""Peer baseline: active points (|v| >= 2 sigma) -> scikit-learn DBSCAN -> convex hulls.

Usage (bench venv): python baseline_dbscan.py TRUTH.npz EPS_M OUT.json
Writes hull polygons (WKT) and the timing of DBSCAN + hulls.
"""

import json
import sys
import time

import numpy as np
from scipy.spatial import ConvexHull
from sklearn.cluster import DBSCAN


def main(npz, eps, out):
    d = np.load(npz)
    x, y, v = d["x"], d["y"], d["v"]
    t0 = time.perf_counter()
    thr = 2.0 * np.std(v)
    act = np.abs(v) >= thr
    xy = np.column_stack([x[act], y[act]])
    labels = DBSCAN(eps=eps, min_samples=5).fit_predict(xy)
    wkts = []
    for k in range(labels.max() + 1):
        p = xy[labels == k]
        if len(p) < 3:
            continue
        try:
            h = p[ConvexHull(p).vertices]
        except Exception:  # collinear points: no area
            continue
        ring = ", ".join(f"{a} {b}" for a, b in np.vstack([h, h[:1]]))
        wkts.append(f"POLYGON(({ring}))")
    t = time.perf_counter() - t0
    json.dump({"eps_m": eps, "seconds": t, "threshold": thr, "polygons": wkts}, open(out, "w"))
    print(f"DBSCAN eps {eps} m: {len(wkts)} hulls in {t:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3])
