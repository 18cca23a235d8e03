"""Figure of docs/mintpy.md: a real MintPy result loaded by geohazard:loadmintpy, drawn by QGIS.

    make link && /usr/bin/python3 docs/make_mintpy_figure.py [WORK_FOLDER] [--mintpy-python PY]

1. MintPy's inputs from the bundled Mexico City stack (tests/data/sentinel1_mexico_city: 30 GAMMA interferograms
   and their coherence, the DEM, the GAMMA baseline tables): ``WORK/mintpy/inputs/ifgramStack.h5`` and
   ``geometryGeo.h5`` written as MintPy's ``load_data`` lays them out (wavelength and incidence from the GeoTIFFs'
   metadata, slant range 878 314.5 m of the upstream GAMMA MLI header, as benchmarks/corrections/mexico_compare.py;
   connected components = the unwrapped pixels).
2. MintPy 1.6's smallbaselineApp steps ``modify_network``, ``reference_point`` (the demo's reference, 19.44 N
   99.178 W), ``invert_network``, ``correct_topography``, ``velocity`` with MintPy's defaults (troposphere off: no
   weather-model download), in the Python given by ``--mintpy-python`` (default: the benchmarks' venv,
   .build/venv-bench/bin/python, ``pip install mintpy``).
3. The page's example, as typed, in ``WORK``::

       qgis_process run geohazard:loadmintpy -- INPUT=mintpy/timeseries_demErr.h5 MASK=mintpy/maskTempCoh.h5 \\
           OUTPUT=ts_mm.tif OUTPUT_POINTS=ts_points.gpkg

4. Writes docs/img/mintpy_mexico_city.png: the GeoTIFF (last date, mm) and the points (VEL, mm/yr) with the styles
   the tool gave them, and the series of two points read from their DYYYYMMDD fields; prints the numbers the page
   quotes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, ROOT]

import figure_qgis as fq  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img", "mintpy_mexico_city.png")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
SLANT_RANGE_M = 878314.5356
TEMPLATE = """mintpy.compute.cluster = no
mintpy.plot = no
mintpy.load.processor = gamma
mintpy.reference.lalo = 19.44, -99.178
mintpy.troposphericDelay.method = no
"""
MINTPY_STEPS = ["modify_network", "reference_point", "invert_network", "correct_topography", "velocity"]
RUN_MINTPY = """
import os, sys
from mintpy.smallbaselineApp import TimeSeriesAnalysis
work = sys.argv[1]
os.chdir(work)
app = TimeSeriesAnalysis(os.path.join(work, "mexico.cfg"), work)
app.open()
for step in sys.argv[2:]:
    app.run(steps=[step])
"""


def write_mintpy_inputs(work: str) -> None:
    """``inputs/ifgramStack.h5``, ``inputs/geometryGeo.h5`` and the template of the Mexico City stack."""
    import h5py
    from osgeo import gdal

    from algorithms.corrections.dem_error import read_date_baselines
    from algorithms.formats.dates import parse_date_pair

    os.makedirs(os.path.join(work, "inputs"), exist_ok=True)
    paths = sorted(glob.glob(os.path.join(MEXICO, "geotiffs", "*_eqa_unw.tif")))
    pairs = [parse_date_pair(p) for p in paths]
    dates = sorted({d for pair in pairs for d in pair})
    bp = dict(zip(dates, read_date_baselines(sorted(glob.glob(os.path.join(MEXICO, "baselines", "*"))), dates)))
    unw = np.stack([gdal.Open(p).ReadAsArray().astype(np.float32) for p in paths])
    coh = np.stack([gdal.Open(p.replace("_eqa_unw.tif", "_flat_eqa_cc.tif")).ReadAsArray().astype(np.float32)
                    for p in paths])
    md = gdal.Open(paths[0]).GetMetadata()
    dem_ds = gdal.Open(os.path.join(MEXICO, "geotiffs", "cropA_T005A_dem.tif"))
    dem, gt = dem_ds.ReadAsArray().astype(np.float32), dem_ds.GetGeoTransform()
    m, rows, cols = unw.shape
    attrs = {"LENGTH": rows, "WIDTH": cols, "WAVELENGTH": float(md["WAVELENGTH_METRES"]), "PLATFORM": "Sen",
             "PROCESSOR": "gamma", "ALOOKS": 1, "RLOOKS": 1, "X_FIRST": gt[0], "Y_FIRST": gt[3], "X_STEP": gt[1],
             "Y_STEP": gt[5], "X_UNIT": "degrees", "Y_UNIT": "degrees", "EPSG": 4326, "ORBIT_DIRECTION": "ASCENDING",
             "ANTENNA_SIDE": -1, "CENTER_LINE_UTC": 2421.0, "STARTING_RANGE": SLANT_RANGE_M,
             "RANGE_PIXEL_SIZE": 2.3, "AZIMUTH_PIXEL_SIZE": 14.0, "EARTH_RADIUS": 6371000.0, "HEIGHT": 693000.0,
             "PROJECT_NAME": "mexico"}
    with h5py.File(os.path.join(work, "inputs", "ifgramStack.h5"), "w") as f:
        f.create_dataset("unwrapPhase", data=unw)
        f.create_dataset("coherence", data=coh)
        f.create_dataset("connectComponent", data=(unw != 0).astype(np.int16))
        f.create_dataset("date", data=np.array([[f"{a:%Y%m%d}".encode(), f"{b:%Y%m%d}".encode()] for a, b in pairs]))
        f.create_dataset("bperp", data=np.array([bp[b] - bp[a] for a, b in pairs], np.float32))
        f.create_dataset("dropIfgram", data=np.ones(m, bool))
        for k, v in {**attrs, "FILE_TYPE": "ifgramStack", "UNIT": "radian"}.items():
            f.attrs[k] = str(v)
    with h5py.File(os.path.join(work, "inputs", "geometryGeo.h5"), "w") as f:
        f.create_dataset("height", data=dem)
        f.create_dataset("incidenceAngle", data=np.full(dem.shape, float(md["INCIDENCE_DEGREES"]), np.float32))
        f.create_dataset("slantRangeDistance", data=np.full(dem.shape, SLANT_RANGE_M, np.float32))
        for k, v in {**attrs, "FILE_TYPE": "geometry"}.items():
            f.attrs[k] = str(v)
    with open(os.path.join(work, "mexico.cfg"), "w") as f:
        f.write(TEMPLATE)


def read_points(path: str):
    """``(x, y, VEL, dates, series (n, dates))`` of the points layer."""
    from osgeo import ogr

    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    names = [f.GetName() for f in layer.schema]
    dcols = [n for n in names if n.startswith("D") and n[1:].isdigit()]
    xs, ys, vel, ser = [], [], [], []
    for feat in layer:
        g = feat.GetGeometryRef()
        xs.append(g.GetX())
        ys.append(g.GetY())
        vel.append(feat.GetField("VEL"))
        ser.append([feat.GetField(c) for c in dcols])
    dates = [dt.date(int(c[1:5]), int(c[5:7]), int(c[7:9])) for c in dcols]
    return np.array(xs), np.array(ys), np.array(vel), dates, np.array(ser, float)


def chart(p, x: int, y: int, w: int, h: int, dates, series: list) -> None:
    """Displacement (mm) against date of ``series`` = [(values, colour, label)], axes and ticks."""
    from qgis.PyQt.QtCore import QPointF, QRectF, Qt
    from qgis.PyQt.QtGui import QColor, QPen

    t0 = dt.date(2018, 1, 1)
    t = np.array([(d - t0).days for d in dates], float)
    lo = min(float(np.min(s)) for s, _, _ in series)
    hi = max(float(np.max(s)) for s, _, _ in series)
    lo, hi = 50 * np.floor(lo / 50), 50 * np.ceil(hi / 50)
    t_end = (dt.date(2018, 8, 1) - t0).days

    def px(tt, v):
        return QPointF(x + tt / t_end * w, y + (hi - v) / (hi - lo) * h)

    p.setPen(QPen(QColor("#444444"), 1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(x, y, w, h))
    for v in np.arange(lo, hi + 1, 50):
        q = px(0, v)
        p.setPen(QPen(QColor("#dddddd"), 1))
        p.drawLine(QPointF(x, q.y()), QPointF(x + w, q.y()))
        p.setPen(QColor("black"))
        fq.text(p, x - 5, q.y() + 4, f"{v:.0f}", 12, align="right")
    for month in range(1, 8):
        q = px((dt.date(2018, month, 1) - t0).days, lo)
        p.setPen(QColor("black"))
        p.drawLine(q, QPointF(q.x(), q.y() + 4))
        fq.text(p, q.x(), q.y() + 18, dt.date(2018, month, 1).strftime("%b"), 12, align="centre")
    fq.text(p, x + w, y + h + 34, "2018", 12, align="right")
    for i, (values, colour, label) in enumerate(series):
        g = np.stack([np.ones_like(t), t / 365.25], axis=1)
        c = np.linalg.lstsq(g, values, rcond=None)[0]
        p.setPen(QPen(QColor(colour), 1.5, Qt.PenStyle.DashLine))
        p.drawLine(px(t[0], c[0]), px(t[-1], c[0] + c[1] * t[-1] / 365.25))
        p.setPen(QPen(QColor(colour), 1.5))
        p.setBrush(QColor(colour))
        for tt, v in zip(t, values):
            p.drawEllipse(px(tt, v), 3, 3)
        p.setPen(QColor(colour))
        fq.text(p, x + 10, y + h - 12 - 18 * (len(series) - 1 - i), label, 12)
    p.setBrush(Qt.BrushStyle.NoBrush)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("work", nargs="?", default=None)
    ap.add_argument("--mintpy-python", default=os.path.join(ROOT, ".build", "venv-bench", "bin", "python"))
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="geohazard_mintpy_figure_")
    mintpy = os.path.join(work, "mintpy")
    os.makedirs(mintpy, exist_ok=True)
    write_mintpy_inputs(mintpy)
    subprocess.run([args.mintpy_python, "-c", RUN_MINTPY, mintpy, *MINTPY_STEPS], check=True,
                   stdout=subprocess.DEVNULL)
    log = fq.qgis_process("geohazard:loadmintpy", ["INPUT=mintpy/timeseries_demErr.h5",
                                                   "MASK=mintpy/maskTempCoh.h5", "OUTPUT=ts_mm.tif",
                                                   "OUTPUT_POINTS=ts_points.gpkg"], cwd=work)
    print("\n".join(line for line in log.splitlines() if line.startswith(("timeseries", "MASK", "..."))))
    app = fq.start()
    draw(work)
    app.exitQgis()


def draw(work: str) -> None:
    """docs/img/mintpy_mexico_city.png of the layers loadmintpy wrote in ``work``."""
    from osgeo import gdal
    from qgis.core import QgsRectangle
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtGui import QColor

    ts = fq.raster(os.path.join(work, "ts_mm.tif"))
    pts = fq.vector(os.path.join(work, "ts_points.gpkg"))
    ds = gdal.Open(os.path.join(work, "ts_mm.tif"))
    md = ds.GetMetadata()
    ref = float(md["REFERENCE_X"]), float(md["REFERENCE_Y"])
    band = ts.renderer().band()
    last = ds.GetRasterBand(band).GetDescription()
    ds = None
    x, y, vel, dates, ser = read_points(os.path.join(work, "ts_points.gpkg"))
    bowl = int(np.argmin(np.abs(vel - np.percentile(vel, 0.5))))
    strip = int(np.argmin(np.hypot(x + 99.185, y - 19.40)))

    e = ts.extent()
    mw = 360
    mh = int(round(mw * e.height() / e.width()))
    extent = QgsRectangle(e)
    img_a, ms_a = fq.render([ts], extent, (mw, mh))
    img_b, ms_b = fq.render([pts], extent, (mw, mh))

    W, H = 1150, 410
    out, p = fq.page(W, H, "MintPy's timeseries_demErr.h5 and maskTempCoh.h5 loaded by geohazard:loadmintpy",
                     "Mexico City, Sentinel-1, 30 interferograms, 13 dates of 2018, MintPy 1.6 smallbaselineApp. "
                     "Triangle: MintPy's reference pixel; circles: the two points charted")
    ox, oy = 20, 100
    fq.map_panel(p, img_a, ox, oy, f"ts_mm.tif: {last} (band {band}), mm")
    fq.colour_bar(p, ts, ox + 20, oy + mh + 12, mw - 80, "mm", [-150, -75, 0, 75, 150])
    ox2 = ox + mw + 30
    fq.map_panel(p, img_b, ox2, oy, "ts_points.gpkg: VEL, mm/yr")
    fq.symbol_legend(p, pts, ox2, oy + mh + 12, columns=2, col_width=180)
    for ms, o in ((ms_a, ox), (ms_b, ox2)):
        fq.marker(p, ms, *ref, o, oy)
        fq.marker(p, ms, x[bowl], y[bowl], o, oy, shape="circle")
        fq.marker(p, ms, x[strip], y[strip], o, oy, shape="circle")
    cx = ox2 + mw + 80
    fq.text(p, cx - 50, oy - 8, "two points' DYYYYMMDD fields, mm", 14, bold=True)
    chart(p, cx, oy, W - cx - 20, mh + 40, dates,
          [(ser[bowl], "#b2182b", f"bowl: VEL {vel[bowl]:.0f} mm/yr"),
           (ser[strip], "#2166ac", f"western strip: VEL {vel[strip]:+.0f} mm/yr")])
    p.setPen(QColor("black"))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.end()
    out.save(IMG)
    print(f"points {len(vel)}; VEL 0.5 % quantile {np.percentile(vel, 0.5):.1f} mm/yr, median {np.median(vel):.1f}; "
          f"bowl point {x[bowl]:.4f},{y[bowl]:.4f} VEL {vel[bowl]:.1f}; strip point {x[strip]:.4f},{y[strip]:.4f} "
          f"VEL {vel[strip]:.1f}; last date {last}; reference {ref}")
    print("wrote", IMG, flush=True)


if __name__ == "__main__":
    main()
