"""The tool dialog's widget of a list of paths (interferograms, coherence, baseline tables, folders).

QGIS's own widget of a multiple-layer input keeps, of a value it is given, only the items it can load as layers,
and loads each one to know: a history re-run (*Processing > History*, ``processing.execAlgorithmDialog``) of a model
given 30 ``.par.gz`` baseline tables then opens with no baselines (a table is no layer), and each item tried prints
"[OGR] Cannot open" and "Invalid data provider pointcloud" in the Log Messages panel. This widget keeps every item as
the path it is, never opens one, and offers QGIS's own selection dialog (project layers, files, folders) behind its
"..." button. The modeler and the batch dialog keep QGIS's widgets (:meth:`PathListWrapper.__new__`).

``processing_provider.inputs.declare.PathList`` names this class in its ``widget_wrapper`` metadata (a dotted path:
the Processing dialog imports it, the provider never does).
"""

from __future__ import annotations

import os

from processing.gui.wrappers import DIALOG_STANDARD, WidgetWrapper, WidgetWrapperFactory, dialogTypes
from qgis.core import QgsMapLayer, QgsProject
from qgis.gui import QgsGui, QgsProcessingMultipleInputDialog
from qgis.PyQt.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget


def _items(value) -> list:
    """``value`` (a path, a list of paths or layers, None) as a list of strings (a layer: its ID)."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [i.id() if isinstance(i, QgsMapLayer) else str(i) for i in items if i is not None and i != ""]


def _label(item: str) -> str:
    """An item as the list shows it: a project layer by its name, a path by its file name."""
    layer = QgsProject.instance().mapLayer(item)
    return layer.name() if layer is not None else os.path.basename(item.split("|")[0].rstrip("/\\")) or item


#: the size the selection dialog opens at (px): a stack's file names and its buttons whole, some twenty rows at once
CHOOSER_SIZE = (760, 520)


def chooser_size(dialog) -> tuple:
    """``(width, height)`` of the selection dialog: at least :data:`CHOOSER_SIZE` (Qt's own size for it, 436 x 251,
    shows eight rows and cuts the names), within the screen it opens on."""
    width, height = max(dialog.width(), CHOOSER_SIZE[0]), max(dialog.height(), CHOOSER_SIZE[1])
    screen = dialog.screen() if hasattr(dialog, "screen") else None
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, room.width()), min(height, room.height())
    return width, height


class PathListPanel(QWidget):
    """A read-only summary ("30 inputs selected") and a "..." button opening QGIS's multiple-input dialog."""

    def __init__(self, parameter, parent=None):
        super().__init__(parent)
        self.parameter = parameter
        self.items: list = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLineEdit()
        self.summary.setReadOnly(True)
        self.button = QToolButton()
        self.button.setText("…")
        self.button.setToolTip(self.tr("Select the inputs (project layers, files or folders)"))
        self.button.clicked.connect(self.choose)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.button)
        self.set_items([])

    def set_items(self, items: list) -> None:
        self.items = list(items)
        self.summary.setText(self.tr("{} inputs selected").format(len(self.items)))
        self.summary.setToolTip("\n".join(self.items[:40] + (["..."] if len(self.items) > 40 else [])))

    def choose(self) -> None:
        dialog = QgsProcessingMultipleInputDialog(self.parameter, list(self.items), [], None, self)
        if hasattr(dialog, "setProject"):
            dialog.setProject(QgsProject.instance())
        if hasattr(dialog, "setValueFormatter"):
            dialog.setValueFormatter(lambda v: _label(str(v)))
        dialog.resize(*chooser_size(dialog))
        if dialog.exec():
            self.set_items(_items(dialog.selectedOptions()))


class PathListWrapper(WidgetWrapper):
    """The toolbox dialog's wrapper of a path list: keeps every item it is given (paths, folders, layer IDs)."""

    def __new__(cls, param, dialog, row=0, col=0, **kwargs):
        # what QGIS's Processing gives a parameter without this metadata (WidgetWrapperFactory.create_wrapper), in
        # the dialogs where its widgets keep what they are given: the modeler's step dialog and the batch table
        kind = dialog.__class__.__name__
        registry = QgsGui.processingGuiRegistry()
        if kind == "ModelerParametersDialog":
            return registry.createModelerParameterWidget(dialog.model, dialog.childId, param, dialog.context)
        if dialogTypes.get(kind, DIALOG_STANDARD) != DIALOG_STANDARD:
            wrapper = registry.createParameterWidgetWrapper(param, dialogTypes[kind])
            if wrapper is None:
                return WidgetWrapperFactory.create_wrapper_from_class(param, dialog, row, col)
            wrapper.setDialog(dialog)
            return wrapper
        return super().__new__(cls)

    def createWidget(self, **kwargs):  # noqa: N802 - QGIS API name
        return PathListPanel(self.parameterDefinition())

    def setValue(self, value):  # noqa: N802 - QGIS API name
        self.widget.set_items(_items(value))

    def value(self):
        return list(self.widget.items) or None
