"""Swath profile through millions of EGMS-like points (run with QGIS's Python):

    make bench FAMILY=hazard CASE=swath_points [POINTS=N] [TOOL_POINTS=N]   (bench_swath_points.py N TOOL_N)

The core on N synthetic points over 60 x 40 km (a 50 km profile, 2 km swath, 250 m bins), then the whole tool
(processing.run) on a GeoPackage of TOOL_N points (0: skip). CPU seconds of this process.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
from common import cpu_s


def cloud(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(4.0e6, 4.06e6, n)
    y = rng.uniform(2.0e6, 2.04e6, n)
    v = -20.0 * np.exp(-((x - 4.03e6) ** 2 + (y - 2.02e6) ** 2) / 5e3 ** 2) + rng.normal(0, 1.5, n)
    return x, y, v


LINE = [[4.005e6, 2.005e6], [4.03e6, 2.02e6], [4.055e6, 2.025e6]]


def core(n):
    from insar_geohazards.algorithms.hazard import swathprofile as pr

    x, y, v = cloud(n)
    line = pr.Line(np.array(LINE))
    c0, w0 = cpu_s(), time.time()
    keep, along = pr.in_swath(x, y, line, 2000.0)
    c1, w1 = cpu_s(), time.time()
    st = pr.bin_statistics(along, v[keep], line.length, 250.0)
    c2, w2 = cpu_s(), time.time()
    print(f"core, {n:,} points, line {line.length / 1000:.1f} km, {keep.size:,} in the 2 km swath, "
          f"{st['distance_m'].size} bins:")
    print(f"  projection {w1 - w0:.2f} s wall ({c1 - c0:.2f} CPU-s), statistics {w2 - w1:.2f} s ({c2 - c1:.2f} CPU-s),"
          f" total {w2 - w0:.2f} s wall ({c2 - c0:.2f} CPU-s)")


def tool(n):
    from bench_qgis import start_qgis
    from osgeo import ogr, osr

    _app, _plugin = start_qgis()
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    tmp = tempfile.mkdtemp()
    x, y, v = cloud(n, seed=1)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3035)
    pts = os.path.join(tmp, "pts.gpkg")
    csv = os.path.join(tmp, "pts.csv")
    np.savetxt(csv, np.column_stack([x, y, v]), fmt="%.2f,%.2f,%.3f", header="x,y,mean_velocity", comments="")
    from osgeo import gdal

    t0 = time.time()
    src = gdal.OpenEx(csv, gdal.OF_VECTOR, open_options=["X_POSSIBLE_NAMES=x", "Y_POSSIBLE_NAMES=y",
                                                         "AUTODETECT_TYPE=YES"])
    gdal.VectorTranslate(pts, src, options=["-f", "GPKG", "-a_srs", "EPSG:3035", "-nln", "points", "-gt", "200000",
                                            "-lco", "SPATIAL_INDEX=NO",
                                            "-nlt", "POINT"])
    src = None
    print(f"(GeoPackage of {n:,} points written in {time.time() - t0:.1f} s)")
    line_path = os.path.join(tmp, "line.gpkg")
    ld = ogr.GetDriverByName("GPKG").CreateDataSource(line_path)
    ll = ld.CreateLayer("line", srs, ogr.wkbLineString)
    f = ogr.Feature(ll.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("LINESTRING(" + ", ".join(f"{a} {b}" for a, b in LINE) + ")"))
    ll.CreateFeature(f)
    ld = None
    c0, w0 = cpu_s(), time.time()
    processing.run("geohazard:swathprofile", {"INPUT": pts, "FIELD": "mean_velocity", "LINE": line_path,
                                             "WIDTH": 2000.0, "STEP": 250.0, "OUTPUT": os.path.join(tmp, "p.gpkg")},
                   context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    print(f"tool, {n:,} points in a GeoPackage: {time.time() - w0:.2f} s wall ({cpu_s() - c0:.2f} CPU-s)")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    n_tool = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    print(f"load {os.getloadavg()[0]:.1f}")
    core(n)
    if n_tool:
        tool(n_tool)


if __name__ == "__main__":
    main()
