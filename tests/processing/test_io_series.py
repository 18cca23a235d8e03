"""Time-series rasters animate wherever they are opened: the style file beside the raster carries the series' ramp
(one range over all dates, symmetric about zero, legend in the unit) and its dates; the layer-definition file beside
it holds one layer per date. Opened as the desktop opens a file (the layer, then its default style), the raster is
temporal; QGIS's own Export Animation (QgsTemporalUtils.exportAnimation) draws, frame by frame, the colour of the
date the frame falls on: from the raster itself on QGIS 3.38 and later, from the group of one layer per date on every
version. The expected date of a frame is worked out here from the dates (the latest on or before the frame's start)
and its colour from the value of the data on that date through the style's own ramp."""

import datetime as dt
import glob
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from testutils import write_geotiff

SHAPE = (12, 16)
PIXEL = (5, 9)  # row, column drawn by the frames' check


def _world(rng):
    """A series of a random design: regular 12-day slots from a random start with some slots missed, a motion of a
    random kind (steady subsidence, a seasonal swing, uplift that reverses), zero on the first date, a random
    no-data patch."""
    n_slots = int(rng.integers(6, 15))
    start = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
    keep = np.ones(n_slots, bool)
    keep[rng.choice(np.arange(1, n_slots - 1), size=int(rng.integers(0, 3)), replace=False)] = False
    dates = [start + dt.timedelta(days=12 * int(k)) for k in np.flatnonzero(keep)]
    t = np.array([(d - dates[0]).days for d in dates], float) / 365.25
    kind = rng.choice(["subsidence", "seasonal", "reversal"])
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    bowl = np.exp(-((rows - 6.0) ** 2 + (cols - 8.0) ** 2) / 30.0)
    if kind == "subsidence":
        shape_t = -float(rng.uniform(20, 80)) * t
    elif kind == "seasonal":
        shape_t = float(rng.uniform(5, 15)) * np.sin(2 * np.pi * t)
    else:
        shape_t = float(rng.uniform(30, 60)) * (t - 1.6 * t ** 2)
    cube = (shape_t[:, None, None] * bowl[None] + rng.normal(0, 0.3, (len(dates),) + SHAPE)).astype(np.float32)
    cube -= cube[0]
    r0, c0 = int(rng.integers(0, 8)), int(rng.integers(0, 3))
    cube[:, r0:r0 + 3, c0:c0 + 3] = np.nan
    return dates, cube, kind


@pytest.fixture(params=[11, 23, 37])
def series_file(request, tmp_path, qgis_app):
    from insar_geohazards.fileio.display import styles

    rng = np.random.default_rng(request.param)
    dates, cube, kind = _world(rng)
    path = write_geotiff(tmp_path / "series.tif", cube, descriptions=[d.isoformat() for d in dates],
                         metadata={"UNIT": "mm"})
    styles.style_raster_diverging(path, band=1)  # the call the tools make
    return path, dates, cube, kind


def _opened(path):
    """The raster as the desktop opens a file (Browser, Add Raster): the layer, then its default style."""
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(path, "series", "gdal")
    layer.loadDefaultStyle()
    return layer


def test_the_style_spans_the_whole_series_with_one_ramp(series_file):
    path, dates, cube, kind = series_file
    layer = _opened(path)
    renderer = layer.renderer()
    assert renderer.type() == "singlebandpseudocolor" and renderer.band() == len(dates)  # the last date drawn
    top = np.percentile(np.abs(cube[np.isfinite(cube)]), 98)
    assert renderer.classificationMin() == pytest.approx(-top, rel=1e-5), kind
    assert renderer.classificationMax() == pytest.approx(top, rel=1e-5), kind
    items = renderer.shader().rasterShaderFunction().colorRampItemList()
    assert items[len(items) // 2].value == 0.0 and all(i.label.endswith(" mm") for i in items)
    # the first date is all zero: a range taken from it would be a unit one
    assert top > 1.0


def test_the_style_file_dates_every_band(series_file):
    path, dates, _, _ = series_file
    root = ET.parse(os.path.splitext(path)[0] + ".qml").getroot()
    temporal = root.find("temporal")
    assert temporal.get("enabled") == "1" and temporal.get("mode") == "3"  # FixedRangePerBand (QGIS 3.38+)
    ranges = temporal.find("ranges").findall("range")
    assert [r.get("begin")[:10] for r in ranges] == [d.isoformat() for d in dates]
    assert [r.get("end")[:10] for r in ranges[:-1]] == [d.isoformat() for d in dates[1:]]
    fixed = temporal.find("fixedRange")  # what QGIS before 3.38 reads
    assert fixed.find("start").text[:10] == dates[0].isoformat()
    layer = _opened(path)
    props = layer.temporalProperties()
    assert props.isActive()
    from insar_geohazards.fileio.display import temporal as tm

    assert layer.customProperty(tm.DATES_KEY) == [d.isoformat() for d in dates]
    if tm.has_ranges_per_band():
        assert len(props.fixedRangePerBand()) == len(dates)


def _frames(layers, dates, tmp, crs, extent):
    """Export Animation over the series' span, one frame per 12-day slot; returns the frames' colours at PIXEL and
    each frame's start."""
    from qgis.core import QgsDateTimeRange, QgsInterval, QgsMapSettings, QgsTemporalUtils
    from qgis.PyQt.QtCore import QDate, QDateTime, QSize, QTime
    from qgis.PyQt.QtGui import QImage

    def qdt(d):
        return QDateTime(QDate(d.year, d.month, d.day), QTime(0, 0, 0))

    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(SHAPE[1], SHAPE[0]))
    export = QgsTemporalUtils.AnimationExportSettings()
    export.animationRange = QgsDateTimeRange(qdt(dates[0]), qdt(dates[-1] + dt.timedelta(days=1)))
    export.frameDuration = QgsInterval(12 * 86400)
    export.outputDirectory = str(tmp)
    export.fileNameTemplate = "frame####.png"
    ok, error = QgsTemporalUtils.exportAnimation(settings, export)
    assert ok, error
    files = sorted(glob.glob(os.path.join(str(tmp), "frame*.png")))
    starts = [dates[0] + dt.timedelta(days=12 * k) for k in range(len(files))]
    return [QImage(f).pixelColor(PIXEL[1], PIXEL[0]).name() for f in files], starts


def _expected(layer, dates, cube, starts):
    shader = layer.renderer().shader().rasterShaderFunction()
    out = []
    for start in starts:
        k = int(np.searchsorted(np.array(dates), start, side="right")) - 1  # the latest date on or before it
        ok, r, g, b, _a = shader.shade(float(cube[k][PIXEL]))
        out.append(f"#{r:02x}{g:02x}{b:02x}")
    return out


def test_export_animation_draws_each_frames_date(series_file, tmp_path, project):
    from qgis.core import QgsLayerDefinition, QgsLayerTreeGroup

    from insar_geohazards.fileio.display import temporal as tm

    path, dates, cube, kind = series_file
    if np.isnan(cube[:, PIXEL[0], PIXEL[1]]).any():
        cube[:, PIXEL[0], PIXEL[1]] = 0.0  # never: the no-data patch stays clear of the pixel drawn
    layer = _opened(path)
    expected = _expected(layer, dates, cube, [dates[0] + dt.timedelta(days=12 * k) for k in range(200)])
    # every QGIS: the group of one layer per date written beside the raster
    holder = QgsLayerTreeGroup()
    ok, error = QgsLayerDefinition.loadLayerDefinition(os.path.splitext(path)[0] + ".qlr", project, holder)
    assert ok, error
    frames = [n.layer() for n in holder.findLayers()]
    assert [f.name() for f in frames] == [d.isoformat() for d in dates]
    got, starts = _frames(frames, dates, tmp_path / "group", layer.crs(), layer.extent())
    assert len(got) >= len(dates) and got == expected[:len(got)], kind
    values = [cube[int(np.searchsorted(np.array(dates), s, side="right")) - 1][PIXEL] for s in starts]
    assert len(set(got)) > 1 and len(set(got)) <= len({round(float(v), 3) for v in values})
    if tm.has_ranges_per_band():  # QGIS 3.38+: the raster alone, opened from its file
        project.addMapLayer(layer)
        alone, _ = _frames([layer], dates, tmp_path / "alone", layer.crs(), layer.extent())
        assert alone == expected[:len(alone)], kind
    else:  # the raster alone draws its style's band on every frame: the plugin's canvas switch is its animation
        assert tm.fixed_span(layer) and layer.temporalProperties().isActive()
    project.removeMapLayers([f.id() for f in frames])


def test_a_runs_dated_raster_loads_as_a_series_that_animates(qgis_app, tmp_path, project):
    """Mining subsidence's time mode, run as the dialog runs it (runAndLoadResults): its dated raster loads as one
    band drawn with the series' ramp (not an RGB composite of three dates), temporal; on QGIS before 3.38 with its
    group of one layer per date checked in its place (what Export Animation draws), the raster itself unchecked."""
    import math

    import processing
    import testutils_hostile as hk
    from qgis.core import QgsLayerTree, QgsProcessingContext

    from insar_geohazards.fileio.display import temporal as tm

    e0, n0 = 500000.0, 4100000.0
    wkt = f"POLYGON(({e0} {n0},{e0 + 600} {n0},{e0 + 600} {n0 + 240},{e0} {n0 + 240},{e0} {n0}))"
    panels = hk.polygon_layer(tmp_path / "p.gpkg", [wkt], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]},
                              epsg=32633)
    forecast = ["2019-01-01", "2024-06-01", "2025-01-01", "2026-01-01"]  # the first before the end: all zero
    params = {"MODE": 2, "PANELS": panels, "EXTENT": f"{e0 - 300},{e0 + 900},{n0 - 300},{n0 + 540} [EPSG:32633]",
              "PIXEL_SIZE": 60.0, "TIME_FACTOR": 2.0, "END_DATE": "2024-01-01", "FORECAST_DATES": ",".join(forecast),
              "OUTPUT_VERTICAL": str(tmp_path / "v.tif")}
    root = project.layerTreeRoot()
    context = QgsProcessingContext()
    context.setProject(project)
    processing.runAndLoadResults("geohazard:miningsubsidence", params, context=context)
    group = root.children()[0]
    assert QgsLayerTree.isGroup(group)
    layer = next(n.layer() for n in group.children() if QgsLayerTree.isLayer(n))
    assert layer.renderer().type() == "singlebandpseudocolor" and layer.renderer().band() == len(forecast)
    top = 2400 * 0.97 * (1 - math.exp(-2.0 * 731 / 365.25))  # about the deepest point on the last date (mm)
    assert -layer.renderer().classificationMin() == pytest.approx(layer.renderer().classificationMax())
    assert 0.5 * top < layer.renderer().classificationMax() <= 1.01 * top
    assert layer.temporalProperties().isActive()
    assert layer.customProperty(tm.DATES_KEY) == forecast
    frames = [g for g in group.children() if QgsLayerTree.isGroup(g)]
    if tm.has_ranges_per_band():
        assert frames == []
    else:
        assert len(frames) == 1 and [n.layer().name() for n in frames[0].findLayers()] == forecast
        assert frames[0].itemVisibilityChecked() and not root.findLayer(layer.id()).itemVisibilityChecked()
    ids = [n.layerId() for n in group.findLayers()]
    root.removeChildNode(group)
    project.removeMapLayers(ids)


def test_styles_are_written_the_same_whatever_qts_hash_order_and_fresh_ids():
    """Attribute order, the elevation-profile symbols' random colours (QGIS 3.26+) and the symbol layers' fresh
    UUIDs (QGIS 3.30+) differ between two saves of one style: none of them reaches the file."""
    from xml.dom import minidom

    from insar_geohazards.fileio.display.series import sorted_attributes

    def style(order, uuid, colour):
        attrs = [("class", "SimpleFill"), ("enabled", "1"), ("id", uuid), ("locked", "0")]
        attrs = attrs if order else attrs[::-1]
        layer = " ".join(f'{k}="{v}"' for k, v in attrs)
        return (f'<qgis version="3.40" styleCategories="All"><elevation enabled="0"><profileFillSymbol>'
                f'<symbol><layer class="SimpleFill" id="{uuid}"><Option name="color" value="{colour}"/></layer>'
                f'</symbol></profileFillSymbol></elevation><renderer-v2 type="singleSymbol"><symbols><symbol>'
                f'<layer {layer}/></symbol></symbols></renderer-v2><layer id="kept" class="x"/></qgis>')

    a = sorted_attributes(minidom.parseString(style(True, "{e534d077-8061-427e-a540-5d67be5042f6}", "1,2,3"))).toxml()
    b = sorted_attributes(minidom.parseString(style(False, "{17af215f-3054-4fd4-97f3-c1c6e1d3e821}", "9,8,7"))).toxml()
    assert a == b
    assert "elevation" not in a and "{" not in a
    assert '<layer class="SimpleFill" enabled="1" locked="0"/>' in a and '<layer class="x" id="kept"/>' in a


def test_vector_styles_saved_twice_are_the_same_bytes(tmp_path, qgis_app):
    """A graduated and a categorised style saved twice for the same points give the same .qml bytes (on QGIS 3.34 and
    later each save makes fresh category, class and symbol-layer UUIDs)."""
    from osgeo import ogr, osr

    from insar_geohazards.fileio.display.styles import style_vector_categorized, style_vector_graduated

    path = str(tmp_path / "points.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    lyr = ds.CreateLayer("points", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("v", ogr.OFTReal))
    lyr.CreateField(ogr.FieldDefn("c", ogr.OFTInteger))
    rng = np.random.default_rng(4)
    for i in range(30):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("v", float(rng.normal(0, 10)))
        f.SetField("c", int(i % 3))
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({360000 + 30 * i} {4100000})"))
        lyr.CreateFeature(f)
    ds = None
    qml = str(tmp_path / "points.qml")
    for style in (lambda: style_vector_graduated(path, "v", unit="mm/yr"),
                  lambda: style_vector_categorized(path, "c", [(0, "a", "#ff0000"), (1, "b", "#00ff00"),
                                                             (2, "c", "#0000ff")])):
        saved = []
        for _ in range(2):
            assert style() == qml
            with open(qml, "rb") as f:
                saved.append(f.read())
        assert saved[0] == saved[1]
