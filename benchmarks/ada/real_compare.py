"""adadetection with default parameters on the bundled real data, this checkout vs another one.

Usage: /usr/bin/python3 benchmarks/ada/real_compare.py OTHER_PLUGIN_ROOT [OUT_DIR]
For EGMS L2b Ustica (ascending 117, descending 022; loaded with geohazard:loadegms) and the
RADARSAT-1 PS of Boissano: number of ADAs, points in ADAs, velocity and radius ranges for
both checkouts, and how far they agree point by point (points in an ADA in both / either).
OTHER_PLUGIN_ROOT is e.g. an export of the code before a change (`git archive REV | tar -x`).
"""

import os
import sys

import numpy as np
from real_data import run

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data")


def plugin_dir(root, out, tag):
    d = os.path.join(out, "plugins_" + tag)
    os.makedirs(d, exist_ok=True)
    link = os.path.join(d, "insar_geohazards")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(root), link)
    return d


def ada_table(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    rows = [(f.GetField("n_points"), f.GetField("mean_vel"), f.GetField("radius_m"), f.GetField("area_m2"))
            for f in ds.GetLayer(0)]
    return np.array(rows, float).reshape(-1, 4)


def point_ids(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    return np.array([f.GetField("ada_id") for f in lyr], np.int64)


def main(other, out):
    os.makedirs(out, exist_ok=True)
    roots = {"this": plugin_dir(ROOT, out, "this"), "other": plugin_dir(other, out, "other")}
    inputs = {}
    for k, z in {"ustica_asc": "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip",
                 "ustica_desc": "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip"}.items():
        inputs[k] = run("loadegms", roots["this"], INPUT=os.path.join(DATA, "egms_ustica", z),
                        OUTPUT=os.path.join(out, f"{k}.gpkg"))["results"]["OUTPUT"]
    inputs["boissano"] = os.path.join(DATA, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    for name, src in inputs.items():
        ids = {}
        for tag, plugins in roots.items():
            res = run("adadetection", plugins, INPUT=src, OUTPUT=os.path.join(out, f"{name}_{tag}.gpkg"),
                      OUTPUT_POINTS=os.path.join(out, f"{name}_{tag}_pts.gpkg"))["results"]
            t = ada_table(res["OUTPUT"])
            ids[tag] = point_ids(res["OUTPUT_POINTS"])
            if t.shape[0]:
                print(f"{name:12s} {tag:5s}: {t.shape[0]:3d} ADAs, {int(t[:, 0].sum()):5d} points, mean velocity "
                      f"{t[:, 1].min():.1f} .. {t[:, 1].max():.1f} mm/yr, "
                      f"radius {t[:, 2].min():.0f}-{t[:, 2].max():.0f} m, area {t[:, 3].sum() / 1e6:.3f} km2")
            else:
                print(f"{name:12s} {tag:5s}: 0 ADAs")
        a, b = ids["this"] >= 0, ids["other"] >= 0
        print(f"{name:12s} points in an ADA: both {int((a & b).sum())}, only this {int((a & ~b).sum())}, "
              f"only other {int((~a & b).sum())}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, ".build", "ada-real-compare"))
