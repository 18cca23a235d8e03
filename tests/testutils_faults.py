"""Helpers for the fault-tool tests: line layers written with OGR."""

from __future__ import annotations

import csv
import os

from testutils import vector_features

#: Centre of the synthetic fault scenes (UTM 33N, m).
E0, N0 = 500000.0, 4100000.0

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "coulomb_inputs")


def coulomb34_receiver() -> dict:
    """Coulomb 3.4's values on the benchmark's receiver (fault 2 of simple_receiver_bm.inp), bar / degrees (see
    tests/data/coulomb_inputs/PROVENANCE.md)."""
    with open(os.path.join(DATA, "Coulomb34_benchmark_outs.csv")) as fh:
        rows = [r for r in csv.reader(fh) if r and r[0].strip()[:1].isdigit()]
    head = ["fault", "x", "y", "z", "length", "strike", "dip", "lat_slip", "dip_slip", "sig_right", "sig_reverse",
            "normal", "coul_right", "coul_reverse", "opt_rake", "opt_coul", "spec_rake", "spec_coul"]
    return dict(zip(head, (float(v) for v in rows[1])))


def write_lines(path, lines, *, epsg=32633, fields=None):
    """Write a GeoPackage line layer; ``lines`` is a list of [(x, y), ...]; ``fields`` name -> list of floats."""
    from osgeo import ogr, osr

    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(str(path))
    srs = None
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lyr = ds.CreateLayer("faults", srs, ogr.wkbLineString)
    fields = fields or {}
    for k in fields:
        lyr.CreateField(ogr.FieldDefn(k, ogr.OFTReal))
    for i, pts in enumerate(lines):
        f = ogr.Feature(lyr.GetLayerDefn())
        g = ogr.Geometry(ogr.wkbLineString)
        for x, y in pts:
            g.AddPoint_2D(float(x), float(y))
        f.SetGeometry(g)
        for k, v in fields.items():
            f.SetField(k, float(v[i]))
        lyr.CreateFeature(f)
    ds = None
    return str(path)


def read_raster(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    arr = ds.ReadAsArray()
    desc = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    return arr, ds.GetGeoTransform(), desc


def read_features(path):
    names, rows = vector_features(path)
    return [{n: r[n] for n in names} for r in rows]


def los_pair(folder, table, centre, *, pixel_m: float, n: int, noise_mm: float, seed: int) -> list:
    """Ascending (incidence 34, heading -12) and descending (39, 192) LOS rasters (mm, with Gaussian noise of
    ``noise_mm``) of the Okada sources ``table`` on an ``n`` x ``n`` grid of ``pixel_m`` cells centred on
    ``centre`` (east, north); returns their paths ``folder/asc.tif``, ``folder/desc.tif``."""
    import numpy as np
    from testutils import write_geotiff

    from insar_geohazards.algorithms.faults.okada import okada_displacement
    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    half = pixel_m * n / 2
    gt = (centre[0] - half, pixel_m, 0.0, centre[1] + half, 0.0, -pixel_m)
    xx, yy = np.meshgrid(gt[0] + (np.arange(n) + 0.5) * pixel_m, gt[3] - (np.arange(n) + 0.5) * pixel_m)
    d = okada_displacement(xx, yy, table)
    rng = np.random.default_rng(seed)
    paths = []
    for name, inc, head in (("asc", 34.0, -12.0), ("desc", 39.0, 192.0)):
        los = d @ np.array(los_unit_vector(inc, head)).ravel() * 1000.0 + rng.normal(0, noise_mm, xx.shape)
        paths.append(write_geotiff(os.path.join(str(folder), f"{name}.tif"), los, geotransform=gt))
    return paths
