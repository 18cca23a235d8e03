"""The time-series dock in the real QGIS desktop under Xvfb: a user's session with mouse and keyboard.

QGIS starts with a throw-away profile that enables the plugin and runs desktop_dock_session.py,
which picks a pixel with the toolbar button's map tool and finds its marker, picks several PS,
draws a polygon, chooses a model with the keyboard, exports CSV and PNG through the buttons,
deletes a curve with Delete and removes the layers, presses a tool's Help button and draws the family icons
in the default and a dark theme. This test checks what the session reports and what it wrote against the
closed-form values of the synthetic raster and the PS product, that the help opened is the local page at the
tool's section, and that every family icon renders and stands out from the window in both themes.
"""

import csv
import datetime as dt
import json
import os
import shutil

import numpy as np
import pytest
from testutils_desktop import qgis_desktop, run_desktop_session
from testutils_dock import write_series_raster
from testutils_models import RADARSAT_SHP

# A desktop session under Xvfb driven by timers: alone on the machine, after the parallel part of `make test`.
pytestmark = pytest.mark.serial

SESSION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "desktop_dock_session.py")
#: A raster over the Boissano PS (Monte Mario / Italy zone 1, EPSG:3003): 25 m pixels.
GT = (1437150.0, 25.0, 0.0, 4888050.0, 0.0, -25.0)
SHAPE = (56, 100)
DATES = [dt.date(2018, 1, 5) + dt.timedelta(days=24 * k) for k in range(40)]
ACC = -1.0  # mm/yr^2 everywhere


def truth(rows, cols):
    """d = v t + a t^2 / 2 with v = -2 - 0.05 col (mm/yr); ``(n_dates, n)`` for index arrays."""
    t = np.array([(d - DATES[0]).days for d in DATES], dtype=np.float64)[:, None] / 365.25
    v = -2.0 - 0.05 * np.asarray(cols, dtype=np.float64)[None, :] + 0.0 * np.asarray(rows)[None, :]
    return v * t + 0.5 * ACC * t ** 2


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
@pytest.mark.skipif(qgis_desktop() is None, reason="the QGIS desktop (qgis) is not installed")
def test_dock_session_in_qgis_desktop(qgis_app, tmp_path):
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    cube = truth(rows.ravel(), cols.ravel()).reshape(len(DATES), *SHAPE)
    raster = write_series_raster(tmp_path / "series.tif", cube, dates=DATES, geotransform=GT, epsg=3003)
    centre = lambda r, c: (GT[0] + (c + 0.5) * GT[1], GT[3] + (r + 0.5) * GT[5])  # noqa: E731
    polygon = [(1438500.0, 4887600.0), (1438800.0, 4887600.0), (1438800.0, 4887300.0), (1438500.0, 4887300.0)]
    spec = {"raster": raster, "points": RADARSAT_SHP, "pixel_click": [centre(10, 20)[0] + 6, centre(10, 20)[1] - 4],
            "ps_clicks": [[1437785.6, 4887764.4], [1437800.0 + 0, 4887640.0], [1438900.0, 4887450.0]],
            "polygon": polygon}
    # the PS nearest to the clicks, as QGIS's own nearest-neighbour index finds them
    from qgis.core import QgsPointXY, QgsSpatialIndex, QgsVectorLayer

    ps = QgsVectorLayer(RADARSAT_SHP, "ps", "ogr")
    index = QgsSpatialIndex(ps.getFeatures())
    near = [ps.getFeature(index.nearestNeighbor(QgsPointXY(x, y), 1)[0]) for x, y in spec["ps_clicks"]]
    spec["ps_clicks"] = [[f.geometry().asPoint().x() + 2.0, f.geometry().asPoint().y()] for f in near]
    with open(tmp_path / "session.json", "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    proc, report = run_desktop_session(tmp_path, SESSION, screen="1600x1000x24", timeout=600,
                                       INSAR_DOCK_SESSION=str(tmp_path / "session.json"))
    steps = {s["step"]: s for s in report["steps"]}

    assert report["dock_visible"] and report["map_tool_is_pick"] and report["dock_layer_follows_active"]
    # a pixel: its curve labelled with the pixel centre in the layer CRS, and a marker there
    x, y = centre(10, 20)
    px = steps["pixel"]
    assert px["series"] == [f"Synthetic series (mm) ({x:.1f}, {y:.1f})"]
    assert px["vertex_markers"] == 1 and px["marker_centres"][0] == pytest.approx([x, y])
    # several points, each with its ID and coordinates and a marker
    labels = [f"RADARSAT PS {f['CODE']} ({f.geometry().asPoint().x():.1f}, {f.geometry().asPoint().y():.1f})"
              for f in near]
    assert steps["points"]["series"][1:] == labels and steps["points"]["vertex_markers"] == 4
    # a polygon drawn with the mouse: the mean of the pixels inside (12 x 12 centres), drawn on the map
    poly = steps["polygon"]
    assert report["map_tool_is_polygon"] and poly["polygon_markers"] == 1
    assert poly["series"][-1].startswith("Synthetic series (mm) mean of 144 pixels (")
    # the model chosen with the keyboard, its parameters in the table
    assert report["model"] == "Quadratic (acceleration)"
    fit_rows = {f"{r[0]} ({r[2].rsplit(' (', 1)[0]})": r[1] for r in steps["fit"]["table"]}
    assert "quadratic: v₀ -3.0±0.0 mm/yr, a -1.0±0.0 mm/yr²" in fit_rows[px["series"][0]]
    assert all("quadratic: v₀" in fit_rows[lbl] for lbl in labels)
    assert {r[2].rsplit(" (", 1)[1] for r in steps["fit"]["table"]} == {"EPSG:3003)"}

    # CSV: the pixel and the polygon mean as the raster holds them, the model values; the parameters
    with open(tmp_path / "dock.csv", encoding="utf-8") as fh:
        rows_csv = list(csv.reader(fh))
    header = rows_csv[0]
    raster_rows = [r for r in rows_csv[1:] if r[0] >= DATES[0].isoformat()]  # the PS dates end in 2010
    assert [r[0] for r in raster_rows] == [d.isoformat() for d in DATES] and len(rows_csv) == 1 + 40 + 99
    got = np.array([[float(r[header.index(f"{px['series'][0]} (mm)")])] for r in raster_rows])
    np.testing.assert_allclose(got, truth([10], [20]), atol=2e-3)
    pr, pc = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    px_x, px_y = GT[0] + (pc + 0.5) * GT[1], GT[3] + (pr + 0.5) * GT[5]
    inside = (px_x > 1438500) & (px_x < 1438800) & (px_y > 4887300) & (px_y < 4887600)
    assert inside.sum() == 144
    mean_col = header.index(f"{poly['series'][-1]} (mm)")
    got = np.array([float(r[mean_col]) for r in raster_rows])
    np.testing.assert_allclose(got, truth(pr[inside], pc[inside]).mean(axis=1), atol=2e-3)
    mcol = header.index(f"{px['series'][0]} quadratic model (mm)")  # the exact model of an exact quadratic
    np.testing.assert_allclose([float(r[mcol]) for r in raster_rows], truth([10], [20])[:, 0], atol=2e-3)
    assert all(r[mcol] == "" for r in rows_csv[1:] if r not in raster_rows)  # not extrapolated to the PS years
    with open(tmp_path / "dock_fits.csv", encoding="utf-8") as fh:
        fits = list(csv.reader(fh))
    acc = next(r for r in fits if r[0] == px["series"][0] and r[9] == "acceleration_mm_yr2")
    assert float(acc[10]) == pytest.approx(ACC, abs=1e-3) and acc[12] == "mm/yr²"
    assert "dock.csv" in report["export_status"] or "dock.png" in report["export_status"]
    from qgis.PyQt.QtGui import QImage

    png = QImage(str(tmp_path / "dock.png"))
    assert png.width() >= 1400 and png.height() >= 600
    shot = QImage(str(tmp_path / "desktop.png"))
    assert shot.width() >= 1400 and shot.height() >= 900

    # Delete removes the selected curve (the first) and its marker
    assert steps["delete"]["series"] == poly["series"][1:] and steps["delete"]["vertex_markers"] == 3
    # the raster leaves: its polygon mean and its marker go; the PS stay
    assert steps["raster_removed"]["series"] == labels and steps["raster_removed"]["polygon_markers"] == 0
    # nothing left: the plot is cleared
    gone = steps["all_removed"]
    assert gone["series"] == [] and gone["vertex_markers"] == 0 and gone["plot_curves"] == 0 and gone["table"] == []
    assert report["empty_text"] == ["Pick points or pixels, or draw a polygon, on the map"]

    # Help opens the page shipped with the plugin, offline, at the tool's section
    help_ = report["help"]
    assert help_["exists"] and help_["file"].endswith(os.path.join("docs", "timeseries.html")), help_
    assert help_["fragment"] == "sbasinversion" and len(help_["urls"]) == 1
    with open(help_["file"], encoding="utf-8") as fh:
        assert 'id="sbasinversion"' in fh.read()
    # one icon per family, drawn and standing out from the window in the light and the dark theme
    families = {"timeseries", "psds", "unwrap", "corrections", "ada", "formats", "geometry", "kinematics", "faults",
                "models", "hazard", "interferograms"}
    light, dark = report["icons"]["default"], report["icons"]["Night Mapping"]
    assert set(light) == set(dark) == families
    assert light["ada"]["background"] != dark["ada"]["background"]  # the theme did change
    for theme in (light, dark):
        for family, icon in theme.items():
            assert icon["path"].endswith(f"families/{family}.svg") and not icon["null"] and icon["valid_svg"]
            assert icon["drawn_share"] > 0.1 and icon["contrast"] > 40, (family, icon)
