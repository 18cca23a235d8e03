"""Products as delivered, end to end through ``run geohazard:... -- KEY=value`` lines: one run per product.

A LiCSAR frame (LiCSBAS's GEOC/ as LiCSBAS01_get_geotiff.py lays it out) and HyP3 INSAR_GAMMA zips and folders (as
hyp3-gamma packages them; https://hyp3-docs.asf.alaska.edu/guides/insar_product_guide/) into sbasinversion, the
velocity compared with the synthetic truth (tests/testutils_products.py). The in-process oracle against the same data
flattened by hand is tests/processing/test_products.py.

Two runs start ``qgis_process.bin`` itself, for what only the command line shows: HyP3 zips and folders typed as
repeated ``INTERFEROGRAMS=`` keys with the log line a script reads, and a refused GMTSAR header's exit status and
stderr (no traceback, no output). The other products' runs take the same ``KEY=value`` strings in this test
process's QGIS (testutils_cli.in_app: the provider's parameter check and run, as qgis_process makes them), about
2.7 CPU-s less each than a start of qgis_process.
"""

import numpy as np
from testutils_cli import in_app_json, qgis_process, requires_qgis_process
from testutils_products import Truth, hyp3_common_window, hyp3_products, licsar_frame

pytestmark = requires_qgis_process


def _outs(tmp_path):
    return {k: str(tmp_path / f"{k.lower()}.tif") for k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY")}


def test_licsar_frame_folder(qgis_app, tmp_path):
    t = Truth(coherent_bowl=True)
    geoc = licsar_frame(tmp_path / "work", t)
    res = in_app_json("sbasinversion", {"INTERFEROGRAMS": geoc, "MIN_TEMPORAL_COHERENCE": 0,
                                        **_outs(tmp_path)})
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(ds.ReadAsArray()[3:], t.velocity[3:], atol=2e-3)  # automatic reference: still
    assert abs(float(ds.GetMetadataItem("HEADING_DEG")) - 190.0) < 1e-3


def test_hyp3_zips_and_folders(tmp_path):
    t = Truth()
    shifts = {p: (k % 3 - 1, (k * 2) % 5 - 2) for k, p in enumerate(t.pairs)}
    prods = hyp3_products(tmp_path / "hyp3", t, zipped=t.pairs[::2], shifts=shifts)
    items = sorted(prods.values())  # the zips and folders listed one by one, as a script would
    out = qgis_process("--json", "run", "geohazard:sbasinversion", "--",
                       *[f"INTERFEROGRAMS={p}" for p in items], "REFERENCE=394960,3960720 [EPSG:32611]",
                       "MIN_TEMPORAL_COHERENCE=0", *[f"{k}={v}" for k, v in _outs(tmp_path).items()])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "zip(s) read in place" in out.stdout + out.stderr
    from osgeo import gdal

    rw, cw = hyp3_common_window(t, shifts)
    vel = gdal.Open(str(tmp_path / "output_velocity.tif")).ReadAsArray()
    np.testing.assert_allclose(vel, t.velocity[rw, cw], atol=2e-3)


def test_gamma_gmtsar_and_snap_stacks(qgis_app, tmp_path):
    """One run each: a GAMMA folder, GMTSAR's intf_all, SNAP BEAM-DIMAP products (tests/testutils_product_walks.py;
    the oracle against the same data flattened by hand is tests/processing/test_product_walks.py)."""
    from osgeo import gdal
    from testutils_product_walks import gamma_stack, gmtsar_stack, snap_products

    t = Truth()
    for name, make in (("gamma", gamma_stack), ("gmtsar", gmtsar_stack), ("snap", snap_products)):
        given = make(tmp_path / name, t)
        (tmp_path / f"{name}_out").mkdir()
        outs = _outs(tmp_path / f"{name}_out")
        res = in_app_json("sbasinversion", {"INTERFEROGRAMS": given, "REFERENCE": "25.0330,39.9960 [EPSG:4326]",
                                            "MIN_TEMPORAL_COHERENCE": 0, **outs})
        vel = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
        np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3, err_msg=name)


def test_gamma_raster_as_delivered(qgis_app, tmp_path, data_dir):
    """PyRate's GAMMA Envisat geometry (tests/data/envisat_small_test/gamma_obs): the DEM with its parameter files,
    nothing typed."""
    import os

    g = os.path.join(data_dir, "envisat_small_test", "gamma_obs")
    res = in_app_json("geometricdistortion", {
 "DEM": os.path.join(g, "20060619_utm.dem"), "OUTPUT_CLASSES": str(tmp_path / "c.tif"),
 "OUTPUT_RINDEX": str(tmp_path / "r.tif"), "OUTPUT_VISIBILITY": str(tmp_path / "v.tif"),
 "OUTPUT_TABLE": str(tmp_path / "t.csv")})
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_CLASSES"])
    assert (ds.RasterXSize, ds.RasterYSize) == (47, 72)


def test_point_exports_and_an_egms_folder_given_as_input(qgis_app, tmp_path, data_dir):
    """A SARscape shape (D_YYYYMMDD fields) into timeseriesmodels; the bundled EGMS Ustica zip's folder given to
    loadegms's INPUT (tests/processing/test_point_exports.py and test_loadegms.py hold the oracles)."""
    import os
    import shutil

    from osgeo import ogr
    from testutils_point_exports import TRUTH, _series, write_sarscape_shape

    shape = write_sarscape_shape(tmp_path / "sarscape.shp", _series())
    res = in_app_json("timeseriesmodels", {"INPUT": shape, "MODELS": 0, "OUTPUT": str(tmp_path / "m.gpkg")})
    ds = ogr.Open(res["OUTPUT"])  # kept: a layer outlives its data source only as long as it
    np.testing.assert_allclose([f["LIN_VEL"] for f in ds.GetLayer(0)], TRUTH, atol=1e-6)
    folder = tmp_path / "egms"
    folder.mkdir()
    shutil.copy(os.path.join(data_dir, "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"), folder)
    res = in_app_json("loadegms", {"INPUT": str(folder), "SERIES_STORAGE": 2,
                                   "OUTPUT": str(tmp_path / "e.gpkg")})
    ds = ogr.Open(res["OUTPUT"])
    assert ds.GetLayer(0).GetFeatureCount() == 11759


def test_gamma_pairs_flat_in_one_folder_pyrates_envisat_stack(qgis_app, tmp_path, data_dir):
    """PyRate's real Envisat GAMMA stack (tests/data/envisat_small_test/gamma_obs: 17 headerless big-endian
    ``<d1>-<d2>_utm.unw`` flat in one folder with ``20060619_utm_dem.par``, the ``*_slc.par`` and ``*_base.par``)
    given as its folder: it ended in a traceback (GDAL asked to open a raw .unw for the run's history). The velocity
    equals that of the same interferograms as PyRate converted them to GeoTIFF (tests/data/envisat_small_test/tif,
    0 declared no data), typed with the wavelength of the .slc.par files."""
    import glob
    import os

    from osgeo import gdal

    g = os.path.join(data_dir, "envisat_small_test", "gamma_obs")
    before = sorted(os.listdir(g))
    res = in_app_json("stackingvelocity", {"INTERFEROGRAMS": g, "OUTPUT_VELOCITY": str(tmp_path / "g.tif")})
    tifs = sorted(glob.glob(os.path.join(data_dir, "envisat_small_test", "tif", "geo_*_unw.tif")))
    ref = in_app_json("stackingvelocity", {"INTERFEROGRAMS": tifs, "WAVELENGTH_M": 299792458.0 / 5.334694994e9,
                                           "OUTPUT_VELOCITY": str(tmp_path / "t.tif")})
    a, b = (gdal.Open(r["OUTPUT_VELOCITY"]).ReadAsArray() for r in (res, ref))
    assert np.isfinite(b).sum() > 0.5 * b.size
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
    assert sorted(os.listdir(g)) == before


def test_roipac_stack_and_a_gamma_l_band_stack_in_ghz(qgis_app, tmp_path):
    """A ROI_PAC stack (geo_<pair>.unw + .unw.rsc, Envisat WAVELENGTH, 0 where not unwrapped, no PROJECTION: WGS 84
    degrees) and a GAMMA L-band stack whose image parameter files say ``radar_frequency: 1.2575 GHz``
    (tests/testutils_product_walks.py cites the layouts): the velocity equals the truth, the ROI_PAC one in
    EPSG:4326 with its corner without data left empty."""
    from osgeo import gdal
    from testutils_product_walks import gamma_stack, roipac_stack

    t = Truth()
    ref = "25.0330,39.9960 [EPSG:4326]"
    r = roipac_stack(tmp_path / "roipac", t, platform="ENVISAT")
    res = in_app_json("stackingvelocity", {"INTERFEROGRAMS": r, "REFERENCE": ref,
                                           "OUTPUT_VELOCITY": str(tmp_path / "r.tif")})
    ds = gdal.Open(res["OUTPUT_VELOCITY"])
    vel = ds.ReadAsArray()
    np.testing.assert_allclose(vel[3:], t.velocity[3:], atol=2e-3)
    assert np.isnan(vel[:3, :4]).all() and ds.GetSpatialRef().GetAuthorityCode(None) == "4326"
    g = gamma_stack(tmp_path / "gamma", t, frequency_text="1.2575 GHz", sensor="PALSAR-2",
                    wavelength=299_792_458.0 / 1.2575e9)
    res = in_app_json("stackingvelocity", {"INTERFEROGRAMS": g, "REFERENCE": ref,
                                           "OUTPUT_VELOCITY": str(tmp_path / "g.tif")})
    np.testing.assert_allclose(gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()[3:], t.velocity[3:], atol=2e-3)


def test_silent_paths_of_product_headers_through_qgis_process(qgis_app, tmp_path):
    """Headless, as a script runs them: a GMTSAR .PRM whose radar_wavelength is in mm (refused naming the file, no
    traceback, no output), a GAMMA stack written little-endian (read so: the truth's velocity) and ISCE's two-band
    los raster as HEADING_RASTER with HEADING_UNITS "ISCE los band 2" (the downslope velocity of the heading
    typed). Layouts: tests/testutils_product_walks.py."""
    import os

    from osgeo import gdal
    from testutils_product_walks import HEADING, INCIDENCE, ISCE_GT, gamma_stack, gmtsar_stack
    from testutils_products import S1_WAVELENGTH_M, write_tif

    t = Truth(n_dates=5)
    ref = "25.0330,39.9960 [EPSG:4326]"
    mm = gmtsar_stack(tmp_path / "mm", t, wavelength_text=f"{S1_WAVELENGTH_M * 1000:.7f}")
    out = qgis_process("run", "geohazard:stackingvelocity", "--", f"INTERFEROGRAMS={mm}",
                       f"OUTPUT_VELOCITY={tmp_path / 'mm.tif'}")
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "Traceback" not in text and not (tmp_path / "mm.tif").exists()
    assert "'radar_wavelength: 55.4657" in text and "in mm it would be 5.547 cm, C band" in text
    le = gamma_stack(tmp_path / "le", t, endian="<")
    res = in_app_json("stackingvelocity", {"INTERFEROGRAMS": le, "REFERENCE": ref,
                                           "OUTPUT_VELOCITY": str(tmp_path / "le.tif")})
    np.testing.assert_allclose(gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()[3:], t.velocity[3:], atol=2e-3)
    rows, cols = t.shape
    los = write_tif(str(tmp_path / "los_vel.tif"), np.full(t.shape, -10.0), geotransform=ISCE_GT)
    dem = write_tif(str(tmp_path / "dem.tif"), 800.0 - 0.9 * np.arange(cols)[None, :] * np.ones((rows, 1))
                    - 0.3 * np.arange(rows)[:, None], geotransform=ISCE_GT)
    path = str(tmp_path / "los.rdr.geo")
    ds = gdal.GetDriverByName("ISCE").Create(path, cols, rows, 2, gdal.GDT_Float32, ["SCHEME=BIL"])
    ds.SetGeoTransform(ISCE_GT)
    ds.SetProjection(gdal.Open(los).GetProjection())
    ds.GetRasterBand(1).WriteArray(np.full(t.shape, INCIDENCE, np.float32))
    ds.GetRasterBand(2).WriteArray(np.full(t.shape, 90.0 - HEADING, np.float32))
    ds = None
    gdal.Translate(path + ".vrt", path, format="VRT")
    os.remove(path + ".aux.xml")
    common = {"INPUT": los, "DEM": dem, "INCIDENCE": INCIDENCE, "MIN_SENSITIVITY": 0.01}
    a = in_app_json("losprojection", {**common, "HEADING_RASTER": path + ".vrt", "HEADING_UNITS": 3,
                                      "OUTPUT_DOWNSLOPE": str(tmp_path / "a.tif")})
    b = in_app_json("losprojection", {**common, "HEADING": HEADING, "OUTPUT_DOWNSLOPE": str(tmp_path / "b.tif")})
    da, db = (gdal.Open(r["OUTPUT_DOWNSLOPE"]).ReadAsArray() for r in (a, b))
    assert np.isfinite(db).sum() > 0.5 * db.size
    np.testing.assert_allclose(da, db, rtol=0, atol=1e-4)
    assert sorted(os.listdir(tmp_path / "mm")) == ["intf_all"]


def test_licsbas_cum_h5(qgis_app, tmp_path):
    """LiCSBAS's cum.h5 as LiCSBAS13_sb_inv.py writes it (tests/testutils_licsbas.py) into timeseriesmodels: the
    linear velocity equals the planted one, on LiCSBAS's grid."""
    import pytest

    pytest.importorskip("h5py", reason="h5py is not installed")
    import testutils_licsbas as tl
    from osgeo import gdal

    dates, cum, vel, ref = tl.scene()
    (tmp_path / "TS_GEOCml1").mkdir()
    src = tl.write_cum(tmp_path / "TS_GEOCml1" / "cum.h5", dates, cum, vel, ref)
    res = in_app_json("timeseriesmodels", {"INPUT_RASTER": src, "MODELS": 0,
                                           "OUTPUT_RASTER": str(tmp_path / "m.tif")})
    ds = gdal.Open(res["OUTPUT_RASTER"])
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    np.testing.assert_allclose(ds.GetRasterBand(names.index("LIN_VEL") + 1).ReadAsArray(), vel, atol=1e-3,
                               equal_nan=True)
    assert ds.GetGeoTransform() == pytest.approx(tl.geotransform())


def test_mintpy_hdfeos5(qgis_app, tmp_path):
    """MintPy's HDF-EOS5 file as save_hdfeos5.py writes it (tests/testutils_mintpy.py) into timeseriesmodels: the
    series read in mm, the linear velocity equals the planted one."""
    import pytest

    pytest.importorskip("h5py", reason="h5py is not installed")
    import testutils_mintpy as tm
    from osgeo import gdal

    days, ts_m, vel_m = tm.scene()
    src = tm.write_hdfeos5(tmp_path / tm.HE5_NAME, ts_m, days)
    res = in_app_json("timeseriesmodels", {"INPUT_RASTER": src, "MODELS": 0,
                                           "OUTPUT_RASTER": str(tmp_path / "m.tif")})
    ds = gdal.Open(res["OUTPUT_RASTER"])
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    np.testing.assert_allclose(ds.GetRasterBand(names.index("LIN_VEL") + 1).ReadAsArray(), vel_m * 1000.0,
                               atol=2e-3)


def test_aria_gunw_folder(qgis_app, tmp_path):
    """ARIA GUNW files as ARIA writes them (tests/testutils_netcdf_products.py), frames of one track on different
    footprints, into sbasinversion: the velocity on their common area equals the planted one."""
    import pytest

    pytest.importorskip("h5py", reason="h5py is not installed")
    import testutils_netcdf_products as tn
    from osgeo import gdal

    t = Truth()
    shifts = {p: (k % 3 - 1, (k * 2) % 5 - 2) for k, p in enumerate(t.pairs)}
    tn.gunw_folder(tmp_path / "gunw", t, shifts=shifts)
    res = in_app_json("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "gunw"),
                                        "REFERENCE": "-118.9695,33.9745 [EPSG:4326]",
                                        "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path)})
    vel = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
    rw, cw = slice(3, 27), slice(4, 32)  # the shifts' common window (-1..1 rows, -2..2 columns)
    np.testing.assert_allclose(vel, t.velocity[rw, cw], atol=2e-3)


def test_nisar_gunw_folder(qgis_app, tmp_path):
    """NISAR GUNW files laid out as the product specification gives them (tests/testutils_netcdf_products.py
    write_nisar: HDF5, L band, UTM grid) into sbasinversion: the velocity equals the planted one."""
    import pytest

    pytest.importorskip("h5py", reason="h5py is not installed")
    import testutils_netcdf_products as tn
    from osgeo import gdal

    t = Truth()
    tn.nisar_folder(tmp_path / "nisar", t)
    res = in_app_json("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "nisar"),
                                        "REFERENCE": "402440,3747960 [EPSG:32611]",
                                        "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path)})
    ds = gdal.Open(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(ds.ReadAsArray(), t.velocity, atol=2e-3)
    assert ds.GetGeoTransform() == pytest.approx(tn.NISAR_GT0)


def test_opera_disp_s1_folder(qgis_app, tmp_path):
    """OPERA DISP-S1 files as disp-s1 writes them (tests/testutils_netcdf_products.py), two reference dates, into
    sbasinversion with nothing typed: the velocity equals the planted one (the files' own reference point)."""
    import pytest

    pytest.importorskip("h5py", reason="h5py is not installed")
    import testutils_netcdf_products as tn
    from osgeo import gdal

    t = Truth()
    tn.opera_folder(tmp_path / "opera", t)
    res = in_app_json("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "opera"),
                                        "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path)})
    np.testing.assert_allclose(gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray(), t.velocity, atol=2e-3)


def test_hyp3_clipped_folder(qgis_app, tmp_path):
    """HyP3 products clipped by ASF's MintPy recipe (tests/processing/test_products_hyp3_clip.py cites it), the
    originals deleted: the folder of _clip.tif files with their .txt into sbasinversion gives the planted velocity."""
    import glob
    import os

    from osgeo import gdal

    t = Truth()
    shifts = {p: (k % 3 - 1, (k * 2) % 5 - 2) for k, p in enumerate(t.pairs)}
    root = str(tmp_path / "data")
    hyp3_products(root, t, shifts=shifts)
    rw, cw = hyp3_common_window(t, shifts)
    x0, y0 = 392680.0 + cw.start * 80.0, 3962360.0 - rw.start * 80.0
    window = [x0, y0, x0 + (cw.stop - cw.start) * 80.0, y0 - (rw.stop - rw.start) * 80.0]
    for ext in ("_corr.tif", "_unw_phase.tif", "_lv_theta.tif", "_lv_phi.tif"):
        for f in glob.glob(os.path.join(root, "*", f"*{ext}")):
            gdal.Translate(f[:-4] + "_clip.tif", f, projWin=window)
            os.remove(f)
    res = in_app_json("sbasinversion", {"INTERFEROGRAMS": root, "REFERENCE": "394960,3960720 [EPSG:32611]",
                                        "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path)})
    np.testing.assert_allclose(gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray(), t.velocity[rw, cw], atol=2e-3)
