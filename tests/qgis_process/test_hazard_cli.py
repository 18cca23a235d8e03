"""The hazard-map tools' public IDs run headless from ``run geohazard:... -- KEY=value`` lines.

``qgis_process.bin`` itself starts for what only the command line shows: the listing, a refusal's exit status
and stderr (susceptibility), and damageproxy's coherence lists typed as repeated keys (its run and its refusal).
The other runs take the same ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the
provider's parameter check and run as qgis_process makes them; returncode, messages and errors kept), about
2.7 CPU-s less each than a start of qgis_process.
"""

import os
import sys

import numpy as np
from testutils_cli import in_app, in_app_json, listed, qgis_process, requires_qgis_process, results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process
sys.path.insert(0, os.path.join(ROOT, "tests"))
E0, N0 = 500000.0, 4100000.0
USTICA = os.path.join(ROOT, "tests", "data", "egms_ustica", "asc_117_subset.gpkg")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")


def test_susceptibility_refusal_names_the_input(tmp_path):
    from testutils import write_geotiff
    from testutils_ada import write_wkt_layer

    f = write_geotiff(tmp_path / "slope.tif", [[1.0, 2.0], [3.0, 4.0]])
    inv = write_wkt_layer(tmp_path / "far.gpkg", ["POINT(1500000 5100000)"])
    out = qgis_process("run", "geohazard:susceptibility", "--", f"INVENTORY={inv}", f"FACTORS={f}",
                       f"OUTPUT={tmp_path / 's.tif'}")
    assert out.returncode != 0
    assert "INVENTORY: none of its 1 features lies on the factors' grid" in out.stdout + out.stderr
    assert not os.path.exists(tmp_path / "s.tif")


def test_hazard_tools_listed():
    out = listed()
    assert out.returncode == 0, out.stderr
    for name in ("miningsubsidence", "damageproxy"):
        assert f"geohazard:{name}" in out.stdout


def test_mining_forward_then_inversion_of_its_own_los(qgis_app, tmp_path):
    import testutils_hostile as hk
    from osgeo import gdal, ogr

    wkt = f"POLYGON(({E0} {N0},{E0 + 600} {N0},{E0 + 600} {N0 + 240},{E0} {N0 + 240},{E0} {N0}))"
    plan = hk.polygon_layer(str(tmp_path / "plan.gpkg"), [wkt], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    res = results(in_app("--json", "run", "geohazard:miningsubsidence", "--", f"PANELS={plan}",
                         "SUBSIDENCE_FACTOR=0.8", "TAN_BETA=2.0", "OFFSET_M=20", "HORIZONTAL_FACTOR=0.3",
                         f"EXTENT={E0 - 600},{E0 + 1200},{N0 - 600},{N0 + 840} [EPSG:32633]", "PIXEL_SIZE=30",
                         "INCIDENCE=39", "HEADING=-12", f"OUTPUT_VERTICAL={tmp_path / 'up.tif'}",
                         f"OUTPUT_LOS={tmp_path / 'los.tif'}"))
    up = gdal.Open(res["OUTPUT_VERTICAL"]).ReadAsArray()
    assert up.shape == (48, 60) and -2400 < up.min() < -2000
    los = gdal.Open(res["OUTPUT_LOS"]).ReadAsArray()
    # the forward LOS fitted back from a plan drawn 50 m off: the plan comes back to where it was
    moved = hk.polygon_layer(str(tmp_path / "prior.gpkg"), [wkt.replace(f"{E0} ", f"{E0 + 50} ").replace(
        f"{E0 + 600} ", f"{E0 + 650} ")], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    res = results(in_app("--json", "run", "geohazard:miningsubsidence", "--", "MODE=1", f"PANELS={moved}",
                         f"INPUT={res['OUTPUT_LOS']}", "INCIDENCE=39", "HEADING=-12", "RAMP=false",
                         f"OUTPUT_VERTICAL={tmp_path / 'fit_up.tif'}",
                         f"OUTPUT_PARAMETERS={tmp_path / 'par.gpkg'}", f"OUTPUT_PANEL={tmp_path / 'goaf.gpkg'}"))
    ds = ogr.Open(res["OUTPUT_PARAMETERS"])
    rows = {f["parameter"]: f["value"] for f in ds.GetLayer(0)}
    assert abs(rows["shift_east_m"] + 50.0) < 0.5 and abs(rows["subsidence_factor"] - 0.8) < 1e-3
    assert np.abs(gdal.Open(res["OUTPUT_VERTICAL"]).ReadAsArray() - up).max() < 1.0 and los.size


def test_mining_refusal_reads_as_a_message(qgis_app, tmp_path):
    import testutils_hostile as hk

    wkt = f"POLYGON(({E0} {N0},{E0 + 600} {N0},{E0 + 600} {N0 + 240},{E0} {N0 + 240},{E0} {N0}))"
    plan = hk.polygon_layer(str(tmp_path / "deep.gpkg"), [wkt], fields={"DEPTH_M": [5000.0], "THICKNESS_M": [3.0]})
    out = in_app("run", "geohazard:miningsubsidence", "--", f"PANELS={plan}", "PIXEL_SIZE=50",
                 f"EXTENT={E0},{E0 + 600},{N0},{N0 + 600} [EPSG:32633]", f"OUTPUT_VERTICAL={tmp_path / 'u.tif'}")
    assert out.returncode != 0
    assert "DEPTH_M = 5000 m is not physically plausible" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr and not os.path.exists(tmp_path / "u.tif")


def test_damageproxy_on_the_mexico_city_coherence(tmp_path):
    from osgeo import gdal

    files = sorted(f for f in os.listdir(MEXICO) if f.endswith("_cc.tif"))
    pre = [f for f in files if f[15:23] < "20180510"]
    co = [f for f in files if f[6:14] < "20180510" < f[15:23]]
    args = [f"PRE_COHERENCE={os.path.join(MEXICO, f)}" for f in pre] + \
        [f"CO_COHERENCE={os.path.join(MEXICO, f)}" for f in co]
    res = results(qgis_process("--json", "run", "geohazard:damageproxy", "--", *args, "EVENT_DATE=2018-05-10",
                               f"OUTPUT={tmp_path / 'dpm.tif'}", f"OUTPUT_AREAS={tmp_path / 'a.gpkg'}",
                               f"OUTPUT_CLASSES={tmp_path / 'c.tif'}"))
    classes = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray()
    assert set(np.unique(classes)) <= {0, 1, 2, 3} and (classes == 2).mean() > 0.5
    out = qgis_process("run", "geohazard:damageproxy", "--", *args[:2], f"CO_COHERENCE={os.path.join(MEXICO, pre[0])}",
                       "EVENT_DATE=2018-05-10", f"OUTPUT={tmp_path / 'bad.tif'}")
    assert out.returncode != 0 and "does not span the event" in out.stdout + out.stderr


def test_displacementforecast_on_egms_points(qgis_app, tmp_path):
    res = in_app_json("displacementforecast", {"INPUT": USTICA, "MODEL": 0, "HOLDOUT": 10,
                                               "FORECAST_DATES": "2025-06-01,2026-01-01",
                                               "OUTPUT": str(tmp_path / "f.gpkg")})
    assert os.path.exists(res["OUTPUT"]) and 0.5 < res["HOLDOUT_RMSE_MM"] < 10.0
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT"])
    lyr = ds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    assert {"D20250601", "S20260101", "MODEL"} <= set(names) and lyr.GetFeatureCount() == 207


def test_swathprofile_of_egms_points_along_a_line_in_wgs84(qgis_app, tmp_path):
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
    res = in_app_json("swathprofile", {"INPUT": USTICA, "LINE": str(tmp_path / "line.gpkg"), "WIDTH": 300, "STEP": 50,
                                       "OUTPUT": str(tmp_path / "p.gpkg"), "OUTPUT_CHART": str(tmp_path / "p.png")})
    ds = ogr.Open(res["OUTPUT"])
    feats = list(ds.GetLayer(0))
    rows = [f.GetField("distance_m") for f in feats]
    assert rows[:2] == [25.0, 75.0] and len(rows) == 10
    counts = np.array([f.GetField("count_20200103") or 0 for f in feats])
    assert counts.sum() > 0
    with open(res["OUTPUT_CHART"], "rb") as fh:
        assert fh.read(4) == b"\x89PNG"


def test_forecast_date_inside_the_series_is_a_message(qgis_app, tmp_path):
    out = in_app("run", "geohazard:displacementforecast", "--", f"INPUT={USTICA}", "FORECAST_DATES=2022-01-01",
                 f"OUTPUT={tmp_path / 'f.gpkg'}")
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "FORECAST_DATES" in text and "Traceback" not in text
    assert not (tmp_path / "f.gpkg").exists()


def test_comparelayers_raster_against_points_and_a_refusal(qgis_app, tmp_path):
    """InSAR velocities against levelling points: the numbers come back as outputs of the run; a velocity map
    against a displacement map is refused with a message, no traceback and no file."""
    import testutils_hostile as hk
    from scipy import stats as st
    from testutils import write_geotiff

    rng = np.random.default_rng(2)
    vel = rng.normal(-4.0, 2.0, (30, 30))
    gt = (E0, 20.0, 0.0, N0, 0.0, -20.0)
    insar = write_geotiff(tmp_path / "v.tif", vel, geotransform=gt, metadata={"UNIT": "mm/yr"})
    rows, cols = rng.integers(0, 30, 25), rng.integers(0, 30, 25)
    lev = vel.astype(np.float32)[rows, cols] + rng.normal(0.5, 0.3, 25)
    pts = hk.write_layer(tmp_path / "lev.gpkg", [f"POINT({E0 + (c + 0.5) * 20} {N0 - (r + 0.5) * 20})"
                                                 for r, c in zip(rows, cols)], {"VEL": list(lev)})
    res = in_app_json("comparelayers", dict(INPUT=insar, REFERENCE=pts, REFERENCE_FIELD="VEL",
                                            OUTPUT=tmp_path / "p.gpkg", OUTPUT_TABLE=tmp_path / "t.csv"))
    a = vel.astype(np.float32)[rows, cols].astype(float)
    assert res["N"] == 25 and abs(res["BIAS"] - np.mean(a - lev)) < 1e-9
    assert abs(res["R"] - st.pearsonr(a, lev)[0]) < 1e-9
    disp = write_geotiff(tmp_path / "d.tif", vel, geotransform=gt, metadata={"UNIT": "mm"})
    out = in_app("run", "geohazard:comparelayers", "--", f"INPUT={insar}", f"REFERENCE={disp}",
                 f"OUTPUT_TABLE={tmp_path / 'x.gpkg'}")
    assert out.returncode != 0 and "a velocity against a displacement" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr and not os.path.exists(tmp_path / "x.gpkg")


def test_mining_time_mode_forecasts_with_a_typed_factor(qgis_app, tmp_path):
    """MODE 2 headless: END_DATE typed, c typed, one band per forecast date; the time factor lands in the table."""
    import math

    import testutils_hostile as hk
    from osgeo import gdal, ogr

    wkt = f"POLYGON(({E0} {N0},{E0 + 600} {N0},{E0 + 600} {N0 + 240},{E0} {N0 + 240},{E0} {N0}))"
    plan = hk.polygon_layer(str(tmp_path / "plan.gpkg"), [wkt], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    res = results(in_app("--json", "run", "geohazard:miningsubsidence", "--", "MODE=2", f"PANELS={plan}",
                         "END_DATE=2024-03-01", "TIME_FACTOR=1.2", "FORECAST_DATES=2024-09-01,2026-03-01",
                         f"EXTENT={E0 - 600},{E0 + 1200},{N0 - 600},{N0 + 840} [EPSG:32633]", "PIXEL_SIZE=30",
                         f"OUTPUT_VERTICAL={tmp_path / 'fc.tif'}", f"OUTPUT_PARAMETERS={tmp_path / 'p.gpkg'}"))
    ds = gdal.Open(res["OUTPUT_VERTICAL"])
    a, b = ds.GetRasterBand(1).ReadAsArray(), ds.GetRasterBand(2).ReadAsArray()
    assert ds.RasterCount == 2 and ds.GetRasterBand(2).GetDescription() == "2026-03-01"
    ratio = (1 - math.exp(-1.2 * 184 / 365.25)) / (1 - math.exp(-1.2 * 730 / 365.25))
    assert abs(a.min() / b.min() - ratio) < 1e-4
    ds = ogr.Open(res["OUTPUT_PARAMETERS"])
    rows = {f["parameter"]: f["value"] for f in ds.GetLayer(0)}
    assert rows["time_factor_per_year"] == 1.2


def test_mining_during_extraction_forecasts_what_the_element_simulation_gives(qgis_app, tmp_path):
    """MODE 3 headless: the face typed (START_DATE, END_DATE, ADVANCE_AZIMUTH_DEG) with a lopsided basin
    (TAN_BETA_2), c typed; the forecast mid-extraction and after it against the element-by-element numpy simulation
    of tests/testutils_mining_worlds.py within 5 % of its maximum; a missing START_DATE refused with its name."""
    import datetime as dt

    import testutils_hostile as hk
    from osgeo import gdal
    from testutils_mining_worlds import simulate

    wkt = f"POLYGON(({E0} {N0},{E0 + 900} {N0},{E0 + 900} {N0 + 240},{E0} {N0 + 240},{E0} {N0}))"
    plan = hk.polygon_layer(str(tmp_path / "plan.gpkg"), [wkt], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    args = ["MODE=3", f"PANELS={plan}", "START_DATE=2024-01-01", "END_DATE=2024-12-31", "ADVANCE_AZIMUTH_DEG=90",
            "TAN_BETA_2=3.0", "TIME_FACTOR=2.5", "FORECAST_DATES=2024-07-01,2026-01-01",
            f"EXTENT={E0 - 400},{E0 + 1300},{N0 - 400},{N0 + 640} [EPSG:32633]", "PIXEL_SIZE=40",
            f"OUTPUT_VERTICAL={tmp_path / 'fc.tif'}"]
    res = results(in_app("--json", "run", "geohazard:miningsubsidence", "--", *args))
    ds = gdal.Open(res["OUTPUT_VERTICAL"])
    fc, gt = ds.ReadAsArray(), ds.GetGeoTransform()
    ds = None
    xx, yy = np.meshgrid(gt[0] + (np.arange(fc.shape[2]) + 0.5) * gt[1], gt[3] + (np.arange(fc.shape[1]) + 0.5) * gt[5])
    panel = dict(centre=np.array([E0 + 450.0, N0 + 120.0]), length_m=900.0, width_m=240.0, axis_deg=90.0,
                 depth_m=300.0, thickness_m=3.0, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    dates = [dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2026, 1, 1)]
    sim = simulate((xx.ravel(), yy.ravel()), dates, [panel], q=0.8, tan_beta=2.0, tan_beta_2=3.0, c=2.5)[1:]
    sim = sim.reshape(fc.shape)
    assert np.abs(fc - sim).max() <= 0.05 * np.abs(sim).max()
    refused = in_app("run", "geohazard:miningsubsidence", "--", *[a for a in args if not a.startswith("START_")])
    assert refused.returncode != 0 and "START_DATE" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
