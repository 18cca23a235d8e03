"""Every raster a tool writes carries PROCESSING_HISTORY: the steps of its inputs' histories, then its own
(tool, version, the scalar parameters given), through a script chain and through a shipped model; a shipped
model ends its log with one summary line per step."""

import datetime as dt
import re

import testutils_hostile as hk

STEP = re.compile(r"^geohazard:[a-z0-9]+ \d+\.\d+\.\d+(: .+)?$")


def _history(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return (ds.GetMetadataItem("PROCESSING_HISTORY") or "").splitlines()


def test_a_script_chain_keeps_every_step(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    ramps = hk.run("rampremoval", {"INTERFEROGRAMS": files, "RAMP_TYPE": 1, "OUTPUT": str(tmp_path / "flat")})
    flat = sorted(str(p) for p in (tmp_path / "flat").glob("*.tif"))
    assert flat and ramps
    steps = _history(flat[0])
    assert len(steps) == 1 and steps[0].startswith("geohazard:rampremoval ") and "RAMP_TYPE=" in steps[0]
    assert "MAX_MEMORY_MB" not in steps[0]
    res = hk.run("sbasinversion", {"INTERFEROGRAMS": flat, "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    steps = _history(res["OUTPUT_VELOCITY"])
    assert [s.split(" ")[0] for s in steps] == ["geohazard:rampremoval", "geohazard:sbasinversion"]
    assert all(STEP.match(s) for s in steps), steps


def test_the_corrected_sbas_model_writes_its_steps_in_order(qgis_app, tmp_path):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    (tmp_path / "b.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(dates, [3, -40, 25, 60, -12, 33])))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(30, 32))
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    res = hk.run("correctedsbas", {"INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "b.csv")],
                                   "INCIDENCE_DEG": 39.0, "SLANT_RANGE_M": 850000.0,
                                   "demerror:VELOCITY": str(tmp_path / "v.tif")})
    tools = [s.split(" ")[0] for s in _history(res["demerror:VELOCITY"])]
    assert tools[-1] == "geohazard:demerrorcorrection"
    assert "geohazard:sbasinversion" in tools and "geohazard:rampremoval" in tools
    assert tools.index("geohazard:rampremoval") < tools.index("geohazard:sbasinversion")
    assert len(tools) == len(set(tools)) >= 4


def test_linked_outputs_are_not_stamped_and_inputs_stay_unchanged(qgis_app, tmp_path):
    """modifynetwork links the interferograms it keeps into its folder: stamping them would write into the
    inputs, so linked outputs keep the inputs' metadata and the input files keep their bytes."""
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    before = hk.digest(files)
    hk.run("modifynetwork", {"INTERFEROGRAMS": files, "MAX_TEMPORAL_BASELINE": 13, "KEEP_CONNECTED": True,
                             "OUTPUT": str(tmp_path / "net")})
    assert hk.digest(files) == before
    assert any(p.stat().st_nlink > 1 for p in (tmp_path / "net").glob("*.tif"))


def test_the_model_ends_with_a_summary_of_its_steps(qgis_app, tmp_path):
    from testutils import recording_feedback

    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    (tmp_path / "b.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(dates, [3, -40, 25, 60, -12, 33])))
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(30, 32))
    fb = recording_feedback()
    hk.run("correctedsbas", {"INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "b.csv")],
                                   "INCIDENCE_DEG": 39.0, "SLANT_RANGE_M": 850000.0,
                             "demerror:VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    text = fb.text
    assert "Summary of the steps:" in text
    summary = text[text.index("Summary of the steps:"):].splitlines()[1:]
    lines = [s.strip() for s in summary if s.startswith("  ")]
    tools = [s.split(":")[0] for s in lines]
    assert tools[:2] == ["unwrapclosurecorrection", "modifynetwork"], lines
    assert any(s.startswith("troposphericcorrection: ") and "removed" in s for s in lines), lines
    assert any(s.startswith("rampremoval: RMS on the fit area ") for s in lines), lines
    assert any(s.startswith("sbasinversion: Reference pixel: ") for s in lines), lines
