"""geohazard:inversevelocity — parameters, wrong parameters, synthetic failure, real RADARSAT PS, polygons."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils_models import RADARSAT_SHP, read_layer, write_dated_layer

NAME = "inversevelocity"


def _accelerating(n_points=3, tf=400.0, seed=0):
    days = np.arange(0, 372, 6.0)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(x)) for x in days]
    rng = np.random.default_rng(seed)
    d = (1 / 0.1826) * np.log((tf - days) / tf)
    values = np.column_stack([d + rng.normal(0, 0.1, days.size) for _ in range(n_points)]
                             + [-3.0 * days / 365.25 + rng.normal(0, 0.1, days.size)])
    return dates, values


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INPUT", "SMOOTH_WINDOW", "FIT_WINDOW", "CONFIDENCE", "SIGNIFICANCE", "MIN_VELOCITY", "RED_DAYS",
                   "ORANGE_DAYS", "DIRECTION", "NOW_DATE", "MAX_PLOTS", "OUTPUT", "OUTPUT_PLOTS", "PLOT_FOLDER"]
    assert a.parameterDefinition("RED_DAYS").defaultValue() == 30.0
    assert a.parameterDefinition("SIGNIFICANCE").defaultValue() == 0.1
    help_text = a.shortHelpString()
    assert "Fukuzono" in help_text and "failure time passed: check the data" in help_text
    assert "not judged" in help_text and "doi:10.5194/nhess-13-1945-2013" in help_text


def test_synthetic_failure_forecast_window_alert_and_plots(run_alg, tmp_path):
    dates, values = _accelerating()
    src = write_dated_layer(tmp_path / "acc.gpkg", dates, values)
    res = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "iv.gpkg"), "PLOT_FOLDER": str(tmp_path / "png")})
    _, rows = read_layer(res["OUTPUT"])
    truth = dt.date(2020, 1, 1) + dt.timedelta(days=400)
    for r in rows[:3]:
        low, high = (dt.date.fromisoformat(r[k].replace("/", "-")) for k in ("TF_LOW", "TF_HIGH"))
        assert low <= truth <= high, (low, truth, high)
        assert r["IV_LEVEL"] in ("orange", "red") and r["IV_ALERT"] >= 2
        assert r["V_LAST"] > 40
    assert rows[3]["IV_LEVEL"] == "none" and rows[3]["TF_DATE"] is None
    assert rows[3]["IV_NOTE"].startswith("none: ") and rows[0]["IV_NOTE"].startswith(rows[0]["IV_LEVEL"])
    assert all(r["IV_ACC_P"] < 1e-3 and r["IV_ACC"] > 0 and r["IV_NOISE"] < 0.5 for r in rows[:3])
    pngs = sorted(os.listdir(res["PLOT_FOLDER"]))
    assert len(pngs) == 3 and all(p.endswith(".png") and os.path.getsize(tmp_path / "png" / p) > 10000 for p in pngs)
    assert os.path.exists(os.path.splitext(res["OUTPUT"])[0] + ".qml")
    # later reference date -> the forecast date has come closer: red
    res = run_alg(NAME, {"INPUT": src, "NOW_DATE": "2021-01-25", "OUTPUT": str(tmp_path / "iv2.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    assert [r["IV_LEVEL"] for r in rows[:3]] == ["red"] * 3


def test_polygons_and_real_radarsat(run_alg, tmp_path):
    dates, values = _accelerating(n_points=1)
    poly = write_dated_layer(tmp_path / "ada.gpkg", dates, values, polygons=True)
    res = run_alg(NAME, {"INPUT": poly, "OUTPUT": str(tmp_path / "poly.gpkg")})
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT"])
    assert ds.GetLayer(0).GetGeomType() == ogr.wkbPolygon
    _, rows = read_layer(res["OUTPUT"])
    assert rows[0]["IV_ALERT"] >= 2
    # real PS: the Boissano slope creeps steadily (no tertiary creep): almost no alerts
    res = run_alg(NAME, {"INPUT": RADARSAT_SHP, "OUTPUT": str(tmp_path / "rsat.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    assert len(rows) == 1372
    alerts = np.array([r["IV_ALERT"] for r in rows])
    assert (alerts > 0).sum() + (alerts == -2).sum() <= 2
    assert rows[0]["CODE"] and "D20030317" in rows[0]


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "o.gpkg"
    dates, values = _accelerating()
    src = write_dated_layer(tmp_path / "acc.gpkg", dates, values)
    with pytest.raises(QgsProcessingException, match="RED_DAYS \\(100\\) must not exceed ORANGE_DAYS \\(90\\)"):
        run_alg(NAME, {"INPUT": src, "RED_DAYS": 100, "OUTPUT": str(out)})
    few = write_dated_layer(tmp_path / "few.gpkg", dates[:5], values[:5])
    with pytest.raises(QgsProcessingException, match="INPUT has 5 dates; .* at least SMOOTH_WINDOW \\+ 2 = 7"):
        run_alg(NAME, {"INPUT": few, "OUTPUT": str(out)})
    none = write_dated_layer(tmp_path / "nd.gpkg", [], np.zeros((0, 1)))
    with pytest.raises(QgsProcessingException, match="no numeric dated displacement fields"):
        run_alg(NAME, {"INPUT": none, "OUTPUT": str(out)})
    with pytest.raises(QgsProcessingException, match="cannot read a date from 'tomorrow'"):
        run_alg(NAME, {"INPUT": src, "NOW_DATE": "tomorrow", "OUTPUT": str(out)})
    assert not out.exists()


def test_passed_and_not_judged_show_in_the_table_the_legend_and_the_plots(qgis_app, run_alg, tmp_path):
    """A slope that failed two months before the last acquisition (the point lost afterwards) is 'passed', not red;
    a slow series under heavy noise and a short one are 'not judged'; each level has its legend entry."""
    from qgis.core import QgsVectorLayer

    days = np.arange(0, 366, 6.0)
    dates = [dt.date(2022, 1, 4) + dt.timedelta(days=int(x)) for x in days]
    rng = np.random.default_rng(3)
    tf = days[-1] - 60.0
    failed = np.where(days < tf, -(200.0 / 365.25) * 30.0 * np.log(tf / np.maximum(tf - days, 1e-9)), np.nan)
    noisy = -20.0 * days / 365.25 + rng.normal(0, 5.0, days.size)
    short = np.where(days >= days[-10], -0.1 * days, np.nan)
    values = np.column_stack([failed + rng.normal(0, 1.0, days.size), noisy, short])
    src = write_dated_layer(tmp_path / "states.gpkg", dates, values)
    res = run_alg(NAME, {"INPUT": src, "OUTPUT": str(tmp_path / "iv.gpkg"), "OUTPUT_PLOTS": str(tmp_path / "png")})
    _, rows = read_layer(res["OUTPUT"])
    assert [r["IV_LEVEL"] for r in rows] == ["passed", "not judged", "not judged"]
    assert [r["IV_ALERT"] for r in rows] == [-2, -1, -1]
    assert rows[0]["IV_NOTE"].startswith("failure time passed:") and "check the data" in rows[0]["IV_NOTE"]
    assert dt.date.fromisoformat(rows[0]["TF_DATE"].replace("/", "-")) < dates[-1]
    assert "noise" in rows[1]["IV_NOTE"] and "valid dates" in rows[2]["IV_NOTE"]
    assert os.listdir(res["OUTPUT_PLOTS"]) == ["iv_passed_P0.png"]
    layer = QgsVectorLayer(res["OUTPUT"], "iv", "ogr")
    layer.loadNamedStyle(os.path.splitext(res["OUTPUT"])[0] + ".qml")
    legend = {c.value(): c.label() for c in layer.renderer().categories()}
    assert legend["passed"] == "failure time passed: check the data"
    assert legend["not judged"].startswith("not judged") and legend["no data"].startswith("no data")
    assert legend["red"] == "red: failure forecast within 30 days"


def test_six_month_sbas_of_steady_subsidence_chained_into_inverse_velocity(run_alg, tmp_path):
    """The chain of the report: six months of Sentinel-1 (16 dates, 12 days) of steady subsidence (10-300 mm/yr)
    with 3 mm of interferogram noise, sbasinversion -> its points -> inversevelocity with its defaults. The points
    move steadily: before the acceleration test this chain raised 70 alerts on its 883 points (9 red, 2 of them
    with a failure date in the past, 10 orange, 51 yellow); now none."""
    from testutils import write_geotiff
    from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(16), max_neighbours=3))
    shape = (30, 30)
    velocity = -np.exp(np.linspace(np.log(10.0), np.log(300.0), shape[0] * shape[1])).reshape(shape)
    _, ifg, _ = synthetic_stack(net, shape=shape, noise_mm=3.0, seed=4, velocity_mm_yr=velocity, seasonal_mm=0.0)
    folder = tmp_path / "ifgs"
    folder.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", ifg[k], nodata=-9999.0)
    sbas = run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder), "INPUT_UNITS": 3, "REFERENCE": None,
                                     "OUTPUT_TIMESERIES": str(tmp_path / "ts.tif"),
                                     "OUTPUT_POINTS": str(tmp_path / "pts.gpkg")})
    res = run_alg(NAME, {"INPUT": sbas["OUTPUT_POINTS"], "OUTPUT": str(tmp_path / "iv.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    assert len(rows) > 0.9 * shape[0] * shape[1]  # the points the SBAS keeps (temporal coherence)
    levels = [r["IV_LEVEL"] for r in rows]
    assert levels.count("red") == 0 and levels.count("orange") == 0 and levels.count("passed") == 0
    assert levels.count("yellow") <= 1  # the test's 0.1 % of chance passes, at most
    assert not any(r["TF_DATE"] for r in rows if r["IV_LEVEL"] in ("none", "not judged"))
    assert set(levels) <= {"none", "not judged", "yellow"}
