"""Time the GeoPackage R-tree of the largest point layer of a loadegms output: build (GDAL's
CreateSpatialIndex, as loadegms does up to its cap), extra bytes, and a 2 km x 2 km window read with and
without it. Usage: /usr/bin/python3 spatial_index.py OUT.gpkg (works on a copy)."""

import os
import shutil
import sys
import time

from osgeo import ogr

ogr.UseExceptions()


def window(path, name):
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(name)
    x0, x1, y0, y1 = lyr.GetExtent()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    t = time.perf_counter()
    lyr.SetSpatialFilterRect(cx - 1000, cy - 1000, cx + 1000, cy + 1000)
    n = sum(1 for _ in lyr)
    return n, time.perf_counter() - t


def main(src):
    tmp = src + ".rtree.gpkg"
    shutil.copyfile(src, tmp)
    ds = ogr.Open(tmp)
    names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount()) if ds.GetLayer(i).GetGeomType() != 0]
    name = max(names, key=lambda n: ds.GetLayerByName(n).GetFeatureCount())
    count = ds.GetLayerByName(name).GetFeatureCount()
    ds = None
    n0, q0 = window(tmp, name)
    before = os.path.getsize(tmp)
    ds = ogr.Open(tmp, 1)
    t = time.perf_counter()
    c0 = time.process_time()
    ds.ExecuteSQL(f"SELECT CreateSpatialIndex('{name}', 'geom')")
    ds = None
    build, cpu = time.perf_counter() - t, time.process_time() - c0
    n1, q1 = window(tmp, name)
    print(f"spatial index on {name} ({count} points): built in {build:.1f} s wall ({cpu:.1f} s CPU), "
          f"+{(os.path.getsize(tmp) - before) / 1e6:.0f} MB; a 2 km window ({n1} points) read in {q1:.3f} s with it, "
          f"{q0:.3f} s without ({n0} points)")
    os.remove(tmp)


if __name__ == "__main__":
    main(sys.argv[1])
