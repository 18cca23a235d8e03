"""fileio/hazard/miningsubsidence.py: mine-plan polygons read with their depth and thickness (fields, typed values,
multipolygons, holes, another CRS), LOS rasters subsampled, the parameter table and the panels written."""

import numpy as np
import pytest
import testutils_hostile as hk
from osgeo import ogr
from testutils import write_geotiff

from insar_geohazards.algorithms.errors import GeohazardError


def _source(path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(str(path), "panels", "ogr")
    assert layer.isValid()
    return layer


def test_panels_with_fields_nulls_holes_and_parts(qgis_app, tmp_path):
    from insar_geohazards.fileio.hazard.miningsubsidence import read_panels

    wkts = ["POLYGON((0 0,600 0,600 200,0 200,0 0),(100 50,200 50,200 100,100 100,100 50))",
            "MULTIPOLYGON(((0 400,300 400,300 600,0 600,0 400)),((400 400,700 400,700 600,400 600,400 400)))"]
    path = hk.polygon_layer(tmp_path / "p.gpkg", wkts, fields={"DEPTH_M": [300.0, float("nan")],
                                                              "THICKNESS_M": [2.5, 3.0]})
    panels, crs = read_panels(_source(path), name="PANELS", depth_m=450.0, thickness_m=None)
    assert crs.authid() == "EPSG:32633"
    assert [p.depth_m for p in panels] == [300.0, 450.0, 450.0]  # the NULL depth takes the typed value
    assert [p.thickness_m for p in panels] == [2.5, 3.0, 3.0]
    assert len(panels[0].rings) == 2 and panels[1].name.endswith(".1") and panels[2].name.endswith(".2")
    with pytest.raises(GeohazardError, match="no DEPTH_M and no DEPTH_M was typed"):
        read_panels(_source(path), name="PANELS", depth_m=None, thickness_m=None)


def test_panels_in_degrees_are_refused_and_moved_to_a_projected_crs(qgis_app, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem

    from insar_geohazards.fileio.hazard.miningsubsidence import read_panels

    geo = hk.polygon_layer(tmp_path / "g.gpkg", ["POLYGON((15 37,15.01 37,15.01 37.005,15 37.005,15 37))"],
                           fields={"DEPTH_M": [300.0], "THICKNESS_M": [2.0]}, epsg=4326)
    with pytest.raises(GeohazardError, match="geographic"):
        read_panels(_source(geo), name="PANELS", depth_m=None, thickness_m=None)
    panels, crs = read_panels(_source(geo), name="PANELS", depth_m=None, thickness_m=None,
                              dest_crs=QgsCoordinateReferenceSystem("EPSG:32633"))
    ring = np.asarray(panels[0].rings[0])
    assert crs.authid() == "EPSG:32633" and 490000 < ring[:, 0].min() < 510000
    width = ring[:, 0].max() - ring[:, 0].min()
    assert width == pytest.approx(0.01 * 111320 * np.cos(np.radians(37)), rel=0.01)


def test_los_samples_are_a_regular_subsample_of_the_valid_pixels(qgis_app, tmp_path):
    from insar_geohazards.fileio.hazard.miningsubsidence import read_los_datasets

    arr = np.arange(40 * 50, dtype=float).reshape(40, 50)
    arr[:5] = np.nan
    path = write_geotiff(tmp_path / "los.tif", arr)
    (samples, info), = read_los_datasets([("INPUT", path, 39.0, -12.0)], 200)
    assert samples.los_mm.size <= 200 and np.isfinite(samples.los_mm).all()
    col = (samples.x_m - info.geotransform[0]) / info.geotransform[1] - 0.5
    row = (samples.y_m - info.geotransform[3]) / info.geotransform[5] - 0.5
    np.testing.assert_array_equal(samples.los_mm, arr[row.round().astype(int), col.round().astype(int)])
    assert samples.los_vector[2] == pytest.approx(np.cos(np.radians(39.0)))
    other = write_geotiff(tmp_path / "other.tif", arr, epsg=32632)
    with pytest.raises(GeohazardError, match="INPUT_2 is not in the same CRS"):
        read_los_datasets([("INPUT", path, 39.0, -12.0), ("INPUT_2", other, 34.0, 192.0)], 200)


def test_table_and_panels_written(qgis_app, tmp_path):
    from insar_geohazards.algorithms.hazard.miningsubsidence import Panel, PimParameters
    from insar_geohazards.fileio.hazard.miningsubsidence import write_panels, write_table

    params = PimParameters(0.8, 2.0, 10.0, 0.3)
    out = write_table(str(tmp_path / "t.gpkg"), params.table())
    ds = ogr.Open(out)
    rows = [(f["parameter"], f["value"], f["std_error"]) for f in ds.GetLayer(0)]
    assert rows[0] == ("subsidence_factor", 0.8, None) and len(rows) == 6
    panel = Panel.from_vertices([(0, 0), (600, 0), (600, 200), (0, 200)], 300.0, 2.5, name="A")
    out = write_panels(str(tmp_path / "p.gpkg"), [panel], params, "")
    ds = ogr.Open(out)
    f = ds.GetLayer(0).GetNextFeature()
    assert (f["panel"], f["radius_m"], f["w_max_mm"]) == ("A", 150.0, 2000.0)
    assert f.GetGeometryRef().GetArea() == pytest.approx(120000.0)
