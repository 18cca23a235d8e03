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
    assert ids == ["INPUT", "SMOOTH_WINDOW", "FIT_WINDOW", "CONFIDENCE", "MIN_VELOCITY", "RED_DAYS",
                   "ORANGE_DAYS", "DIRECTION", "NOW_DATE", "MAX_PLOTS", "OUTPUT", "OUTPUT_PLOTS", "PLOT_FOLDER"]
    assert a.parameterDefinition("RED_DAYS").defaultValue() == 30.0
    assert "Fukuzono" in a.shortHelpString()


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
    assert (alerts > 0).sum() <= 5
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
