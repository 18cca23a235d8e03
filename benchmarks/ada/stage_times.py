"""Stage timings of ADA detection on the benchmark file, in one Python process (no qgis_process
start-up): Arrow read, core detection, outlines. Usage: /usr/bin/python3 stage_times.py FILE.gpkg"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), "/usr/share/qgis/python"]

import numpy as np  # noqa: E402
from osgeo import ogr  # noqa: E402

from insar_geohazards.algorithms.ada.detection import detect_ada  # noqa: E402
from insar_geohazards.io.ada import _parse_point_wkb, closing_outline  # noqa: E402


def main(path):
    c0 = time.process_time()
    t0 = time.perf_counter()
    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    xs, ys, vs = [], [], []
    for b in lyr.GetArrowStreamAsNumPy(options=["USE_MASKED_ARRAYS=NO", "MAX_FEATURES_IN_BATCH=262144"]):
        x, y = _parse_point_wkb(b[lyr.GetGeometryColumn()])
        xs.append(x)
        ys.append(y)
        vs.append(b["VEL"])
    x, y, v = np.concatenate(xs), np.concatenate(ys), np.concatenate(vs)
    t1 = time.perf_counter()
    r = detect_ada(x, y, v)
    t2 = time.perf_counter()
    for i in range(r.n_ada):
        m = r.labels == i
        closing_outline(x[m], y[m], link_m=r.attributes["radius_m"][i], margin_m=0.75 * r.attributes["spacing_m"][i])
    t3 = time.perf_counter()
    print(f"{v.size} points: read {t1 - t0:.2f} s, detect {t2 - t1:.2f} s, outlines ({r.n_ada}) {t3 - t2:.2f} s "
          f"(wall); CPU {time.process_time() - c0:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1])
