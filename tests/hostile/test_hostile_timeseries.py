"""Hostile inputs for the interferogram-stack tools: sbasinversion, stackingvelocity, phasegradientstacking."""

import os

import numpy as np
import registry
import testutils_hostile as hk

TOOLS = registry.hostile_tools("timeseries")  # the tools whose hostile family is "timeseries" in tests/registry.py
OUTPUTS = {
    "sbasinversion": ["OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
                      "OUTPUT_COHCOUNT"],
    "stackingvelocity": ["OUTPUT_VELOCITY"],
    "phasegradientstacking": ["OUTPUT"],
}


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    files = hk.ifg_stack(j(tmp, "ifgs"))
    params = {"INTERFEROGRAMS": files, "MIN_TEMPORAL_COHERENCE": 0.0}
    params.update({o: j(out, f"{o.lower()}.tif") for o in OUTPUTS[tool]})

    return hk.Recipe(params, OUTPUTS[tool], ("INTERFEROGRAMS", OUTPUTS[tool][0]), hk.stack_spoil,
                     raster="INTERFEROGRAMS", nocrs="accept", overlap=hk.far_coherence(tmp),
                     implausible={"WAVELENGTH_M": 1e6})


test_hostile = hk.hostile_cases(TOOLS, recipe)


def _vel(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.GetRasterBand(1).ReadAsArray()
    ds = None
    return arr


def test_two_band_roipac_unw_reads_the_phase_band(qgis_app, tmp_path):
    """ROI_PAC .unw = amplitude (band 1) + unwrapped phase (band 2): the velocity must come from the phase."""
    from osgeo import gdal

    tifs = hk.ifg_stack(str(tmp_path / "tif"))
    unws = []
    for p in tifs:
        src = gdal.Open(p)
        phase = src.GetRasterBand(1).ReadAsArray()
        gt, wkt = src.GetGeoTransform(), src.GetProjection()
        src = None
        name = str(tmp_path / "unw" / os.path.basename(p).replace(".tif", ".unw"))
        os.makedirs(os.path.dirname(name), exist_ok=True)
        ds = gdal.GetDriverByName("ROI_PAC").Create(name, phase.shape[1], phase.shape[0], 2, gdal.GDT_Float32)
        ds.SetGeoTransform(gt)
        ds.SetProjection(wkt)
        ds.GetRasterBand(1).WriteArray(np.full(phase.shape, 250.0, np.float32))  # amplitude
        ds.GetRasterBand(2).WriteArray(phase.astype(np.float32))
        ds = None
        unws.append(name)
    ref = hk.run("stackingvelocity", {"INTERFEROGRAMS": tifs, "OUTPUT_VELOCITY": str(tmp_path / "a.tif")})
    got = hk.run("stackingvelocity", {"INTERFEROGRAMS": unws, "OUTPUT_VELOCITY": str(tmp_path / "b.tif")})
    a, b = _vel(ref["OUTPUT_VELOCITY"]), _vel(got["OUTPUT_VELOCITY"])
    assert np.isfinite(a).any()
    np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-4)


def test_coherence_on_a_0_255_scale_is_refused(qgis_app, tmp_path):
    files, coh = hk.ifg_stack(str(tmp_path / "s"), coherence=True, coherence_scale=255.0)
    msg = hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": files, "COHERENCE": coh, "WEIGHTING": 1,
                                                "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, "COHERENCE")
    assert "255" in msg and "0-1" in msg


def test_complex_interferogram_is_refused_naming_the_file(qgis_app, tmp_path):
    from osgeo import gdal, osr

    files = hk.ifg_stack(str(tmp_path / "s"))
    bad = files[1]
    ds = gdal.GetDriverByName("GTiff").Create(bad, 18, 16, 1, gdal.GDT_CFloat32)
    ds.SetGeoTransform(hk.GT)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(np.exp(1j * np.ones((16, 18))).astype(np.complex64))
    ds = None
    msg = hk.expect_refusal("sbasinversion", {"INTERFEROGRAMS": files, **{
        o: str(tmp_path / f"{o}.tif") for o in OUTPUTS["sbasinversion"]}}, "complex")
    assert os.path.basename(bad) in msg


def test_same_date_pair_message(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "s"))
    same = str(tmp_path / "s" / "20200101_20200101.tif")
    hk.los_raster(same, shape=(16, 18))
    # with one other interferogram the pair cannot be filtered out as a stray file: it is named as such
    hk.expect_refusal("stackingvelocity", {"INTERFEROGRAMS": files[:1] + [same],
                                           "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, "with itself")


def test_memory_advice_names_existing_parameters(qgis_app):
    from qgis.core import QgsApplication

    for tool in TOOLS:
        alg = QgsApplication.processingRegistry().createAlgorithmById(f"geohazard:{tool}")
        advice = alg.memory_advice()
        if "MAX_MEMORY_MB" in advice:
            assert alg.parameterDefinition("MAX_MEMORY_MB") is not None
        assert "block size" not in advice


def test_baselines_folder_gets_no_gzip_index(qgis_app, tmp_path, data_dir):
    """QGIS probing *.par.gz as layers used to leave *.par.gz.properties next to them."""
    import shutil

    from qgis.core import QgsProcessingContext, QgsProcessingUtils

    src = os.path.join(data_dir, "sentinel1_mexico_city", "baselines")
    folder = tmp_path / "baselines"
    shutil.copytree(src, folder)
    for f in sorted(os.listdir(folder))[:3]:
        QgsProcessingUtils.mapLayerFromString(str(folder / f), QgsProcessingContext())
    assert not [f for f in os.listdir(folder) if not f.endswith(".par.gz")]
