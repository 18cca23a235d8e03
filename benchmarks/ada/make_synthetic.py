"""Write a synthetic point field (GeoPackage, field VEL, UTM 33N) and its truth (npz).

Usage (dbscan_1m.sh, cases.py): make_synthetic.py OUT_DIR [N_POINTS] [GENERATOR]
Without GENERATOR: tests/testutils_ada.py's planted field (seed 42): synthetic_<N>.gpkg/.npz. With GENERATOR (a
name of tests/testutils_ada_generators.py, seed 0): <GENERATOR>_<N>.gpkg only.
"""

import os
import sys

import numpy as np
from osgeo import osr
from testutils_ada import planted_field
from testutils_ada_generators import GENERATORS

from insar_geohazards.fileio.motion.ada import write_points_gpkg

X0, Y0 = 400_000.0, 4_500_000.0


def main(out, n=1_000_000, generator=None):
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


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000, sys.argv[3] if len(sys.argv) > 3 else None)
