"""geohazard:triggercorrelation: parameters, wrong inputs, runs against synthetic truths and EGMS Ustica."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_kinematics_tools import _read, _trigger_layer


@pytest.mark.parametrize("geom", ["Point", "Polygon"])  # points, or ADA polygons with their mean series
def test_triggercorrelation_points(run_alg, tmp_path, geom):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer

    from insar_geohazards.algorithms.kinematics import triggers as tr
    from insar_geohazards.fileio.base.compat import FIELD_DOUBLE

    rng = np.random.default_rng(5)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    rain = rng.gamma(0.4, 12, len(days)) * (rng.uniform(size=len(days)) < 0.4)
    _, api = tr.antecedent_index(days, rain, tau_days=20)
    lag = 24
    vel = 5 + 0.3 * np.concatenate([np.full(lag, api[0]), api[:-lag]])
    disp = np.cumsum(vel) / 365.25
    idx = np.arange(0, len(days), 12)
    drv = tmp_path / "rain.csv"
    drv.write_text("date,rain_mm\n" + "\n".join(f"{d.isoformat()},{r:.3f}" for d, r in zip(days, rain)) + "\n")
    layer = QgsVectorLayer(f"{geom}?crs=EPSG:32633", "defo", "memory")
    layer.dataProvider().addAttributes([QgsField("D" + days[i].strftime("%Y%m%d"), FIELD_DOUBLE) for i in idx])
    layer.updateFields()
    feats = []
    for j in range(3):
        f = QgsFeature(layer.fields())
        pt = QgsPointXY(500000 + 10 * j, 4100000)
        f.setGeometry(QgsGeometry.fromPointXY(pt) if geom == "Point" else QgsGeometry.fromWkt(
            f"POLYGON(({pt.x()} {pt.y()}, {pt.x() + 5} {pt.y()}, {pt.x() + 5} {pt.y() + 5}, {pt.x()} {pt.y()}))"))
        f.setAttributes([float(disp[i] + rng.normal(0, 0.05)) for i in idx])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    res = run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(drv), "STEP_DAYS": 12, "TAU_DAYS": 20,
                                         "OUTPUT": str(tmp_path / "c.gpkg"), "OUTPUT_PLOT": str(tmp_path / "c.png")})
    out = QgsVectorLayer(res["OUTPUT"], "c", "ogr")
    assert out.geometryType() == layer.geometryType()
    lags = [f["best_lag_days"] for f in out.getFeatures()]
    assert len(lags) == 3 and all(abs(v - lag) <= 12 for v in lags)
    assert all(f["p_corrected"] < 0.01 for f in out.getFeatures())
    assert os.path.getsize(res["OUTPUT_PLOT"]) > 1000


def test_triggercorrelation_raster_cells(run_alg, tmp_path):
    from insar_geohazards.algorithms.kinematics import triggers as tr

    rng = np.random.default_rng(8)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    level = np.sin(2 * np.pi * np.arange(len(days)) / 365.25) + 0.3 * np.sin(2 * np.pi * np.arange(len(days)) / 97)
    drv = tmp_path / "level.csv"
    drv.write_text("date,level_m\n" + "\n".join(f"{d.isoformat()},{v:.4f}" for d, v in zip(days, level)) + "\n")
    idx = np.arange(0, len(days) - 60, 12)
    lag = np.array([[0, 24], [48, 72]])  # days, per cell
    stack = np.zeros((idx.size, 2, 2))
    for (r, c), lg in np.ndenumerate(lag):
        vel = 10 + 20 * level[idx + 60 - lg]  # velocity follows the level lg days later
        stack[:, r, c] = np.cumsum(vel) * 12 / 365.25 + rng.normal(0, 0.02, idx.size)
    ras = write_geotiff(tmp_path / "ts.tif", stack, descriptions=[days[i + 60].isoformat() for i in idx])
    res = run_alg("triggercorrelation", {"INPUT_RASTER": ras, "DRIVER_CSV": str(drv), "DRIVER_KIND": 1,
                                         "STEP_DAYS": 12, "MAX_LAG_DAYS": 120,
                                         "OUTPUT_RASTER": str(tmp_path / "c.tif")})
    out, desc = _read(res["OUTPUT_RASTER"])
    assert desc[0] == "best lag days"
    assert np.all(np.abs(out[0] - lag) <= 12) and np.all(out[1] > 0.8)
    assert tr.RESPONSES[0] == "rate"


def test_triggercorrelation_negative_response_defaults(run_alg, tmp_path):
    """With the defaults (STEP_DAYS 12, TAU_DAYS 0): series falling as the rain rises get their lag and corr_sign -1;
    a repeated date with one value is kept once with a warning, with two values refused naming it; negative rain is
    refused; a 348-day series says why velocity and amplitude are empty."""
    from qgis.core import QgsProcessingException, QgsVectorLayer
    from testutils import recording_feedback

    rng = np.random.default_rng(6)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    season = 0.2 + np.clip(np.sin(2 * np.pi * np.arange(len(days)) / 365.25), 0, None)
    rain = rng.gamma(0.4, 12, len(days)) * season * (rng.uniform(size=len(days)) < 0.4)
    r12 = np.convolve(rain, np.ones(12))[:len(days)]
    idx = np.arange(0, len(days), 12)
    lags, signs = [24, 72, 24, 72], [1, 1, -1, -1]
    cols = [np.cumsum(10 + s * 0.5 * np.concatenate([np.full(lg, r12[0]), r12[:-lg]]))[idx] / 365.25
            + rng.normal(0, 0.05, idx.size) for lg, s in zip(lags, signs)]
    layer = _trigger_layer(days, idx, cols)
    rows = [f"{d.isoformat()},{r:.3f}" for d, r in zip(days, rain)]
    drv = tmp_path / "rain.csv"
    drv.write_text("date,rain_mm\n" + "\n".join(rows + [rows[40]]) + "\n")  # one date twice, same value
    fb = recording_feedback()
    res = run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(drv), "OUTPUT": str(tmp_path / "c.gpkg")},
                  feedback=fb)
    out = list(QgsVectorLayer(res["OUTPUT"], "c", "ogr").getFeatures())
    assert [f["corr_sign"] for f in out] == signs
    assert all(abs(f["best_lag_days"] - lg) <= 12 for f, lg in zip(out, lags))
    assert all(np.sign(f["best_r"]) == s and f["p_corrected"] < 1e-3 for f, s in zip(out, signs))
    assert any(days[40].isoformat() in w and "kept once" in w for w in fb.warnings)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,rain_mm\n" + "\n".join(rows + [f"{days[40].isoformat()},99"]) + "\n")
    with pytest.raises(QgsProcessingException, match=f"{days[40].isoformat()} twice with different values"):
        run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(bad), "OUTPUT": str(tmp_path / "b.gpkg")})
    neg = tmp_path / "neg.csv"
    neg.write_text("date,rain_mm\n" + "\n".join(f"{d.isoformat()},{-r - 1:.3f}" for d, r in zip(days, rain)) + "\n")
    with pytest.raises(QgsProcessingException, match="rainfall cannot be negative"):
        run_alg("triggercorrelation", {"INPUT": layer, "DRIVER_CSV": str(neg), "OUTPUT": str(tmp_path / "n.gpkg")})
    assert not (tmp_path / "b.gpkg").exists() and not (tmp_path / "n.gpkg").exists()
    short = idx[idx < 360][:30]
    fb = recording_feedback()
    res = run_alg("triggercorrelation", {"INPUT": _trigger_layer(days, short, [c[:short.size] for c in cols]),
                                         "DRIVER_CSV": str(drv), "OUTPUT": str(tmp_path / "s.gpkg")}, feedback=fb)
    assert any("velocity" in w and "348 days" in w for w in fb.info), fb.info
