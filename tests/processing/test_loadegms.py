"""geohazard:loadegms — parameters, bad files, the real Ustica L2b product."""

import os

import pytest

NAME = "loadegms"


def test_parameters(alg):
    a = alg(NAME)
    assert [p.name() for p in a.parameterDefinitions()] == ["INPUT", "INPUTS", "SERIES", "OUTPUT"]
    assert "EPSG:3035" in a.shortHelpString()
    assert a.group() == "Import and formats"


def test_bad_file_clear_error_no_output(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    bad = tmp_path / "notegms.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(QgsProcessingException, match="pid"):
        run_alg(NAME, {"INPUT": str(bad), "OUTPUT": str(tmp_path / "o.gpkg")})
    assert not (tmp_path / "o.gpkg").exists()


def test_real_ustica_l2b_zip(run_alg, tmp_path, data_dir):
    from osgeo import ogr

    src = os.path.join(data_dir, "egms_ustica", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")
    out = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "desc.gpkg")})["OUTPUT"]
    ds = ogr.Open(out)
    lyr = ds.GetLayer(0)
    assert lyr.GetFeatureCount() == 11590
    assert lyr.GetSpatialRef().GetAuthorityCode(None) == "3035"
    defn = lyr.GetLayerDefn()
    types = {defn.GetFieldDefn(i).GetName(): defn.GetFieldDefn(i).GetTypeName() for i in range(defn.GetFieldCount())}
    assert types["pid"] == "String" and types["mp_type"] == "Integer64"
    assert types["mean_velocity"] == "Real" and types["date_first"] == "Date"
    dated = [k for k in types if k.startswith("D20")]
    assert len(dated) == 210 and types[dated[0]] == "Real"
    f = lyr.GetNextFeature()
    g = f.GetGeometryRef()
    assert g.GetX() == pytest.approx(f.GetField("easting")) and g.GetY() == pytest.approx(f.GetField("northing"))
    assert f.GetField("date_first") == "2020/01/03"
    assert lyr.GetSpatialFilter() is None and ds.GetLayer(0).TestCapability("FastSpatialFilter")
