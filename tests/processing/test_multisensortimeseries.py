"""geohazard:multisensortimeseries — parameters, a synthetic three-stack scene with known truth (two per-date series
and an interferogram stack in radians from a manifest), the same numbers as the core, resampling onto the finest
grid, the dock's metadata, the per-stack report, north modes, bad input."""

import csv
import datetime as dt
import os

import numpy as np
import pytest
from testutils import read_bands as _read
from testutils import recording_feedback
from testutils_multisensor import GT, scene, write_raster

NAME = "multisensortimeseries"


def _outputs(folder):
    return {"OUTPUT_UP": os.path.join(folder, "up.tif"), "OUTPUT_EAST": os.path.join(folder, "east.tif"),
            "OUTPUT_SIGMA_UP": os.path.join(folder, "sup.tif"), "OUTPUT_SIGMA_EAST": os.path.join(folder, "seast.tif"),
            "OUTPUT_VELOCITY": os.path.join(folder, "vel.tif"), "OUTPUT_QUALITY": os.path.join(folder, "q.tif"),
            "OUTPUT_REPORT": os.path.join(folder, "report.csv")}


def _params(sc, folder, **extra):
    return {"SERIES": sc["series"], "MANIFEST": sc["manifest"], "INCIDENCES": "36, 41", "HEADINGS": "-12, 192",
            **_outputs(folder), **extra}


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:2] == ["SERIES", "MANIFEST"]
    for pid in ("INCIDENCES", "HEADINGS", "INCIDENCE_RASTERS", "HEADING_RASTERS", "REFERENCE", "NORTH", "DEM",
                "TEMPLATE", "RESAMPLING", "OUTPUT_UP", "OUTPUT_EAST", "OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST",
                "OUTPUT_VELOCITY", "OUTPUT_REPORT", "MAX_MEMORY_MB", "DASK_SCHEDULER"):
        assert pid in ids, pid
    assert a.parameterDefinition("RESAMPLING").options()[0].startswith("Bilinear interpolation")
    text = a.shortHelpString()
    for word in ("TIMESERIES_COMPONENT", "MANIFEST", "ascdescdecomposition", "INCIDENCE_DEG", "doi:"):
        assert word in text, word


def test_scene_matches_the_core_and_the_truth(run_alg, tmp_path):
    from insar_geohazards.algorithms.timeseries.multisensor import Stack, solve_multisensor

    sc = scene(str(tmp_path / "in"))
    fb = recording_feedback()
    os.makedirs(tmp_path / "out")
    res = run_alg(NAME, _params(sc, str(tmp_path / "out"), REFERENCE_DATE="2019-01-05"), fb)
    up, ds_up = _read(res["OUTPUT_UP"])
    east, ds_e = _read(res["OUTPUT_EAST"])
    s_up, ds_su = _read(res["OUTPUT_SIGMA_UP"])
    dates = [dt.date.fromisoformat(ds_up.GetRasterBand(i + 1).GetDescription()) for i in range(ds_up.RasterCount)]
    # the same numbers as the core solving the same arrays in memory
    stacks = []
    for name, (dts, vals, _) in sc["stacks"].items():
        if name == "tsx_asc":
            stacks.append(Stack(name, pairs=dts, values=vals.astype(np.float32).astype(np.float64), units="rad",
                                wavelength_m=float(f"{299_792_458.0 / 9.65e9:.10g}"), incidence_deg=30.0,
                                heading_deg=-10.0))
        else:
            inc, head = (36.0, -12.0) if name == "s1_asc" else (41.0, 192.0)
            stacks.append(Stack(name, dates=dts, values=vals.astype(np.float32).astype(np.float64),
                                incidence_deg=inc, heading_deg=head, wavelength_m=299_792_458.0 / 5.405e9))
    core = solve_multisensor(stacks, reference_date="2019-01-05")
    assert dates == core.dates
    np.testing.assert_array_equal(up, core["up"].astype(np.float32))
    np.testing.assert_array_equal(east, core["east"].astype(np.float32))
    np.testing.assert_array_equal(s_up, core["sigma_up"].astype(np.float32))
    # and close to the truth (east and north motion leak into a series neglecting north: compare up where north is
    # small, and the error against its sigma)
    te, tn, tu = sc["truth"](dates)
    i0 = dates.index(dt.date(2019, 1, 5))
    err = (up - (tu - tu[i0])).astype(float)
    err -= np.nanmean(err, axis=0)
    assert np.sqrt(np.nanmean(err ** 2)) < 2.0
    # the dock's metadata
    for ds, comp in ((ds_up, "UP"), (ds_e, "EAST")):
        md = ds.GetMetadata()
        assert md["TIMESERIES_COMPONENT"] == comp and md["UNIT"] == "mm"
        assert md["TIMESERIES_SOURCES"].split(";") == sc["series"]
        assert md["TIMESERIES_GROUP"] == ds_su.GetMetadata()["TIMESERIES_GROUP"]
        assert md["NORTH_MODE"].startswith("north neglected")
    assert ds_su.GetMetadata()["TIMESERIES_SIGMA_OF"] == "UP" and "TIMESERIES_COMPONENT" not in ds_su.GetMetadata()
    # velocities, quality, report
    vel, ds_v = _read(res["OUTPUT_VELOCITY"])
    assert vel.shape[0] == 4 and ds_v.GetRasterBand(2).GetDescription() == "up velocity (mm/yr)"
    np.testing.assert_array_equal(vel[1], core["velocity"][1].astype(np.float32))
    q, _ = _read(res["OUTPUT_QUALITY"])
    assert set(np.unique(q[0])) <= {0.0, 2.0}
    with open(res["OUTPUT_REPORT"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["stack"] for r in rows] == ["s1_asc", "s1_desc", "tsx_asc"]
    assert rows[2]["kind"] == "interferograms" and int(rows[0]["pixels_solved"]) > 300
    assert all(0.5 < float(r["residual_to_noise"]) < 2.0 for r in rows)
    log = fb.text
    assert "Output grid: the finest input grid" in log and "Resampled onto the output grid with bilinear: none" in log
    assert "on the output grid's pixels already" not in log
    assert "stack 'tsx_asc'" in log
    # the interferograms are all 0 at the scene's reference pixel: the stack keeps that reference, as the series do
    assert "stack 'tsx_asc': its interferograms are all 0 at row 0, column 0 of their grid" in log


def test_resampled_stack_and_reference_point(run_alg, tmp_path):
    """A stack on a coarser, shifted grid is warped onto the finest grid (named in the log); a common reference
    point re-references every stack; outputs cover the union of the extents."""
    sc = scene(str(tmp_path / "in"), with_ifg=False)
    dates, vals, _ = sc["stacks"]["s1_desc"]
    coarse = vals.reshape(vals.shape[0], 9, 2, 11, 2).mean(axis=(2, 4))
    gt = (GT[0] + 60.0, 60.0, 0.0, GT[3] - 30.0, 0.0, -60.0)
    path = write_raster(tmp_path / "in" / "desc60.tif", coarse, gt=gt, descriptions=[d.isoformat() for d in dates],
                        metadata={"UNIT": "mm", "INCIDENCE_DEG": 41.0, "HEADING_DEG": 192.0})
    out = tmp_path / "out"
    out.mkdir()
    fb = recording_feedback()
    params = {"SERIES": [sc["series"][0], path], "REFERENCE": f"{GT[0] + 75.0},{GT[3] - 75.0} [EPSG:32633]",
              **_outputs(str(out))}
    res = run_alg(NAME, params, fb)
    up, ds = _read(res["OUTPUT_UP"])
    # the union: the fine grid (18 x 22) and the coarse one, 60 m east and 30 m south of it (570 m x 720 m)
    assert ds.GetGeoTransform()[1] == 30.0 and up.shape[1:] == (19, 24)
    assert "Resampled onto the output grid with bilinear: stack 'desc60' (desc60.tif); on the output grid's pixels " \
        "already (values kept, NaN around): stack 's1_asc' (s1_asc.tif)" in fb.text
    assert np.isfinite(up[:, 2, 2]).all() and np.all(up[1:, 2, 2] == 0.0)  # the reference pixel (row 2, col 2)


def test_north_given_and_slope(run_alg, tmp_path):
    sc = scene(str(tmp_path / "in"), with_ifg=False)
    out = tmp_path / "out"
    out.mkdir()
    res = run_alg(NAME, {"SERIES": sc["series"], "INCIDENCES": "36,41", "HEADINGS": "-12,192", "NORTH": 1,
                         "NORTH_VELOCITY": 2.0, "NORTH_SIGMA": 0.5, **_outputs(str(out))})
    vel, ds = _read(res["OUTPUT_VELOCITY"])
    assert vel.shape[0] == 6 and ds.GetRasterBand(5).GetDescription() == "north velocity (mm/yr)"
    assert np.allclose(vel[4][np.isfinite(vel[4])], 2.0, atol=0.5)
    assert _read(res["OUTPUT_UP"])[1].GetMetadata()["NORTH_MODE"].startswith("north from a velocity model")
    dem = write_raster(tmp_path / "in" / "dem.tif", 500 + 8.0 * np.arange(22)[None, :] * np.ones((18, 1)))
    out2 = tmp_path / "out2"
    out2.mkdir()
    res = run_alg(NAME, {"SERIES": sc["series"], "INCIDENCES": "36,41", "HEADINGS": "-12,192", "NORTH": 2,
                         "DEM": dem, **_outputs(str(out2))})
    assert "slope" in _read(res["OUTPUT_UP"])[1].GetMetadata()["NORTH_MODE"]


@pytest.mark.parametrize("case", ["no_geometry", "bad_date", "no_overlap", "reference_outside",
                                  "radians_no_wavelength"])
def test_bad_input_names_the_stack(run_alg, tmp_path, case):
    from qgis.core import QgsProcessingException

    sc = scene(str(tmp_path / "in"), with_ifg=case == "radians_no_wavelength", metadata_geometry=False)
    out = tmp_path / "out"
    out.mkdir()
    params = {"SERIES": sc["series"], "INCIDENCES": "36,41", "HEADINGS": "-12,192", **_outputs(str(out))}
    if case == "no_geometry":
        params.pop("INCIDENCES")
        params.pop("HEADINGS")
        match = r"stack 's1_asc' has no geometry"
    elif case == "bad_date":
        dates, vals, _ = sc["stacks"]["s1_desc"]
        desc = [d.isoformat() for d in dates]
        desc[3] = "2019-13-45"
        params["SERIES"] = [sc["series"][0], write_raster(tmp_path / "in" / "bad.tif", vals, descriptions=desc)]
        match = r"stack 'bad': cannot read a date from the description '2019-13-45' of band 4"
    elif case == "no_overlap":
        dates, vals, _ = sc["stacks"]["s1_desc"]
        far = (GT[0] + 90000.0, 30.0, 0.0, GT[3], 0.0, -30.0)
        params["SERIES"] = [sc["series"][0], write_raster(tmp_path / "in" / "far.tif", vals, gt=far,
                                                          descriptions=[d.isoformat() for d in dates])]
        match = r"stack 's1_asc' and the other stacks \('far'\) do not overlap in space"
    elif case == "reference_outside":
        dates, vals, _ = sc["stacks"]["s1_desc"]
        params["SERIES"] = [sc["series"][0], write_raster(tmp_path / "in" / "half.tif", vals[:, :, :10],
                                                          descriptions=[d.isoformat() for d in dates])]
        params["REFERENCE"] = f"{GT[0] + 600.0},{GT[3] - 300.0} [EPSG:32633]"
        match = r"reference point .* lies outside stack 'half'"
    else:
        with open(sc["manifest"], "w", encoding="utf-8") as fh:
            fh.write("name,path,kind,incidence_deg,heading_deg,units\n")
            fh.write("tsx_asc,tsx_asc,interferograms,36,-12,rad\n")
        for f in os.listdir(os.path.join(tmp_path, "in", "tsx_asc")):
            p = os.path.join(tmp_path, "in", "tsx_asc", f)
            write_raster(p, _read(p)[0])  # no WAVELENGTH_M
        params["MANIFEST"] = sc["manifest"]
        match = r"stack 'tsx_asc' is in radians but has no wavelength.*shares its geometry with 's1_asc'"
    with pytest.raises(QgsProcessingException, match=match):
        run_alg(NAME, params)
    assert not os.listdir(out), "a refused run left files"


def test_dock_reads_up_east_and_the_input_series(run_alg, tmp_path):
    """A pick on the up raster of a run gives the dock up and east with their sigma and the input LOS series of the
    same place: the values of the written rasters at that pixel."""
    from qgis.core import QgsPointXY, QgsProject, QgsRasterLayer

    from insar_geohazards.ui.timeseries_data import raster_pick

    sc = scene(str(tmp_path / "in"), with_ifg=False)
    os.makedirs(tmp_path / "out")
    res = run_alg(NAME, _params(sc, str(tmp_path / "out")))
    layer = QgsRasterLayer(res["OUTPUT_UP"], "up")
    assert layer.isValid()
    row, col = 7, 11
    x, y = GT[0] + (col + 0.5) * GT[1], GT[3] + (row + 0.5) * GT[5]
    series, centre = raster_pick(layer, QgsPointXY(x, y), QgsProject.instance())
    main = {s.component: s for s in series if s.panel == "main"}
    assert set(main) == {"UP", "EAST"}
    assert (centre.x(), centre.y()) == (x, y)
    for comp, out, sig in (("UP", "OUTPUT_UP", "OUTPUT_SIGMA_UP"), ("EAST", "OUTPUT_EAST", "OUTPUT_SIGMA_EAST")):
        vals, _ = _read(res[out])
        sigma, _ = _read(res[sig])
        np.testing.assert_array_equal(main[comp].values_mm, vals[:, row, col])
        np.testing.assert_array_equal(main[comp].sigma_mm, sigma[:, row, col])
    los = [s for s in series if s.panel == "los"]
    assert [s.component for s in los] == ["LOS", "LOS"]
    for s, path in zip(los, sc["series"]):
        vals, _ = _read(path)
        np.testing.assert_array_equal(s.values_mm, vals[:, row, col])


def _with_constants(folder, seed, rad_per_year=8.0, spread=10.0):
    """Give every interferogram of ``folder`` its own constant (its unit; WAVELENGTH_M kept): a random part and one
    growing with the pair's span (as a reference that moves would give)."""
    from insar_geohazards.algorithms.formats.dates import parse_date_pair

    rng = np.random.default_rng(seed)
    for f in sorted(os.listdir(folder)):
        p = os.path.join(folder, f)
        a, b = parse_date_pair(p)
        vals, ds = _read(p)
        md = ds.GetMetadata()
        ds = None
        c = rad_per_year * (b - a).days / 365.25 + rng.uniform(-spread, spread)
        write_raster(p, vals[0] + c, metadata=md)


def _desc_interferograms(sc, folder) -> str:
    """The scene's descending series as interferograms in mm (each date with the next two), in ``folder``; a
    manifest row for them."""
    dates, vals, _ = sc["stacks"]["s1_desc"]
    os.makedirs(folder, exist_ok=True)
    for a in range(len(dates)):
        for b in range(a + 1, min(len(dates), a + 3)):
            write_raster(os.path.join(folder, f"{dates[a]:%Y%m%d}_{dates[b]:%Y%m%d}.tif"), vals[b] - vals[a],
                         metadata={"UNIT": "mm"})
    return f"s1_desc_ifg,{folder},interferograms,41,192\n"


def test_interferograms_each_with_its_own_constant_are_tied_to_the_common_ground(run_alg, tmp_path):
    """Unwrapped interferograms without a common reference carry each its own constant (the unwrapper's arbitrary
    offset and whole cycles: why MintPy references every interferogram to one point before the inversion,
    reference_point.py; Yunjun et al. 2019, doi:10.1016/j.cageo.2019.104331, section 3.1). Two interferogram stacks
    (ascending in radians, descending in mm) on a scene whose motion is local (the ground around it still): without
    REFERENCE a stack with no pixel where all its interferograms are 0 is tied to the ground every stack covers
    (its network inverted there, each date's median the datum): the velocities match the truth as well as those of
    the same interferograms referenced to one pixel (with the constants they were 10-19 mm/yr off: tied to nothing,
    the constants reached every pixel as a motion of its own), and two different sets of constants give the same
    histories. The truth neglects north here as the run does (NORTH neglected): its leak is in both runs' errors."""
    vel, logs = [], []
    for k, seed in enumerate((None, 5, 6)):
        folder = tmp_path / f"in{k}"
        sc = scene(str(folder), bowl=0.12)
        with open(sc["manifest"], "a", encoding="utf-8") as fh:
            fh.write(_desc_interferograms(sc, str(folder / "s1_desc_ifg")))
        if seed is not None:
            _with_constants(str(folder / "tsx_asc"), seed)
            _with_constants(str(folder / "s1_desc_ifg"), seed + 10, rad_per_year=-20.0, spread=25.0)
        out = tmp_path / f"out{k}"
        os.makedirs(out)
        fb = recording_feedback()
        res = run_alg(NAME, {"MANIFEST": sc["manifest"], **_outputs(str(out))}, fb)
        vel.append(_read(res["OUTPUT_VELOCITY"])[0])
        logs.append(fb.text)
    assert "stack 'tsx_asc': its interferograms are all 0 at row 0, column 0" in logs[0]
    assert "the interferograms of 'tsx_asc', 's1_desc_ifg' carry each its own constant" in logs[1]
    assert "tied to the ground every stack covers" in logs[1]
    np.testing.assert_allclose(vel[2], vel[1], atol=0.02)
    d0, d1 = dt.date(2019, 1, 5), dt.date(2020, 10, 15)
    te, _, tu = sc["truth"]([d0, d1])
    years = (d1 - d0).days / 365.25
    for comp, t in ((0, te), (1, tu)):
        err = [v[comp] - (t[1] - t[0]) / years for v in vel]
        spread = [np.sqrt(np.nanmean((e - np.nanmedian(e)) ** 2)) for e in err]
        assert abs(np.nanmedian(err[1])) < 1.5, (comp, np.nanmedian(err[1]))
        assert spread[1] < spread[0] + 0.2, (comp, spread)


def test_interferograms_tied_to_ground_the_series_see_move_are_warned(run_alg, tmp_path):
    """Where the ground every stack covers subsides in the series' own reference (the scene's bowl covers most of the
    grid), the interferograms tied to it as still ground do not share the series' datum: the log warns, naming the
    series and the motion."""
    sc = scene(str(tmp_path / "in"))
    _with_constants(str(tmp_path / "in" / "tsx_asc"), 5)
    out = tmp_path / "out"
    os.makedirs(out)
    fb = recording_feedback()
    run_alg(NAME, _params(sc, str(out)), fb)
    assert any("stack 's1_asc' sees the ground the interferograms of 'tsx_asc' are tied to move at" in w
               for w in fb.warnings), fb.warnings


def test_outputs_are_optional_and_a_run_of_one_writes_only_it(run_alg, tmp_path):
    sc = scene(str(tmp_path / "in"), with_ifg=False)
    out = tmp_path / "out"
    out.mkdir()
    res = run_alg(NAME, {"SERIES": sc["series"], "INCIDENCES": "36, 41", "HEADINGS": "-12, 192",
                         "OUTPUT_VELOCITY": str(out / "vel.tif")})
    assert sorted(os.listdir(out)) == ["vel.tif"] or sorted(f for f in os.listdir(out) if not f.endswith(".qml")) \
        == ["vel.tif"]
    assert res["OUTPUT_VELOCITY"] == str(out / "vel.tif")
    assert not res.get("OUTPUT_UP")
    vel, _ = _read(res["OUTPUT_VELOCITY"])
    assert np.isfinite(vel[1]).mean() > 0.9


def test_mixed_crs_keep_the_finest_projected_grid(run_alg, tmp_path):
    """A stack in geographic coordinates (EPSG:4326, 1e-4 degree pixels ~ 9 x 11 m) beside one in UTM (30 m): the
    output grid is the UTM stack's (a projected grid in metres), not the geographic one."""
    from osgeo import gdal

    sc = scene(str(tmp_path / "in"), with_ifg=False)
    geo = str(tmp_path / "in" / "desc_4326.tif")
    gdal.Warp(geo, sc["series"][1], dstSRS="EPSG:4326", xRes=1e-4, yRes=1e-4, resampleAlg="bilinear",
              dstNodata=float("nan"))
    out = tmp_path / "out"
    out.mkdir()
    fb = recording_feedback()
    res = run_alg(NAME, {"SERIES": [sc["series"][0], geo], "INCIDENCES": "36,41", "HEADINGS": "-12,192",
                         "OUTPUT_UP": str(out / "up.tif")}, fb)
    _, ds = _read(res["OUTPUT_UP"])
    assert "32633" in ds.GetProjection().split("AUTHORITY")[-1] or 'ID["EPSG",32633]' in ds.GetProjection()
    assert ds.GetGeoTransform()[1] == 30.0
    assert "'s1_asc'" in fb.text.split("Output grid:")[1].splitlines()[0]


def test_residuals_far_above_the_noise_are_warned_naming_the_stack(run_alg, tmp_path):
    """An unwrapping error (one cycle, 2 pi = lambda / 2 of LOS) in a block of pixels of several interferograms
    leaves residuals far above the stack's noise there: the log warns naming the stack and the share of pixels (it
    was only in the CSV)."""
    sc = scene(str(tmp_path / "in"))
    folder = tmp_path / "in" / "tsx_asc"
    for f in sorted(os.listdir(folder))[20:60:3]:
        p = os.path.join(folder, f)
        vals, ds = _read(p)
        md = ds.GetMetadata()
        ds = None
        vals = vals[0].copy()
        vals[4:14, 6:18] += 2 * np.pi
        write_raster(p, vals, metadata=md)
    out = tmp_path / "out"
    out.mkdir()
    fb = recording_feedback()
    run_alg(NAME, _params(sc, str(out)), fb)
    warned = [w for w in fb.warnings if "tsx_asc" in w and "residual" in w]
    assert warned, fb.warnings
    assert "% of its pixels" in warned[0]
    assert not [w for w in fb.warnings if "s1_desc" in w and "residual" in w]
