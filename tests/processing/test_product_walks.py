"""GAMMA, GMTSAR and SNAP stacks as their producers write them, into the stack tools: the oracle per product.

The result from the stack as delivered equals, value for value, the result from the same data flattened into one
folder of GeoTIFFs and typed by hand (wavelength, no-data, CRS), and both equal the synthetic truth. Layouts and
their sources: tests/testutils_product_walks.py.
"""

import os

import numpy as np
import pytest
from testutils import read_array, read_raster, recording_feedback
from testutils_product_walks import HEADING, INCIDENCE, flatten_plain, gamma_stack, gmtsar_stack, snap_products
from testutils_products import S1_WAVELENGTH_M, Truth

OUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY")
REF = "25.0330,39.9960 [EPSG:4326]"  # row 4, column 33: still ground


def _outs(d):
    os.makedirs(d, exist_ok=True)
    return {k: os.path.join(str(d), f"{k.lower()}.tif") for k in OUTS}


@pytest.mark.parametrize("producer", ["GAMMA", "GMTSAR", "SNAP"])
def test_stack_as_delivered_equals_flattened_by_hand_and_the_truth(run_alg, tmp_path, producer):
    t = Truth()
    make = {"GAMMA": gamma_stack, "GMTSAR": gmtsar_stack, "SNAP": snap_products}[producer]
    given = make(tmp_path / "delivered", t)
    flat = flatten_plain(t, tmp_path / "flat", zero_nodata=producer != "GMTSAR")
    before = sorted(os.path.join(d, f) for d, _, fs in os.walk(tmp_path / "delivered") for f in fs)
    common = {"REFERENCE": REF, "WEIGHTING": 1, "MIN_TEMPORAL_COHERENCE": 0}
    fb = recording_feedback()
    a = run_alg("sbasinversion", {"INTERFEROGRAMS": given, **common, **_outs(tmp_path / "a")}, feedback=fb)
    b = run_alg("sbasinversion", {"INTERFEROGRAMS": flat, "COHERENCE": flat, "WAVELENGTH_M": S1_WAVELENGTH_M,
                                  **common, **_outs(tmp_path / "b")})
    for key in OUTS:
        va, vb = read_array(a[key]), read_array(b[key])
        np.testing.assert_allclose(va, vb, rtol=0, atol=1e-4, err_msg=key)
    vel, ds = read_raster(a["OUTPUT_VELOCITY"])
    assert ds.GetGeoTransform() == pytest.approx(read_raster(b["OUTPUT_VELOCITY"])[1].GetGeoTransform())
    np.testing.assert_allclose(vel[3:, :], t.velocity[3:, :], atol=2e-3)
    assert np.isnan(vel[:3, :4]).all()
    text = fb.text
    assert f"{producer} " in text and "15 " in text and "COHERENCE: the product's coherence is used" in text
    md = ds.GetMetadata()
    if producer in ("GAMMA", "SNAP"):
        assert abs(float(md["INCIDENCE_DEG"]) - INCIDENCE) < 1e-6
        assert abs(float(md["HEADING_DEG"]) % 360 - HEADING) < 1e-3
    else:
        assert "GMTSAR's files carry no heading" in text
    if producer == "GAMMA":
        assert "perpendicular baselines of the 15 interferograms: from the pairs' GAMMA _bperp.par" in text
    # nothing written beside the product
    assert sorted(os.path.join(d, f) for d, _, fs in os.walk(tmp_path / "delivered") for f in fs) == before


def test_gamma_without_its_dem_par_is_refused_as_radar_coordinates(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    given = gamma_stack(tmp_path / "g", Truth(), with_dem_par=False)
    with pytest.raises(QgsProcessingException, match=r"INTERFEROGRAMS: the GAMMA interferograms \(.*\.unw \.\.\.\) "
                                                     r"have no DEM/MAP parameter file .*radar coordinates"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": given, **_outs(tmp_path / "o")})


def test_gmtsar_without_its_prm_files_is_refused_naming_the_day_of_year_quirk(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    given = gmtsar_stack(tmp_path / "g", Truth(), prm=False)
    with pytest.raises(QgsProcessingException, match=r"the pair's dates are not known: GMTSAR names the folder by day "
                                                     r"of year counted from 0 for Sentinel-1"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": given, **_outs(tmp_path / "o")})


def test_gmtsar_prm_of_another_pair_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    t = Truth()
    given = gmtsar_stack(tmp_path / "g", t)
    first = sorted(os.listdir(given))[0]
    prm = [f for f in os.listdir(os.path.join(given, first)) if f.endswith(".PRM")][0]
    os.rename(os.path.join(given, first, prm), os.path.join(given, first, "S1_20190101_ALL_F1.PRM"))
    with pytest.raises(QgsProcessingException, match=r"is not the date of its \.PRM files"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": given, **_outs(tmp_path / "o")})


def test_snap_frequency_not_in_mhz_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    given = snap_products(tmp_path / "s", Truth(), frequency_mhz=5.405e9)
    with pytest.raises(QgsProcessingException, match=r"'radar_frequency: 5405000000.0' \(MHz\) read in MHz gives a "
                                                     r"wavelength of 5.\d+e-08 m, which no SAR has .*in Hz it would be "
                                                     r"5.547 cm, C band"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": given, **_outs(tmp_path / "o")})


def test_isce2_stack_in_radar_coordinates_is_geocoded_with_its_lookup_tables(run_alg, tmp_path):
    from testutils_product_walks import flatten_isce_by_hand, isce_tops_stack

    t = Truth()
    merged = isce_tops_stack(tmp_path / "isce", t)
    flat = flatten_isce_by_hand(t, tmp_path / "flat")
    common = {"REFERENCE": "25.0335,39.9955 [EPSG:4326]", "WEIGHTING": 1, "MIN_TEMPORAL_COHERENCE": 0,
              "WAVELENGTH_M": S1_WAVELENGTH_M}
    fb = recording_feedback()
    a = run_alg("sbasinversion", {"INTERFEROGRAMS": merged, **common, **_outs(tmp_path / "a")}, feedback=fb)
    b = run_alg("sbasinversion", {"INTERFEROGRAMS": flat, "COHERENCE": flat, **common, **_outs(tmp_path / "b")})
    for key in OUTS:
        np.testing.assert_allclose(read_array(a[key]), read_array(b[key]), rtol=0, atol=1e-4, err_msg=key)
    vel, ds = read_raster(a["OUTPUT_VELOCITY"])
    assert ds.GetGeoTransform() == pytest.approx((25.0, 0.001, 0.0, 40.0, 0.0, -0.001))
    np.testing.assert_allclose(vel[3:, :], t.velocity[3:, :], atol=2e-3)
    assert np.isnan(vel[:3, :4]).all()
    assert "ISCE2 stack in radar coordinates: 15 interferograms" in fb.text
    assert "geocoded with the lookup tables lat.rdr.vrt and lon.rdr.vrt" in fb.text
    md = ds.GetMetadata()
    assert abs(float(md["INCIDENCE_DEG"]) - INCIDENCE) < 1e-4 and abs(float(md["HEADING_DEG"]) % 360 - HEADING) < 1e-3


def test_roipac_stack_of_pyrates_envisat_interferograms_equals_their_geotiffs(run_alg, tmp_path, data_dir):
    """PyRate's ROI_PAC Envisat interferograms (tests/data/envisat_small_test: the phase of each
    geo_<yymmdd>-<yymmdd>.unw as PyRate converted it to GeoTIFF, 0 declared no data, WAVELENGTH_METRES) written back
    as ROI_PAC delivers them: rmg .unw (amplitude, phase; little-endian float32) with the .rsc PyRate's
    tests/test_data/small_test/roipac_obs holds (WIDTH, FILE_LENGTH, X_FIRST, X_STEP, Y_FIRST, Y_STEP, WAVELENGTH,
    DATE, DATE12). The ROI_PAC stack gives the velocity of the GeoTIFFs, on their grid and CRS."""
    import glob

    from osgeo import gdal

    tifs = sorted(glob.glob(os.path.join(data_dir, "envisat_small_test", "tif", "geo_*_unw.tif")))
    roipac = tmp_path / "roipac_obs"
    roipac.mkdir()
    for tif in tifs:
        ds = gdal.Open(tif)
        phase, gt = ds.ReadAsArray(), ds.GetGeoTransform()
        stem = os.path.basename(tif)[:-len("_unw.tif")]
        rows, cols = phase.shape
        rmg = np.stack([np.full(phase.shape, 200.0, "<f4"), phase.astype("<f4")], axis=1)
        rmg.tofile(str(roipac / (stem + ".unw")))
        d12 = stem[4:]
        (roipac / (stem + ".unw.rsc")).write_text(
            f"WIDTH             {cols}\nFILE_LENGTH       {rows}\nX_FIRST           {gt[0]:.9f}   \n"
            f"X_STEP            {gt[1]:.9f}     \nY_FIRST           {gt[3]:.9f}   \nY_STEP            {gt[5]:.9f}   \n"
            f"WAVELENGTH        {ds.GetMetadataItem('WAVELENGTH_METRES')} \nDATE              {d12[:6]}\n"
            f"DATE12            {d12}\n")
    common = {}  # the automatic reference: the same rule on the same data
    fb = recording_feedback()
    a = run_alg("stackingvelocity", {"INTERFEROGRAMS": str(roipac), **common,
                                     "OUTPUT_VELOCITY": str(tmp_path / "a.tif")}, feedback=fb)
    b = run_alg("stackingvelocity", {"INTERFEROGRAMS": tifs, **common, "OUTPUT_VELOCITY": str(tmp_path / "b.tif")})
    va, ds = read_raster(a["OUTPUT_VELOCITY"])
    vb, dsb = read_raster(b["OUTPUT_VELOCITY"])
    assert np.isfinite(vb).sum() > 0.5 * vb.size
    np.testing.assert_array_equal(np.isnan(va), np.isnan(vb))
    np.testing.assert_allclose(va, vb, rtol=0, atol=1e-5)
    assert ds.GetGeoTransform() == pytest.approx(dsb.GetGeoTransform())
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "4326"
    assert "ROI_PAC stack: 17 interferograms" in fb.text and "0 is read as no data" in fb.text
