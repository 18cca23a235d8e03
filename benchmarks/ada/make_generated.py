"""Write one generator's point field (GeoPackage, field VEL) and its truth (npz) for qgis_process runs.

Usage: /usr/bin/python3 benchmarks/ada/make_generated.py OUT_DIR NAME N_POINTS [SEED]
NAME is one of generators.GENERATORS; UTM 33N offsets as make_synthetic.py.
Files: <NAME>_<N>.gpkg and <NAME>_<N>.npz (x, y, v, signal, area_id, areas).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, ".build", "plugins"), "/usr/share/qgis/python"]

import numpy as np  # noqa: E402
from generators import GENERATORS  # noqa: E402

from insar_geohazards.io.ada import write_points_gpkg  # noqa: E402


def main(out, name, n, seed=0):
    from osgeo import osr

    f = GENERATORS[name](n=n, seed=seed)
    x0, y0 = 400_000.0, 4_500_000.0
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    tag = os.path.join(out, f"{name}_{n}")
    if os.path.exists(tag + ".gpkg"):
        os.remove(tag + ".gpkg")
    write_points_gpkg(tag + ".gpkg", f.x + x0, f.y + y0, {"VEL": f.v}, crs_wkt=srs.ExportToWkt(), spatial_index_max=0)
    areas = np.array([(a[0] + x0, a[1] + y0) + tuple(a[2:6]) for a in f.areas])
    np.savez(tag + ".npz", x=f.x + x0, y=f.y + y0, v=f.v, signal=f.signal, area_id=f.area_id, areas=areas,
             profiles=np.array([a[6] for a in f.areas]))
    print(tag + ".gpkg")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
