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
