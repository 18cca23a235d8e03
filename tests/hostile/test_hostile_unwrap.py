"""Hostile inputs for the phase unwrapping tool (``geohazard:unwrap``)."""

import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import write_geotiff

TOOL = "unwrap"
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
