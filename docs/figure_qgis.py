"""What the figure scripts of docs/ that render with QGIS itself share (make_mintpy_figure.py,
make_products_figure.py): a tool run through ``qgis_process`` as a user types it, the layers it wrote drawn with the
styles it gave them (QgsMapRendererParallelJob, offscreen), and legends, titles and small charts drawn with QPainter.
Not a tool of the plugin: the plugin never imports this file.
"""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
FONT = "DejaVu Sans"


def qgis_process(alg: str, params: list, cwd: str) -> str:
    """Run ``qgis_process.bin run alg -- params`` in ``cwd`` (the plugin of this checkout, `make link`); returns
    its log, raises on failure."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": PLUGINS}
    proc = subprocess.run(["qgis_process.bin", "run", alg, "--", *params], cwd=cwd, env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{alg} failed")
    return proc.stdout


def start():
    """A headless QgsApplication (kept alive by the caller)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    return app


def raster(path: str, name: str = ""):
    """The raster with the style the tool wrote beside it (``<name>.qml``, loaded as QGIS does on opening)."""
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(path, name or os.path.basename(path))
    assert layer.isValid(), path
    return layer


def vector(path: str, name: str = ""):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, name or os.path.basename(path), "ogr")
    assert layer.isValid(), path
    layer.loadDefaultStyle()
    return layer


def render(layers: list, extent, size: tuple):
    """``(image, map settings)`` of ``layers`` (top first) over ``extent`` in the first layer's CRS."""
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    ms = QgsMapSettings()
    ms.setLayers(layers)
    ms.setDestinationCrs(layers[-1].crs())
    ms.setOutputSize(QSize(*size))
    ms.setBackgroundColor(QColor("white"))
    ms.setExtent(extent)
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    return job.renderedImage(), ms


def font(px: int, bold: bool = False):
    from qgis.PyQt.QtGui import QFont

    f = QFont(FONT)
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def text(p, x: float, y: float, s: str, px: int = 13, bold: bool = False, align: str = "left") -> None:
    """``s`` with its baseline at ``y``, starting at (``left``), centred on (``centre``) or ending at ``x``."""
    from qgis.PyQt.QtCore import QPointF
    from qgis.PyQt.QtGui import QFontMetricsF

    f = font(px, bold)
    p.setFont(f)
    w = QFontMetricsF(f).horizontalAdvance(s)
    x0 = x - w / 2 if align == "centre" else x - w if align == "right" else x
    p.drawText(QPointF(x0, y), s)


def page(width: int, height: int, title: str, subtitle: str):
    """A white figure of ``width`` x ``height`` pixels with its title (bold) and subtitle at the top left; returns
    the image and its painter (the caller ends the painter and saves the image)."""
    from qgis.PyQt.QtGui import QColor, QImage, QPainter

    out = QImage(width, height, QImage.Format.Format_ARGB32)
    out.fill(QColor("white"))
    p = QPainter(out)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    text(p, 20, 28, title, 17, bold=True)
    text(p, 20, 50, subtitle, 13)
    return out, p


def map_panel(p, image, x: int, y: int, title: str) -> None:
    """A rendered map at (``x``, ``y``) with a frame and its title above it."""
    from qgis.PyQt.QtCore import QRectF
    from qgis.PyQt.QtGui import QColor, QPen

    p.drawImage(x, y, image)
    p.setPen(QPen(QColor("#444444"), 1))
    p.drawRect(QRectF(x, y, image.width(), image.height()))
    p.setPen(QColor("black"))
    text(p, x, y - 8, title, 14, bold=True)


def colour_bar(p, layer, x: int, y: int, width: int, unit: str, ticks: list, signed: bool = True) -> None:
    """The pseudocolour ramp of ``layer`` (as its renderer shades it) as a horizontal bar with ``ticks``."""
    from qgis.PyQt.QtCore import QPointF, QRectF
    from qgis.PyQt.QtGui import QBrush, QColor, QLinearGradient, QPen

    shader = layer.renderer().shader().rasterShaderFunction()
    items = shader.colorRampItemList()
    lo, hi = shader.minimumValue(), shader.maximumValue()
    grad = QLinearGradient(QPointF(x, 0), QPointF(x + width, 0))
    for it in items:
        grad.setColorAt(min(1.0, max(0.0, (it.value - lo) / (hi - lo))), it.color)
    p.fillRect(QRectF(x, y, width, 14), QBrush(grad))
    p.setPen(QPen(QColor("#444444"), 1))
    p.drawRect(QRectF(x, y, width, 14))
    p.setPen(QColor("black"))
    for v in ticks:
        tx = x + (v - lo) / (hi - lo) * width
        p.drawLine(QPointF(tx, y + 14), QPointF(tx, y + 18))
        text(p, tx, y + 31, f"{v:+.0f}" if v and signed else f"{v:.0f}", 12, align="centre")
    text(p, x + width + 8, y + 12, unit, 12)


def symbol_legend(p, layer, x: int, y: int, columns: int = 2, col_width: int = 180, row: int = 18) -> int:
    """The legend of ``layer``'s renderer (its symbols and labels); returns the y below it."""
    from qgis.PyQt.QtCore import QSize

    items = layer.renderer().legendSymbolItems()
    for i, item in enumerate(items):
        cx, cy = x + (i % columns) * col_width, y + (i // columns) * row
        p.drawImage(cx, cy, item.symbol().asImage(QSize(12, 12)))
        text(p, cx + 18, cy + 11, item.label(), 12)
    return y + ((len(items) + columns - 1) // columns) * row


def raster_legend_item(p, x: int, y: int, label: str, colour, present: bool = True) -> None:
    """One class of a paletted raster's legend: its colour and ``label`` (grey when the map holds none of it)."""
    from qgis.PyQt.QtCore import QRectF
    from qgis.PyQt.QtGui import QColor, QPen

    p.fillRect(QRectF(x, y, 12, 12), colour)
    p.setPen(QPen(QColor("#444444"), 1))
    p.drawRect(QRectF(x, y, 12, 12))
    p.setPen(QColor("black" if present else "#888888"))
    text(p, x + 18, y + 11, label, 12)
    p.setPen(QColor("black"))


def marker(p, ms, x: float, y: float, ox: int, oy: int, shape: str = "triangle", size: float = 7) -> None:
    """A black-edged marker at map coordinates (``x``, ``y``) of a panel drawn at (``ox``, ``oy``)."""
    from qgis.core import QgsPointXY
    from qgis.PyQt.QtCore import QPointF
    from qgis.PyQt.QtGui import QColor, QPen, QPolygonF

    pt = ms.mapToPixel().transform(QgsPointXY(x, y))
    cx, cy = ox + pt.x(), oy + pt.y()
    p.setPen(QPen(QColor("black"), 1.6))
    p.setBrush(QColor("white"))
    if shape == "triangle":
        p.drawPolygon(QPolygonF([QPointF(cx, cy - size), QPointF(cx - size, cy + size * 0.7),
                                 QPointF(cx + size, cy + size * 0.7)]))
    else:
        p.drawEllipse(QPointF(cx, cy), size * 0.8, size * 0.8)
