"""Figure of docs/models.md (zone histories) from the bundled real data (run with QGIS's Python under xvfb-run).

    xvfb-run -a /usr/bin/python3 docs/make_zonalseries_figure.py

Three zones drawn over the RADARSAT PS points of Boissano (Monte Mario / Italy zone 1), summarised by
geohazard:zonalseries; the left panel shows the points and the zones, the right one the tool's own chart.
"""

from __future__ import annotations

import glob
import os
import tempfile

import figure_common

ROOT = figure_common.ROOT
IMG = os.path.join(ROOT, "docs", "img")
#: the zones (x0, y0, x1, y1 in EPSG:3003) and their names
ZONES = {"upper slope": (1437600.0, 4887300.0, 1438200.0, 4887800.0),
         "village": (1438250.0, 4886900.0, 1438900.0, 4887400.0),
         "east ridge": (1438950.0, 4887300.0, 1439550.0, 4887950.0)}


def main():
    import numpy as np
    app, plugin, processing = figure_common.start_processing(gui=True)
    from osgeo import ogr, osr
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer

    shp = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]
    os.makedirs(IMG, exist_ok=True)
    tmp = tempfile.mkdtemp()
    zones = os.path.join(tmp, "zones.gpkg")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3003)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(zones)
    layer = ds.CreateLayer("zones", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for name, (a, b, c, d) in ZONES.items():
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({a} {b},{c} {b},{c} {d},{a} {d},{a} {b}))"))
        f["name"] = name
        layer.CreateFeature(f)
    ds = None
    chart = os.path.join(tmp, "zones.png")
    processing.run("geohazard:zonalseries",
                   {"INPUT": shp, "ZONES": zones, "ZONE_FIELD": "name", "STATISTICS": [0, 1, 2, 3, 6, 7],
                    "OUTPUT": os.path.join(tmp, "zones.csv"), "OUTPUT_CHART": chart},
                   context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    pts = QgsVectorLayer(shp, "ps", "ogr")
    xy = np.array([(f.geometry().asPoint().x(), f.geometry().asPoint().y(), f["VEL"]) for f in pts.getFeatures()])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    img = mpimg.imread(chart)
    fig = Figure(figsize=(15, 5.6), dpi=100)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.5]})
    sc = ax1.scatter(xy[:, 0], xy[:, 1], c=xy[:, 2], cmap="RdBu", vmin=-8, vmax=8, s=5)
    fig.colorbar(sc, ax=ax1, label="VEL (mm/yr, LOS)", shrink=0.6)
    for name, (a, b, c, d) in ZONES.items():
        ax1.add_patch(Rectangle((a, b), c - a, d - b, fill=False, lw=1.5, ec="k"))
        ax1.text(a, d + 30, name, fontsize=8)
    ax1.set_title("RADARSAT PS Boissano and three zones")
    ax1.set_aspect("equal")
    ax1.tick_params(labelsize=7)
    ax1.ticklabel_format(useOffset=False, style="plain")
    ax2.imshow(img)
    ax2.set_axis_off()
    ax2.set_title("geohazard:zonalseries chart (OUTPUT_CHART)")
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "models_zonalseries.png"))
    del plugin, app


if __name__ == "__main__":
    main()
