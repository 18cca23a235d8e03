"""Synthetic point fields with planted deforming areas (tests and benchmarks/ada)."""

from __future__ import annotations

import numpy as np
from testutils import vector_features


def planted_field(n_points=200_000, *, size_m=20_000.0, n_areas=20, n_noisy=10, noise_mm_yr=1.0,
                  noisy_sigma_mm_yr=4.0, diameter_m=(100.0, 1000.0), speed_mm_yr=(5.0, 25.0), seed=0):
    """Uniform random points over a square with planted elliptical moving areas.

    Background: N(0, noise) mm/yr. Planted area k: uniform LOS velocity ``vel`` (mostly
    negative, some uplift) + background noise, inside an ellipse of diameters 100 m - 1 km.
    Noisy stable patches: zero-mean N(0, noisy_sigma) (decorrelated, vegetated ground).
    Returns ``x, y, v, areas, patches`` with each area ``(cx, cy, a, b, theta, vel)``.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, size_m, n_points)
    y = rng.uniform(0, size_m, n_points)
    v = rng.normal(0.0, noise_mm_yr, n_points)
    centres = []

    def place(r):
        for _ in range(1000):
            c = rng.uniform(r + 500, size_m - r - 500, 2)
            if all(np.hypot(*(c - c2)) > r + r2 + 300 for c2, r2 in centres):
                centres.append((c, r))
                return c
        raise RuntimeError("could not place a planted area")

    areas, patches = [], []
    for k in range(n_areas):
        a = rng.uniform(*diameter_m) / 2
        b = a * rng.uniform(0.5, 1.0)
        c = place(a)
        vel = rng.uniform(*speed_mm_yr) * (1 if k % 5 == 4 else -1)
        areas.append((c[0], c[1], a, b, rng.uniform(0, np.pi), vel))
    for _ in range(n_noisy):
        a = rng.uniform(200, 600)
        c = place(a)
        patches.append((c[0], c[1], a, a, 0.0, 0.0))
    for cx, cy, a, b, th, _ in patches:
        m = inside_ellipse(x, y, (cx, cy, a, b, th))
        v[m] = rng.normal(0.0, noisy_sigma_mm_yr, int(m.sum()))
    for area in areas:
        v[inside_ellipse(x, y, area)] += area[5]
    return x, y, v, areas, patches


def inside_ellipse(x, y, area):
    cx, cy, a, b, th = area[:5]
    dx, dy = x - cx, y - cy
    u = dx * np.cos(th) + dy * np.sin(th)
    w = -dx * np.sin(th) + dy * np.cos(th)
    return (u / a) ** 2 + (w / b) ** 2 <= 1.0


def score_by_points(x, y, labels, areas, *, min_share=0.5):
    """Precision/recall of ADAs (point labels) against planted areas.

    An ADA is a true detection when at least ``min_share`` of its points lie inside one
    planted area; a planted area is recalled when some true detection lies in it.
    """
    n_ada = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    inside = np.full(x.size, -1)
    for k, area in enumerate(areas):
        inside[inside_ellipse(x, y, area)] = k
    hit = set()
    tp = 0
    for i in range(n_ada):
        m = labels == i
        ks, c = np.unique(inside[m], return_counts=True)
        best = ks[np.argmax(c)]
        if best >= 0 and c.max() >= min_share * m.sum():
            tp += 1
            hit.add(int(best))
    precision = tp / n_ada if n_ada else 1.0
    recall = len(hit) / len(areas) if areas else 1.0
    return precision, recall, hit


def write_points(path, x, y, fields, *, epsg=32633):
    """Points with float fields to a GeoPackage (GDAL, no QGIS); returns ``str(path)``."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    lyr = ds.CreateLayer("points", srs, ogr.wkbPoint)
    for k in fields:
        lyr.CreateField(ogr.FieldDefn(k, ogr.OFTReal))
    lyr.StartTransaction()
    defn = lyr.GetLayerDefn()
    cols = [(k, np.asarray(v, float)) for k, v in fields.items()]
    for i in range(len(x)):
        f = ogr.Feature(defn)
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(float(x[i]), float(y[i]))
        f.SetGeometryDirectly(g)
        for k, c in cols:
            f.SetField(k, float(c[i]))
        lyr.CreateFeature(f)
    lyr.CommitTransaction()
    ds = None
    return str(path)


def write_wkt_layer(path, wkts, *, epsg=32633, fields=None, geom_type=None):
    """Geometries given as WKT (+ optional text/float fields) to a GeoPackage."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    gt = geom_type if geom_type is not None else ogr.CreateGeometryFromWkt(wkts[0]).GetGeometryType()
    lyr = ds.CreateLayer("layer", srs, gt)
    fields = fields or {}
    for k, vals in fields.items():
        lyr.CreateField(ogr.FieldDefn(k, ogr.OFTString if isinstance(vals[0], str) else ogr.OFTReal))
    for i, w in enumerate(wkts):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(w))
        for k, vals in fields.items():
            f.SetField(k, vals[i])
        lyr.CreateFeature(f)
    ds = None
    return str(path)


def read_layer(path):
    """All features of a vector file as a list of (geometry WKT, attribute dict)."""
    names, rows = vector_features(path)
    return [(r[None], {n: r[n] for n in names}) for r in rows]
