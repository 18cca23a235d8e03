"""Dated points animate from every storage loadegms writes: dated fields, the compressed series table, the netCDF
file. The real EGMS Ustica ascending tile is loaded in each form; the layer, added to the project as the desktop
adds it, is coloured by the displacement at the Temporal Controller's time. The colour a point takes on a date is
checked against the value the EGMS CSV itself gives for that point and date (read here from the zip with Python's
csv module), and QGIS's Export Animation draws, frame by frame, the colour of each frame's date."""

import datetime as dt
import glob
import os

import numpy as np
import pytest
from testutils_egms import read_csv_tile

TILE = "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"


@pytest.fixture(scope="module")
def csv_series(data_dir):
    """``{pid: (easting, northing, {date: mm})}`` and the dates, from the EGMS CSV as delivered."""
    pid, xy, dates, values = read_csv_tile(os.path.join(data_dir, "egms_ustica", TILE))
    out = {str(p): (float(x), float(y), {d: float(v) for d, v in zip(dates, row)})
           for p, (x, y), row in zip(pid, xy, values)}
    return out, dates


@pytest.fixture(scope="module")
def loads(tmp_path_factory, data_dir, qgis_app):
    from insar_geohazards.fileio.formats.egms import load_tiles

    root = tmp_path_factory.mktemp("egms_view")
    out = {}
    for mode in ("fields", "table", "netcdf"):
        path = str(root / mode / "u.gpkg")
        os.makedirs(os.path.dirname(path))
        report = load_tiles([os.path.join(data_dir, "egms_ustica", TILE)], path, series=mode, single_name=True)
        out[mode] = f"{path}|layername={list(report.layers)[0]}"
    return out


def _added(source, project):
    """The layer as the desktop adds it: the plugin's GUI part (its expression function registered at start) sees
    it arrive in the project."""
    from qgis.core import QgsVectorLayer

    from insar_geohazards.fileio.motion import series_view
    from insar_geohazards.ui.temporal import TemporalBandsPart

    series_view.register()

    layer = QgsVectorLayer(source, "egms", "ogr")
    assert layer.isValid()
    project.addMapLayer(layer)
    TemporalBandsPart._added([layer])
    return layer


def _qdt(day):
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0, 0))


def _colour_at(layer, feature, when):
    """The fill colour the layer's symbol takes for ``feature`` with the controller at ``when``."""
    from qgis.core import QgsExpressionContext, QgsExpressionContextScope, QgsExpressionContextUtils, QgsSymbolLayer

    symbol = layer.renderer().symbolForFeature(feature, _render_context())
    # the fill colour's key: PropertyFillColor before QGIS 3.30, FillColor after (named by text: the Qt6 lint)
    enum, old, new = "Property", "PropertyFillColor", "FillColor"
    props = getattr(QgsSymbolLayer, enum)
    key = getattr(props, old, None) or getattr(props, new)
    prop = symbol.symbolLayer(0).dataDefinedProperties().property(key)
    context = QgsExpressionContext()
    context.appendScope(QgsExpressionContextUtils.layerScope(layer))
    scope = QgsExpressionContextScope()
    scope.setVariable("map_start_time", _qdt(when))
    scope.setVariable("symbol_color", "#000000")
    context.appendScope(scope)
    context.setFeature(feature)
    value, ok = prop.valueAsColor(context)
    assert ok
    return value.name()


def _render_context():
    from qgis.core import QgsRenderContext

    return QgsRenderContext()


def _ramp(v, vmax):
    from qgis.core import QgsExpression, QgsExpressionContext, QgsSymbolLayerUtils

    v, vmax = float(v), float(vmax)  # numpy 2's repr is np.float64(...), not an expression's number
    e = QgsExpression(f"ramp_color('RdBu', scale_linear({v!r}, {-vmax!r}, {vmax!r}, 0, 1))")
    return QgsSymbolLayerUtils.decodeColor(e.evaluate(QgsExpressionContext())).name()


@pytest.mark.parametrize("mode", ["fields", "table", "netcdf"])
def test_points_take_the_colour_of_the_csv_value_on_the_controllers_date(mode, loads, csv_series, project):
    from qgis.core import QgsFeatureRequest

    series, dates = csv_series
    layer = _added(loads[mode], project)
    assert layer.temporalProperties().isActive()
    from insar_geohazards.fileio.display import temporal

    assert layer.customProperty(temporal.DATES_KEY)[0] == dates[0].isoformat()
    rng = np.random.default_rng({"fields": 1, "table": 2, "netcdf": 3}[mode])
    feats = list(layer.getFeatures(QgsFeatureRequest().setLimit(400)))
    picks = [feats[i] for i in rng.choice(len(feats), 6, replace=False)]
    sampled = [dates[k] for k in np.linspace(0, len(dates) - 1, 24).round().astype(int)]
    every = np.array([[v for d, v in s[2].items() if d in sampled] for s in series.values()], float)
    vmax = np.percentile(np.abs(every[np.isfinite(every)]), 98)
    for feat in picks:
        pid = feat["pid"]
        for k in rng.choice(len(dates), 4, replace=False):
            when = dates[k] + dt.timedelta(days=int(rng.integers(0, 6)))  # any time before the next date
            want = series[pid][2][dates[k]]
            got = _colour_at(layer, feat, when)
            assert got == _ramp(want, vmax) or got == _ramp(round(want, 1), vmax), (mode, pid, dates[k], want)
    project.removeMapLayer(layer.id())


def test_export_animation_colours_a_point_date_by_date(loads, csv_series, project, tmp_path):
    """The netCDF form (a national load's): Export Animation over a point's surroundings, one frame per date."""
    from qgis.core import QgsDateTimeRange, QgsInterval, QgsMapSettings, QgsRectangle, QgsTemporalUtils
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QImage

    series, dates = csv_series
    pts = np.array([(s[0], s[1]) for s in series.values()])
    pid_list = list(series)
    d2 = ((pts[:, None, :] - pts[None, ::7, :]) ** 2).sum(-1)  # far from its neighbours: its symbol alone
    lone = int(np.argmax(np.sort(d2, axis=1)[:, 1]))
    x, y = pts[lone]
    layer = _added(loads["netcdf"], project)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(QgsRectangle(x - 1.0, y - 1.0, x + 1.0, y + 1.0))
    settings.setOutputSize(QSize(21, 21))
    export = QgsTemporalUtils.AnimationExportSettings()
    picks = dates[:12]  # the first twelve 6-day slots
    export.animationRange = QgsDateTimeRange(_qdt(picks[0]), _qdt(picks[-1] + dt.timedelta(days=1)))
    export.frameDuration = QgsInterval(6 * 86400)
    export.outputDirectory = str(tmp_path)
    export.fileNameTemplate = "f####.png"
    ok, error = QgsTemporalUtils.exportAnimation(settings, export)
    assert ok, error
    frames = sorted(glob.glob(str(tmp_path / "f*.png")))
    got = [QImage(f).pixelColor(10, 10).name() for f in frames]
    starts = [picks[0] + dt.timedelta(days=6 * k) for k in range(len(frames))]
    values = []
    for s in starts:
        k = int(np.searchsorted(np.array(dates), s, side="right")) - 1
        values.append(series[pid_list[lone]][2][dates[k]])
    # the same value, the same colour; different values (0.1 mm steps of the CSV) mostly different colours
    for i in range(len(got)):
        for j in range(len(got)):
            if values[i] == values[j]:
                assert got[i] == got[j]
    assert len(set(got)) >= min(3, len(set(values)))
    project.removeMapLayer(layer.id())
