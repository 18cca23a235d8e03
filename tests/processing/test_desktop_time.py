"""Dated outputs in the real QGIS desktop under Xvfb: a time-series raster added as Add Raster and the Browser add a
file (on QGIS before 3.38 with the layer-definition file beside it, as the Browser opens it) and a point layer with
dated fields added as Add Vector does; QGIS's Export Animation draws, frame by frame, the colour of each frame's date
(desktop_time_session.py). The expected colours are worked out here: the date a frame falls on from the dates, the
value from the data written, its colour through the raster's own ramp, and for the points QGIS's ramp_color of the
value scaled to +-(the 98th percentile of |value| over every date)."""

import datetime as dt
import json
import os
import shutil

import numpy as np
import pytest
from testutils_desktop import qgis_desktop, run_desktop_session
from testutils_dock import write_series_raster
from testutils_seed import drawn_seed

pytestmark = pytest.mark.serial

SESSION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "desktop_time_session.py")
GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
SHAPE = (20, 24)


def _world(rng):
    """Dates 12 days apart from a random start, a few missed; a bowl whose motion is of a random kind."""
    n = int(rng.integers(8, 14))
    start = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    keep = np.ones(n, bool)
    keep[rng.choice(np.arange(1, n - 1), size=2, replace=False)] = False
    dates = [start + dt.timedelta(days=12 * int(k)) for k in np.flatnonzero(keep)]
    t = np.array([(d - dates[0]).days for d in dates], float) / 365.25
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    bowl = np.exp(-((rows - 10.0) ** 2 + (cols - 12.0) ** 2) / 40.0)
    amp = float(rng.uniform(20, 90)) * rng.choice([-1.0, 1.0])
    shape_t = amp * (t if rng.random() < 0.5 else np.sin(2 * np.pi * t))
    cube = (shape_t[:, None, None] * bowl[None]).astype(np.float32)
    return dates, cube


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
@pytest.mark.skipif(qgis_desktop() is None, reason="the QGIS desktop (qgis) is not installed")
def test_dated_outputs_animate_in_export_animation_when_added_by_hand(qgis_app, tmp_path):
    from osgeo import ogr, osr
    from qgis.core import QgsExpression, QgsExpressionContext, QgsRasterLayer, QgsSymbolLayerUtils

    from insar_geohazards.fileio.display import styles

    rng = np.random.default_rng(drawn_seed(1 << 16))
    dates, cube = _world(rng)
    raster = write_series_raster(tmp_path / "series.tif", cube, dates=dates, geotransform=GT, UNIT="mm")
    styles.style_raster_diverging(raster)  # what a tool writes beside its output
    pixel = (int(rng.integers(6, 14)), int(rng.integers(6, 18)))
    x, y = GT[0] + (pixel[1] + 0.5) * GT[1], GT[3] + (pixel[0] + 0.5) * GT[5]
    series = cube[:, pixel[0], pixel[1]].astype(np.float64)
    points = str(tmp_path / "pts.gpkg")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(points)
    lyr = ds.CreateLayer("points", srs, ogr.wkbPoint)
    for name in ["VEL"] + [d.strftime("D%Y%m%d") for d in dates]:
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({x} {y})"))
    f.SetField("VEL", 0.0)
    for k, d in enumerate(dates):
        f.SetField(d.strftime("D%Y%m%d"), float(series[k]))
    lyr.CreateFeature(f)
    ds = None
    styles.style_points_velocity(points)
    step = 12
    spec = {"raster": raster, "qlr": str(tmp_path / "series.qlr"), "points": points, "pixel": [x, y],
            "pixel_size": GT[1], "point": [x, y], "start": dates[0].isoformat(),
            "end": (dates[-1] + dt.timedelta(days=1)).isoformat(), "step_days": step}
    with open(tmp_path / "session.json", "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    proc, report = run_desktop_session(tmp_path, SESSION, screen="1280x900x24", timeout=600,
                                       INSAR_TIME_SESSION=str(tmp_path / "session.json"))
    assert report["raster"]["active"] and report["raster"]["renderer"] == "singlebandpseudocolor"
    assert report["raster"]["dates"] == [d.isoformat() for d in dates]
    if report["raster"]["per_band"]:
        assert report["raster"]["ranges"] == len(dates)
    else:
        assert report["qlr"]["ok"], report["qlr"]
    got = report["raster_frames"]
    assert got["ok"], got["error"]
    n_frames = len(got["colours"])
    starts = [dates[0] + dt.timedelta(days=step * k) for k in range(n_frames)]
    index = [int(np.searchsorted(np.array(dates), s, side="right")) - 1 for s in starts]
    layer = QgsRasterLayer(raster, "series", "gdal")
    layer.loadDefaultStyle()
    shader = layer.renderer().shader().rasterShaderFunction()
    want = []
    for k in index:
        _ok, r, g, b, _a = shader.shade(float(series[k]))
        want.append(f"#{r:02x}{g:02x}{b:02x}")
    assert n_frames >= len(dates) and got["colours"] == want
    assert len(set(got["colours"])) > 2  # the frames differ as the data do
    # the points: their colour is the value's on each frame's date
    assert report["points"]["active"] and report["points"]["dates"] == [d.isoformat() for d in dates]
    vmax = float(np.percentile(np.abs(series), 98))
    want_pts = [QgsSymbolLayerUtils.decodeColor(QgsExpression(
        f"ramp_color('RdBu', scale_linear({float(series[k])!r}, {-vmax!r}, {vmax!r}, 0, 1))").evaluate(
        QgsExpressionContext())).name() for k in index]
    assert report["points_frames"]["colours"] == want_pts
