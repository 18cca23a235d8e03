"""geohazard:referencepoint on small synthetic stacks with a known truth and on the Mexico City stack.

One rule: with its defaults the reference step picks the pixel the SBAS tool and the stacking velocity pick when
their REFERENCE is empty (the largest consistent ground), so a model's reference step and the tools agree."""

from __future__ import annotations

import os
import re

import numpy as np
import testutils_hostile as hk
from testutils import recording_feedback
from testutils_corrections import mm_to_rad, synthetic_stack, write_stack_tifs
from testutils_stack_corrections import MEXICO, _read

LOGGED = re.compile(r"^REFERENCE: row (\d+), column (\d+) \((-?[\d.]+),(-?[\d.]+) \[EPSG:\d+\]\): (.*)$")


def _logged(fb):
    """(row, col, x, y, why) of the automatic reference the log states."""
    hits = [LOGGED.match(t) for t in fb.info + fb.warnings]
    hits = [h for h in hits if h]
    assert len(hits) == 1, fb.text
    r, c, x, y, why = hits[0].groups()
    return int(r), int(c), float(x), float(y), why


def _point(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    f = next(iter(ds.GetLayer(0)))
    out = {k: f[k] for k in ("ROW", "COL", "COHERENCE", "RATE", "SCORE")}
    ds = None
    return out


def _same_pixel_and_velocity(tmp_path, ifgs, coh=None):
    """referencepoint's pixel, the SBAS tool's automatic pixel, and the velocities of the SBAS tool given the
    step's point (as the model wires it) and left to choose: (pixel of the step, pixel of the tool, v_step, v_tool,
    log of the step)."""
    extra = {"COHERENCE": coh} if coh else {}
    fb = recording_feedback()
    res = hk.run("referencepoint", {"INTERFEROGRAMS": ifgs, **extra, "OUTPUT": str(tmp_path / "ref.gpkg"),
                                    "OUTPUT_REPORT": str(tmp_path / "ref.csv")}, fb)
    step = _logged(fb)
    fb_tool = recording_feedback()
    tool = hk.run("sbasinversion", {"INTERFEROGRAMS": ifgs, **extra, "WEIGHTING": 2,
                                    "OUTPUT_TIMESERIES": str(tmp_path / "t1.tif"),
                                    "OUTPUT_VELOCITY": str(tmp_path / "v1.tif")}, fb_tool)
    chained = hk.run("sbasinversion", {"INTERFEROGRAMS": ifgs, **extra, "WEIGHTING": 2,
                                       "REFERENCE": res["REFERENCE_POINT"],
                                       "OUTPUT_TIMESERIES": str(tmp_path / "t2.tif"),
                                       "OUTPUT_VELOCITY": str(tmp_path / "v2.tif")})
    p = _point(res["OUTPUT"])
    assert (p["ROW"], p["COL"]) == step[:2]
    return (step[:2], _logged(fb_tool)[:2], _read(chained["OUTPUT_VELOCITY"]), _read(tool["OUTPUT_VELOCITY"]),
            step, res)


def test_referencepoint_mexico_city_is_the_sbas_tools_pixel_and_feeds_sbas(qgis_app, tmp_path):
    """The real stack (30 interferograms, no stable area): the step and the SBAS tool pick row 46, column 17 (the
    step's former coherence rule took row 12, column 37: the two velocities then differed by 34.75 mm/yr); the
    SBAS velocity given the step's point is the tool's own, to the bit."""
    g = os.path.join(MEXICO, "geotiffs")
    step, tool, v_step, v_tool, log, res = _same_pixel_and_velocity(tmp_path, g, g)
    assert step == tool
    assert step[1] < 60  # the subsidence bowl fills columns 70+ (SBAS velocities < -180 mm/yr there)
    assert "largest consistent ground" in log[4]
    assert res["REFERENCE_POINT"].endswith("[EPSG:4326]")
    x, y = (float(t) for t in res["REFERENCE_POINT"].split(" [")[0].split(","))
    assert (round(x, 9), round(y, 9)) == (round(log[2], 9), round(log[3], 9))
    assert np.isfinite(v_tool).mean() > 0.9 and np.nanpercentile(v_tool[:, 70:], 10) < -100
    np.testing.assert_array_equal(v_step, v_tool)
    with open(res["OUTPUT_REPORT"], encoding="utf-8") as fh:
        rows = fh.read().splitlines()
    assert len(rows) > 2 and rows[1].split(",")[1:3] == [str(step[0]), str(step[1])]


def test_referencepoint_synthetic_stack_off_the_bowl_and_same_as_sbas(qgis_app, tmp_path):
    """A synthetic bowl (-60 mm/yr) where the scene is otherwise still: both rules' pixel is off the bowl, the same,
    and the velocities agree to the bit."""
    s = synthetic_stack(shape=(36, 48), n_dates=9, seed=4, bowl_mm_yr=-60.0, strat_mm_per_km=0.0, turb_mm=0.5)
    files = write_stack_tifs(str(tmp_path / "ifgs"), mm_to_rad(s["ifg_mm"]), s["dates"], s["pairs"])
    step, tool, v_step, v_tool, _, _ = _same_pixel_and_velocity(tmp_path, str(tmp_path / "ifgs"))
    assert len(files) == len(s["pairs"]) and step == tool
    assert s["bowl"][step] < 0.01
    np.testing.assert_array_equal(v_step, v_tool)


def test_stable_area_and_the_coherence_only_choice(qgis_app, tmp_path):
    """A stable area (a MASK raster here) holds the reference inside it, by the same rule; Stability off gives
    MintPy's coherence-only choice, said so in the log."""
    from testutils_corrections import write_tif

    s = synthetic_stack(shape=(36, 48), n_dates=9, seed=4, bowl_mm_yr=-60.0, strat_mm_per_km=0.0, turb_mm=0.5)
    files = write_stack_tifs(str(tmp_path / "ifgs"), mm_to_rad(s["ifg_mm"]), s["dates"], s["pairs"])
    from osgeo import gdal

    ds = gdal.Open(files[0])
    mask = np.zeros((36, 48))
    mask[0:10, 30:48] = 1
    m = write_tif(str(tmp_path / "mask.tif"), mask, ds.GetProjection(), ds.GetGeoTransform())
    ds = None
    fb = recording_feedback()
    res = hk.run("referencepoint", {"INTERFEROGRAMS": files, "MASK": m, "OUTPUT": str(tmp_path / "r.gpkg")}, fb)
    r, c, _, _, why = _logged(fb)
    assert mask[r, c] == 1 and "(chosen inside the stable area)" in why and "largest consistent ground" in why
    fb = recording_feedback()
    res = hk.run("referencepoint", {"INTERFEROGRAMS": files, "STABILITY": False, "OUTPUT": str(tmp_path / "c.gpkg")},
                 fb)
    assert "coherence only: Stability is off" in _logged(fb)[4]
    assert _point(res["OUTPUT"])["COHERENCE"] == 1.0  # no coherence given
