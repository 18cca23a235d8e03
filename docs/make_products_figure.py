"""Figure of docs/products.md: GAMMA files as GAMMA writes them, read as delivered, drawn by QGIS.

    make link && /usr/bin/python3 docs/make_products_figure.py [WORK_FOLDER]

PyRate's Envisat sample (tests/data/envisat_small_test/gamma_obs: the headerless big-endian ``20060619_utm.dem``
beside its ``20060619_utm_dem.par`` and the scene's ``20060619_slc.par``), linked into ``WORK/gamma_obs``, and the
page's example run there as typed::

    qgis_process run geohazard:geometricdistortion -- DEM=gamma_obs/20060619_utm.dem \\
        OUTPUT_CLASSES=classes.tif OUTPUT_RINDEX=rindex.tif OUTPUT_VISIBILITY=visibility.tif OUTPUT_TABLE=shares.csv

Writes docs/img/products_gamma_envisat.png: the DEM as the tools read it (the raw VRT the plugin makes of it,
on a height ramp), and the R-index, the distortion classes and the visibility classes with the styles the tool gave them
and the shares of its table; prints the log lines the page quotes.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, ".build", "plugins")]

import figure_qgis as fq  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img", "products_gamma_envisat.png")
GAMMA = os.path.join(ROOT, "tests", "data", "envisat_small_test", "gamma_obs")
OUTPUTS = ["OUTPUT_CLASSES=classes.tif", "OUTPUT_RINDEX=rindex.tif", "OUTPUT_VISIBILITY=visibility.tif",
           "OUTPUT_TABLE=shares.csv"]


def dem_layer(work: str):
    """The GAMMA DEM through the plugin's own raw VRT (what every raster parameter reads), on a height ramp."""
    from qgis.core import (
        QgsColorRampShader,
        QgsGradientColorRamp,
        QgsGradientStop,
        QgsRasterShader,
        QgsSingleBandPseudoColorRenderer,
    )
    from qgis.PyQt.QtGui import QColor

    from insar_geohazards.fileio.formats import gamma

    vrt, _ = gamma.as_vrt(os.path.join(work, "gamma_obs", "20060619_utm.dem"), work)
    height = fq.raster(vrt, "height")
    stats = height.dataProvider().bandStatistics(1)
    ramp = QgsGradientColorRamp(QColor("#1a6b3a"), QColor("#f5f0e1"))
    ramp.setStops([QgsGradientStop(0.5, QColor("#a6863c"))])
    fn = QgsColorRampShader(stats.minimumValue, stats.maximumValue, ramp)
    fn.classifyColorRamp(5)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(fn)
    ren = QgsSingleBandPseudoColorRenderer(height.dataProvider(), 1, shader)
    ren.setClassificationMin(stats.minimumValue)
    ren.setClassificationMax(stats.maximumValue)
    height.setRenderer(ren)
    return height, stats


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="geohazard_products_figure_")
    os.makedirs(work, exist_ok=True)
    link = os.path.join(work, "gamma_obs")
    if not os.path.exists(link):
        os.symlink(GAMMA, link)
    log = fq.qgis_process("geohazard:geometricdistortion", ["DEM=gamma_obs/20060619_utm.dem", *OUTPUTS], cwd=work)
    print("\n".join(line for line in log.splitlines() if line.startswith(("DEM:", "first geometry"))))
    app = fq.start()
    draw(work)
    app.exitQgis()


def draw(work: str) -> None:
    with open(os.path.join(work, "shares.csv"), newline="") as fh:
        shares = {(r["classification"], r["name"]): float(r["share_pct"]) for r in csv.DictReader(fh)}
    height, stats = dem_layer(work)
    rindex = fq.raster(os.path.join(work, "rindex.tif"))
    classes = fq.raster(os.path.join(work, "classes.tif"))
    visibility = fq.raster(os.path.join(work, "visibility.tif"))
    e = classes.extent()
    mw = 230
    mh = int(round(mw * e.height() / e.width()))
    panels = [([height], "DEM as read (m)"), ([rindex], "R-index"), ([classes], "distortion classes"),
              ([visibility], "visibility / sensitivity")]
    images = [fq.render(layers, e, (mw, mh))[0] for layers, _ in panels]

    W, H, gap = 1110, mh + 260, 50
    out, p = fq.page(W, H, "A GAMMA DEM as GAMMA writes it, read as delivered by geohazard:geometricdistortion",
                     "Envisat, PyRate's sample: 20060619_utm.dem (headerless) on the grid of 20060619_utm_dem.par; "
                     "heading 193.2 and incidence 23.0 deg from 20060619_slc.par")
    oy = 100
    for i, (image, (_, title)) in enumerate(zip(images, panels)):
        ox = 20 + i * (mw + gap)
        fq.map_panel(p, image, ox, oy, title)
        ly = oy + mh + 14
        if i == 0:
            lo, hi = stats.minimumValue, stats.maximumValue
            fq.colour_bar(p, height, ox, ly, mw - 40, "m", [100 * round(lo / 100 + 0.5), 100 * round(hi / 100 - 0.5)],
                          signed=False)
        elif i == 1:
            fq.colour_bar(p, rindex, ox, ly, mw - 40, "", [-1, 0, 1])
        else:
            kind = "distortion" if i == 2 else "visibility"
            layer = classes if i == 2 else visibility
            items = layer.renderer().legendSymbologyItems()
            for k, (label, colour) in enumerate(items):
                share = shares.get((kind, label), 0.0)
                fq.raster_legend_item(p, ox, ly + 18 * k, f"{label} {share:.1f} %", colour, share > 0)
    p.end()
    out.save(IMG)
    print("wrote", IMG, flush=True)


if __name__ == "__main__":
    main()
