"""Hostile inputs for the phase unwrapping tool (``geohazard:unwrap``)."""

import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
from testutils import write_geotiff

(TOOL,) = registry.hostile_tools("unwrap")  # the one tool of the family (tests/registry.py)
SHAPE = (24, 28)
PAIRS = ["20200101_20200113", "20200113_20200125", "20200101_20200125"]


def wrapped_stack(folder, *, gt=hk.GT, epsg=32633, value=None, seed=0, pairs=PAIRS):
    """Wrapped phase (radians) of a tilted plane per pair plus a coherence raster per pair."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    files, coh = [], []
    for k, pair in enumerate(pairs):
        phase = 0.4 * (k + 1) * c + 0.2 * r + rng.normal(0, 0.1, SHAPE)
        arr = np.angle(np.exp(1j * phase)) if value is None else np.full(SHAPE, value)
        files.append(write_geotiff(os.path.join(folder, f"{pair}.wrapped.tif"), arr, geotransform=gt, epsg=epsg))
        coh.append(write_geotiff(os.path.join(folder, f"{pair}.coh.tif"), np.full(SHAPE, 0.9),
                                 geotransform=gt, epsg=epsg))
    return files, coh


def recipe(tmp):
    tmp = str(tmp)
    j = os.path.join
    os.makedirs(j(tmp, "out"), exist_ok=True)
    files, coh = wrapped_stack(j(tmp, "ifgs"))
    params = {"INPUT": files, "COHERENCE": coh, "MIN_COMPONENT_PIXELS": 10, "OUTPUT": j(tmp, "out", "unw"),
              "OUTPUT_REPORT": j(tmp, "out", "report.csv")}

    def spoil(kind, folder):
        if kind == "truncated":
            bad, _ = wrapped_stack(j(folder, "trunc"))
            hk.truncate(bad[1])
            return {"INPUT": bad, "COHERENCE": None}, os.path.basename(bad[1])
        if kind == "nan":
            return {"INPUT": wrapped_stack(j(folder, "nan"), value=np.nan)[0], "COHERENCE": None}, \
                "no valid pixel|nothing to unwrap"
        return {"INPUT": wrapped_stack(j(folder, "radar"), epsg=None, gt=None)[0], "COHERENCE": None}, None

    far_coh = wrapped_stack(j(tmp, "far"), gt=hk.FAR_GT)[1]
    return hk.Recipe(params, ["OUTPUT", "OUTPUT_REPORT"], ("INPUT", "OUTPUT"), spoil, raster="INPUT",
                     nocrs="accept", overlap={"COHERENCE": far_coh})


@pytest.mark.parametrize("case", list(hk.CASES))
def test_hostile(qgis_app, case, tmp_path):
    hk.CASES[case](TOOL, recipe(tmp_path), str(tmp_path))


def _out(tmp_path):
    return str(tmp_path / "unw")


def _nothing_written(tmp_path):
    out = tmp_path / "unw"
    assert not out.exists() or not hk.listing(str(out)), sorted(hk.listing(str(out)))


def test_coherence_in_another_crs_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    _, coh = wrapped_stack(str(tmp_path / "utm34"), epsg=32634)
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "OUTPUT": _out(tmp_path)},
                            "not on the same grid")
    assert "COHERENCE" in msg and os.path.basename(coh[0]) in msg
    _nothing_written(tmp_path)


def test_mask_on_another_grid_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    mask = write_geotiff(str(tmp_path / "mask.tif"), np.ones(SHAPE), geotransform=hk.FAR_GT, epsg=32633)
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "MASK": mask, "OUTPUT": _out(tmp_path)}, "not on the same grid")
    assert "MASK" in msg
    _nothing_written(tmp_path)


def test_interferograms_on_different_grids_are_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    shifted, _ = wrapped_stack(str(tmp_path / "far"), gt=hk.FAR_GT, pairs=["20200125_20200206"])
    msg = hk.expect_refusal(TOOL, {"INPUT": files + shifted, "OUTPUT": _out(tmp_path)}, "not on the same grid")
    assert "20200125_20200206.wrapped.tif" in msg
    _nothing_written(tmp_path)


def test_unparsable_name_is_refused_naming_the_file(qgis_app, tmp_path):
    odd = write_geotiff(str(tmp_path / "interferogram_final.tif"), np.zeros(SHAPE), geotransform=hk.GT)
    msg = hk.expect_refusal(TOOL, {"INPUT": [odd], "OUTPUT": _out(tmp_path)}, "no date pair")
    assert "INPUT" in msg and "interferogram_final.tif" in msg
    _nothing_written(tmp_path)


def test_undated_file_in_a_list_is_left_out_with_a_warning(qgis_app, tmp_path):
    """A list made by "Add Directory..." may hold a stray raster: it is left out and named, not silently."""
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    odd = write_geotiff(str(tmp_path / "ifgs" / "interferogram_final.tif"), np.zeros(SHAPE), geotransform=hk.GT)
    fb = hk.warning_feedback()
    hk.run(TOOL, {"INPUT": files + [odd], "OUTPUT": _out(tmp_path)}, fb)
    assert any("interferogram_final.tif" in w for w in fb.warnings), fb.warnings
    assert sorted(os.listdir(_out(tmp_path))) == sorted(f"{p}.{k}.tif" for p in PAIRS for k in ("unw", "conncomp"))


def test_not_a_raster_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    text = hk.garbage(str(tmp_path / "20200125_20200206.wrapped.tif"))
    msg = hk.expect_refusal(TOOL, {"INPUT": files + [text], "OUTPUT": _out(tmp_path)}, "20200125_20200206")
    assert "Traceback" not in msg
    _nothing_written(tmp_path)


def test_coherence_not_a_raster_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    text = hk.garbage(str(tmp_path / "coh.tif"))
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": [text], "OUTPUT": _out(tmp_path)}, "coh.tif")
    assert "Traceback" not in msg
    _nothing_written(tmp_path)


def test_unwrapped_input_given_as_wrapped_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    unw = write_geotiff(str(tmp_path / "ifgs" / "20200125_20200206.unw.tif"), 0.9 * c + 0.3 * r, geotransform=hk.GT)
    msg = hk.expect_refusal(TOOL, {"INPUT": files + [unw], "OUTPUT": _out(tmp_path)}, "already unwrapped")
    assert "20200125_20200206.unw.tif" in msg
    _nothing_written(tmp_path)


def test_all_incoherent_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    low = write_geotiff(str(tmp_path / "tcoh.tif"), np.full(SHAPE, 0.05), geotransform=hk.GT)
    hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": [low], "OUTPUT": _out(tmp_path)}, "all incoherent")
    _nothing_written(tmp_path)


def test_coherence_above_one_is_refused(qgis_app, tmp_path):
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    c255 = write_geotiff(str(tmp_path / "tcoh.tif"), np.full(SHAPE, 230.0), geotransform=hk.GT)
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": [c255], "OUTPUT": _out(tmp_path)}, "COHERENCE")
    assert "0-1" in msg or "0..1" in msg
    _nothing_written(tmp_path)


def test_empty_input_folder_is_refused(qgis_app, tmp_path):
    (tmp_path / "empty").mkdir()
    msg = hk.expect_refusal(TOOL, {"INPUT": [str(tmp_path / "empty")], "OUTPUT": _out(tmp_path)}, "INPUT")
    assert "holds no" in msg or "give wrapped" in msg
    _nothing_written(tmp_path)


def test_output_folder_that_is_the_input_folder_is_refused(qgis_app, tmp_path):
    """The outputs (*.unw.tif) written into the input folder would be taken for inputs by the next run."""
    folder = str(tmp_path / "ifgs")
    files, coh = wrapped_stack(folder)
    before = hk.digest(files + coh)
    msg = hk.expect_refusal(TOOL, {"INPUT": [folder], "OUTPUT": folder}, "destroy the input")
    assert "OUTPUT" in msg
    assert hk.digest(files + coh) == before
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(f) for f in files + coh)


def _complex(path, phase, *, amplitude=1.0):
    from osgeo import gdal, osr

    ds = gdal.GetDriverByName("GTiff").Create(str(path), SHAPE[1], SHAPE[0], 1, gdal.GDT_CFloat32)
    ds.SetGeoTransform(hk.GT)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray((amplitude * np.exp(1j * phase)).astype(np.complex64))
    ds = None
    return str(path)


def test_complex_interferograms_unwrap_like_their_phase(qgis_app, tmp_path):
    """The tool takes complex interferograms (a + ib): same unwrapped phase as the wrapped-phase rasters."""
    from osgeo import gdal

    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    cplx = []
    for f in files:
        ds = gdal.Open(f)
        phase = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
        ds = None
        cplx.append(_complex(tmp_path / os.path.basename(f).replace(".wrapped.", ".int."), phase, amplitude=3.0))
    a = hk.run(TOOL, {"INPUT": files, "COHERENCE": coh, "OUTPUT": str(tmp_path / "a")})["OUTPUT"]
    b = hk.run(TOOL, {"INPUT": cplx, "COHERENCE": coh, "OUTPUT": str(tmp_path / "b")})["OUTPUT"]
    for p in PAIRS:
        ua, ub = (gdal.Open(os.path.join(o, f"{p}.unw.tif")) for o in (a, b))
        x, y = ua.GetRasterBand(1).ReadAsArray(), ub.GetRasterBand(1).ReadAsArray()
        ua = ub = None
        assert np.isfinite(x).all()
        np.testing.assert_allclose(y, x, atol=1e-5)


def test_all_zero_complex_interferograms_are_refused(qgis_app, tmp_path):
    """Zero amplitude (an empty interferogram, e.g. outside the swath) has no phase: nothing to unwrap."""
    files = [_complex(tmp_path / f"{p}.int.tif", np.zeros(SHAPE), amplitude=0.0) for p in PAIRS]
    hk.expect_refusal(TOOL, {"INPUT": files, "OUTPUT": _out(tmp_path)}, "no valid pixel|nothing (can be|to) unwrap")
    _nothing_written(tmp_path)


# ---------------------------------------------------------------- parameters at their limits
def _read(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    try:
        return ds.GetRasterBand(1).ReadAsArray()
    finally:
        ds = None


def _split_coherence(path, *, band=0.05):
    """Coherence 0.9 cut by a decorrelated cross into four quadrants of about 130 pixels each."""
    coh = np.full(SHAPE, 0.9)
    coh[SHAPE[0] // 2 - 1:SHAPE[0] // 2 + 1] = band
    coh[:, SHAPE[1] // 2 - 1:SHAPE[1] // 2 + 1] = band
    return write_geotiff(str(path), coh, geotransform=hk.GT)


@pytest.mark.parametrize("size", [SHAPE[0] * SHAPE[1] + 1, 10**6, 2**31 - 1])
def test_component_size_larger_than_the_raster_is_refused(qgis_app, tmp_path, size):
    """No component can hold more pixels than the raster: such a minimum would write NoData everywhere."""
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "MIN_COMPONENT_PIXELS": size,
                                   "OUTPUT": _out(tmp_path)}, "MIN_COMPONENT_PIXELS")
    assert str(size) in msg and f"{SHAPE[0]} x {SHAPE[1]}" in msg and str(SHAPE[0] * SHAPE[1]) in msg
    _nothing_written(tmp_path)


def test_component_size_above_the_int_range_is_refused(qgis_app, tmp_path):
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "MIN_COMPONENT_PIXELS": 10**12,
                             "OUTPUT": _out(tmp_path)}, "MIN_COMPONENT_PIXELS")
    _nothing_written(tmp_path)


def test_component_size_that_keeps_nothing_anywhere_is_refused(qgis_app, tmp_path):
    """A minimum below the raster size but above every connected coherent area: every interferogram would
    come out all NoData. That is an error naming the parameter, not 'unwrapped 0' and exit 0."""
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    coh = _split_coherence(tmp_path / "tcoh.tif")
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": [coh], "MIN_COMPONENT_PIXELS": 400,
                                   "OUTPUT": _out(tmp_path)}, "MIN_COMPONENT_PIXELS")
    assert "400" in msg and "no pixel" in msg
    _nothing_written(tmp_path)


def test_an_interferogram_left_empty_is_named_in_a_warning(qgis_app, tmp_path):
    """One interferogram whose coherent areas are all smaller than the minimum: the others are written,
    and a warning names the empty one, the parameter and its value."""
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    coh[0] = _split_coherence(tmp_path / "ifgs" / f"{PAIRS[0]}.coh.tif")
    fb = hk.warning_feedback()
    out = hk.run(TOOL, {"INPUT": files, "COHERENCE": coh, "MIN_COMPONENT_PIXELS": 400, "OUTPUT": _out(tmp_path)},
                 fb)["OUTPUT"]
    empty = [w for w in fb.warnings if PAIRS[0] in w]
    assert empty and "MIN_COMPONENT_PIXELS" in empty[0] and "400" in empty[0], fb.warnings
    assert not any(PAIRS[1] in w or PAIRS[2] in w for w in fb.warnings), fb.warnings
    assert np.isfinite(_read(os.path.join(out, f"{PAIRS[1]}.unw.tif"))).all()
    assert np.isnan(_read(os.path.join(out, f"{PAIRS[0]}.unw.tif"))).all()


@pytest.mark.parametrize("value", [1.0, 0.95])
def test_minimum_coherence_above_every_pixel_is_refused(qgis_app, tmp_path, value):
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))  # coherence 0.9 everywhere
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "MIN_COHERENCE": value,
                                   "OUTPUT": _out(tmp_path)}, "all incoherent")
    assert f"{value:g}" in msg
    _nothing_written(tmp_path)


def test_minimum_coherence_zero_unwraps_every_pixel(qgis_app, tmp_path):
    """MIN_COHERENCE 0 is a valid choice: every pixel with data is unwrapped, no warning."""
    files, _ = wrapped_stack(str(tmp_path / "ifgs"))
    coh = _split_coherence(tmp_path / "tcoh.tif", band=0.0)
    fb = hk.warning_feedback()
    out = hk.run(TOOL, {"INPUT": files, "COHERENCE": [coh], "MIN_COHERENCE": 0.0, "OUTPUT": _out(tmp_path)},
                 fb)["OUTPUT"]
    assert not fb.warnings, fb.warnings
    assert np.isfinite(_read(os.path.join(out, f"{PAIRS[0]}.unw.tif"))).all()


@pytest.mark.parametrize("param,value", [("MIN_COHERENCE", -0.1), ("MIN_COHERENCE", 1.5),
                                         ("MIN_COHERENCE", float("nan")), ("MIN_COMPONENT_PIXELS", 0),
                                         ("MIN_COMPONENT_PIXELS", -5), ("NLOOKS", 0.5), ("NLOOKS", float("inf")),
                                         ("MAX_MEMORY_MB", 0), ("MAX_MEMORY_MB", float("nan"))])
def test_out_of_range_parameters_are_refused(qgis_app, tmp_path, param, value):
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, param: value, "OUTPUT": _out(tmp_path)}, param)
    assert "Traceback" not in msg
    _nothing_written(tmp_path)


def test_tiny_memory_budget_still_unwraps(qgis_app, tmp_path):
    """MAX_MEMORY_MB 1: tiles never go below their minimum height, the result is that of the default."""
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    a = hk.run(TOOL, {"INPUT": files, "COHERENCE": coh, "OUTPUT": str(tmp_path / "a")})["OUTPUT"]
    b = hk.run(TOOL, {"INPUT": files, "COHERENCE": coh, "MAX_MEMORY_MB": 1, "OUTPUT": str(tmp_path / "b")})["OUTPUT"]
    for p in PAIRS:
        np.testing.assert_array_equal(_read(os.path.join(a, f"{p}.unw.tif")), _read(os.path.join(b, f"{p}.unw.tif")))


# ---------------------------------------------------------------- the prior (PRIOR, PRIOR_UNITS)
def test_prior_on_another_grid_is_refused(qgis_app, tmp_path):
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    prior = write_geotiff(str(tmp_path / "prior.tif"), np.zeros(SHAPE), geotransform=hk.FAR_GT, epsg=32633)
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "PRIOR": [prior], "OUTPUT": _out(tmp_path)},
                            "not on the interferograms' grid")
    assert "PRIOR" in msg and "prior.tif" in msg
    _nothing_written(tmp_path)


def test_prior_of_another_size_is_refused(qgis_app, tmp_path):
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    prior = write_geotiff(str(tmp_path / "prior.tif"), np.zeros((SHAPE[0] - 2, SHAPE[1])), geotransform=hk.GT)
    hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "PRIOR": [prior], "OUTPUT": _out(tmp_path)},
                      "PRIOR")
    _nothing_written(tmp_path)


def test_complex_prior_is_refused(qgis_app, tmp_path):
    """A prior is an unwrapped signal: complex data where a phase (or mm) is expected is named."""
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    prior = _complex(tmp_path / "prior.tif", np.zeros(SHAPE))
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "PRIOR": [prior], "OUTPUT": _out(tmp_path)},
                            "complex")
    assert "PRIOR" in msg
    _nothing_written(tmp_path)


def test_priors_missing_a_pair_are_refused_naming_it(qgis_app, tmp_path):
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    priors = [write_geotiff(str(tmp_path / f"{p}.model.tif"), np.zeros(SHAPE), geotransform=hk.GT) for p in PAIRS[:2]]
    msg = hk.expect_refusal(TOOL, {"INPUT": files, "COHERENCE": coh, "PRIOR": priors, "OUTPUT": _out(tmp_path)},
                            "no prior raster")
    assert PAIRS[2] in msg
    _nothing_written(tmp_path)


def test_prior_of_the_wrong_sign_is_named_in_a_warning(qgis_app, tmp_path):
    """The planes of the stack given back with the opposite sign: the residual is steeper than the input."""
    files, coh = wrapped_stack(str(tmp_path / "ifgs"))
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    priors = [write_geotiff(str(tmp_path / f"{p}.model.tif"), -(0.4 * (k + 1) * c + 0.2 * r), geotransform=hk.GT)
              for k, p in enumerate(PAIRS)]
    fb = hk.warning_feedback()
    hk.run(TOOL, {"INPUT": files, "COHERENCE": coh, "PRIOR": priors, "MIN_COMPONENT_PIXELS": 10,
                  "OUTPUT": _out(tmp_path)}, fb)
    assert any("wrong sign" in w and PAIRS[0] in w for w in fb.warnings), fb.warnings
