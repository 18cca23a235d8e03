"""Shared inputs of the kinematics tools' processing tests."""

import datetime as dt

import numpy as np
from testutils import write_geotiff

from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.kinematics import motion3d as m3


def _table(path):
    import csv

    with open(path, newline="") as fh:
        return {r["station"]: r for r in csv.DictReader(fh)}


def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.ReadAsArray().reshape(ds.RasterCount, ds.RasterYSize, ds.RasterXSize)
    desc = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    return arr, desc


def _slide(tmp_path, n=24):
    """A tilted plane (slope 20 deg, aspect 160 deg) sliding downslope at 40 mm/yr, seen asc/desc + azimuth."""
    yy, xx = np.mgrid[0:n, 0:n] * 30.0
    s, a = np.radians(20.0), np.radians(160.0)
    dem = 1000.0 - np.tan(s) * (np.sin(a) * xx - np.cos(a) * yy)  # x east, rows go south
    v = 40.0
    truth = np.array([v * np.cos(s) * np.sin(a), v * np.cos(s) * np.cos(a), -v * np.sin(s)])
    asc, desc, az = los_unit_vector(39.0, -12.0), los_unit_vector(34.0, 192.0), m3.azimuth_unit_vector(-12.0)
    paths = {}
    for name, vec in (("asc", asc), ("desc", desc), ("az", az)):
        paths[name] = write_geotiff(tmp_path / f"{name}.tif", np.full((n, n), float(np.dot(vec, truth))))
    paths["dem"] = write_geotiff(tmp_path / "dem.tif", dem)
    return paths, truth


def _egms_cells(path, gt, shape):
    """Cell means (velocity, LOS east/north/up, orthometric height) of an EGMS point layer on a grid."""
    from osgeo import ogr

    ds = ogr.Open(path)
    rows = []
    for f in ds.GetLayer(0):
        g = f.GetGeometryRef()
        rows.append([g.GetX(), g.GetY()] + [f.GetField(k) for k in ("mean_velocity", "los_east", "los_north",
                                                                    "los_up", "height_ortho")])
    a = np.array(rows, float)
    c = np.floor((a[:, 0] - gt[0]) / gt[1]).astype(int)
    r = np.floor((a[:, 1] - gt[3]) / gt[5]).astype(int)
    ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
    idx = r[ok] * shape[1] + c[ok]
    cnt = np.bincount(idx, minlength=shape[0] * shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([np.bincount(idx, weights=a[ok, k], minlength=cnt.size) / cnt for k in range(2, 7)])


def _validation_inputs(tmp_path):
    from qgis.core import QgsFeature, QgsField, QgsFields, QgsGeometry, QgsPointXY, QgsVectorFileWriter, QgsVectorLayer

    from insar_geohazards.fileio.base.compat import FIELD_DOUBLE

    rng = np.random.default_rng(3)
    gd = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(2 * 365)]
    idates = [dt.date(2020, 1, 5) + dt.timedelta(days=12 * i) for i in range(55)]
    e, n, u = los_unit_vector(39.0, -10.0)
    st = {"S1": (500100.0, 4100100.0, -6.0, 0.0), "S2": (502000.0, 4101000.0, -2.0, 1.5),
          "S3": (503000.0, 4100500.0, -10.0, -1.0), "OUT": (590000.0, 4100000.0, 0.0, 0.0)}
    lines = ["station,date,east,north,up,x,y"]
    for k, (x, y, vu, _) in st.items():
        for i, d in enumerate(gd):
            t = i / 365.25
            lines.append(f"{k},{d.isoformat()},{rng.normal(0, 1):.2f},{rng.normal(0, 1):.2f},"
                         f"{vu * t + rng.normal(0, 2):.2f},{x},{y}")
    csv = tmp_path / "gnss.csv"
    csv.write_text("\n".join(lines) + "\n")
    fields = QgsFields()
    for nm in ("los_east", "los_north", "los_up") + tuple("D" + d.strftime("%Y%m%d") for d in idates):
        fields.append(QgsField(nm, FIELD_DOUBLE))
    layer = QgsVectorLayer("Point?crs=EPSG:32633", "insar", "memory")
    layer.dataProvider().addAttributes(fields.toList())
    layer.updateFields()
    feats = []
    for k, (x, y, vu, bias) in st.items():
        if k == "OUT":
            continue
        for j in range(2):
            f = QgsFeature(layer.fields())
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x + 20 * j, y)))
            ts = [(u * vu + bias + 2.0) * ((d - gd[0]).days / 365.25) + rng.normal(0, 1) for d in idates]
            f.setAttributes([float(e), float(n), float(u)] + [float(v) for v in ts])
            feats.append(f)
    layer.dataProvider().addFeatures(feats)
    path = str(tmp_path / "insar.gpkg")
    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    from qgis.core import QgsCoordinateTransformContext

    QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, QgsCoordinateTransformContext(), opts)
    return path, str(csv), st


def _trigger_layer(days, idx, columns):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer

    from insar_geohazards.fileio.base.compat import FIELD_DOUBLE

    layer = QgsVectorLayer("Point?crs=EPSG:32633", "defo", "memory")
    layer.dataProvider().addAttributes([QgsField("D" + days[i].strftime("%Y%m%d"), FIELD_DOUBLE) for i in idx])
    layer.updateFields()
    feats = []
    for j, col in enumerate(columns):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(500000 + 10 * j, 4100000)))
        f.setAttributes([float(v) for v in col])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer
