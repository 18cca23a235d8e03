"""Point exports of other software laid out as their producers write them (no QGIS import at module level): SARvey's
``sarvey_export`` GeoPackage and SARscape's geocoded shape time series (sources in
tests/processing/test_point_exports.py), with a known linear motion per point."""

import datetime as dt

import numpy as np

DATES = [dt.date(2017, 1, 3) + dt.timedelta(days=12 * i) for i in range(40)]
T_YR = np.array([(d - DATES[0]).days for d in DATES]) / 365.25
TRUTH = np.array([-14.0, 3.0, 0.0, -6.5, 9.0])


def _series():
    return T_YR[:, None] * TRUTH[None, :]


def write_sarvey_export(path, values):
    """A GeoPackage as sarvey_export writes it (see the module docstring)."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer(path.stem, srs, ogr.wkbPoint)
    for name, kind in (("point_id", ogr.OFTInteger64), ("velocity", ogr.OFTReal), ("coherence", ogr.OFTReal),
                       ("omega", ogr.OFTReal), ("st_consist", ogr.OFTReal), ("dem_error", ogr.OFTReal),
                       ("dem", ogr.OFTReal), ("lifetime", ogr.OFTString), ("scattering", ogr.OFTString)):
        layer.CreateField(ogr.FieldDefn(name, kind))
    names = [f"D{d:%Y%m%d}" for d in DATES]
    for n in names:
        layer.CreateField(ogr.FieldDefn(n, ogr.OFTReal))
    for j in range(values.shape[1]):
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT({13.40 + 0.0004 * j} {52.50})"))
        f["point_id"], f["velocity"], f["coherence"], f["omega"] = j, float(TRUTH[j]), 0.9, 0.1
        f["st_consist"], f["dem_error"], f["dem"], f["lifetime"], f["scattering"] = 0.5, 0.0, 40.0, "CCS", "PS"
        for i, n in enumerate(names):
            f[n] = float(values[i, j])
        layer.CreateFeature(f)
    ds = None
    return str(path)


def write_sarscape_shape(path, values):
    """An ESRI shapefile with ``D_YYYYMMDD`` fields (SARscape's geocoded shape time series), UTM 33N."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(path))
    layer = ds.CreateLayer(path.stem, srs, ogr.wkbPoint)
    for name in ("ID", "VEL", "COHER", "HEIGHT"):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    names = [f"D_{d:%Y%m%d}" for d in DATES]
    for n in names:
        layer.CreateField(ogr.FieldDefn(n, ogr.OFTReal))
    for j in range(values.shape[1]):
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT({400000.0 + 30 * j} {5800000.0})"))
        f["ID"], f["VEL"], f["COHER"], f["HEIGHT"] = j, float(TRUTH[j]), 0.8, 40.0
        for i, n in enumerate(names):
            f[n] = float(values[i, j])
        layer.CreateFeature(f)
    ds = None
    return str(path)
