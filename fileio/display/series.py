"""Time-series rasters (one band per date, each described by its date) styled and dated so that QGIS animates
them wherever they are opened.

Two files are written beside the raster ``X.tif``:

* ``X.qml``, the style QGIS applies whenever it opens the file (Browser, Add Raster, a ``qgis_process`` output): the
  ramp and range of the whole series (:mod:`algorithms.colour_range`; the same on every date, the legend in the
  raster's unit), and the temporal properties. The ``<temporal>`` element holds both forms: a range per band
  (QGIS 3.38 and later draw the band of the Temporal Controller's time from it, in the canvas and in Export
  Animation) and the whole span as a fixed range (what QGIS before 3.38 reads; it draws one band). The dates also
  travel as a custom property of the layer (:data:`DATES_KEY`), which the plugin's dock and its canvas band switch
  read.
* ``X.qlr``, a layer definition (Browser: double click; Layer > Add from Layer Definition File): a group holding one
  layer per date, each the same file drawn on its band with the series' style, visible from its date to the next
  (a fixed temporal range). Every QGIS since 3.14 animates it, Export Animation included, with or without the
  plugin; on QGIS before 3.38 the plugin loads it with the run's results (:mod:`.arrange`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from xml.dom import minidom

import numpy as np

from ...algorithms.colour_range import sample_plan, series_range
from ...algorithms.formats.dates import parse_date

DATES_KEY = "insar_geohazards/dates"
#: On a layer of a ``.qlr`` group: the raster it draws one date of (the dock and the band switch leave it alone).
FRAME_KEY = "insar_geohazards/frame_of"
#: The ``<temporal mode>`` of a range per band (``Qgis.RasterTemporalMode.FixedRangePerBand``, QGIS 3.38+).
MODE_PER_BAND = 3
MODE_FIXED = 0
#: The GDAL open option a frame's source carries (GeoTIFF decoding on one thread, GDAL's default).
FRAME_OPTION = "|option:NUM_THREADS=1"


def text_dates(names) -> list:
    """The dates of ``names`` (band descriptions: ``YYYY-MM-DD``, ``YYYYMMDD``, ``DYYYYMMDD``), [] unless every one
    is a date and there are at least two."""
    out = []
    for name in names:
        text = str(name or "").strip()
        if len(text) not in (8, 9, 10) or not text.lstrip("Dd").replace("-", "").isdigit():
            return []
        try:
            out.append(parse_date(text))
        except (ValueError, TypeError):
            return []
    return out if len(out) >= 2 else []


def band_dates(path: str) -> list:
    """The dates of a raster's bands (their descriptions), [] when it is not a time series."""
    from osgeo import gdal

    base = str(path).split("|")[0]
    if not os.path.isfile(base):
        return []
    try:
        ds = gdal.OpenEx(base, gdal.OF_RASTER | gdal.OF_READONLY)
    except RuntimeError:
        return []
    if ds is None or ds.RasterCount < 2:
        return []
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    ds = None
    return text_dates(names)


def colour_range(path: str, *, signed: bool) -> tuple:
    """``(vmin, vmax)`` of the series ``path`` over all its dates (a bounded sample of them, the same for the same
    file: :func:`algorithms.colour_range.sample_plan`)."""
    from osgeo import gdal

    ds = gdal.Open(path)
    first = ds.GetRasterBand(1)
    block_rows = first.GetBlockSize()[1] or 256
    parts = []
    for k, r0, n in sample_plan(ds.RasterCount, ds.RasterYSize, ds.RasterXSize, block_rows=block_rows):
        band = ds.GetRasterBand(k + 1)
        arr = band.ReadAsArray(0, r0, ds.RasterXSize, n).astype(np.float64)
        nodata = band.GetNoDataValue()
        if nodata is not None and not np.isnan(nodata):
            arr[arr == nodata] = np.nan
        parts.append(arr.ravel())
    ds = None
    return series_range(np.concatenate(parts) if parts else np.zeros(0), signed=signed)


def _iso(day: dt.date, *, before: bool = False) -> str:
    """A date's start as QGIS writes it (local time, no offset: the time the Temporal Controller shows); ``before``:
    the last second before it."""
    if before:
        return f"{(day - dt.timedelta(days=1)).isoformat()}T23:59:59"
    return f"{day.isoformat()}T00:00:00"


def band_spans(dates: list) -> list:
    """``[(start, end)]`` of each band: from its date to the next one (the last: one day)."""
    ends = list(dates[1:]) + [dates[-1] + dt.timedelta(days=1)]
    return list(zip(dates, ends))


def _temporal_element(doc, dates: list, mode: int, band: int = 0):
    """The ``<temporal>`` element of a dated raster: ``mode`` :data:`MODE_PER_BAND` (each band from its date to
    the next, and the whole span as a fixed range for QGIS before 3.38) or :data:`MODE_FIXED` with the span of
    ``band`` (1-based) only, ending a second before the next date (a fixed range includes its end: a frame of the
    animation starting on the next date would draw both)."""
    spans = band_spans(dates)
    start, end = (spans[0][0], spans[-1][1]) if mode == MODE_PER_BAND else spans[band - 1]
    el = doc.createElement("temporal")
    for key, value in (("enabled", "1"), ("mode", str(mode)), ("fetchMode", "0"), ("bandNumber", "1")):
        el.setAttribute(key, value)
    fixed = doc.createElement("fixedRange")
    for tag, day in (("start", start), ("end", end)):
        node = doc.createElement(tag)
        node.appendChild(doc.createTextNode(_iso(day, before=tag == "end" and mode == MODE_FIXED)))
        fixed.appendChild(node)
    el.appendChild(fixed)
    if mode == MODE_PER_BAND:
        ranges = doc.createElement("ranges")
        for k, (a, b) in enumerate(spans):
            r = doc.createElement("range")
            for key, value in (("band", str(k + 1)), ("begin", _iso(a)), ("end", _iso(b)), ("includeBeginning", "1"),
                               ("includeEnd", "0")):
                r.setAttribute(key, value)
            ranges.appendChild(r)
        el.appendChild(ranges)
    return el


def _child(element, tag: str):
    return next((n for n in element.childNodes if n.nodeType == n.ELEMENT_NODE and n.tagName == tag), None)


def _replace_temporal(doc, parent, element) -> None:
    old = _child(parent, "temporal")
    if old is None:
        parent.insertBefore(element, parent.firstChild)
    else:
        parent.replaceChild(element, old)


def _write(doc, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc.toxml())


#: A fresh UUID as QGIS writes it, and the attribute of each element that holds one (made anew each time a symbol,
#: a category, a class or a rule is made).
_UUID = re.compile(r"^\{[0-9a-fA-F-]{36}\}$")
_FRESH_IDS = {"layer": "id", "category": "uuid", "range": "uuid", "rule": "key"}


def sorted_attributes(doc):
    """``doc`` (minidom, a style or a layer definition) made the same bytes in every run, returned.

    * Each element's attributes in name order: Qt writes them in the order of its hash table, whose seed changes
      from process to process.
    * No layer's ``<elevation>`` element: QGIS 3.26 and later give a new layer's elevation-profile symbols a random
      colour. The outputs set no elevation property, and a layer loaded without the element gets QGIS's defaults,
      as it would anyway.
    * No fresh UUID: a symbol layer's ``id`` (QGIS 3.30 and later), a category's or a class's ``uuid`` (3.34 and
      later), a rule's ``key``; QGIS makes them again when it loads the style."""
    for element in list(doc.getElementsByTagName("elevation")):
        if element.parentNode is not None and element.parentNode.nodeName in ("qgis", "maplayer"):
            element.parentNode.removeChild(element)
    for element in doc.getElementsByTagName("*"):
        items = sorted(element.attributes.items())
        fresh = _FRESH_IDS.get(element.nodeName)
        if element.nodeName == "layer" and not element.hasAttribute("class"):
            fresh = None  # a layer-tree or map layer's id, not a symbol layer's
        for name, _value in items:
            element.removeAttribute(name)
        for name, value in items:
            if not (name == fresh and _UUID.match(value)):
                element.setAttribute(name, value)
    return doc


def save_named_style(layer, qml: str) -> str:
    """``layer``'s style saved as ``qml`` (QGIS's ``saveNamedStyle``), the same bytes in every run
    (:func:`sorted_attributes`); returns ``qml``."""
    layer.saveNamedStyle(qml)
    _write(sorted_attributes(minidom.parse(qml)), qml)
    return qml


def save_style(layer, path: str, dates: list) -> str:
    """The series style of ``layer`` (renderer set) as ``path``'s ``.qml``, dated (see the module): returns it."""
    layer.setCustomProperty(DATES_KEY, [d.isoformat() for d in dates])
    qml = os.path.splitext(path)[0] + ".qml"
    layer.saveNamedStyle(qml)
    doc = sorted_attributes(minidom.parse(qml))
    _replace_temporal(doc, doc.documentElement, _temporal_element(doc, dates, MODE_PER_BAND))
    _write(doc, qml)
    return qml


def frames_path(path: str) -> str:
    return os.path.splitext(str(path).split("|")[0])[0] + ".qlr"


def write_frames(layer, path: str, dates: list, title: str = "") -> str:
    """``path``'s ``.qlr``: a group of one layer per date of the styled series ``layer``, each drawn on its band
    and visible from its date to the next; returns its path. Layer sources are relative to the ``.qlr`` (the two
    files move together)."""
    from qgis.core import Qgis, QgsLayerDefinition, QgsLayerTree

    qlr = frames_path(path)
    name = title or os.path.splitext(os.path.basename(path))[0]
    tree = QgsLayerTree()
    group = tree.addGroup(f"{name}: one layer per date")
    group.setExpanded(False)
    group.addLayer(layer).setExpanded(False)
    ok, error = QgsLayerDefinition.exportLayerDefinition(qlr, [group], Qgis.FilePathType.Relative)
    if not ok:
        raise OSError(f"{qlr}: {error}")
    doc = sorted_attributes(minidom.parse(qlr))
    tree_layer = doc.getElementsByTagName("layer-tree-layer")[0]
    map_layer = doc.getElementsByTagName("maplayer")[0]
    # the raster beside the .qlr, whatever QGIS's writer made of it (a layer definition loaded earlier in the session
    # can leave 3.22's writer resolving against that file's folder), with a GDAL open option that changes nothing
    # but the source's text: QGIS finds a run's output layer in the project by its path, never a frame
    source = "./" + os.path.basename(str(path).split("|")[0]) + FRAME_OPTION
    nodata = _child(map_layer, "noData")  # one (empty) list per band, in every layer: the source's no-data serves
    if nodata is not None:
        map_layer.removeChild(nodata)
    stem = "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    # one template of each element with tokens where a date's values go, then one copy per date as text (a few
    # milliseconds for 200 dates, where copying the DOM nodes took a second)
    tree_layer.setAttribute("id", "@@ID@@")
    tree_layer.setAttribute("name", "@@NAME@@")
    tree_layer.setAttribute("source", source)
    _set_text(doc, _child(map_layer, "id"), "@@ID@@")
    _set_text(doc, _child(map_layer, "layername"), "@@NAME@@")
    _set_text(doc, _child(map_layer, "datasource"), source)
    _child(_child(map_layer, "pipe"), "rasterrenderer").setAttribute("band", "@@BAND@@")
    _replace_temporal(doc, map_layer, _temporal_element(doc, [dt.date(2000, 1, 1), dt.date(2000, 1, 3)], MODE_FIXED,
                                                        band=1))
    _set_frame_property(doc, map_layer, path)
    tree_tpl = tree_layer.toxml()
    map_tpl = map_layer.toxml().replace(_iso(dt.date(2000, 1, 1)), "@@START@@").replace(
        _iso(dt.date(2000, 1, 3), before=True), "@@END@@")
    tree_layer.parentNode.replaceChild(doc.createComment("@@TREE@@"), tree_layer)
    map_layer.parentNode.replaceChild(doc.createComment("@@LAYERS@@"), map_layer)
    trees, maps = [], []
    for k, (start, end) in enumerate(band_spans(dates)):
        values = {"@@ID@@": f"{stem}_{start.strftime('%Y%m%d')}_{k + 1}", "@@NAME@@": start.isoformat(),
                  "@@BAND@@": str(k + 1), "@@START@@": _iso(start), "@@END@@": _iso(end, before=True)}
        t, m = tree_tpl, map_tpl
        for token, value in values.items():
            t, m = t.replace(token, value), m.replace(token, value)
        trees.append(t)
        maps.append(m)
    text = doc.toxml().replace("<!--@@TREE@@-->", "\n".join(trees)).replace("<!--@@LAYERS@@-->", "\n".join(maps))
    with open(qlr, "w", encoding="utf-8") as f:
        f.write(text)
    return qlr


def _set_text(doc, element, text: str) -> None:
    while element.firstChild is not None:
        element.removeChild(element.firstChild)
    element.appendChild(doc.createTextNode(text))


def _set_frame_property(doc, map_layer, path: str) -> None:
    """The frame's custom properties: :data:`FRAME_KEY` (the raster's file name) in place of the dates (a frame is
    one date, not a series for the dock)."""
    props = _child(map_layer, "customproperties")
    top = _child(props, "Option") if props is not None else None
    if top is None:
        return
    top.setAttribute("type", "Map")
    for opt in list(top.getElementsByTagName("Option")):
        if opt.getAttribute("name") == DATES_KEY:
            opt.parentNode.removeChild(opt)
    opt = doc.createElement("Option")
    for key, value in (("name", FRAME_KEY), ("type", "QString"), ("value", os.path.basename(str(path).split("|")[0]))):
        opt.setAttribute(key, value)
    top.appendChild(opt)
