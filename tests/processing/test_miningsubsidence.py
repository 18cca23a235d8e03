"""geohazard:miningsubsidence — parameters, a forward basin against the published rectangular-panel erf products,
an inversion of synthetic LOS maps (one and two geometries, geometry carried by the rasters), wrong inputs."""

import math

import numpy as np
import pytest
import testutils_hostile as hk
from osgeo import gdal, ogr
from scipy.special import erf
from testutils import write_geotiff

NAME = "miningsubsidence"
E0, N0 = 500000.0, 4100000.0
SQ = math.sqrt(math.pi)


def rect_wkt(x0, y0, length, width):
    return (f"POLYGON(({x0} {y0},{x0 + length} {y0},{x0 + length} {y0 + width},{x0} {y0 + width},"
            f"{x0} {y0}))")


def panels(path, fields=None, *, x0=E0, y0=N0, epsg=32633):
    fields = {"DEPTH_M": [300.0], "THICKNESS_M": [3.0]} if fields is None else fields
    return hk.polygon_layer(path, [rect_wkt(x0, y0, 600.0, 240.0)], fields=fields, epsg=epsg)


def read(path):
    ds = gdal.Open(str(path))
    return ds.ReadAsArray().astype(float), ds.GetGeoTransform(), ds.GetMetadata()


def table(path):
    ds = ogr.Open(str(path))
    lyr = ds.GetLayer(0)
    return {f["parameter"]: (f["value"], f["std_error"]) for f in lyr}


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("MODE", "PANELS", "SUBSIDENCE_FACTOR", "TAN_BETA", "PROPAGATION_ANGLE", "OFFSET_M",
                "HORIZONTAL_FACTOR", "EXTENT", "PIXEL_SIZE", "INPUT", "INCIDENCE", "HEADING", "OUTPUT_VERTICAL",
                "OUTPUT_EAST", "OUTPUT_NORTH", "OUTPUT_LOS", "OUTPUT_PARAMETERS", "OUTPUT_PANEL"):
        assert pid in ids
    help_text = a.shortHelpString()
    assert help_text.startswith("The final surface basin of mined panels by the probability-integral method")
    assert "doi:10.3390/rs13163204" in help_text and "up positive" in help_text
    assert a.group() == "Hazard maps"


def test_forward_basin_equals_the_published_rectangle(run_alg, tmp_path):
    src = panels(tmp_path / "p.gpkg")
    res = run_alg(NAME, {"PANELS": src, "SUBSIDENCE_FACTOR": 0.8, "TAN_BETA": 2.0, "HORIZONTAL_FACTOR": 0.3,
                         "EXTENT": f"{E0 - 300},{E0 + 900},{N0 - 300},{N0 + 540} [EPSG:32633]", "PIXEL_SIZE": 20.0,
                         "INCIDENCE": 39.0, "HEADING": -12.0,
                         "OUTPUT_VERTICAL": str(tmp_path / "up.tif"), "OUTPUT_EAST": str(tmp_path / "e.tif"),
                         "OUTPUT_NORTH": str(tmp_path / "n.tif"), "OUTPUT_LOS": str(tmp_path / "los.tif"),
                         "OUTPUT_PARAMETERS": str(tmp_path / "par.gpkg"), "OUTPUT_PANEL": str(tmp_path / "pan.gpkg")})
    up, gt, meta = read(res["OUTPUT_VERTICAL"])
    assert up.shape == (42, 60) and meta["UNIT"] == "mm" and "up positive" in meta["SIGN"]
    x = gt[0] + (np.arange(60) + 0.5) * gt[1] - E0
    y = gt[3] + (np.arange(42) + 0.5) * gt[5] - N0
    xx, yy = np.meshgrid(x, y)
    r, w0 = 150.0, 0.8 * 3.0 * 1000
    cx = 0.5 * (erf(SQ * xx / r) - erf(SQ * (xx - 600) / r))
    cy = 0.5 * (erf(SQ * yy / r) - erf(SQ * (yy - 240) / r))
    np.testing.assert_allclose(up, -w0 * cx * cy, atol=1e-3)  # float32 of ~2 m
    east = read(res["OUTPUT_EAST"])[0]
    np.testing.assert_allclose(east, 0.3 * w0 * (np.exp(-math.pi * xx ** 2 / r ** 2)
                                                 - np.exp(-math.pi * (xx - 600) ** 2 / r ** 2)) * cy, atol=1e-3)
    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    lv = np.array(los_unit_vector(39.0, -12.0)).ravel()
    north = read(res["OUTPUT_NORTH"])[0]
    np.testing.assert_allclose(read(res["OUTPUT_LOS"])[0], east * lv[0] + north * lv[1] + up * lv[2], atol=2e-3)
    rows = table(res["OUTPUT_PARAMETERS"])
    assert rows["subsidence_factor"][0] == pytest.approx(0.8) and rows["subsidence_factor"][1] is None
    ds = ogr.Open(res["OUTPUT_PANEL"])
    f = ds.GetLayer(0).GetNextFeature()
    assert f["radius_m"] == pytest.approx(150.0) and f["w_max_mm"] == pytest.approx(2400.0)


def _los_raster(path, truth_panels, *, inc, head, q=0.75, tan_beta=2.2, s=25.0, b=0.28, seed=0, carry=True):
    from insar_geohazards.algorithms.geometry.los import los_unit_vector
    from insar_geohazards.algorithms.hazard import miningsubsidence as pim

    gt = (E0 - 600.0, 30.0, 0.0, N0 + 800.0, 0.0, -30.0)
    x = gt[0] + (np.arange(60) + 0.5) * gt[1]
    y = gt[3] + (np.arange(55) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    e, n, u = pim.pim_displacement(xx, yy, truth_panels, subsidence_factor=q, tan_beta=tan_beta, offset_m=s,
                                 horizontal_factor=b)
    los = pim.los_from_enu(e, n, u, np.array(los_unit_vector(inc, head)).ravel())
    los += 4.0 + np.random.default_rng(seed).normal(0, 3.0, los.shape)
    meta = {"INCIDENCE_DEG": str(inc), "HEADING_DEG": str(head), "UNIT": "mm"} if carry else {"UNIT": "mm"}
    return write_geotiff(path, los, geotransform=gt, metadata=meta)


def _truth():
    from insar_geohazards.algorithms.hazard import miningsubsidence as pim

    p = pim.Panel.from_vertices([(E0, N0), (E0 + 600, N0), (E0 + 600, N0 + 240), (E0, N0 + 240)], 300.0, 3.0)
    return [pim.moved_panel(p, dx_m=45.0, dy_m=-30.0)]


def test_inversion_recovers_the_parameters_and_locates_the_goaf(run_alg, tmp_path):
    truth = _truth()
    asc = _los_raster(tmp_path / "asc.tif", truth, inc=39.0, head=-12.0, seed=1)
    desc = _los_raster(tmp_path / "desc.tif", truth, inc=34.0, head=192.0, seed=2)
    res = run_alg(NAME, {"MODE": 1, "PANELS": panels(tmp_path / "plan.gpkg"), "INPUT": asc, "INPUT_2": desc,
                         "SUBSIDENCE_FACTOR": 0.6, "TAN_BETA": 1.8, "OFFSET_M": 5.0, "HORIZONTAL_FACTOR": 0.2,
                         "OUTPUT_VERTICAL": str(tmp_path / "up.tif"), "OUTPUT_LOS": str(tmp_path / "los.tif"),
                         "OUTPUT_PARAMETERS": str(tmp_path / "par.gpkg"), "OUTPUT_PANEL": str(tmp_path / "goaf.gpkg")})
    rows = table(res["OUTPUT_PARAMETERS"])
    for name, value in (("subsidence_factor", 0.75), ("tan_beta", 2.2), ("offset_m", 25.0),
                        ("horizontal_factor", 0.28), ("shift_east_m", 45.0), ("shift_north_m", -30.0)):
        v, s = rows[name]
        assert abs(v - value) < 4 * s, (name, v, s, value)
    assert rows["rms_mm_1"][0] == pytest.approx(3.0, rel=0.15)
    ds = ogr.Open(res["OUTPUT_PANEL"])
    feat = ds.GetLayer(0).GetNextFeature()
    env = feat.GetGeometryRef().GetEnvelope()
    assert env[0] == pytest.approx(E0 + 45.0, abs=3.0) and env[2] == pytest.approx(N0 - 30.0, abs=3.0)
    fitted, gt, _ = read(res["OUTPUT_LOS"])
    data = read(asc)[0]
    resid = data - fitted
    assert fitted.shape == data.shape and gt == gdal.Open(asc).GetGeoTransform()
    assert np.std(resid) == pytest.approx(3.0, rel=0.15)  # the basin in INPUT's LOS (its offset left in the data)


def test_missing_depth_with_nothing_typed_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = panels(tmp_path / "p.gpkg", fields={"THICKNESS_M": [3.0]})
    params = {"PANELS": src, "EXTENT": f"{E0},{E0 + 500},{N0},{N0 + 500} [EPSG:32633]", "PIXEL_SIZE": 50.0,
              "OUTPUT_VERTICAL": str(tmp_path / "up.tif")}
    with pytest.raises(QgsProcessingException, match="DEPTH_M"):
        run_alg(NAME, params)
    res = run_alg(NAME, dict(params, DEPTH_M=250.0))
    assert np.nanmin(read(res["OUTPUT_VERTICAL"])[0]) < -500


def test_mode_needs_its_inputs(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = panels(tmp_path / "p.gpkg")
    with pytest.raises(QgsProcessingException, match="EXTENT"):
        run_alg(NAME, {"PANELS": src, "OUTPUT_VERTICAL": str(tmp_path / "up.tif")})
    with pytest.raises(QgsProcessingException, match="INPUT"):
        run_alg(NAME, {"MODE": 1, "PANELS": src, "OUTPUT_VERTICAL": str(tmp_path / "up.tif")})
    with pytest.raises(QgsProcessingException, match="INCIDENCE|HEADING"):
        run_alg(NAME, {"PANELS": src, "EXTENT": f"{E0},{E0 + 500},{N0},{N0 + 500} [EPSG:32633]",
                       "PIXEL_SIZE": 50.0, "OUTPUT_VERTICAL": str(tmp_path / "up.tif"),
                       "OUTPUT_LOS": str(tmp_path / "los.tif")})
    uncarried = _los_raster(tmp_path / "bare.tif", _truth(), inc=39.0, head=-12.0, carry=False)
    with pytest.raises(QgsProcessingException, match="INCIDENCE|HEADING"):
        run_alg(NAME, {"MODE": 1, "PANELS": src, "INPUT": uncarried, "OUTPUT_VERTICAL": str(tmp_path / "u2.tif")})


def test_a_text_depth_field_is_named_as_a_type_problem(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = hk.polygon_layer(tmp_path / "p.gpkg", [rect_wkt(E0, N0, 600.0, 240.0)],
                           fields={"DEPTH_M": ["about 300 m"], "THICKNESS_M": [3.0]}, text_fields=("DEPTH_M",))
    params = {"PANELS": src, "EXTENT": f"{E0},{E0 + 500},{N0},{N0 + 500} [EPSG:32633]", "PIXEL_SIZE": 50.0,
              "OUTPUT_VERTICAL": str(tmp_path / "up.tif")}
    with pytest.raises(QgsProcessingException) as err:
        run_alg(NAME, params)
    msg = str(err.value)
    assert "exists" in msg and "type" in msg and "'about 300 m'" in msg and "not a number" in msg
    assert "add the field" not in msg


def _series_raster(path, *, c, end, los=None, seed=0, dates=None, meta=None):
    """A time series (mm, one band per date) written here: the PIM basin of _truth() times Knothe's 1 - exp(-c t),
    t in years after ``end``, measured from the first date, with 3 mm of noise."""
    import datetime as dt

    from insar_geohazards.algorithms.hazard import miningsubsidence as pim

    dates = dates or [dt.date(2021, 1, 5) + dt.timedelta(days=12 * k) for k in range(40)]
    gt = (E0 - 600.0, 30.0, 0.0, N0 + 800.0, 0.0, -30.0)
    xx, yy = np.meshgrid(gt[0] + (np.arange(60) + 0.5) * 30.0, gt[3] - (np.arange(55) + 0.5) * 30.0)
    e, n, u = pim.pim_displacement(xx, yy, _truth(), subsidence_factor=0.8, tan_beta=2.0, offset_m=0.0,
                                   horizontal_factor=0.3)
    final = pim.los_from_enu(e, n, u, los) if los is not None else u
    frac = np.array([1 - math.exp(-c * (d - end).days / 365.25) if d > end else 0.0 for d in dates])
    cube = frac[:, None, None] * final[None]
    cube = cube - cube[0] + np.random.default_rng(seed).normal(0, 3.0, cube.shape)
    return write_geotiff(path, cube, geotransform=gt, descriptions=[d.isoformat() for d in dates],
                         metadata=meta if meta is not None else {"UNIT": "mm"}), dates


def test_time_mode_fits_the_time_factor_and_forecasts(run_alg, tmp_path):
    import datetime as dt

    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    end = dt.date(2020, 12, 1)
    moved = [(p[0] + 45.0, p[1] - 30.0) for p in ((E0, N0),)][0]
    plan = hk.polygon_layer(tmp_path / "plan.gpkg", [rect_wkt(moved[0], moved[1], 600.0, 240.0)],
                            fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0], "START_DATE": ["2020-03-01"],
                                    "END_DATE": [end.isoformat()]}, text_fields=("START_DATE", "END_DATE"))
    lv = np.array(los_unit_vector(39.0, -12.0)).ravel()
    series, dates = _series_raster(tmp_path / "ts.tif", c=1.4, end=end, los=lv,
                                   meta={"UNIT": "mm", "INCIDENCE_DEG": "39", "HEADING_DEG": "-12"})
    res = run_alg(NAME, {"MODE": 2, "PANELS": plan, "INPUT": series, "SUBSIDENCE_FACTOR": 0.8, "TAN_BETA": 2.0,
                         "OFFSET_M": 0.0, "FORECAST_DATES": "2021-06-01, 2022-12-01, 2030-01-01",
                         "OUTPUT_VERTICAL": str(tmp_path / "fc.tif"), "OUTPUT_PARAMETERS": str(tmp_path / "p.gpkg")})
    c, se = table(res["OUTPUT_PARAMETERS"])["time_factor_per_year"]
    assert abs(c - 1.4) < 0.14 and 0 < se < 0.07 and abs(c - 1.4) < 5 * se
    ds = gdal.Open(res["OUTPUT_VERTICAL"])
    assert [ds.GetRasterBand(k + 1).GetDescription() for k in range(3)] == ["2021-06-01", "2022-12-01", "2030-01-01"]
    fc = ds.ReadAsArray()
    ds = None
    final = fc[2] / (1 - math.exp(-c * (dt.date(2030, 1, 1) - end).days / 365.25))
    assert final.min() == pytest.approx(-0.8 * 3000 * 0.97, rel=0.05)  # nearly the full W_max = q m at the centre
    share = (1 - math.exp(-c * (dt.date(2021, 6, 1) - end).days / 365.25))
    assert np.allclose(fc[0], final * share, rtol=1e-4, atol=1e-3)


def test_time_mode_typed_factor_vertical_and_refusals(run_alg, tmp_path):
    import datetime as dt

    from qgis.core import QgsProcessingException

    src = panels(tmp_path / "p.gpkg")
    ext = f"{E0 - 300},{E0 + 900},{N0 - 300},{N0 + 540} [EPSG:32633]"
    base = {"MODE": 2, "PANELS": src, "EXTENT": ext, "PIXEL_SIZE": 30.0, "OUTPUT_VERTICAL": str(tmp_path / "v.tif")}
    with pytest.raises(QgsProcessingException, match="INPUT.*or a typed TIME_FACTOR"):
        run_alg(NAME, base)
    with pytest.raises(QgsProcessingException, match="no field END_DATE and no END_DATE was typed"):
        run_alg(NAME, dict(base, TIME_FACTOR=2.0, FORECAST_DATES="2025-01-01"))
    res = run_alg(NAME, dict(base, TIME_FACTOR=2.0, FORECAST_DATES="2019-01-01,2025-01-01", END_DATE="2024-01-01"))
    ds = gdal.Open(res["OUTPUT_VERTICAL"])
    before, after = ds.GetRasterBand(1).ReadAsArray(), ds.GetRasterBand(2).ReadAsArray()
    ds = None
    assert np.all(before == 0) and after.min() == pytest.approx(-2400 * 0.97 * (1 - math.exp(-2.0 * 366 / 365.25)),
                                                                  rel=0.05)
    vert, _ = _series_raster(tmp_path / "vert.tif", c=0.9, end=dt.date(2020, 12, 1),
                             meta={"UNIT": "mm", "COMPONENT": "VERTICAL"})
    with pytest.raises(QgsProcessingException, match="declares COMPONENT=VERTICAL, not the line of sight"):
        run_alg(NAME, {"MODE": 2, "PANELS": src, "INPUT": vert, "END_DATE": "2020-12-01",
                       "OUTPUT_VERTICAL": str(tmp_path / "x.tif")})
    with pytest.raises(QgsProcessingException, match="END_DATE = 'soon' is not a date"):
        run_alg(NAME, {"MODE": 2, "PANELS": src, "INPUT": vert, "END_DATE": "soon", "INPUT_COMPONENT": 1,
                       "OUTPUT_VERTICAL": str(tmp_path / "x.tif")})


def _advancing_world(tmp_path, seed, *, with_field=True):
    """A MODE 3 world of tests/testutils_mining_worlds.py (simulated element by element in numpy) moved to UTM 33N:
    the series raster (vertical, one band per date) and the panels with their dates and advance azimuth."""
    from testutils_mining_worlds import mining_world, rectangle

    w = mining_world(seed, advance=True, n_grid=24, lopsided=False)
    gt = list(w["geotransform"])
    gt[0] += E0
    gt[3] += N0
    cube = w["series"].reshape(len(w["dates"]), *w["shape"])
    path = write_geotiff(tmp_path / "series.tif", cube, geotransform=tuple(gt),
                         descriptions=[d.isoformat() for d in w["dates"]],
                         metadata={"UNIT": "mm", "COMPONENT": "VERTICAL"})
    wkts, fields = [], {"DEPTH_M": [], "THICKNESS_M": [], "START_DATE": [], "END_DATE": []}
    if with_field:
        fields["ADVANCE_AZIMUTH_DEG"] = []
    for p in w["panels"]:
        ring = rectangle(p["centre"], p["length_m"], p["width_m"], p["axis_deg"]) + np.array([E0, N0])
        wkts.append("POLYGON((" + ",".join(f"{x} {y}" for x, y in list(ring) + [ring[0]]) + "))")
        fields["DEPTH_M"].append(p["depth_m"])
        fields["THICKNESS_M"].append(p["thickness_m"])
        fields["START_DATE"].append(p["start"].isoformat())
        fields["END_DATE"].append(p["end"].isoformat())
        if with_field:
            fields["ADVANCE_AZIMUTH_DEG"].append(p["axis_deg"])
    plan = hk.polygon_layer(tmp_path / "plan.gpkg", wkts, fields=fields, text_fields=("START_DATE", "END_DATE"))
    return w, path, plan


def test_during_extraction_fits_the_time_factor_and_forecasts(run_alg, tmp_path):
    """MODE 3 on a world drawn at random: c recovered within 5 % (and 3 standard errors) with the basin left at
    the defaults; the forecast at the series' dates equals the element-by-element simulation within 5 % of its
    maximum (measured from each pixel's first date, as the series is)."""
    seed = int(np.random.default_rng(841).integers(0, 10_000))
    w, series, plan = _advancing_world(tmp_path, seed)
    res = run_alg(NAME, {"MODE": 3, "PANELS": plan, "INPUT": series, "INPUT_COMPONENT": 1,
                         "OUTPUT_VERTICAL": str(tmp_path / "fc.tif"), "OUTPUT_PARAMETERS": str(tmp_path / "p.gpkg")})
    rows = table(res["OUTPUT_PARAMETERS"])
    c, se = rows["time_factor_per_year"]
    truth = w["truth"]["c"]
    assert abs(c - truth) <= 0.05 * truth and abs(c - truth) <= 3 * se
    assert rows["tan_beta"][1] > 0 and rows["subsidence_factor"][1] > 0  # fitted, with their errors
    fc, gt, meta = read(res["OUTPUT_VERTICAL"])
    assert fc.shape == (len(w["dates"]), *w["shape"]) and "advances" in meta["MODEL"]
    clean = w["clean"].reshape(fc.shape)
    scale = np.abs(clean).max()
    assert np.abs((fc - fc[0]) - (clean - clean[0])).max() <= 0.05 * scale


def test_during_extraction_typed_azimuth_lopsided_forecast_and_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    w, series, plan = _advancing_world(tmp_path, 7, with_field=False)
    az = w["panels"][0]["axis_deg"]
    base = {"MODE": 3, "PANELS": plan, "TIME_FACTOR": 2.0, "FORECAST_DATES": "2019-01-01,2030-01-01",
            "EXTENT": f"{E0 - 1500},{E0 + 1500},{N0 - 1500},{N0 + 1500} [EPSG:32633]", "PIXEL_SIZE": 60.0,
            "OUTPUT_VERTICAL": str(tmp_path / "v.tif")}
    with pytest.raises(QgsProcessingException, match="no field ADVANCE_AZIMUTH_DEG and no ADVANCE_AZIMUTH_DEG"):
        run_alg(NAME, base)
    even = run_alg(NAME, dict(base, ADVANCE_AZIMUTH_DEG=az, OUTPUT_VERTICAL=str(tmp_path / "even.tif")))
    lop = run_alg(NAME, dict(base, ADVANCE_AZIMUTH_DEG=az, TAN_BETA_2=3.5, OUTPUT_VERTICAL=str(tmp_path / "lop.tif")))
    a, b = read(even["OUTPUT_VERTICAL"])[0], read(lop["OUTPUT_VERTICAL"])[0]
    assert np.all(a[0] == 0) and np.all(b[0] == 0)  # before extraction
    # long after: the same volume (each side keeps half), a steeper, shorter reach on the right of the advance
    assert b[1].sum() == pytest.approx(a[1].sum(), rel=1e-3) and (b[1] < -1).sum() < (a[1] < -1).sum()
    with pytest.raises(QgsProcessingException, match="TAN_BETA_2"):
        run_alg(NAME, dict(base, ADVANCE_AZIMUTH_DEG=az, TAN_BETA_2=0.1))
