"""geohazard:interseismicslip: parameters and help; east/north and LOS runs on simulated interseismic fields (a
Savage & Burford arctangent with correlated noise and an orbital ramp, tests/testutils_fault_worlds.py) recover
the slip rate and locking depth within their sigmas; the profile and chart; wrong inputs named."""

import numpy as np
import pytest
from osgeo import ogr
from testutils import write_geotiff
from testutils_fault_worlds import interseismic_world, los_of
from testutils_faults import write_lines

NAME = "interseismicslip"
LENGTH, WIDTH = 90000.0, 50000.0


@pytest.fixture(scope="module")
def world():
    # a seed drawn once at random (numpy's default_rng(84).integers(10**6)); its truth is read, never typed
    return interseismic_world(int(np.random.default_rng(84).integers(10**6)), n=300, pixel_m=700.0)


def _inputs(tmp_path, w, *, los=None, meta=None):
    f = write_lines(tmp_path / "fault.gpkg", [w["trace"]])
    if los is not None:
        return {"INPUT": str(write_geotiff(tmp_path / "los.tif", los, geotransform=w["gt"],
                                           metadata=meta or {})), "FAULT": f}
    e = write_geotiff(tmp_path / "ve.tif", w["east"], geotransform=w["gt"], metadata={"UNIT": "mm/yr"})
    n = write_geotiff(tmp_path / "vn.tif", w["north"], geotransform=w["gt"], metadata={"UNIT": "mm/yr"})
    return {"INPUT_EAST": str(e), "INPUT_NORTH": str(n), "FAULT": f}


def test_parameters_and_help(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("INPUT_EAST", "INPUT_NORTH", "INPUT", "INCIDENCE", "HEADING", "FAULT", "LENGTH_M", "WIDTH_M",
                "OUTPUT_PROFILE", "OUTPUT_CHART"):
        assert pid in ids
    outs = [o.name() for o in a.outputDefinitions()]
    for oid in ("SLIP_RATE_MM_YR", "LOCKING_DEPTH_KM", "FAULT_OFFSET_M", "SLIP_RATE_SIGMA", "LOCKING_DEPTH_SIGMA",
                "OUTPUT_PROFILE"):
        assert oid in outs
    text = a.shortHelpString()
    assert text.startswith("Fits Savage & Burford's screw-dislocation profile")
    assert "jackknife" in text and "left-lateral" in text and "doi:10.1029/JB078i005p00832" in text
    assert a.group() == "Faults and stress"


def _check(res, w, k=3.0):
    s, d = res["SLIP_RATE_MM_YR"], res["LOCKING_DEPTH_KM"]
    ss, sd = res["SLIP_RATE_SIGMA"], res["LOCKING_DEPTH_SIGMA"]
    assert 0 < ss < 5 and 0 < sd < 10
    assert abs(s - w["slip_rate"]) <= max(k * ss, 0.02 * abs(w["slip_rate"]))
    assert abs(d - w["locking_depth_m"] / 1000.0) <= max(k * sd, 0.05 * w["locking_depth_m"] / 1000.0)


def test_east_north_recover_the_slip_rate_and_locking_depth(run_alg, tmp_path, world):
    params = dict(_inputs(tmp_path, world), LENGTH_M=LENGTH, WIDTH_M=WIDTH,
                  OUTPUT_PROFILE=str(tmp_path / "profile.gpkg"), OUTPUT_CHART=str(tmp_path / "profile.png"))
    res = run_alg(NAME, params)
    _check(res, world)
    assert abs(res["SLIP_RATE_MM_YR"] - world["slip_rate"]) <= 0.05 * abs(world["slip_rate"])
    assert abs(res["LOCKING_DEPTH_KM"] - world["locking_depth_m"] / 1000.0) <= 0.15 * world["locking_depth_m"] / 1e3
    assert abs(res["FAULT_OFFSET_M"] - world["offset_m"]) <= max(3 * 2000.0, 0.0)
    ds = ogr.Open(res["OUTPUT_PROFILE"])
    rows = [(f["distance_m"], f["observed"], f["modelled"], f["count"]) for f in ds.GetLayer(0)]
    ds = None
    d, obs, mod, cnt = (np.array(c, float) for c in zip(*rows))
    assert len(rows) > 150 and d.min() < -0.9 * LENGTH and d.max() > 0.9 * LENGTH and (cnt > 0).all()
    # far on each side the profile levels at c -+ s / 2: the observed jump across is the slip rate
    far = np.abs(d) > 0.6 * LENGTH
    assert np.sign(np.mean(obs[far & (d > 0)]) - np.mean(obs[far & (d < 0)])) == np.sign(world["slip_rate"])
    assert np.sqrt(np.mean((obs - mod) ** 2)) < 1.0
    with open(res["OUTPUT_CHART"], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_los_with_its_geometry_in_the_metadata(run_alg, tmp_path, world):
    los = los_of(world, incidence_deg=38.0, heading_deg=-12.0)
    params = dict(_inputs(tmp_path, world, los=los, meta={"INCIDENCE_DEG": "38", "HEADING_DEG": "-12",
                                                          "UNIT": "mm/yr"}),
                  LENGTH_M=LENGTH, WIDTH_M=WIDTH, OUTPUT_PROFILE=str(tmp_path / "p.gpkg"))
    res = run_alg(NAME, params)
    _check(res, world)


def test_wrong_inputs_are_named(run_alg, tmp_path, world):
    from qgis.core import QgsProcessingException

    p = _inputs(tmp_path, world)
    out = {"OUTPUT_PROFILE": str(tmp_path / "o.gpkg"), "LENGTH_M": LENGTH, "WIDTH_M": WIDTH}
    with pytest.raises(QgsProcessingException, match="INPUT_NORTH"):
        run_alg(NAME, dict(out, INPUT_EAST=p["INPUT_EAST"], FAULT=p["FAULT"]))
    with pytest.raises(QgsProcessingException, match="not both"):
        run_alg(NAME, dict(out, **p, INPUT=p["INPUT_EAST"]))
    (tmp_path / "los").mkdir()
    q = _inputs(tmp_path / "los", world, los=world["east"])
    with pytest.raises(QgsProcessingException, match="INCIDENCE"):
        run_alg(NAME, dict(out, **q))
    two = write_lines(tmp_path / "two.gpkg", [world["trace"], world["trace"] + 5000.0])
    with pytest.raises(QgsProcessingException, match="FAULT holds 2 lines"):
        run_alg(NAME, dict(out, INPUT_EAST=p["INPUT_EAST"], INPUT_NORTH=p["INPUT_NORTH"], FAULT=two))
    far = write_lines(tmp_path / "far.gpkg", [world["trace"] + 2e6])
    with pytest.raises(QgsProcessingException, match="do not overlap"):
        run_alg(NAME, dict(out, INPUT_EAST=p["INPUT_EAST"], INPUT_NORTH=p["INPUT_NORTH"], FAULT=far))
