"""Write the benchmark's synthetic point field (GeoPackage) and its truth (npz).

Usage: /usr/bin/python3 make_synthetic.py OUT_DIR [N_POINTS] [NOISY_PER_MILLION]
1,000,000 points over 40 x 40 km (625 points/km2, EGMS-like density), 80 planted
elliptical areas 100 m - 1 km across moving 5-25 mm/yr (1 in 5 uplift), 40 noisy stable
patches (zero-mean, 4 mm/yr scatter; NOISY_PER_MILLION, default 40), background noise
1 mm/yr; UTM 33N. Files: synthetic_<N>[_noisy<K>].gpkg/.npz.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests"), "/usr/share/qgis/python"]

from testutils_ada import planted_field  # noqa: E402

from insar_geohazards.io.ada import write_points_gpkg  # noqa: E402


def main(out, n=1_000_000, noisy=40):
    side = 40_000.0 * np.sqrt(n / 1_000_000)
    x, y, v, areas, patches = planted_field(n, size_m=side, n_areas=int(80 * n / 1e6), n_noisy=int(noisy * n / 1e6),
                                            seed=42)
    x0, y0 = 400_000.0, 4_500_000.0
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    tag = f"synthetic_{n}" + ("" if noisy == 40 else f"_noisy{noisy}")
    path = os.path.join(out, tag + ".gpkg")
    if os.path.exists(path):
        os.remove(path)
    write_points_gpkg(path, x + x0, y + y0, {"VEL": v}, crs_wkt=srs.ExportToWkt(), spatial_index_max=0)
    np.savez(os.path.join(out, tag + ".npz"), x=x + x0, y=y + y0, v=v,
             areas=np.array([(a[0] + x0, a[1] + y0) + tuple(a[2:]) for a in areas]))
    print(path)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 40)
