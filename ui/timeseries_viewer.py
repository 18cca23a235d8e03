"""Time-series viewer dock: pick points, pixels or polygons on the map and plot their displacement.

* Layers: point layers with dated displacement fields (``DYYYYMMDD`` as our outputs and PS
  products, EGMS ``YYYYMMDD``) and time-series rasters (one band per date, dates as band
  descriptions). The dock's layer list follows the active layer.
* *Pick point* adds the point nearest to a click or the pixel under it, with a marker on the map
  in the curve's colour; *Draw polygon* (left clicks, right click or Enter to close) and *Add
  selection* (selected points, or the mean inside the selected polygons of any layer) add a
  polygon mean with its spread (±1 standard deviation) and count.
* A pick on the ``UP`` or ``EAST`` raster of a multi-sensor group plots up and east with their
  1-sigma and the LOS sources at the same place in a second panel (see
  :mod:`ui.timeseries_data`).
* A model fitted per curve (the core's temporal models) with its parameters and 1-sigma,
  acceleration and breakpoints marked; reference date and reference point; CSV (values, and a
  second table of the fitted parameters) and PNG export.
* Around the map: a *Map date* that colours every dated layer of the map by that date's value (the Temporal
  Controller set to that day); *Map relative to reference*, the dock's layer shown less the reference curve's
  displacement date by date (a raster as a virtual raster beside it, points recoloured); *Neighbours within* a
  radius, the curves of the points around a pick (a pixel: the mean and spread of the pixels in that circle);
  *Residuals*, the curves less their fitted model (:mod:`ui.timeseries_map`).
* Curves are labelled with coordinates in their layer's CRS and go (with their marker) when
  their layer is removed from the project. Keyboard: Tab walks the controls, Delete removes the
  selected curve, Ctrl+C copies the curve table, Escape stops picking; in the polygon tool
  Enter closes, Backspace removes the last vertex and Escape cancels.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsDockWidget, QgsMapTool, QgsMapToolEmitPoint, QgsRubberBand, QgsVertexMarker
from qgis.PyQt.QtCore import QEvent, Qt
from qgis.PyQt.QtGui import QColor, QIcon, QKeySequence, QPixmap
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QAction,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date
from ..algorithms.optional import missing_message
from ..fileio.display.series import FRAME_KEY
from .background import BackgroundReads
from .timeseries_data import (
    PixelPick,
    Series,
    feature_series,
    is_timeseries_points,
    is_timeseries_raster,
    nearest_feature,
    neighbours,
    points_polygon_series,
    read_pick,
    read_polygon,
    transform_geometry,
    transform_point,
)
from .timeseries_map import REFERENCE_KEY, layer_dates, reference_layer, show_map_date, unreference_points
from .timeseries_plot import (
    LEGEND_CHARS,
    MODEL_CHOICES,
    curve_name_at,
    describe_fit,
    draw,
    export_figure,
    fit_series,
    fits_csv_path,
    short_label,
    write_csv,
    write_fits_csv,
)

ICON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "icons", "insar_geohazards.svg")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f")
EMPTY_TEXT = "Pick points or pixels, or draw a polygon, on the map"
TABLE_COLUMNS = ["Curve", "Model and parameters", "Where (CRS)", "Count", "Component"]
#: Most curves on one plot (a legend and a table stay readable; a polygon mean stands for many points).
MAX_CURVES = 40
#: Most neighbours added around a picked point.
MAX_NEIGHBOURS = 10
NEIGHBOUR_COLOUR = "#8c8c8c"
#: Half of Sentinel-1's C-band wavelength (55.47 mm), the replicas' default step.
HALF_WAVELENGTH_MM = 27.7
#: Replicas drawn on each side of the selected curve.
REPLICAS = 2
#: Pick tolerance around a click, in screen pixels.
PICK_PIXELS = 8


class TimeSeriesViewerDock(QgsDockWidget):
    """The dock: layer, pick and polygon tools, model choice, plot, curve table, export."""

    def __init__(self, iface=None, parent=None, canvas=None):
        super().__init__("InSAR time series", parent)
        self.setObjectName("InsarGeohazardsTimeSeriesViewer")
        self.iface = iface
        self.map_canvas = canvas if canvas is not None else (iface.mapCanvas() if iface is not None else None)
        self.project = QgsProject.instance()
        self.series: list[Series] = []
        self.reference: Series | None = None
        self.reference_date = None
        self.model = ""
        self.breakpoints = False
        self.selected = None
        self.residuals = False
        self.replica_mm = 0.0  # half wavelength (mm) of the replicas of the selected curve; 0: none
        self.neighbour_radius = 0.0  # m (the layer's units); 0: no neighbours
        self.map_referenced: list = []  # layers the dock re-referenced (raster views added, point layers recoloured)
        self.fits: dict = {}
        self._fit_cache: dict = {}
        self._markers: dict = {}  # pick -> (canvas item, crs, QgsGeometry in that crs)
        self._next_pick = 1
        self._layer_ok: dict = {}
        self._facts: dict = {}  # (layer id, source) -> (half wavelength, dates)
        self._artists: dict = {}
        #: raster reads run on a worker thread; their series come back through a signal (the GUI never waits)
        self.reads = BackgroundReads(self)
        self._build()
        self.point_tool = self.polygon_tool = None
        if self.map_canvas is not None:
            self.point_tool = PointPickTool(self.map_canvas, self)
            self.polygon_tool = PolygonTool(self.map_canvas, self)
            self.point_tool.deactivated.connect(lambda: self._set_checked(self.pick_button, False))
            self.polygon_tool.deactivated.connect(lambda: self._set_checked(self.polygon_button, False))
            self.map_canvas.destinationCrsChanged.connect(self._place_markers)
            self.map_canvas.temporalRangeChanged.connect(self._map_time_changed)
        self.map_date = None  # the Temporal Controller's current date, marked on the plot
        self.project.layersRemoved.connect(self._layers_removed)
        self.project.layersAdded.connect(self._refresh_layers)
        self.project.cleared.connect(self.clear)
        if iface is not None:
            iface.currentLayerChanged.connect(self._active_layer_changed)
        self._refresh_layers()
        self.redraw()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        body = QWidget()
        layout = QVBoxLayout(body)
        row1 = QHBoxLayout()
        row1.addWidget(QLabel("Layer"))
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("Time-series layer read by the picks: point layers with DYYYYMMDD / YYYYMMDD "
                                    "fields, rasters with one band per date (follows the active layer)")
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.layer_combo.setMinimumContentsLength(12)
        row1.addWidget(self.layer_combo, 1)
        self.pick_button = QPushButton("Pick point")
        self.pick_button.setCheckable(True)
        self.pick_button.setToolTip("Click near a point or on a pixel of the layer to add its time series")
        self.polygon_button = QPushButton("Draw polygon")
        self.polygon_button.setCheckable(True)
        self.polygon_button.setToolTip("Left clicks add vertices; right click, double click or Enter closes; "
                                       "Backspace removes the last vertex; Escape cancels. Plots the mean of the "
                                       "pixels or points inside with ±1 standard deviation")
        self.selection_button = QPushButton("Add selection")
        self.selection_button.setToolTip("Selected points of the layer, or the mean inside the selected polygons "
                                         "of the active layer (or of any polygon layer with a selection)")
        for b in (self.pick_button, self.polygon_button, self.selection_button):
            row1.addWidget(b)
        layout.addLayout(row1)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Model"))
        self.model_combo = QComboBox()
        for value, label in MODEL_CHOICES:
            self.model_combo.addItem(label, value)
        self.model_combo.setToolTip("Model fitted to every curve, with its parameters ±1-sigma in the legend and "
                                    "the table")
        row2.addWidget(self.model_combo)
        self.break_check = QCheckBox("Breakpoints")
        self.break_check.setToolTip("Test every curve for one step or change of velocity (BIC, at least 5 dates "
                                    "each side) and mark it")
        row2.addWidget(self.break_check)
        row2.addWidget(QLabel("Reference date"))
        self.date_combo = QComboBox()
        self.date_combo.addItem("as stored")
        row2.addWidget(self.date_combo)
        row2.addStretch(1)
        layout.addLayout(row2)
        self.figure = Figure(figsize=(7, 4), dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumSize(320, 220)
        self.canvas.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.canvas.mpl_connect("pick_event", self._plot_picked)
        self.canvas.mpl_connect("motion_notify_event", self._plot_hovered)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 420)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setMinimumHeight(130)
        self.table.setToolTip("Delete removes the selected curve; Ctrl+C copies the table")
        self.table.itemSelectionChanged.connect(self._table_selection_changed)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        row4 = QHBoxLayout()
        row4.addWidget(QLabel("Map date"))
        self.map_date_combo = QComboBox()
        self.map_date_combo.addItem("controller")
        self.map_date_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.map_date_combo.setToolTip("Colour every dated layer of the map by its value on this date (sets the "
                                       "Temporal Controller to that day); 'controller' leaves the map to it")
        row4.addWidget(self.map_date_combo)
        self.map_reference_button = QPushButton("Map relative to reference")
        self.map_reference_button.setCheckable(True)
        self.map_reference_button.setToolTip("Show the dock's layer less the reference curve's displacement, date "
                                             "by date (a raster: a virtual raster added beside it; points: "
                                             "recoloured); again to stop")
        row4.addWidget(self.map_reference_button)
        row4.addStretch(1)
        layout.addLayout(row4)
        row4 = QHBoxLayout()  # a second row: the dock keeps its width
        self.neighbour_check = QCheckBox("Neighbours within")
        self.neighbour_check.setToolTip(f"With a pick, the curves of up to {MAX_NEIGHBOURS} points around it (a "
                                        "pixel: the mean and spread of the pixels in the circle), in grey")
        self.radius_spin = QDoubleSpinBox()
        self.radius_spin.setRange(1.0, 100000.0)
        self.radius_spin.setDecimals(0)
        self.radius_spin.setValue(100.0)
        self.radius_spin.setSuffix(" m")
        row4.addWidget(self.neighbour_check)
        row4.addWidget(self.radius_spin)
        self.residual_check = QCheckBox("Residuals")
        self.residual_check.setToolTip("Plot each curve less its fitted model (choose a model)")
        row4.addWidget(self.residual_check)
        self.replica_check = QCheckBox("Replicas ±")
        self.replica_check.setToolTip("Copies of the selected curve shifted by ±1 and ±2 half wavelengths (dotted): a "
                                      "date on another copy's line is an unwrapping error of a whole cycle")
        self.half_wave_spin = QDoubleSpinBox()
        self.half_wave_spin.setRange(1.0, 1000.0)
        self.half_wave_spin.setDecimals(2)
        self.half_wave_spin.setValue(HALF_WAVELENGTH_MM)
        self.half_wave_spin.setSuffix(" mm")
        self.half_wave_spin.setToolTip("Half the radar wavelength (Sentinel-1 C band: 27.7 mm; read from a raster's "
                                       "WAVELENGTH_M when it has one)")
        row4.addWidget(self.replica_check)
        row4.addWidget(self.half_wave_spin)
        row4.addStretch(1)
        layout.addLayout(row4)
        row3 = QHBoxLayout()
        self.reference_button = QPushButton("Use as reference point")
        self.reference_button.setToolTip("Subtract the selected curve from the curves of the same component "
                                         "(a stable point); again on the reference to stop")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected curve (Delete)")
        self.clear_button = QPushButton("Clear")
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip("The curves as shown, their spread/1-sigma and model values per date; the "
                                   "fitted parameters in a second file (<name>_fits.csv)")
        self.png_button = QPushButton("Export PNG…")
        for b in (self.reference_button, self.remove_button, self.clear_button):
            row3.addWidget(b)
        row3.addStretch(1)
        row3.addWidget(self.csv_button)
        row3.addWidget(self.png_button)
        layout.addLayout(row3)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setWidget(body)
        order = [self.layer_combo, self.pick_button, self.polygon_button, self.selection_button, self.model_combo,
                 self.break_check, self.date_combo, self.table, self.map_date_combo, self.map_reference_button,
                 self.neighbour_check, self.radius_spin, self.residual_check, self.replica_check,
                 self.half_wave_spin, self.reference_button,
                 self.remove_button, self.clear_button, self.csv_button, self.png_button]
        for a, b in zip(order[:-1], order[1:]):
            QWidget.setTabOrder(a, b)
        self.table.installEventFilter(self)
        self.layer_combo.currentIndexChanged.connect(self._layer_chosen)
        self.pick_button.toggled.connect(self.set_picking)
        self.polygon_button.toggled.connect(self.set_drawing)
        self.selection_button.clicked.connect(self.add_selected)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.break_check.toggled.connect(self.set_breakpoints)
        self.date_combo.currentIndexChanged.connect(self._date_changed)
        self.reference_button.clicked.connect(self._reference_clicked)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear)
        self.csv_button.clicked.connect(self._ask_csv)
        self.png_button.clicked.connect(self._ask_png)
        self.map_date_combo.currentIndexChanged.connect(self._map_date_chosen)
        self.map_reference_button.toggled.connect(self._map_reference_toggled)
        self.neighbour_check.toggled.connect(lambda on: self.set_neighbours(self.radius_spin.value() if on else 0))
        self.radius_spin.valueChanged.connect(
            lambda v: self.set_neighbours(v) if self.neighbour_check.isChecked() else None)
        self.residual_check.toggled.connect(self.set_residuals)
        self.replica_check.toggled.connect(lambda on: self.set_replicas(self.half_wave_spin.value() if on else 0))
        self.half_wave_spin.valueChanged.connect(
            lambda v: self.set_replicas(v) if self.replica_check.isChecked() else None)

    # ------------------------------------------------------------------ keyboard
    #: Keys the dock takes while the focus is inside it, before QGIS's own shortcuts.
    KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)

    def event(self, e):
        # a main-window shortcut on Delete/Escape would otherwise take the key away from the dock
        if e.type() == QEvent.Type.ShortcutOverride and e.key() in self.KEYS and not e.modifiers():
            e.accept()
            return True
        return super().event(e)

    def keyPressEvent(self, e):  # noqa: N802 - Qt API name
        if e.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not e.modifiers():
            self.remove_selected()
        elif e.key() == Qt.Key.Key_Escape:
            self.set_picking(False)
            self.set_drawing(False)
        else:
            super().keyPressEvent(e)
            return
        e.accept()

    def eventFilter(self, obj, e):  # noqa: N802 - Qt API name
        if obj is self.table and e.type() == QEvent.Type.KeyPress and e.matches(QKeySequence.StandardKey.Copy):
            self.copy_table()
            return True
        return super().eventFilter(obj, e)

    @staticmethod
    def _set_checked(button, on: bool) -> None:
        button.blockSignals(True)
        button.setChecked(on)
        button.blockSignals(False)

    # ------------------------------------------------------------------ layers
    def _usable(self, layer) -> bool:
        key = (layer.id(), layer.source())
        if key not in self._layer_ok:  # one date of a raster's group of dates is not a series of its own
            self._layer_ok[key] = not layer.customProperty(FRAME_KEY) and (
                is_timeseries_raster(layer) or is_timeseries_points(layer))
        return self._layer_ok[key]

    def _refresh_layers(self, *_):
        current = self.layer_combo.currentData()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for layer in self.project.mapLayers().values():
            if isinstance(layer, (QgsRasterLayer, QgsVectorLayer)) and self._usable(layer):
                self.layer_combo.addItem(layer.name(), layer.id())
        i = self.layer_combo.findData(current)
        if i < 0 and self.iface is not None and self.iface.activeLayer() is not None:
            i = self.layer_combo.findData(self.iface.activeLayer().id())
        self.layer_combo.setCurrentIndex(max(i, 0) if self.layer_combo.count() else -1)
        self.layer_combo.blockSignals(False)

    def _active_layer_changed(self, layer) -> None:
        if layer is not None:
            i = self.layer_combo.findData(layer.id())
            if i >= 0:
                self.layer_combo.setCurrentIndex(i)

    def _layer_chosen(self, _index) -> None:
        layer = self.series_layer()
        if layer is not None:
            self.status.setText(f"Picks read {layer.name()}.")
            half = self._layer_facts(layer)[0]
            if half:
                self.half_wave_spin.setValue(half)
        self._refresh_map_dates()

    def series_layer(self):
        """The layer the picks read: the one chosen in the dock (it follows the active layer)."""
        lid = self.layer_combo.currentData()
        return self.project.mapLayer(lid) if lid else None

    def set_series_layer(self, layer) -> None:
        self._refresh_layers()
        i = self.layer_combo.findData(layer.id())
        if i < 0:
            raise GeohazardError(f"{layer.name()} is not a time-series layer of the project (points with dated "
                                 "fields, or a raster with one band per date)")
        if self.layer_combo.currentIndex() == i:
            self._layer_chosen(i)
        else:
            self.layer_combo.setCurrentIndex(i)

    def _layers_removed(self, ids) -> None:
        gone = set(ids)
        self._layer_ok = {k: v for k, v in self._layer_ok.items() if k[0] not in gone}
        self._facts = {k: v for k, v in self._facts.items() if k[0] not in gone}
        before = len(self.series) + (self.reference is not None)
        self.series = [s for s in self.series if not gone & set(s.layer_ids)]
        if self.reference is not None and gone & set(self.reference.layer_ids):
            self.reference = None
        removed = before - len(self.series) - (self.reference is not None)
        self._refresh_layers()
        if removed:
            self._after_change()
            self.status.setText(f"Removed {removed} curve(s) of the removed layer(s).")

    # ------------------------------------------------------------------ adding curves
    def _colour(self) -> str:
        used = [s.colour for s in self.series] + ([self.reference.colour] if self.reference else [])
        free = [c for c in PALETTE if c not in used]
        return free[0] if free else PALETTE[len(used) % len(PALETTE)]

    def add_series(self, items, *, marker=None) -> int:
        """Add series (one pick: they share a marker); returns how many were new.

        ``marker``: ``(QgsGeometry, QgsCoordinateReferenceSystem)`` of the place picked.
        """
        return self._add_picks([(items, marker)])

    def _add_picks(self, picks) -> int:
        """Add ``[(series, marker)]``, one redraw for all; at most ``MAX_CURVES`` curves are plotted."""
        known = {s.key for s in self.series} | ({self.reference.key} if self.reference else set())
        added, notes, first, skipped = 0, [], None, 0
        for items, marker in picks:
            new = [s for s in items if not s.key or s.key not in known]
            if len(self.series) + len(new) > MAX_CURVES:
                skipped += len(new)
                continue
            if not new:
                continue
            pick = self._next_pick
            self._next_pick += 1
            for s in new:
                s.pick = pick
                s.colour = s.colour or self._colour()
                self.series.append(s)
                known.add(s.key)
            if marker is not None and not marker[0].isNull():
                self._add_marker(pick, *marker, new[0].colour)
            notes += [n for s in new for n in s.notes]
            first = first or new[0]
            added += len(new)
        if added:
            self.selected = first.key
            self._after_change()
        if skipped:
            notes.append(f"{skipped} curve(s) not added: the dock plots at most {MAX_CURVES}; draw a polygon for "
                         "the mean of many points")
        if notes:
            self.status.setText("; ".join(notes))
        elif added:
            self.status.setText(f"Added {first.label}." if added == 1 else f"Added {added} curves.")
        else:
            self.status.setText("Already plotted.")
        return added

    def add_features(self, layer: QgsVectorLayer, fids) -> int:
        picks = []
        for s in feature_series(layer, fids):
            where = QgsGeometry() if s.x is None else QgsGeometry.fromPointXY(QgsPointXY(s.x, s.y))
            picks.append(([s], (where, layer.crs())))
        return self._add_picks(picks)

    def add_at_point(self, layer, point: QgsPointXY, tolerance: float) -> bool:
        """Add the feature nearest to ``point`` (layer CRS) within ``tolerance``, or the raster pixel.

        A raster's pixel (and its group's rasters and sources) is read on a worker thread: this returns at once and
        the curves are added when the read is done (:meth:`wait_for_reads` waits for it in a script)."""
        try:
            if isinstance(layer, QgsRasterLayer):
                pick = PixelPick.of(layer, point, self.project)
                crs = QgsCoordinateReferenceSystem(layer.crs())

                def done(result, error):
                    if self._read_failed(error, pick.layer_id):
                        return
                    items, centre = result
                    self.add_series(items, marker=(QgsGeometry.fromPointXY(centre), crs))
                    if self.neighbour_radius > 0:
                        self._pixel_neighbours(layer, centre)

                self._read(lambda: read_pick(pick), done, f"Reading {layer.name()} at the picked pixel…")
                return True
            if isinstance(layer, QgsVectorLayer):
                fid = nearest_feature(layer, point, tolerance)
                if fid is None:
                    self.status.setText(f"No point of {layer.name()} near the click.")
                    return False
                self.add_features(layer, [fid])
                if self.neighbour_radius > 0:
                    self.add_neighbours(layer, fid)
                return True
        except GeohazardError as exc:
            self.status.setText(str(exc))
            return False
        self.status.setText("Choose a point layer with dated fields or a time-series raster in the dock's list.")
        return False

    def add_neighbours(self, layer: QgsVectorLayer, fid: int) -> int:
        """The curves (grey) of up to :data:`MAX_NEIGHBOURS` points of ``layer`` within the neighbour radius of
        feature ``fid``, nearest first; returns how many were added."""
        feat = layer.getFeature(fid)
        if feat.geometry().isNull():
            return 0
        centre = feat.geometry().centroid().asPoint()
        fids = neighbours(layer, centre, _layer_units(layer, self.neighbour_radius), most=MAX_NEIGHBOURS, skip={fid})
        own = feature_series(layer, [fid])
        of = own[0].point_id if own and own[0].point_id else str(fid)
        picks = []
        for s in feature_series(layer, fids):
            s.kind, s.colour = "neighbour", NEIGHBOUR_COLOUR
            s.name = f"neighbour of {of}: {s.point_id or s.name}"
            s.label = f"{s.name} ({s.where})" if s.where else s.name
            where = QgsGeometry() if s.x is None else QgsGeometry.fromPointXY(QgsPointXY(s.x, s.y))
            picks.append(([s], (where, layer.crs())))
        selected = self.selected
        added = self._add_picks(picks)
        if selected is not None:  # the pick stays the selected curve
            self.selected = selected
            self.redraw()
        self.status.setText(f"{added} neighbour(s) within {self.neighbour_radius:g} m.")
        return added

    def _pixel_neighbours(self, layer, centre: QgsPointXY) -> None:
        """The mean and spread of the pixels of ``layer`` within the neighbour radius of ``centre`` (layer CRS)."""
        circle = QgsGeometry.fromPointXY(centre).buffer(_layer_units(layer, self.neighbour_radius), 24)
        self.add_polygon(layer, circle, QgsCoordinateReferenceSystem(layer.crs()))

    def set_neighbours(self, radius_m: float) -> None:
        """Add the neighbours within ``radius_m`` (the layer's map units, metres for the plugin's outputs) of each
        pick; 0 to stop."""
        self.neighbour_radius = max(0.0, float(radius_m or 0.0))
        self._set_checked(self.neighbour_check, self.neighbour_radius > 0)
        if self.neighbour_radius > 0:
            self.radius_spin.blockSignals(True)
            self.radius_spin.setValue(self.neighbour_radius)
            self.radius_spin.blockSignals(False)

    def add_polygon(self, layer, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem) -> bool:
        """Add the mean of the pixels (or points) of ``layer`` inside ``geometry`` given in ``crs``."""
        if layer is None:
            self.status.setText("Choose a time-series layer in the dock's list first.")
            return False
        geom = transform_geometry(geometry, crs, layer.crs())
        if isinstance(layer, QgsRasterLayer):
            lcrs = QgsCoordinateReferenceSystem(layer.crs())
            plain = (layer.source(), layer.name(), layer.id(), lcrs)

            def done(result, error):
                if not self._read_failed(error, plain[2]):
                    self.add_series([result], marker=(geom, lcrs))

            self._read(lambda: read_polygon(plain, QgsGeometry(geom)), done,
                       f"Reading the pixels of {layer.name()} inside the polygon…")
            return True
        try:
            s = points_polygon_series(layer, geom)
        except GeohazardError as exc:
            self.status.setText(str(exc))
            return False
        return self.add_series([s], marker=(geom, layer.crs())) > 0

    # ------------------------------------------------------------------ reads off the GUI thread
    def _read(self, read, done, text: str) -> None:
        self.status.setText(text)
        self.reads.submit(read, done)

    def _read_failed(self, error, layer_id: str) -> bool:
        """True when a background read gave no series to add: it failed (said in the status line; an unexpected
        error is raised here, in the GUI thread) or its layer left the project meanwhile."""
        if error is not None:
            if isinstance(error, GeohazardError):
                self.status.setText(str(error))
                return True
            raise error
        if self.project.mapLayer(layer_id) is None:
            self.status.setText("The layer was removed while its pixel was read; nothing added.")
            return True
        return False

    def wait_for_reads(self, timeout_s: float = 60.0) -> bool:
        """Wait (processing events) until the background reads asked for are added; False on timeout."""
        return self.reads.wait(timeout_s)

    def add_selected(self) -> int:
        """Selected points of the dock's layer, else the mean inside selected polygons of another layer."""
        layer = self.series_layer()
        if isinstance(layer, QgsVectorLayer) and layer.selectedFeatureCount():
            try:
                return self.add_features(layer, layer.selectedFeatureIds())
            except GeohazardError as exc:
                self.status.setText(str(exc))
                return 0
        polygons = self._selected_polygon_layer()
        if polygons is None or layer is None:
            self.status.setText("Select points of the layer, or polygons of a polygon layer, first.")
            return 0
        added = 0
        for feat in polygons.getSelectedFeatures():
            added += bool(self.add_polygon(layer, feat.geometry(), polygons.crs()))
        return added

    def _selected_polygon_layer(self):
        candidates = []
        if self.iface is not None and self.iface.activeLayer() is not None:
            candidates.append(self.iface.activeLayer())
        candidates += list(self.project.mapLayers().values())
        for lyr in candidates:
            if isinstance(lyr, QgsVectorLayer) and lyr.selectedFeatureCount() \
                    and lyr.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry:
                return lyr
        return None

    # ------------------------------------------------------------------ map tools and markers
    def set_picking(self, on: bool) -> None:
        self._set_checked(self.pick_button, on)
        self._use_tool(self.point_tool, on)
        if on:
            self._set_checked(self.polygon_button, False)

    def set_drawing(self, on: bool) -> None:
        self._set_checked(self.polygon_button, on)
        self._use_tool(self.polygon_tool, on)
        if on:
            self._set_checked(self.pick_button, False)

    def _use_tool(self, tool, on: bool) -> None:
        if tool is None:
            return
        if on:
            if self.map_canvas.mapTool() is not tool:  # setting it again deactivates it (the button unchecks)
                self.map_canvas.setMapTool(tool)
        elif self.map_canvas.mapTool() is tool:
            self.map_canvas.unsetMapTool(tool)

    def pick_at(self, point: QgsPointXY) -> bool:
        """A click at ``point`` (map canvas CRS) with the pick tool."""
        layer = self.series_layer()
        if layer is None:
            self.status.setText("Add a time-series layer (points with dated fields, or a raster with one band per "
                                "date) to the project.")
            return False
        crs = self.map_canvas.mapSettings().destinationCrs()
        p = transform_point(point, crs, layer.crs())
        tol_canvas = self.map_canvas.mapUnitsPerPixel() * PICK_PIXELS
        corner = transform_point(QgsPointXY(point.x() + tol_canvas, point.y()), crs, layer.crs())
        tol = max(abs(corner.x() - p.x()), abs(corner.y() - p.y()), 1e-9)
        return self.add_at_point(layer, p, tol)

    def _add_marker(self, pick: int, geom: QgsGeometry, crs, colour: str) -> None:
        if self.map_canvas is None:
            return
        if geom.type() == QgsWkbTypes.GeometryType.PointGeometry:
            item = QgsVertexMarker(self.map_canvas)
            item.setIconType(QgsVertexMarker.IconType.ICON_CIRCLE)
            item.setIconSize(14)
            item.setPenWidth(3)
            item.setColor(QColor(colour))
        else:
            item = QgsRubberBand(self.map_canvas)
            item.setStrokeColor(QColor(colour))
            fill = QColor(colour)
            fill.setAlpha(50)
            item.setFillColor(fill)
            item.setWidth(2)
        item.setToolTip(next((s.label for s in self.series if s.pick == pick), ""))
        self._markers[pick] = (item, crs, QgsGeometry(geom))
        self._place_marker(pick)

    def _place_marker(self, pick: int) -> None:
        item, crs, geom = self._markers[pick]
        dest = self.map_canvas.mapSettings().destinationCrs()
        g = transform_geometry(geom, crs, dest)
        if isinstance(item, QgsVertexMarker):
            item.setCenter(g.asPoint())
        else:
            item.setToGeometry(g)

    def _place_markers(self, *_):
        for pick in self._markers:
            self._place_marker(pick)

    def _sync_markers(self) -> None:
        """Drop markers of picks with no curve left; the reference point's marker is a black square."""
        live = {s.pick for s in self.series} | ({self.reference.pick} if self.reference else set())
        for pick in [p for p in self._markers if p not in live]:
            item = self._markers.pop(pick)[0]
            self.map_canvas.scene().removeItem(item)
        for pick, (item, _, _) in self._markers.items():
            if isinstance(item, QgsVertexMarker):
                is_ref = self.reference is not None and self.reference.pick == pick
                item.setIconType(QgsVertexMarker.IconType.ICON_BOX if is_ref else QgsVertexMarker.IconType.ICON_CIRCLE)
                if is_ref:
                    item.setColor(QColor("black"))

    def markers(self) -> list:
        """The map canvas items marking the plotted places (vertex markers and polygon rubber bands)."""
        return [m[0] for m in self._markers.values()]

    # ------------------------------------------------------------------ removing
    def remove_series(self, key) -> bool:
        if self.reference is not None and self.reference.key == key:
            label = self.reference.label
            self.reference = None
        else:
            label = next((s.label for s in self.series if s.key == key), None)
            if label is None:
                return False
            self.series = [s for s in self.series if s.key != key]
        self.status.setText(f"Removed {label}.")
        if self.selected == key:
            self.selected = None
        self._after_change()
        return True

    def remove_selected(self) -> bool:
        if self.selected is None:
            self.status.setText("Select a curve in the table (or click it in the plot) first.")
            return False
        keys = [s.key for s in self.series] + ([self.reference.key] if self.reference else [])
        row = keys.index(self.selected) if self.selected in keys else 0
        removed = self.remove_series(self.selected)
        keys = [s.key for s in self.series] + ([self.reference.key] if self.reference else [])
        if keys:  # keep a selection so Delete can be pressed again
            self.selected = keys[min(row, len(keys) - 1)]
            self._after_change()
        return removed

    def clear(self) -> None:
        self.series = []
        self.reference = None
        self.selected = None
        self._after_change()

    def shutdown(self) -> None:
        """Stop the tools and the reads, remove the markers and disconnect from the project (before deleting the
        dock)."""
        self.reads.shutdown()
        self.set_picking(False)
        self.set_drawing(False)
        self.series, self.reference = [], None
        if self.map_canvas is not None:
            self._sync_markers()
            self.map_canvas.destinationCrsChanged.disconnect(self._place_markers)
            self.map_canvas.temporalRangeChanged.disconnect(self._map_time_changed)
        for signal, slot in ((self.project.layersRemoved, self._layers_removed),
                             (self.project.layersAdded, self._refresh_layers), (self.project.cleared, self.clear)):
            signal.disconnect(slot)
        if self.iface is not None:
            self.iface.currentLayerChanged.disconnect(self._active_layer_changed)

    # ------------------------------------------------------------------ options
    def set_model(self, model: str) -> None:
        """Choose the model by its stored value (``"linear"`` ...) or label; ``""``/``"none"`` for none."""
        model = "" if model in (None, "none") else model
        for i, (value, label) in enumerate(MODEL_CHOICES):
            if model in (value, label):
                self.model_combo.setCurrentIndex(i)
                return
        raise GeohazardError(f"unknown model {model!r}; choose one of "
                             f"{', '.join(v for v, _ in MODEL_CHOICES if v)}")

    def set_residuals(self, on: bool) -> None:
        """Plot the curves less their fitted model (with a model chosen)."""
        self._set_checked(self.residual_check, on)
        self.residuals = bool(on)
        if self.residuals and not self.model:
            self.status.setText("Choose a model: the residuals are the curves less its fit.")
        self.redraw()

    def set_replicas(self, half_wavelength_mm: float) -> None:
        """Draw copies of the selected curve shifted by +-1 and +-2 times ``half_wavelength_mm``; 0 to stop."""
        self.replica_mm = max(0.0, float(half_wavelength_mm or 0.0))
        self._set_checked(self.replica_check, self.replica_mm > 0)
        if self.replica_mm > 0:
            self.half_wave_spin.blockSignals(True)
            self.half_wave_spin.setValue(self.replica_mm)
            self.half_wave_spin.blockSignals(False)
        self.redraw()

    def _replicas(self, drawn) -> list:
        """``[(dates, values)]`` of the replicas drawn around the selected curve."""
        s = next((c for c in drawn if c.key == self.selected), None)
        if s is None or not self.replica_mm:
            return []
        return [(s.dates, s.values_mm + k * self.replica_mm) for k in range(-REPLICAS, REPLICAS + 1) if k]

    def _layer_facts(self, layer) -> tuple:
        """``(half wavelength mm or None, dates)`` of a layer, read once per layer (the dock follows every change
        of the current layer: nothing is read again there)."""
        key = (layer.id(), layer.source())
        if key not in self._facts:
            self._facts[key] = (_half_wavelength_mm(layer), layer_dates(layer))
        return self._facts[key]

    def _refresh_map_dates(self) -> None:
        layer = self.series_layer()
        own = self._layer_facts(layer)[1] if layer is not None else []
        dates = sorted(set(own) | {d for s in self.series for d in s.dates})
        current = self.map_date_combo.currentText()
        self.map_date_combo.blockSignals(True)
        self.map_date_combo.clear()
        self.map_date_combo.addItem("controller")
        self.map_date_combo.addItems([d.isoformat() for d in dates])
        i = self.map_date_combo.findText(current)
        self.map_date_combo.setCurrentIndex(max(i, 0))
        self.map_date_combo.blockSignals(False)

    def show_map_date(self, date) -> None:
        """Colour the map by ``date`` (a date or ISO text; None: leave the map to the Temporal Controller)."""
        if self.map_canvas is None:
            return
        day = None if date in (None, "", "controller") else parse_date(date)
        show_map_date(self.map_canvas, day)
        self.status.setText("The map follows the Temporal Controller." if day is None else
                            f"The map shows {day.isoformat()}.")

    def _map_date_chosen(self, index: int) -> None:
        self.show_map_date(None if index <= 0 else self.map_date_combo.itemText(index))

    def reference_map(self, on: bool = True):
        """Show the dock's layer relative to the reference curve (``on``), or stop: returns the layer added or
        recoloured (None when stopped)."""
        self._set_checked(self.map_reference_button, on)
        for layer_id in self.map_referenced:
            layer = self.project.mapLayer(layer_id)
            if isinstance(layer, QgsRasterLayer) and layer.customProperty(REFERENCE_KEY):
                self.project.removeMapLayer(layer_id)
            elif layer is not None:
                unreference_points(layer)
        self.map_referenced = []
        if not on:
            self.status.setText("The map shows the layers as stored.")
            return None
        layer, ref = self.series_layer(), self.reference
        if layer is None or ref is None:
            self._set_checked(self.map_reference_button, False)
            self.status.setText("Choose a reference curve first (select a curve, then 'Use as reference point').")
            return None
        try:
            out = reference_layer(self.project, layer, ref.dates, ref.values_mm, short_label(ref.label, LEGEND_CHARS))
        except GeohazardError as exc:
            self._set_checked(self.map_reference_button, False)
            self.status.setText(str(exc))
            return None
        self.map_referenced.append(out.id())
        if out is not layer:  # the picks keep reading the layer as stored (the reference is the dock's to subtract)
            self.set_series_layer(layer)
            if self.iface is not None:
                self.iface.setActiveLayer(layer)
        self.status.setText(f"{out.name()}: the map relative to the reference.")
        return out

    def _map_reference_toggled(self, on: bool) -> None:
        self.reference_map(on)

    def set_breakpoints(self, on: bool) -> None:
        self._set_checked(self.break_check, on)
        self.breakpoints = bool(on)
        self.redraw()

    def set_reference_date(self, date) -> None:
        if date is None:
            self.date_combo.setCurrentIndex(0)
            return
        text = parse_date(date).isoformat()
        i = self.date_combo.findText(text)
        if i < 0:
            raise GeohazardError(f"reference date {text} is not a date of the plotted series")
        self.date_combo.setCurrentIndex(i)

    def set_reference(self, key) -> None:
        """Use the curve ``key`` as reference point (subtracted from curves of its component); None to stop."""
        if self.reference is not None:
            self.series.append(self.reference)
            self.reference = None
        if key is not None:
            i = next((k for k, s in enumerate(self.series) if s.key == key), None)
            if i is None:
                raise GeohazardError(f"no plotted curve {key!r}")
            self.reference = self.series.pop(i)
        self._after_change()

    def _reference_clicked(self) -> None:
        if self.selected is None:
            self.status.setText("Select the curve of a stable point in the table first.")
            return
        is_ref = self.reference is not None and self.reference.key == self.selected
        self.set_reference(None if is_ref else self.selected)

    def _model_changed(self, index: int) -> None:
        self.model = self.model_combo.itemData(index) or ""
        self.redraw()

    def _date_changed(self, index: int) -> None:
        self.reference_date = None if index <= 0 else parse_date(self.date_combo.itemText(index))
        self.redraw()

    def _refresh_dates(self) -> None:
        current = self.reference_date
        dates = sorted({d for s in self.series for d in s.dates})
        self.date_combo.blockSignals(True)
        self.date_combo.clear()
        self.date_combo.addItem("as stored")
        self.date_combo.addItems([d.isoformat() for d in dates])
        if current is not None and current in dates:
            self.date_combo.setCurrentIndex(dates.index(current) + 1)
        else:
            self.reference_date = None
        self.date_combo.blockSignals(False)

    # ------------------------------------------------------------------ display
    def displayed(self) -> list[Series]:
        """The curves as shown: minus the reference point (same component), zero at the reference date.

        A stored 1-sigma is relative to the stored reference: it is dropped when either reference
        changes; a polygon's spread is recomputed from its members.
        """
        ref = self.reference
        out = []
        for s in self.series:
            vals = s.values_mm.astype(np.float64).copy()
            members = None if s.members_mm is None else s.members_mm.astype(np.float64).copy()
            shifted = False
            if ref is not None and (ref.component or "LOS") == (s.component or "LOS"):
                ok = np.isfinite(ref.values_mm)
                rd = np.array([d.toordinal() for d in ref.dates], dtype=np.float64)[ok]
                sd = np.array([d.toordinal() for d in s.dates], dtype=np.float64)
                shift = np.interp(sd, rd, ref.values_mm[ok]) if ok.any() else np.full(sd.size, np.nan)
                vals -= shift
                if members is not None:
                    members -= shift[:, None]
                shifted = True
            if self.reference_date is not None and self.reference_date in s.dates:
                i = s.dates.index(self.reference_date)
                vals -= vals[i]
                if members is not None:
                    members -= members[i][None, :]
                shifted = True
            spread = None
            if members is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", category=RuntimeWarning)  # dates where every member is NaN
                    spread = np.nanstd(members, axis=1)
                    vals = np.nanmean(members, axis=1)
            out.append(dataclasses.replace(s, values_mm=vals, members_mm=members, spread_mm=spread,
                                           sigma_mm=None if shifted else s.sigma_mm))
        return out

    def _fit(self, s: Series):
        key = (s.key, self.model, self.breakpoints, s.values_mm.tobytes())
        if key not in self._fit_cache:
            if len(self._fit_cache) > 256:
                self._fit_cache.clear()
            self._fit_cache[key] = fit_series(s.dates, s.values_mm, self.model, breakpoints=self.breakpoints)
        return self._fit_cache[key]

    def _after_change(self) -> None:
        if self.map_canvas is not None:
            self._sync_markers()
        self._refresh_dates()
        self._refresh_map_dates()
        self.redraw()

    def _map_time_changed(self) -> None:
        """The Temporal Controller moved (or stopped): mark its date on the plot."""
        time_range = self.map_canvas.temporalRange()
        begin = time_range.begin()
        date = begin.date().toPyDate() if begin.isValid() and self.map_canvas.mapSettings().isTemporal() else None
        if date != self.map_date:
            self.map_date = date
            self.redraw()

    def redraw(self) -> None:
        shown = self.displayed()
        self.fits = {}
        if self.model or self.breakpoints:
            for s in shown:
                self.fits[s.key] = self._fit(s)
        drawn, fits, title = shown, self.fits, self._title()
        if self.residuals and self.model:
            drawn = self.residual_curves(shown)
            fits = {}
            title += f"\nresiduals: each curve less its {self.model} fit"
        self._artists = draw(self.figure, drawn, fits, selected=self.selected, title=title,
                             empty_text=EMPTY_TEXT, current_date=self.map_date)
        replicas = self._replicas(drawn)
        if replicas and self.figure.axes:
            colour = next(c.colour for c in drawn if c.key == self.selected) or "C0"
            for dates, values in replicas:
                self.figure.axes[0].plot(dates, values, ":", color=colour, lw=0.9, alpha=0.6, label="_replica")
        self.canvas.draw_idle()
        self._fill_table(shown)

    def residual_curves(self, shown) -> list:
        """``shown`` less their fitted model, date by date (a curve whose fit failed is left out)."""
        out = []
        for s in shown:
            fit = self.fits.get(s.key) or self._fit(s)
            model = fit.values_at(s.dates)
            if not np.isfinite(model).any():
                continue
            out.append(dataclasses.replace(s, values_mm=s.values_mm - model, sigma_mm=s.sigma_mm, members_mm=None,
                                           spread_mm=None))
        return out

    def _title(self) -> str:
        title = "InSAR displacement time series"
        if self.reference is not None:
            title += f"\nrelative to {short_label(self.reference.label, 2 * LEGEND_CHARS)}"
        if self.reference_date is not None:
            title += f" (zero on {self.reference_date.isoformat()})"
        return title

    def _fill_table(self, shown) -> None:
        rows = list(shown) + ([self.reference] if self.reference is not None else [])
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, s in enumerate(rows):
            is_ref = self.reference is not None and s is self.reference
            pix = QPixmap(12, 12)
            pix.fill(QColor(s.colour or "gray"))
            first = QTableWidgetItem(QIcon(pix), s.name)
            first.setToolTip(s.label)
            comp = (s.component or "LOS") + (" (reference point)" if is_ref else "")
            if s.panel == "los":
                comp += " source"
            fit = QTableWidgetItem("" if is_ref else describe_fit(self.fits.get(s.key)))
            fit.setToolTip(fit.text())
            cells = [first, fit, QTableWidgetItem(f"{s.where} ({s.crs})"), QTableWidgetItem(str(s.count)),
                     QTableWidgetItem(comp)]
            for c, item in enumerate(cells):
                self.table.setItem(r, c, item)
            if s.key == self.selected:
                self.table.selectRow(r)
        if self.selected is None:
            self.table.clearSelection()
        self.table.blockSignals(False)
        self.remove_button.setEnabled(bool(rows))
        self.reference_button.setText("Stop reference point" if self.reference is not None
                                      and self.selected == self.reference.key else "Use as reference point")

    def _row_keys(self) -> list:
        return [s.key for s in self.series] + ([self.reference.key] if self.reference is not None else [])

    def _table_selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        keys = self._row_keys()
        key = keys[rows[0].row()] if rows and rows[0].row() < len(keys) else None
        if key != self.selected:
            self.selected = key
            self.redraw()

    def _plot_hovered(self, event) -> None:
        """The whole name of the curve under the mouse (the legend shows it cut) as the chart's tooltip."""
        name = curve_name_at(self.figure, event)
        if name != self.canvas.toolTip():
            self.canvas.setToolTip(name)

    def _plot_picked(self, event) -> None:
        key = self._artists.get(event.artist)
        if key is not None and key != self.selected:
            self.selected = key
            self.redraw()

    def copy_table(self) -> str:
        lines = ["\t".join(self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount()))]
        for r in range(self.table.rowCount()):
            lines.append("\t".join(self.table.item(r, c).text() for c in range(self.table.columnCount())))
        text = "\n".join(lines)
        QApplication.clipboard().setText(text)
        return text

    # ------------------------------------------------------------------ export
    def export_csv(self, path: str) -> tuple:
        """Write the shown curves (``path``) and their fitted parameters (``<stem>_fits.csv``)."""
        shown = self.displayed()
        fits = {s.key: self._fit(s) for s in shown} if (self.model or self.breakpoints) else {}
        write_csv(path, shown, fits)
        fits_path = fits_csv_path(path)
        write_fits_csv(fits_path, shown, fits)
        return path, fits_path

    def export_png(self, path: str, dpi: int = 150) -> str:
        """Save the plot with each curve's fitted parameters in the legend (the screen shows them in the table)."""
        shown = self.displayed()
        fits = {s.key: self._fit(s) for s in shown} if (self.model or self.breakpoints) else {}
        return export_figure(path, shown, fits, title=self._title(), dpi=dpi)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export time series", "", "CSV (*.csv)")
        if path:
            path, fits = self.export_csv(path if path.lower().endswith(".csv") else path + ".csv")
            self.status.setText(f"Wrote {path} and {os.path.basename(fits)}.")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "", "PNG (*.png)")
        if path:
            self.status.setText(f"Wrote {self.export_png(path if path.lower().endswith('.png') else path + '.png')}.")


def _half_wavelength_mm(layer):
    """Half the radar wavelength (mm) a raster declares (GDAL metadata ``WAVELENGTH_M``), None otherwise."""
    if not isinstance(layer, QgsRasterLayer):
        return None
    from osgeo import gdal

    try:
        ds = gdal.Open(layer.source().split("|")[0])
        value = ds.GetMetadataItem("WAVELENGTH_M") if ds is not None else None
        ds = None
        return float(value) * 500.0 if value else None
    except (RuntimeError, ValueError):
        return None


def _layer_units(layer, metres: float) -> float:
    """``metres`` in the map units of ``layer``'s CRS (degrees of latitude for a geographic CRS: a circle there is
    a slightly narrower ellipse on the ground away from the equator)."""
    crs = layer.crs()
    return metres / 111_320.0 if crs.isGeographic() else metres


class PointPickTool(QgsMapToolEmitPoint):
    """Map tool: each left click adds the nearest point / the pixel of the dock's layer."""

    def __init__(self, canvas, dock: TimeSeriesViewerDock):
        super().__init__(canvas)
        self.dock = dock
        self.canvasClicked.connect(self._clicked)

    def _clicked(self, point, button) -> None:
        if button == Qt.MouseButton.LeftButton:
            self.dock.pick_at(point)

    def keyPressEvent(self, e):  # noqa: N802 - QGIS API name
        if e.key() == Qt.Key.Key_Escape:
            self.dock.set_picking(False)
            e.accept()
            return
        super().keyPressEvent(e)


class PolygonTool(QgsMapTool):
    """Map tool drawing a polygon: left clicks add vertices, right click / double click / Enter close."""

    def __init__(self, canvas, dock: TimeSeriesViewerDock):
        super().__init__(canvas)
        self.dock = dock
        self.vertices: list = []
        self.band = None
        self.setCursor(Qt.CursorShape.CrossCursor)

    def _band(self):
        if self.band is None:
            self.band = QgsRubberBand(self.canvas())
            self.band.setStrokeColor(QColor(200, 30, 30))
            self.band.setFillColor(QColor(200, 30, 30, 40))
            self.band.setWidth(2)
        return self.band

    def _show(self, extra=None) -> None:
        pts = self.vertices + ([extra] if extra is not None else [])
        if len(pts) >= 3:
            geom = QgsGeometry.fromPolygonXY([pts + [pts[0]]])
        elif len(pts) == 2:
            geom = QgsGeometry.fromPolylineXY(pts)
        else:
            if self.band is not None:
                self.band.reset()
            return
        self._band().setToGeometry(geom)

    def add_vertex(self, point: QgsPointXY) -> None:
        if not self.vertices or self.vertices[-1] != point:
            self.vertices.append(QgsPointXY(point))
        self._show()

    def finish(self) -> bool:
        """Close the polygon and add its mean to the dock; False when it has fewer than 3 vertices."""
        pts, self.vertices = self.vertices, []
        self._show()
        if len(pts) < 3:
            self.dock.status.setText("A polygon needs at least 3 vertices.")
            return False
        crs = self.canvas().mapSettings().destinationCrs()
        return self.dock.add_polygon(self.dock.series_layer(), QgsGeometry.fromPolygonXY([pts + [pts[0]]]), crs)

    def cancel(self) -> None:
        self.vertices = []
        self._show()

    def canvasMoveEvent(self, e):  # noqa: N802 - QGIS API name
        if self.vertices:
            self._show(self.toMapCoordinates(e.pos()))

    def canvasReleaseEvent(self, e):  # noqa: N802 - QGIS API name
        if e.button() == Qt.MouseButton.LeftButton:
            self.add_vertex(self.toMapCoordinates(e.pos()))
        elif e.button() == Qt.MouseButton.RightButton:
            self.finish()

    def canvasDoubleClickEvent(self, e):  # noqa: N802 - QGIS API name
        self.finish()

    def keyPressEvent(self, e):  # noqa: N802 - QGIS API name
        key = e.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()
        elif key == Qt.Key.Key_Backspace and self.vertices:
            self.vertices.pop()
            self._show()
        elif key == Qt.Key.Key_Escape:
            if self.vertices:
                self.cancel()
            else:
                self.dock.set_drawing(False)
        else:
            super().keyPressEvent(e)
            return
        e.accept()

    def deactivate(self):
        self.cancel()
        if self.band is not None:
            self.canvas().scene().removeItem(self.band)
            self.band = None
        super().deactivate()


def missing_package_message(exc: ImportError) -> str:
    """What to install when the dock cannot be built because ``exc`` (an import) failed: the package, the install
    line for this platform (:mod:`algorithms.optional`)."""
    name = (getattr(exc, "name", None) or str(exc)).split(".")[0]
    return missing_message(name, "The InSAR time-series viewer") + " The Processing tools work without it."


class TimeSeriesViewerPart:
    """GUI part: a toolbar button (and Plugins menu entry) that shows the dock and picks.

    The dock is built when the button is first pressed, not when the plugin loads: a QGIS without matplotlib
    loads the plugin (the Processing tools work), and the button then says what to install."""

    def __init__(self, iface):
        self.iface = iface
        self.dock = None
        self.action = None
        self.problem = ""

    def init_gui(self) -> None:
        self.action = QAction(QIcon(ICON), "InSAR time series viewer", self.iface.mainWindow())
        self.action.setCheckable(True)
        self.action.setToolTip("Show the InSAR time-series viewer and pick points or pixels on the map")
        self.action.toggled.connect(self._toggled)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToMenu("InSAR Geohazards", self.action)

    def _toggled(self, on: bool) -> None:
        if self.dock is None and on:
            if not self._build_dock():
                self.action.blockSignals(True)
                self.action.setChecked(False)
                self.action.blockSignals(False)
                return
            self.dock.setUserVisible(True)
            self.dock.set_picking(True)

    def _build_dock(self) -> bool:
        try:
            dock = TimeSeriesViewerDock(self.iface, self.iface.mainWindow())
        except ImportError as exc:
            self.problem = missing_package_message(exc)
            bar = getattr(self.iface, "messageBar", None)
            if bar is not None:
                bar().pushWarning("InSAR Geohazards", self.problem)
            from qgis.core import Qgis, QgsMessageLog

            QgsMessageLog.logMessage(self.problem, "InSAR Geohazards", Qgis.MessageLevel.Warning)
            return False
        self.dock = dock
        self.problem = ""
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.hide()
        # the action mirrors the dock's visibility (also when closed from its title bar)
        dock.setToggleVisibilityAction(self.action)
        self.action.toggled.connect(dock.set_picking)
        return True

    @property
    def tool(self):
        return self.dock.point_tool if self.dock is not None else None

    def unload(self) -> None:
        if self.action is not None:
            self.iface.removeToolBarIcon(self.action)
            self.iface.removePluginMenu("InSAR Geohazards", self.action)
        if self.dock is not None:
            self.dock.shutdown()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
        self.dock = self.action = None
