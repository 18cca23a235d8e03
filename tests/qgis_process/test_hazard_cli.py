"""The hazard-map tools through ``qgis_process``: their public IDs end to end on bundled real data (EGMS Ustica
points), and a refusal read as a message, not a traceback."""

import os

import numpy as np
from testutils_cli import ROOT, qgis_process, requires_qgis_process, run_json

pytestmark = requires_qgis_process
USTICA = os.path.join(ROOT, "tests", "data", "egms_ustica", "asc_117_subset.gpkg")


def test_displacementforecast_on_egms_points(tmp_path):
    res = run_json("displacementforecast", {"INPUT": USTICA, "MODEL": 0, "HOLDOUT": 10,
                                            "FORECAST_DATES": "2025-06-01,2026-01-01",
                                            "OUTPUT": str(tmp_path / "f.gpkg")})
    assert os.path.exists(res["OUTPUT"]) and 0.5 < res["HOLDOUT_RMSE_MM"] < 10.0
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT"])
    lyr = ds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    assert {"D20250601", "S20260101", "MODEL"} <= set(names) and lyr.GetFeatureCount() == 207


def test_swathprofile_of_egms_points_along_a_line_in_wgs84(tmp_path):
    """A line across the Ustica subset drawn in EPSG:4326 over points in EPSG:3035: a profile of every date."""
    from osgeo import ogr, osr
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = t.transform([4598610.0, 4599090.0], [1741550.0, 1741550.0])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp_path / "line.gpkg"))
    lyr = ds.CreateLayer("line", srs, ogr.wkbLineString)
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(f"LINESTRING({lon0} {lat0}, {lon1} {lat1})"))
    lyr.CreateFeature(f)
    ds = None
    res = run_json("swathprofile", {"INPUT": USTICA, "LINE": str(tmp_path / "line.gpkg"), "WIDTH": 300, "STEP": 50,
                                    "OUTPUT": str(tmp_path / "p.gpkg"), "OUTPUT_CHART": str(tmp_path / "p.png")})
    ds = ogr.Open(res["OUTPUT"])
    feats = list(ds.GetLayer(0))
    rows = [f.GetField("distance_m") for f in feats]
    assert rows[:2] == [25.0, 75.0] and len(rows) == 10
    counts = np.array([f.GetField("count_20200103") or 0 for f in feats])
    assert counts.sum() > 0
    assert open(res["OUTPUT_CHART"], "rb").read(4) == b"\x89PNG"


def test_forecast_date_inside_the_series_is_a_message(tmp_path):
    out = qgis_process("run", "geohazard:displacementforecast", "--", f"INPUT={USTICA}", "FORECAST_DATES=2022-01-01",
                       f"OUTPUT={tmp_path / 'f.gpkg'}")
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "FORECAST_DATES" in text and "Traceback" not in text
    assert not (tmp_path / "f.gpkg").exists()
