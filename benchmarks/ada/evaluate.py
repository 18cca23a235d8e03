"""Score polygons against the planted areas: precision/recall by overlap, area error.

Usage (dbscan_1m.sh): evaluate.py TRUTH.npz ours.gpkg|baseline.json [...]
A detection is true when >= 50 % of its area lies in one planted ellipse; recall over all planted areas and over the
resolvable ones (above the threshold with >= 10 points); area error |matched area - planted area| / planted area.
"""

import json
import sys

import numpy as np
from osgeo import ogr
from testutils_ada import inside_ellipse as inside

ogr.UseExceptions()


def ellipse(a):
    cx, cy, ax, bx, th = a[:5]
    t = np.linspace(0, 2 * np.pi, 256)
    u, w = ax * np.cos(t), bx * np.sin(t)
    px, py = cx + u * np.cos(th) - w * np.sin(th), cy + u * np.sin(th) + w * np.cos(th)
    return ogr.CreateGeometryFromWkt("POLYGON((" + ", ".join(f"{p} {q}" for p, q in zip(px, py))
                                     + f", {px[0]} {py[0]}))")


def load(path):
    if path.endswith(".json"):
        return [ogr.CreateGeometryFromWkt(w) for w in json.load(open(path))["polygons"]]
    ds = ogr.Open(path)
    return [f.GetGeometryRef().Clone() for f in ds.GetLayer(0)]


def score(truth, polys):
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


if __name__ == "__main__":
    for p in sys.argv[2:]:
        print(p, json.dumps(score(sys.argv[1], load(p))))
