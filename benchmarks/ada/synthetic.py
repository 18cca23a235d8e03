"""The synthetic ADA benchmark's steps (cases.py runs them):

    synthetic.py make OUT_DIR [N_POINTS] [GENERATOR]   tests/testutils_ada.py's planted field (seed 42): a GeoPackage
        (field VEL, UTM 33N) and its truth .npz; with GENERATOR (tests/testutils_ada_generators.py) the GeoPackage only
    synthetic.py dbscan TRUTH.npz EPS_M OUT.json       the peer: points with |v| >= 2 sigma -> scikit-learn DBSCAN ->
        convex hulls (WKT) and the time of DBSCAN + hulls
    synthetic.py score TRUTH.npz ours.gpkg|dbscan.json ...   a detection is true when >= 50 % of it lies in one planted
        ellipse; recall over all planted and the resolvable areas (>= 10 points above the threshold); area error
"""

import json
import os
import time

import numpy as np
from common import steps

X0, Y0 = 400_000.0, 4_500_000.0


def make(out, n=1_000_000, generator=None):
    from osgeo import osr
    from testutils_ada import planted_field
    from testutils_ada_generators import GENERATORS

    from insar_geohazards.fileio.motion.ada import write_points_gpkg

    n = int(n)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    if generator:
        fld = GENERATORS[generator](n=n, seed=0)
        x, y, v, tag = fld.x, fld.y, fld.v, f"{generator}_{n}"
    else:
        x, y, v, areas, _ = planted_field(n, size_m=40_000.0 * np.sqrt(n / 1_000_000), n_areas=int(80 * n / 1e6),
                                          n_noisy=int(40 * n / 1e6), seed=42)
        x, y, tag = x + X0, y + Y0, f"synthetic_{n}"
        np.savez(os.path.join(out, tag + ".npz"), x=x, y=y, v=v,
                 areas=np.array([(a[0] + X0, a[1] + Y0) + tuple(a[2:]) for a in areas]))
    path = os.path.join(out, tag + ".gpkg")
    if os.path.exists(path):
        os.remove(path)
    write_points_gpkg(path, x, y, {"VEL": v}, crs_wkt=srs.ExportToWkt(), spatial_index_max=0)
    print(path)


def dbscan(npz, eps, out):
    from scipy.spatial import ConvexHull
    from sklearn.cluster import DBSCAN

    eps = float(eps)
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


def ellipse(a):
    from osgeo import ogr

    cx, cy, ax, bx, th = a[:5]
    t = np.linspace(0, 2 * np.pi, 256)
    u, w = ax * np.cos(t), bx * np.sin(t)
    px, py = cx + u * np.cos(th) - w * np.sin(th), cy + u * np.sin(th) + w * np.cos(th)
    return ogr.CreateGeometryFromWkt("POLYGON((" + ", ".join(f"{p} {q}" for p, q in zip(px, py))
                                     + f", {px[0]} {py[0]}))")


def load(path):
    from osgeo import ogr

    ogr.UseExceptions()
    if path.endswith(".json"):
        return [ogr.CreateGeometryFromWkt(w) for w in json.load(open(path))["polygons"]]
    ds = ogr.Open(path)
    return [f.GetGeometryRef().Clone() for f in ds.GetLayer(0)]


def score(truth, polys):
    from testutils_ada import inside_ellipse as inside

    d = np.load(truth)
    areas = d["areas"]
    thr = 2 * np.std(d["v"])
    resolvable = [k for k, a in enumerate(areas) if abs(a[5]) >= thr and inside(d["x"], d["y"], a).sum() >= 10]
    ells = [ellipse(a) for a in areas]
    env = [e.GetEnvelope() for e in ells]
    matched = {}
    tp = 0
    for g in polys:
        ga = g.GetArea()
        if ga <= 0:
            continue
        x0, x1, y0, y1 = g.GetEnvelope()
        best, best_ov = -1, 0.0
        for k, (a0, a1, b0, b1) in enumerate(env):
            if a1 < x0 or a0 > x1 or b1 < y0 or b0 > y1:
                continue
            ov = g.Intersection(ells[k]).GetArea()
            if ov > best_ov:
                best, best_ov = k, ov
        if best >= 0 and best_ov >= 0.5 * ga:
            tp += 1
            matched[best] = matched.get(best, 0.0) + ga
    n = len(polys)
    err = np.array([abs(s - ells[k].GetArea()) / ells[k].GetArea() for k, s in matched.items()])
    return {"n_polygons": n, "precision": tp / n if n else 1.0, "recall_all": len(matched) / len(areas),
            "recall_resolvable": len([k for k in resolvable if k in matched]) / max(len(resolvable), 1),
            "n_planted": len(areas), "n_resolvable": len(resolvable),
            "area_error_median": float(np.median(err)) if err.size else float("nan"),
            "area_within_30pct": float(np.mean(err <= 0.3)) if err.size else float("nan")}


def score_files(truth, *paths):
    for p in paths:
        print(p, json.dumps(score(truth, load(p))))


if __name__ == "__main__":
    steps(__doc__, make=make, dbscan=dbscan, score=score_files)
