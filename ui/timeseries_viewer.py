"""Time-series viewer dock: click points or raster pixels, plot their displacement history.

* Vector layers with dated displacement fields (``DYYYYMMDD`` as our outputs and PS
  products, or EGMS ``YYYYMMDD``): click near a point (or use "Add selected") to plot it.
* Time-series rasters (one band per date, ISO dates as band descriptions): click a pixel.
* Several series at once; optional fitted model per series (the core's temporal models);
  change the reference date (all series zero there) or the reference point (its series is
  subtracted from the others); export what is shown as CSV or PNG.

The dock holds no maths: fitting is :mod:`algorithms.timeseries.models`, reading goes
through :mod:`processing_provider`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
from dataclasses import dataclass

import numpy as np
from qgis.core import (
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsDockWidget, QgsMapToolEmitPoint
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import (
    QAction,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date
from ..algorithms.timeseries.models import MODELS, TimeBase, fit_model, predict
from ..processing_provider.io.points import date_fields_of, raster_dates
from ..processing_provider.io.raster import raster_info, read_band
from ..processing_provider.tools._base import ICON_DIR

LABEL_FIELDS = ("CODE", "code", "pid", "PID", "ID", "id", "name", "NAME")


@dataclass
class Series:
    """One plotted displacement history."""

    label: str
    dates: list
    values_mm: np.ndarray


def _ordinal(dates) -> np.ndarray:
    return np.array([d.toordinal() for d in dates], dtype=np.float64)


def feature_series(layer: QgsVectorLayer, fids) -> list:
    """Series of the features ``fids`` of a layer with dated fields."""
    pairs = date_fields_of(layer, layer.name())
    names = [f for f, _ in pairs]
    dates = [d for _, d in pairs]
    idx = [layer.fields().lookupField(f) for f in names]
    label_field = next((f for f in LABEL_FIELDS if layer.fields().lookupField(f) >= 0), None)
    out = []
    for feat in layer.getFeatures(QgsFeatureRequest().setFilterFids(list(fids))):
        attrs = feat.attributes()
        vals = np.array([np.nan if attrs[i] is None or attrs[i] == "" or (hasattr(attrs[i], "isNull")
                                                                           and attrs[i].isNull())
                         else float(attrs[i]) for i in idx])
        label = f"{layer.name()} {feat[label_field] if label_field else feat.id()}"
        out.append(Series(label, dates, vals))
    return out


def raster_pixel_series(layer: QgsRasterLayer, point: QgsPointXY) -> Series:
    """Series of the pixel of a time-series raster under ``point`` (layer CRS)."""
    info = raster_info(layer.source(), layer.name())
    dates = raster_dates(info, layer.name())
    row, col = info.world_to_pixel(point.x(), point.y())
    r, c = int(np.floor(row)), int(np.floor(col))
    if not (0 <= r < info.height and 0 <= c < info.width):
        raise GeohazardError(f"{layer.name()}: the point ({point.x():.2f}, {point.y():.2f}) is outside the raster")
    vals = np.array([read_band(info.path, b + 1, rows=(r, r + 1), name=layer.name(), dtype=np.float64)[0, c]
                     for b in range(info.count)])
    return Series(f"{layer.name()} px({r},{c})", dates, vals)


class TimeSeriesViewerDock(QgsDockWidget):
    """The dock: a plot, series controls, model/reference choice and export buttons."""

    def __init__(self, iface=None, parent=None):
        super().__init__("InSAR time series", parent)
        self.setObjectName("InsarGeohazardsTimeSeriesViewer")
        self.iface = iface
        self.series: list[Series] = []
        self.reference_series: Series | None = None
        self.reference_date = None
        self.model = ""
        self.fits: dict = {}
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(7, 4), dpi=100)
        self.ax = self.figure.add_subplot(111)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumSize(320, 220)
        body = QWidget()
        layout = QVBoxLayout(body)
        bar = QHBoxLayout()
        self.pick_button = QPushButton("Pick on map")
        self.pick_button.setCheckable(True)
        self.pick_button.setToolTip("Click points (layers with DYYYYMMDD / YYYYMMDD fields) or pixels of a "
                                    "time-series raster in the active layer")
        self.add_selected_button = QPushButton("Add selected")
        self.reference_button = QPushButton("Last as reference point")
        self.clear_button = QPushButton("Clear")
        for b in (self.pick_button, self.add_selected_button, self.reference_button, self.clear_button):
            bar.addWidget(b)
        layout.addLayout(bar)
        bar2 = QHBoxLayout()
        bar2.addWidget(QLabel("Model"))
        self.model_combo = QComboBox()
        self.model_combo.addItems(["none", *MODELS])
        bar2.addWidget(self.model_combo)
        bar2.addWidget(QLabel("Reference date"))
        self.date_combo = QComboBox()
        self.date_combo.addItem("as stored")
        bar2.addWidget(self.date_combo)
        self.csv_button = QPushButton("Export CSV")
        self.png_button = QPushButton("Export PNG")
        bar2.addWidget(self.csv_button)
        bar2.addWidget(self.png_button)
        layout.addLayout(bar2)
        layout.addWidget(self.canvas, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setWidget(body)
        self.model_combo.currentTextChanged.connect(self._model_changed)
        self.date_combo.currentIndexChanged.connect(self._date_changed)
        self.clear_button.clicked.connect(self.clear)
        self.reference_button.clicked.connect(self._last_as_reference)
        self.add_selected_button.clicked.connect(self.add_selected)
        self.csv_button.clicked.connect(self._ask_csv)
        self.png_button.clicked.connect(self._ask_png)
        self.redraw()

    # ------------------------------------------------------------------ data
    def _append(self, items) -> int:
        labels = {s.label for s in self.series}
        new = [s for s in items if s.label not in labels]
        self.series.extend(new)
        return len(new)

    def add_series(self, series: Series) -> None:
        self._append([series])
        self._refresh_dates()
        self.redraw()

    def add_features(self, layer: QgsVectorLayer, fids) -> int:
        added = self._append(feature_series(layer, fids))
        self._refresh_dates()
        self.redraw()
        return added

    def add_selected(self) -> int:
        layer = self.iface.activeLayer() if self.iface is not None else None
        if not isinstance(layer, QgsVectorLayer) or not layer.selectedFeatureCount():
            self.status.setText("Select points on a layer with dated fields first.")
            return 0
        try:
            return self.add_features(layer, layer.selectedFeatureIds())
        except GeohazardError as exc:
            self.status.setText(str(exc))
            return 0

    def add_at_point(self, layer, point: QgsPointXY, tolerance: float) -> bool:
        """Add the feature nearest to ``point`` (layer CRS) within ``tolerance``, or the raster pixel."""
        try:
            if isinstance(layer, QgsRasterLayer):
                self.add_series(raster_pixel_series(layer, point))
                return True
            if isinstance(layer, QgsVectorLayer):
                rect = QgsRectangle(point.x() - tolerance, point.y() - tolerance,
                                    point.x() + tolerance, point.y() + tolerance)
                best, best_d = None, None
                for feat in layer.getFeatures(QgsFeatureRequest().setFilterRect(rect).setNoAttributes()):
                    d = feat.geometry().distance(QgsGeometry.fromPointXY(point))
                    if best_d is None or d < best_d:
                        best, best_d = feat.id(), d
                if best is None:
                    self.status.setText("No point of the active layer near the click.")
                    return False
                self.add_features(layer, [best])
                return True
        except GeohazardError as exc:
            self.status.setText(str(exc))
            return False
        self.status.setText("Make a point layer with dated fields or a time-series raster the active layer.")
        return False

    def clear(self) -> None:
        self.series = []
        self.reference_series = None
        self._refresh_dates()
        self.redraw()

    def set_model(self, model: str) -> None:
        self.model_combo.setCurrentText(model or "none")

    def set_reference_date(self, date) -> None:
        if date is None:
            self.date_combo.setCurrentIndex(0)
            return
        text = parse_date(date).isoformat()
        i = self.date_combo.findText(text)
        if i < 0:
            raise GeohazardError(f"reference date {text} is not a date of the plotted series")
        self.date_combo.setCurrentIndex(i)

    def set_reference_series(self, index) -> None:
        """Use series ``index`` as reference point (removed from the plotted list), None to reset."""
        self.reference_series = None if index is None else self.series.pop(index)
        self.redraw()

    # ------------------------------------------------------------------ display values
    def displayed(self) -> list[Series]:
        """The series as shown: minus the reference point, zero at the reference date."""
        out = []
        ref = self.reference_series
        for s in self.series:
            vals = s.values_mm.astype(np.float64).copy()
            if ref is not None:
                ok = np.isfinite(ref.values_mm)
                vals = vals - np.interp(_ordinal(s.dates), _ordinal(ref.dates)[ok], ref.values_mm[ok])
            if self.reference_date is not None and self.reference_date in s.dates:
                vals = vals - vals[s.dates.index(self.reference_date)]
            out.append(Series(s.label, s.dates, vals))
        return out

    def _fit(self, s: Series):
        try:
            fit = fit_model(s.values_mm, s.dates, self.model)
        except GeohazardError as exc:
            self.status.setText(str(exc))
            return None, None, ""
        if not np.isfinite(fit.params).all():
            return None, None, ""
        dense = [s.dates[0] + _dt.timedelta(days=int(k)) for k in
                 np.linspace(0, (s.dates[-1] - s.dates[0]).days, 200)]
        curve = predict(self.model, fit.params, dense, TimeBase(s.dates))[:, 0]
        text = ""
        if "velocity_mm_yr" in fit.param_names:
            i = fit.param_names.index("velocity_mm_yr")
            text = f"v={fit.params[0, i]:.1f}±{fit.stdev[0, i]:.1f} mm/yr"
        if "acceleration_mm_yr2" in fit.param_names:
            i = fit.param_names.index("acceleration_mm_yr2")
            text += f" a={fit.params[0, i]:.1f}±{fit.stdev[0, i]:.1f} mm/yr²"
        text += f" rms={fit.rms_mm[0]:.1f} mm"
        return dense, curve, text.strip()

    def redraw(self) -> None:
        ax = self.ax
        ax.clear()
        self.fits = {}
        shown = self.displayed()
        for k, s in enumerate(shown):
            colour = f"C{k % 10}"
            ax.plot(s.dates, s.values_mm, "o", ms=3, color=colour, label=s.label)
            if self.model and self.model != "none":
                dense, curve, text = self._fit(s)
                if dense is not None:
                    ax.plot(dense, curve, "-", lw=1.2, color=colour, label=f"{self.model}: {text}")
                    self.fits[s.label] = (dense, curve, text)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_ylabel("LOS displacement (mm, + toward satellite)")
        title = "InSAR displacement time series"
        if self.reference_series is not None:
            title += f" (relative to {self.reference_series.label})"
        ax.set_title(title, fontsize=10)
        if shown:
            ax.legend(fontsize=7, loc="best")
        else:
            ax.text(0.5, 0.5, "Pick points or pixels on the map", ha="center", va="center",
                    transform=ax.transAxes, color="0.5")
        ax.grid(True, lw=0.3)
        self.figure.autofmt_xdate()
        width, height = self.figure.get_size_inches()
        if width * self.figure.dpi > 100 and height * self.figure.dpi > 100:
            try:
                self.figure.tight_layout()
            except (ValueError, np.linalg.LinAlgError):
                pass  # a dock squeezed to nothing: keep the default margins
        self.canvas.draw_idle()

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

    def _model_changed(self, text: str) -> None:
        self.model = "" if text == "none" else text
        self.redraw()

    def _date_changed(self, index: int) -> None:
        self.reference_date = None if index <= 0 else parse_date(self.date_combo.itemText(index))
        self.redraw()

    def _last_as_reference(self) -> None:
        if self.series:
            self.set_reference_series(len(self.series) - 1)

    # ------------------------------------------------------------------ export
    def export_csv(self, path: str) -> str:
        """Write the shown series (and fitted model values at the acquisition dates) as CSV."""
        shown = self.displayed()
        dates = sorted({d for s in shown for d in s.dates})
        header = ["date"]
        columns = []
        for s in shown:
            lookup = dict(zip(s.dates, s.values_mm))
            header.append(f"{s.label} (mm)")
            columns.append([lookup.get(d, np.nan) for d in dates])
            if s.label in self.fits:
                fit = fit_model(s.values_mm, s.dates, self.model)
                vals = predict(self.model, fit.params, dates, TimeBase(s.dates))[:, 0]
                header.append(f"{s.label} {self.model} model (mm)")
                columns.append(list(vals))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for i, d in enumerate(dates):
                writer.writerow([d.isoformat()] + ["" if not np.isfinite(c[i]) else f"{c[i]:.3f}" for c in columns])
        return path

    def export_png(self, path: str, dpi: int = 150) -> str:
        self.figure.savefig(path, dpi=dpi)
        return path

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export time series", "", "CSV (*.csv)")
        if path:
            self.export_csv(path if path.lower().endswith(".csv") else path + ".csv")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "", "PNG (*.png)")
        if path:
            self.export_png(path if path.lower().endswith(".png") else path + ".png")


class PickTool(QgsMapToolEmitPoint):
    """Map tool: each click adds the nearest point / the pixel of the active layer."""

    def __init__(self, canvas, dock: TimeSeriesViewerDock, iface):
        super().__init__(canvas)
        self.dock = dock
        self.iface = iface
        self.canvasClicked.connect(self._clicked)

    def _clicked(self, point, button) -> None:
        layer = self.iface.activeLayer()
        if layer is None:
            self.dock.status.setText("Choose an active layer (points with dated fields or a time-series raster).")
            return
        canvas = self.canvas()
        transform = QgsCoordinateTransform(canvas.mapSettings().destinationCrs(), layer.crs(), QgsProject.instance())
        p = transform.transform(point)
        tol_canvas = canvas.mapUnitsPerPixel() * 8
        corner = transform.transform(QgsPointXY(point.x() + tol_canvas, point.y()))
        tol = max(abs(corner.x() - p.x()), abs(corner.y() - p.y()), 1e-9)
        self.dock.add_at_point(layer, p, tol)


class TimeSeriesViewerPart:
    """GUI part: the dock (listed in View > Panels) and a toolbar button that shows it and picks."""

    def __init__(self, iface):
        self.iface = iface
        self.dock = None
        self.action = None
        self.tool = None

    def init_gui(self) -> None:
        self.dock = TimeSeriesViewerDock(self.iface, self.iface.mainWindow())
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.action = QAction(QIcon(os.path.join(ICON_DIR, "insar_geohazards.svg")), "InSAR time series viewer",
                              self.iface.mainWindow())
        self.action.setCheckable(True)
        self.action.setToolTip("Show the InSAR time-series viewer and pick points or pixels on the map")
        # the action mirrors the dock's visibility (also when closed from its title bar)
        self.dock.setToggleVisibilityAction(self.action)
        self.action.toggled.connect(self._shown)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToMenu("InSAR Geohazards", self.action)
        self.tool = PickTool(self.iface.mapCanvas(), self.dock, self.iface)
        self.tool.deactivated.connect(lambda: self._set_pick_button(False))
        self.dock.pick_button.toggled.connect(self._pick_toggled)

    def _shown(self, on: bool) -> None:
        self._pick_toggled(on)

    def _set_pick_button(self, on: bool) -> None:
        if self.dock is None:
            return
        self.dock.pick_button.blockSignals(True)
        self.dock.pick_button.setChecked(on)
        self.dock.pick_button.blockSignals(False)

    def _pick_toggled(self, on: bool) -> None:
        canvas = self.iface.mapCanvas()
        if on:
            canvas.setMapTool(self.tool)
        elif canvas.mapTool() is self.tool:
            canvas.unsetMapTool(self.tool)
        self._set_pick_button(on)

    def unload(self) -> None:
        if self.tool is not None and self.iface.mapCanvas().mapTool() is self.tool:
            self.iface.mapCanvas().unsetMapTool(self.tool)
        if self.action is not None:
            self.iface.removeToolBarIcon(self.action)
            self.iface.removePluginMenu("InSAR Geohazards", self.action)
        if self.dock is not None:
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
        self.dock = self.action = self.tool = None
