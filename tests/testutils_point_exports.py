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


def _write_points(path, driver, epsg, fields, points, date_prefix, values):
    """A point layer of ``driver`` in EPSG ``epsg``: the fields ``fields`` ((name, OGR type), ...) and a real field
    per date named ``<date_prefix>YYYYMMDD``; point ``j`` (a column of ``values``, dates x points) at ``(x, y)`` with
    the attributes ``{field: value}`` that ``points(j)`` gives as ``(x, y, attributes)``."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName(driver).CreateDataSource(str(path))
    layer = ds.CreateLayer(path.stem, srs, ogr.wkbPoint)
    names = [f"{date_prefix}{d:%Y%m%d}" for d in DATES]
    for name, kind in [*fields, *((n, ogr.OFTReal) for n in names)]:
        layer.CreateField(ogr.FieldDefn(name, kind))
    for j in range(values.shape[1]):
        f = ogr.Feature(layer.GetLayerDefn())
        x, y, attributes = points(j)
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT({x} {y})"))
        for name, value in [*attributes.items(), *((n, float(values[i, j])) for i, n in enumerate(names))]:
            f[name] = value
        layer.CreateFeature(f)
    ds = None
    return str(path)


def write_sarvey_export(path, values):
    """A GeoPackage as sarvey_export writes it (see the module docstring)."""
    from osgeo import ogr

    fields = [("point_id", ogr.OFTInteger64), ("velocity", ogr.OFTReal), ("coherence", ogr.OFTReal),
              ("omega", ogr.OFTReal), ("st_consist", ogr.OFTReal), ("dem_error", ogr.OFTReal), ("dem", ogr.OFTReal),
              ("lifetime", ogr.OFTString), ("scattering", ogr.OFTString)]
    return _write_points(path, "GPKG", 4326, fields, lambda j: (13.40 + 0.0004 * j, 52.50, {
        "point_id": j, "velocity": float(TRUTH[j]), "coherence": 0.9, "omega": 0.1, "st_consist": 0.5,
        "dem_error": 0.0, "dem": 40.0, "lifetime": "CCS", "scattering": "PS"}), "D", values)


def write_sarscape_shape(path, values):
    """An ESRI shapefile with ``D_YYYYMMDD`` fields (SARscape's geocoded shape time series), UTM 33N."""
    from osgeo import ogr

    fields = [(name, ogr.OFTReal) for name in ("ID", "VEL", "COHER", "HEIGHT")]
    return _write_points(path, "ESRI Shapefile", 32633, fields, lambda j: (400000.0 + 30 * j, 5800000.0, {
        "ID": j, "VEL": float(TRUTH[j]), "COHER": 0.8, "HEIGHT": 40.0}), "D_", values)
