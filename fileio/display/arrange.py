"""How a run's results appear in the project when it finishes in QGIS.

The run's layers go in one group of their own at the top of the layer tree (whatever group is current in the
Layers panel), named for the tool, its input and the dates its results span; its main outputs checked on top,
the secondary ones unchecked below them, vector layers above rasters; each layer named by its output's
description (with units) and the dates, its metadata carrying the processing history, time series made
temporal (:mod:`.temporal`). A shipped model's steps share one group.
"""

from __future__ import annotations

import os

from qgis.core import QgsProcessingLayerPostProcessorInterface

from ...algorithms.formats.dates import parse_date
from .series import frames_path
from .styles import _KEEP_ALIVE, raster_unit, sidecar_qml
from .temporal import DATES_KEY, FRAME_KEY, FRAMES_LOADED_KEY, has_ranges_per_band, load_frames, make_temporal

_RUN = {"n": 0}

#: Custom properties a run's layers and its group carry (the group is found again by them).
RUN_KEY, RANK_KEY, VISIBLE_KEY = "insar_geohazards/run", "insar_geohazards/rank", "insar_geohazards/visible"


def _dates_of(path: str) -> list:
    """Dates a result carries: a raster's band descriptions, a vector's ``DYYYYMMDD`` / ``YYYYMMDD`` fields."""
    from osgeo import gdal

    def parsed(names):
        out = []
        for n in names:
            text = str(n or "").strip()
            if len(text) in (8, 9, 10) and text.lstrip("D").replace("-", "").isdigit():
                try:
                    out.append(parse_date(text))
                except (ValueError, TypeError):
                    continue
        return out

    base = path.split("|")[0]
    if not os.path.isfile(base):
        return []
    try:
        ds = gdal.OpenEx(base, gdal.OF_RASTER | gdal.OF_VECTOR | gdal.OF_READONLY)
    except RuntimeError:  # GDAL with exceptions on
        return []
    if ds is None:
        return []
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)] if ds.RasterCount > 1 else []
    if not names and ds.GetLayerCount():
        defn = ds.GetLayer(0).GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    ds = None
    dates = parsed(names)
    return dates if len(dates) >= 2 else []


def layer_title(description: str, path: str, span: str = "") -> str:
    """The name of a result's layer: its output's description, with the unit the raster declares when the
    description names none (an output in its input's unit), and the dates the run spans."""
    name = description
    if "(" not in name and path.split("|")[0].lower().endswith((".tif", ".tiff", ".vrt")):
        unit = raster_unit(path.split("|")[0])
        name = f"{name} ({unit})" if unit else name
    return f"{name}, {span}" if span else name


def date_span(paths) -> str:
    """``"2016-01-03 to 2019-12-29"``: the first and last dates the results ``paths`` carry ("" when none)."""
    dates = [d for p in paths for d in _dates_of(p)]
    return f"{min(dates).isoformat()} to {max(dates).isoformat()}" if dates else ""


def place_run(project, run_id: str) -> object:
    """Put the layers of the run ``run_id`` in one group of their own at the top of ``project``'s layer tree, in
    the order of their rank, the main ones checked; returns the group (None when none of its layers is in the
    tree yet). Called for each layer as it loads, and once more when the loading is over (QGIS 3.40 adds the
    layers to the tree after their post-processors): moving a layer already in place changes nothing."""
    root = project.layerTreeRoot()
    nodes = [root.findLayer(lay.id()) for lay in project.mapLayers().values()
             if lay.customProperty(RUN_KEY) == run_id]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    group = next((g for g in root.findGroups(True) if g.customProperty(RUN_KEY) == run_id), None)
    if group is None:
        title = nodes[0].layer().customProperty("insar_geohazards/group") or run_id
        group = root.insertGroup(0, title)
        group.setCustomProperty(RUN_KEY, run_id)
        group.setItemVisibilityChecked(True)
        group.setExpanded(True)
    nodes.sort(key=lambda n: int(n.layer().customProperty(RANK_KEY) or 0))
    for i, node in enumerate(nodes):
        visible = str(node.layer().customProperty(VISIBLE_KEY)).lower() in ("true", "1")
        parent = node.parent()
        if parent is not group or group.children().index(node) != i:
            clone = node.clone()
            group.insertChildNode(i, clone)
            parent.removeChildNode(node)
            node = clone
        node.setItemVisibilityChecked(visible)
        node.setExpanded(visible)
    return group


class _Arrange(QgsProcessingLayerPostProcessorInterface):
    def __init__(self, inner, name: str, visible: bool, rank: int, run_id: str, group: str = "", steps=()):
        super().__init__()
        self.inner, self.name, self.visible, self.rank, self.run_id = inner, name, visible, rank, run_id
        self.group, self.steps = group, list(steps)

    def postProcessLayer(self, layer, context, feedback):
        if self.inner is not None:
            self.inner.postProcessLayer(layer, context, feedback)
        if layer is None or layer.customProperty(FRAME_KEY):
            return
        if self.inner is None:  # a style the run wrote without the tool's context (QGIS loads outputs unstyled)
            qml = sidecar_qml(layer.source().split("|")[0])
            if os.path.isfile(qml):
                layer.loadNamedStyle(qml)
        if self.name:
            layer.setName(self.name)
        layer.setCustomProperty(RUN_KEY, self.run_id)
        layer.setCustomProperty(RANK_KEY, self.rank)
        layer.setCustomProperty(VISIBLE_KEY, bool(self.visible))
        layer.setCustomProperty("insar_geohazards/group", self.group)
        metadata = layer.metadata()
        metadata.setTitle(layer.name())
        if self.steps:  # the processing history, readable in Layer Properties > Metadata
            metadata.setHistory(self.steps)
        layer.setMetadata(metadata)

        make_temporal(layer)  # a time series animates with the Temporal Controller
        from qgis.core import QgsProject

        project = (context.project() if context is not None else None) or QgsProject.instance()
        frames = _frames_wanted(layer)
        if frames:  # QGIS < 3.38: its group of one layer per date is drawn instead (Export Animation too)
            layer.setCustomProperty(VISIBLE_KEY, False)
        place_run(project, self.run_id)
        layer_id, run_id, visible = layer.id(), self.run_id, self.visible
        if frames:
            place_frames(project, run_id, layer_id, visible)
        from qgis.PyQt.QtCore import QTimer

        def again():  # by ID: the layer may be gone by then
            place_run(project, run_id)
            if frames:
                place_frames(project, run_id, layer_id, visible)

        QTimer.singleShot(0, again)


#: Most dates of a run's raster whose group of one layer per date loads with it (QGIS < 3.38). QGIS's reading of a
#: layer definition grows faster than its layers (0.33 CPU-s for 60 dates, 0.97 for 120, 4.05 for 200; load 9-12), so
#: a longer series loads alone (the canvas still follows the controller through the plugin) and its .qlr waits beside
#: it for Export Animation.
FRAMES_AUTOLOAD_MAX = 120


def _frames_wanted(layer) -> bool:
    dates = layer.customProperty(DATES_KEY) or []
    return (not has_ranges_per_band() and 2 <= len(dates) <= FRAMES_AUTOLOAD_MAX
            and os.path.isfile(frames_path(layer.source())))


def place_frames(project, run_id: str, layer_id: str, visible: bool):
    """The group of one layer per date of the run's dated raster ``layer_id`` (QGIS < 3.38,
    :func:`.temporal.load_frames`) loaded once, at the end of the run's group (below its layers, whose order
    :func:`place_run` keeps), checked when the raster was to be shown; returns it (None until the raster is in the
    run's group, or when the raster is gone)."""
    layer = project.mapLayer(layer_id)
    if layer is None or layer.customProperty(FRAMES_LOADED_KEY):
        return None
    root = project.layerTreeRoot()
    node = root.findLayer(layer_id)
    group = next((g for g in root.findGroups(True) if g.customProperty(RUN_KEY) == run_id), None)
    if node is None or group is None or node.parent() is not group:
        return None
    frames = load_frames(layer, project, group, -1)
    if frames is not None:
        frames.setItemVisibilityChecked(bool(visible))
        frames.setExpanded(False)
    return frames


def arrange_outputs(tool: str, destinations: list, context, results: dict, main=(), *, title: str = "",
                    steps=()) -> list:
    """Name, visibility and order of the outputs QGIS loads when the tool ``tool`` finishes.

    ``destinations``: ``[(output ID, description, is_vector)]`` in the tool's order. ``main`` are the output
    IDs shown (default: the first destination); the other outputs load unchecked. The run's layers go in one group
    of their own at the top of the layer tree (named ``title``, the tool and its input), the main ones checked and
    on top, vector outputs above rasters; each is named by its output's description with the dates the run's
    results span, and carries ``steps`` (the processing history) in its metadata. Returns
    ``[(path, name, visible, rank)]`` of the layers arranged (empty outside QGIS's loading of results)."""
    if context is None:
        return []
    main = tuple(main) or tuple(d[0] for d in destinations[:1])
    _RUN["n"] += 1
    run_id = f"{tool}-{_RUN['n']}"
    loaded = [(pos, d, results.get(d[0])) for pos, d in enumerate(destinations)]
    loaded = [(pos, d, p) for pos, d, p in loaded
              if isinstance(p, str) and p and context.willLoadLayerOnCompletion(p)]
    if loaded and not any(d[0] in main for _, d, _ in loaded):
        main = (loaded[0][1][0],)  # none of the main outputs was asked for: show the first one
    span = date_span([p for _, _, p in loaded]) if loaded else ""
    group = ", ".join(t for t in (title or tool, span) if t)
    arranged = []
    for pos, (name, description, is_vector), path in loaded:
        visible = name in main
        rank = (0 if visible else 100) + (0 if is_vector else 50) + pos
        label = layer_title(description, path, span)
        details = context.layerToLoadOnCompletionDetails(path)
        proc = _Arrange(details.postProcessor(), label, visible, rank, run_id, group, steps)
        _KEEP_ALIVE.append(proc)
        details.setPostProcessor(proc)
        arranged.append((path, label, visible, rank))
    return arranged


_VECTOR_EXT = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".sqlite", ".csv")


def arrange_model_outputs(model: str, title: str, context, results: dict, main=(), steps=()) -> list:
    """:func:`arrange_outputs` for a model run: the layers its steps load (each arranged as its tool's run) become
    one group, named ``title`` with the dates they span, the model's ``main`` outputs (``child:OUTPUT`` IDs)
    checked on top, every other layer unchecked. Returns ``[(path, visible, rank)]``."""
    if context is None:
        return []
    _RUN["n"] += 1
    run_id = f"{model}-{_RUN['n']}"
    loaded = [(pos, key, p) for pos, (key, p) in enumerate(results.items())
              if isinstance(p, str) and p and context.willLoadLayerOnCompletion(p)]
    span = date_span([p for _, _, p in loaded])
    group = ", ".join(t for t in (title, span) if t)
    out = []
    for pos, key, path in loaded:
        visible = key in main
        is_vector = path.split("|")[0].lower().endswith(_VECTOR_EXT)
        rank = (0 if visible else 100) + (0 if is_vector else 50) + pos
        details = context.layerToLoadOnCompletionDetails(path)
        proc = details.postProcessor()
        if isinstance(proc, _Arrange):  # a step's arrangement: now part of the model's run
            proc.run_id, proc.group, proc.visible, proc.rank = run_id, group, visible, rank
            if span and not proc.name.endswith(span):
                proc.name = f"{proc.name.split(', ')[0]}, {span}"
        else:
            proc = _Arrange(proc, "", visible, rank, run_id, group, steps)
            _KEEP_ALIVE.append(proc)
            details.setPostProcessor(proc)
        out.append((path, visible, rank))
    return out
