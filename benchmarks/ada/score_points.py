"""Score an adadetection OUTPUT_POINTS layer (ada_id per input point) against a generator's truth.

Usage: /usr/bin/python3 benchmarks/ada/score_points.py TRUTH.npz POINTS.gpkg
Prints precision, recall of the detectable and of all planted areas (generators.score).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from generators import Field, score  # noqa: E402
from osgeo import ogr  # noqa: E402

ogr.UseExceptions()


def main(npz, points):
    d = np.load(npz)
    ds = ogr.Open(points)
    lyr = ds.GetLayer(0)
    fid, lab = [], []
    for b in lyr.GetArrowStreamAsNumPy(options=["USE_MASKED_ARRAYS=NO"]):
        fid.append(np.asarray(b["src_fid"]))
        lab.append(np.asarray(b["ada_id"]))
    fid, lab = np.concatenate(fid), np.concatenate(lab)
    labels = np.full(d["v"].size, -1, np.int64)
    labels[fid - 1] = lab  # GeoPackage fids start at 1, in the order written
    areas = [tuple(a) + (p,) for a, p in zip(d["areas"], d["profiles"])]
    f = Field("file", d["x"], d["y"], d["v"], areas, d["signal"], d["area_id"])
    s = score(f, labels)
    s.pop("missed_detectable")
    print(os.path.basename(points), json.dumps(s, default=float))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
