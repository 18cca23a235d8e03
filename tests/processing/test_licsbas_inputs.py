"""LiCSBAS cum.h5 / cum_filt.h5 given to the tools as delivered (processing_provider/inputs/delivered.py, the reader
algorithms/formats/licsbas.py): a dated series in mm on LiCSBAS's grid, positive toward the satellite as LiCSBAS
writes it, its reference, wavelength and scene geometry from the files. Before, they were refused as "in radar
coordinates".

Sample files as LiCSBAS13_sb_inv.py / LiCSBAS16_filt_ts.py write them (tests/testutils_licsbas.py cites the code).
Truths: the planted velocity, the incidence and heading the E/N/U vectors were made from, the up velocity of two
tracks seeing a vertical motion.
"""

import os

import numpy as np
import pytest
import testutils_licsbas as tl
from testutils import read_bands, recording_feedback

pytest.importorskip("h5py", reason="h5py is not installed")


@pytest.fixture
def ts(tmp_path):
    dates, cum, vel, ref = tl.scene()
    os.makedirs(tmp_path / "TS_GEOCml1")
    return tl.write_cum(tmp_path / "TS_GEOCml1" / "cum.h5", dates, cum, vel, ref), dates, cum, vel


def test_cum_h5_in_timeseriesmodels_gives_the_planted_velocity(run_alg, tmp_path, ts):
    src, dates, _, vel = ts
    fb = recording_feedback()
    out = run_alg("timeseriesmodels", {"INPUT_RASTER": src, "MODELS": [0], "OUTPUT_RASTER": str(tmp_path / "m.tif")},
                  feedback=fb)["OUTPUT_RASTER"]
    a, ds = read_bands(out)
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    np.testing.assert_allclose(a[names.index("LIN_VEL")], vel, atol=1e-3, equal_nan=True)
    assert ds.GetGeoTransform() == pytest.approx(tl.geotransform())
    text = fb.text.replace(os.sep, "/")
    assert "cum.h5 (cum): LiCSBAS time series read as a raster of 10 x 12 pixels in EPSG:4326 (9 dates " \
        "2020-01-04.." in text
    assert "LOS positive toward the satellite, as LiCSBAS writes it" in text
    assert "reference pixel row 1, column 2 (its reference), reference date 2020-01-04" in text
    assert "wavelength 0.05546576 m from info/13parameters.txt" in text
    assert "radar coordinates" not in text
    assert not [n for n in os.listdir(tmp_path / "TS_GEOCml1") if n.endswith((".tif", ".vrt"))]


def test_licsbas_velocity_to_vertical_with_nothing_typed(run_alg, tmp_path, ts):
    """The incidence comes from the file's E.geo/N.geo/U.geo (made from 38.5 deg), the log says so."""
    src, _, _, vel = ts
    fb = recording_feedback()
    out = run_alg("losvelocitytovertical", {"INPUT": f'HDF5:"{src}"://vel', "OUTPUT": str(tmp_path / "v.tif")},
                  feedback=fb)["OUTPUT"]
    np.testing.assert_allclose(read_bands(out)[0][0], vel / np.cos(np.radians(tl.INCIDENCE)), rtol=1e-5, atol=1e-5,
                               equal_nan=True)
    assert "from its E.geo/N.geo/U.geo datasets" in fb.text
    assert f"incidence angle {tl.INCIDENCE:.10g}" in fb.text or "incidence angle 38.5" in fb.text


def test_two_tracks_in_a_multisensor_manifest_give_the_planted_up_velocity(run_alg, tmp_path):
    """An ascending and a descending cum.h5 seeing 25 mm/yr of uplift: LOS = up cos(incidence), each track's
    geometry from its own E/N/U, named by a manifest row with nothing typed."""
    dates, _, _, ref = tl.scene()
    years = np.array([(d - dates[0]).days / 365.25 for d in dates])
    rows = []
    for name, inc, head in (("asc", 34.0, -12.0), ("desc", 41.0, 192.0)):
        os.makedirs(tmp_path / name / "TS_GEOCml1")
        cum = (years[:, None, None] * 25.0 * np.cos(np.radians(inc)) * np.ones((1, 10, 12))).astype(np.float32)
        vel = np.full((10, 12), 25.0 * np.cos(np.radians(inc)), np.float32)
        rows.append((name, tl.write_cum(tmp_path / name / "TS_GEOCml1" / "cum.h5", dates, cum, vel, ref,
                                        incidence=inc, heading=head)))
    with open(tmp_path / "m.csv", "w") as fh:
        fh.write("name,path\n" + "".join(f"{n},{p}\n" for n, p in rows))
    os.makedirs(tmp_path / "out")
    res = run_alg("multisensortimeseries", {"MANIFEST": str(tmp_path / "m.csv"),
                                            "OUTPUT_VELOCITY": str(tmp_path / "out" / "v.tif")})
    v, ds = read_bands(res["OUTPUT_VELOCITY"])
    assert ds.GetRasterBand(2).GetDescription() == "up velocity (mm/yr)"
    np.testing.assert_allclose(v[1], 25.0, atol=0.05)


def test_loadmintpy_takes_cum_filt_h5_as_points(run_alg, tmp_path):
    from osgeo import ogr

    dates, cum, vel, ref = tl.scene()
    src = tl.write_cum(tmp_path / "cum_filt.h5", dates, cum, vel, ref, filt=True)
    res = run_alg("loadmintpy", {"INPUT": src, "OUTPUT": str(tmp_path / "ts.tif"),
                                 "OUTPUT_POINTS": str(tmp_path / "p.gpkg")})
    a, ds = read_bands(res["OUTPUT"])
    np.testing.assert_array_equal(a, cum)
    pts = ogr.Open(res["OUTPUT_POINTS"])
    lyr = pts.GetLayer(0)
    assert lyr.GetFeatureCount() == 10 * 12 - 4
    got = {round(f.GetGeometryRef().GetX(), 6): f.GetField("VEL") for f in lyr if f.GetField("PID") <= 12}
    gt = tl.geotransform()
    for c in range(12):
        assert got[round(gt[0] + (c + 0.5) * gt[1], 6)] == pytest.approx(float(vel[0, c]), abs=1e-3)


def test_cum_h5_points_give_the_planted_failure_time_in_inversevelocity(run_alg, tmp_path):
    """A LiCSBAS series accelerating as Fukuzono's 1/v law (failure 400 days after the first date) on 6 pixels,
    still on the others: cum.h5 -> loadmintpy points -> inversevelocity gives, pixel for pixel, the forecast of the
    same series written by hand as dated points; the planted failure date lies in the forecast windows (95 %
    confidence: at least 5 of 6) and still ground raises no alert."""
    import datetime as dt

    from testutils_models import read_layer, write_dated_layer

    days = np.arange(0, 372, 6.0)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(x)) for x in days]
    rng = np.random.default_rng(0)
    cum = rng.normal(0, 0.1, (days.size, 3, 4)).astype(np.float32)
    cum[:, :2, :3] += ((1 / 0.1826) * np.log((400.0 - days) / 400.0))[:, None, None].astype(np.float32)
    cum[:, 2, 3] = 0.0  # the reference pixel
    cum -= cum[:1]
    src = tl.write_cum(tmp_path / "cum.h5", dates, cum, np.zeros((3, 4), np.float32), (2, 3), enu=False)
    pts = run_alg("loadmintpy", {"INPUT": src, "OUTPUT": str(tmp_path / "ts.tif"),
                                 "OUTPUT_POINTS": str(tmp_path / "p.gpkg")})["OUTPUT_POINTS"]
    hand = write_dated_layer(tmp_path / "hand.gpkg", dates, cum.reshape(days.size, -1).astype(float))
    rows, oracle = (read_layer(run_alg("inversevelocity", {"INPUT": i, "OUTPUT": str(tmp_path / f"iv{k}.gpkg")})
                               ["OUTPUT"])[1] for k, i in enumerate((pts, hand)))
    keys = ("TF_DATE", "TF_LOW", "TF_HIGH", "IV_LEVEL")
    assert [[r[k] for k in keys] for r in rows] == [[r[k] for k in keys] for r in oracle]
    truth = dt.date(2020, 1, 1) + dt.timedelta(days=400)
    moving = [r for j, r in enumerate(rows) if j // 4 < 2 and j % 4 < 3]
    inside = [dt.date.fromisoformat(r["TF_LOW"].replace("/", "-")) <= truth
              <= dt.date.fromisoformat(r["TF_HIGH"].replace("/", "-")) for r in moving]
    assert sum(inside) >= 5 and all(r["IV_LEVEL"] in ("orange", "red") for r in moving)
    assert all(r["IV_LEVEL"] in ("none", "not judged") for j, r in enumerate(rows) if not (j // 4 < 2 and j % 4 < 3))
