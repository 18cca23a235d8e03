"""netCDF products as delivered into the stack tools (inputs/stacks.product_stack, fileio/formats/products.py): ARIA
Sentinel-1 GUNW files and OPERA DISP-S1 files, read through GDAL's netCDF subdatasets onto one grid (STACK_EXTENT),
their wavelength, baselines, geometry and dates from the files.

Samples laid out as the producers write them (tests/testutils_netcdf_products.py cites ARIA-tools' product.py,
MintPy's prep_aria.py and opera-adt/disp-s1's product.py). Truths: the planted velocity of tests/testutils_products
(Truth) recovered by the SBAS tool, the baselines, wavelength, incidence and heading planted in the files.
"""

import os
import shutil

import numpy as np
import pytest
import testutils_hostile as hk
import testutils_netcdf_products as tn
from testutils import read_raster, recording_feedback
from testutils_products import S1_WAVELENGTH_M, Truth, output_files, pair_shifts

pytest.importorskip("h5py", reason="h5py is not installed")
OUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY")
ARIA_REF = "-118.9695,33.9745 [EPSG:4326]"  # row 25, column 30 of the truth grid: still ground


def _refused(run_alg, folder, message, named):
    """The stacking velocity of the product in ``folder`` is refused with ``message``, naming one of its files
    (``named``: how the product names them), and leaves no output."""
    from qgis.core import QgsProcessingException

    out = os.path.join(os.path.dirname(str(folder)), "v.tif")
    with pytest.raises(QgsProcessingException, match=message) as err:
        run_alg("stackingvelocity", {"INTERFEROGRAMS": str(folder), "OUTPUT_VELOCITY": out})
    assert named in str(err.value)
    assert not os.path.exists(out)


def _outs(folder):
    return output_files(folder, OUTS)


def _common(truth, shifts):
    rows, cols = truth.shape
    drs = [shifts[p][0] for p in truth.pairs]
    dcs = [shifts[p][1] for p in truth.pairs]
    return slice(2 + max(drs), 2 + min(drs) + rows - 4), slice(2 + max(dcs), 2 + min(dcs) + cols - 4)


# ------------------------------------------------------------------ ARIA GUNW
def test_gunw_folder_gives_the_planted_velocity_on_the_common_area(run_alg, tmp_path):
    t = Truth()
    shifts = pair_shifts(t)
    tn.gunw_folder(tmp_path / "gunw", t, shifts=shifts)
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "gunw"), "REFERENCE": ARIA_REF,
                                    "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path / "o")}, feedback=fb)
    vel, ds = read_raster(res["OUTPUT_VELOCITY"])
    rw, cw = _common(t, shifts)
    np.testing.assert_allclose(vel, t.velocity[rw, cw], atol=2e-3)
    gt = ds.GetGeoTransform()
    assert gt[0] == pytest.approx(tn.ARIA_LON0 + cw.start * tn.ARIA_STEP)
    assert gt[3] == pytest.approx(tn.ARIA_LAT0 - rw.start * tn.ARIA_STEP)
    md = ds.GetMetadata()
    assert float(md["INCIDENCE_DEG"]) == pytest.approx(tn.ARIA_INCIDENCE, abs=1e-4)
    assert float(md["HEADING_DEG"]) % 360 == pytest.approx(tn.ARIA_HEADING % 360, abs=1e-4)
    ts = read_raster(res["OUTPUT_TIMESERIES"])[1].GetMetadata()
    bperp = [float(v) for v in ts["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(bperp, [t.bperp[d] - t.bperp[t.dates[0]] for d in t.dates], atol=1e-3)
    text = fb.text
    assert "ARIA GUNW: 15 pair(s) of A track 064 read through GDAL's netCDF subdatasets" in text
    assert f"wavelength {S1_WAVELENGTH_M:.8g} m: /science/radarMetaData/wavelength of the files" in text
    assert "the pairs cover different areas; the stack's grid is their common area" in text


def test_gunw_union_extent_and_a_list_of_files(run_alg, tmp_path):
    t = Truth()
    shifts = pair_shifts(t)
    files = sorted(tn.gunw_folder(tmp_path / "gunw", t, shifts=shifts).values())
    res = run_alg("stackingvelocity", {"INTERFEROGRAMS": files, "REFERENCE": ARIA_REF, "STACK_EXTENT": 1,
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    vel, _ = read_raster(res["OUTPUT_VELOCITY"])
    rows, cols = t.shape
    assert vel.shape == (rows - 4 + 2, cols - 4 + 4)  # shifts span 2 rows and 4 columns


@pytest.mark.parametrize("case, message", [
    ("truncated", "is not a netCDF-4 file that can be read"),
    ("no_phase", "has no /science/grids/data/unwrappedPhase"),
    ("no_wavelength", "has no /science/radarMetaData/wavelength"),
    ("two_tracks", "the GUNW files are of two tracks"),
    ("other_wavelength", "give wavelengths"),
])
def test_gunw_hostile_inputs_name_the_file(run_alg, tmp_path, case, message):
    t = Truth(n_dates=4)
    files = tn.gunw_folder(tmp_path / "gunw", t)
    victim = files[t.pairs[1]]
    if case == "truncated":
        hk.truncate(victim, 1 / 3)
    elif case in ("no_phase", "no_wavelength", "other_wavelength"):
        os.remove(victim)
        kw = {"drop": ("unwrappedPhase",)} if case == "no_phase" else {"drop": ("wavelength",)} \
            if case == "no_wavelength" else {"wavelength": 0.2362}
        tn.write_gunw(victim, t, t.pairs[1], **kw)
    else:
        shutil.move(victim, victim.replace("-064-", "-137-"))
    _refused(run_alg, tmp_path / "gunw", message, "S1-GUNW-")


# ------------------------------------------------------------------ OPERA DISP-S1
def test_opera_folder_gives_the_planted_velocity_with_its_own_reference(run_alg, tmp_path):
    """Six DISP-S1 files of one frame, two reference dates (OPERA's ministacks): the SBAS tool chains them through
    the network; REFERENCE empty takes the files' corrections/reference_point (still ground)."""
    t = Truth()
    tn.opera_folder(tmp_path / "opera", t)
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "opera"), "MIN_TEMPORAL_COHERENCE": 0,
                                    **_outs(tmp_path / "o")}, feedback=fb)
    vel, ds = read_raster(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(vel, t.velocity, atol=2e-3)
    assert ds.GetGeoTransform() == tn.OPERA_GT0 and "UTM zone 11N" in ds.GetProjection()
    series, sds = read_raster(res["OUTPUT_TIMESERIES"])
    assert [sds.GetRasterBand(i + 1).GetDescription() for i in range(sds.RasterCount)] == \
        [d.isoformat() for d in t.dates]
    np.testing.assert_allclose(series[-1], t.disp_mm(t.dates[-1]), atol=2e-3)
    text = fb.text
    assert "OPERA DISP-S1: 6 file(s) of frame F11116" in text and "2 reference date(s)" in text
    assert "REFERENCE: row 25, column 30 (" in text
    assert "the stack's own reference, corrections/reference_point" in text
    assert f"-4 pi / wavelength {S1_WAVELENGTH_M:.8g} m, identification/radar_wavelength" in text


def test_one_opera_file_as_a_dated_displacement_layer(run_alg, tmp_path):
    """A single DISP-S1 file given to a raster input (loadmintpy, or any tool): the displacement in mm, dated, its
    reference date carried; its temporal_coherence and recommended_mask by name."""
    t = Truth()
    ref, sec = t.dates[0], t.dates[3]
    src = tn.write_opera(tmp_path / tn.opera_name(ref, sec), t, ref, sec)
    fb = recording_feedback()
    res = run_alg("loadmintpy", {"INPUT": src, "OUTPUT": str(tmp_path / "d.tif")}, feedback=fb)
    arr, ds = read_raster(res["OUTPUT"])
    np.testing.assert_allclose(arr, t.disp_mm(sec), atol=1e-4)
    md = ds.GetMetadata()
    assert md["REFERENCE_DATE"] == ref.isoformat() and md["UNIT"] == "mm"
    assert ds.GetRasterBand(1).GetDescription() == sec.isoformat()
    assert float(md["WAVELENGTH_M"]) == pytest.approx(S1_WAVELENGTH_M) and float(md["INCIDENCE_DEG"]) == 38.0
    assert "values converted from meters (OPERA DISP-S1) to mm (x 1000)" in fb.text
    coh = run_alg("loadmintpy", {"INPUT": src, "DATASET": "temporal_coherence",
                                 "OUTPUT": str(tmp_path / "c.tif")})["OUTPUT"]
    np.testing.assert_allclose(read_raster(coh)[0], t.coherence((ref, sec)), atol=1e-6)


@pytest.mark.parametrize("case, message", [
    ("truncated", "is not a netCDF-4 file that can be read"),
    ("no_displacement", "has no 2-D 'displacement' dataset"),
    ("wrong_units", "'displacement' is in 'millimeters', where OPERA DISP-S1 writes meters"),
    ("renamed", "the file name says"),
    ("two_frames", "the DISP-S1 files are of two frames"),
])
def test_opera_hostile_inputs_name_the_file(run_alg, tmp_path, case, message):
    t = Truth(n_dates=4)
    files = tn.opera_folder(tmp_path / "opera", t)
    pair = tn.opera_pairs(t)[1]
    victim = files[pair]
    if case == "truncated":
        hk.truncate(victim, 1 / 3)
    elif case in ("no_displacement", "wrong_units", "renamed"):
        os.remove(victim)
        kw = {"drop": ("displacement",)} if case == "no_displacement" else {"units": "millimeters"} \
            if case == "wrong_units" else {"name_dates": (pair[0], t.dates[-1])}
        tn.write_opera(victim, t, *pair, **kw)
    else:
        shutil.move(victim, victim.replace("_F11116_", "_F22222_"))
    _refused(run_alg, tmp_path / "opera", message, "OPERA_L3_DISP-S1_IW_F")


# ------------------------------------------------------------------ NISAR GUNW
NISAR_REF = "402440,3747960 [EPSG:32611]"  # row 25, column 30 of the truth grid: still ground


def test_nisar_gunw_folder_gives_the_planted_velocity(run_alg, tmp_path):
    """NISAR GUNW files laid out as the product specification gives them (tests/testutils_netcdf_products.py
    write_nisar): the L-band phase of each (reference, secondary) pair, radians growing with the range, on a UTM
    grid; the SBAS tool gives the planted velocity, the grid, the wavelength c / centerFrequency, the incidence and
    the baselines of the files."""
    t = Truth()
    tn.nisar_folder(tmp_path / "nisar", t)
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "nisar"), "REFERENCE": NISAR_REF,
                                    "MIN_TEMPORAL_COHERENCE": 0, **_outs(tmp_path / "o")}, feedback=fb)
    vel, ds = read_raster(res["OUTPUT_VELOCITY"])
    np.testing.assert_allclose(vel, t.velocity, atol=2e-3)
    assert ds.GetGeoTransform() == pytest.approx(tn.NISAR_GT0) and "UTM zone 11N" in ds.GetProjection()
    assert float(ds.GetMetadata()["INCIDENCE_DEG"]) == pytest.approx(tn.NISAR_INCIDENCE, abs=1e-4)
    ts = read_raster(res["OUTPUT_TIMESERIES"])[1].GetMetadata()
    bperp = [float(v) for v in ts["PERPENDICULAR_BASELINES_M"].split(",")]
    np.testing.assert_allclose(bperp, [t.bperp[d] - t.bperp[t.dates[0]] for d in t.dates], atol=1e-3)
    text = fb.text
    assert "NISAR GUNW: 15 pair(s) of track 005 A read through GDAL's HDF5 driver" in text
    assert f"wavelength {299792458.0 / tn.NISAR_FC:.8g} m: c / /science/LSAR/GUNW/grids/frequencyA/centerFrequency" \
        in text


@pytest.mark.parametrize("case, message", [
    ("cut_short", "is not an HDF5 file that can be read"),
    ("renamed", "its identification dates .* contradict its name"),
    ("no_frequency", "has no /science/LSAR/GUNW/grids/frequencyA/centerFrequency: its wavelength is unknown"),
    ("khz", "is not a radar frequency in Hz"),
    ("two_tracks", "the NISAR GUNW files are of two tracks"),
    ("bad_name", "is named as a NISAR GUNW product but not as NISAR names them"),
])
def test_nisar_hostile_inputs_name_the_file(run_alg, tmp_path, case, message):
    t = Truth()
    files = tn.nisar_folder(tmp_path / "nisar", t)
    pair = t.pairs[1]
    victim = files[pair]
    if case == "cut_short":
        with open(victim, "r+b") as fh:
            fh.truncate(400)
    elif case == "renamed":
        tn.write_nisar(victim, t, pair, ident_pair=t.pairs[2])
    elif case == "no_frequency":
        tn.write_nisar(victim, t, pair, drop=("centerFrequency",))
    elif case == "khz":
        tn.write_nisar(victim, t, pair, fc=tn.NISAR_FC / 1000.0)
    elif case == "two_tracks":
        os.rename(victim, tmp_path / "nisar" / tn.nisar_name(*pair, track="012"))
    else:
        os.rename(victim, tmp_path / "nisar" / "NISAR_L2_PR_GUNW_renamed.h5")
    _refused(run_alg, tmp_path / "nisar", message, "NISAR_L2_PR_GUNW_")


def test_one_opera_file_in_a_raster_parameter(run_alg, tmp_path):
    """The file (or its GDAL subdataset name) given to a raster parameter is read through the same reader: mm."""
    t = Truth()
    ref, sec = t.dates[0], t.dates[4]
    src = tn.write_opera(tmp_path / tn.opera_name(ref, sec), t, ref, sec)
    for k, given in enumerate((src, f'NETCDF:"{src}":displacement')):
        out = run_alg("losvelocitytovertical", {"INPUT": given, "INCIDENCE": 40.0,
                                                "OUTPUT": str(tmp_path / f"u{k}.tif")})["OUTPUT"]
        np.testing.assert_allclose(read_raster(out)[0], t.disp_mm(sec) / np.cos(np.radians(40.0)), atol=1e-4)


def test_a_gunw_folder_and_a_licsbas_cum_h5_in_one_multisensor_manifest(run_alg, tmp_path):
    """An ascending ARIA GUNW stack and a descending LiCSBAS time series on one lattice, seeing the truth's bowl as
    vertical motion (LOS = up x cos(incidence)): one manifest row each, nothing typed; the up velocity equals the
    planted one."""
    import testutils_licsbas as tl

    t = Truth(n_dates=9)
    up = t.velocity.copy()
    t.velocity = up * np.cos(np.radians(tn.ARIA_INCIDENCE))
    tn.gunw_folder(tmp_path / "asc", t)
    years = np.array([(d - t.dates[0]).days / 365.25 for d in t.dates])
    los_desc = up * np.cos(np.radians(41.0))
    cum = (years[:, None, None] * los_desc[None]).astype(np.float32)
    os.makedirs(tmp_path / "desc" / "TS_GEOCml1")
    corner = (tn.ARIA_LAT0 - tn.ARIA_STEP / 2, tn.ARIA_LON0 + tn.ARIA_STEP / 2, -tn.ARIA_STEP, tn.ARIA_STEP)
    desc = tl.write_cum(tmp_path / "desc" / "TS_GEOCml1" / "cum.h5", t.dates, cum, los_desc.astype(np.float32),
                        (25, 30), corner=corner, incidence=41.0, heading=192.0)
    with open(tmp_path / "m.csv", "w") as fh:
        fh.write(f"name,path\nasc,{tmp_path / 'asc'}\ndesc,{desc}\n")
    fb = recording_feedback()
    res = run_alg("multisensortimeseries", {"MANIFEST": str(tmp_path / "m.csv"),
                                            "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    v, ds = read_raster(res["OUTPUT_VELOCITY"])
    assert ds.GetRasterBand(2).GetDescription() == "up velocity (mm/yr)"
    gt = ds.GetGeoTransform()
    r0, c0 = round((tn.ARIA_LAT0 - gt[3]) / tn.ARIA_STEP), round((gt[0] - tn.ARIA_LON0) / tn.ARIA_STEP)
    rows, cols = v.shape[1:]
    truth = up[r0:r0 + rows, c0:c0 + cols]
    ok = np.isfinite(v[1])
    assert ok.mean() > 0.5
    np.testing.assert_allclose(v[1][ok], truth[ok], atol=0.05)


def test_opera_recommended_mask_sets_its_bad_pixels_to_no_data(run_alg, tmp_path):
    """OPERA's product specification (disp-s1 product_info.py): recommended_mask 0 marks a bad pixel (water,
    connected component 0, low temporal coherence and phase similarity), 1 a good one, 255 is the fill. Planted: a
    block of 0 in every file, a block of 255 in every file, and one pixel bad in one file only; the velocity is no
    data where the files are masked, the planted one elsewhere, and the log counts the pixels dropped."""
    t = Truth()
    rows, cols = t.shape
    mask = np.ones((rows, cols), np.uint8)
    mask[0:4, 0:6] = 0  # "water"
    mask[26:30, 0:3] = 255  # fill
    pairs = tn.opera_pairs(t)
    os.makedirs(tmp_path / "opera")
    for k, p in enumerate(pairs):
        m = mask.copy()
        if k == 2:
            m[10, 20] = 0  # low coherence in this file only: the pixel keeps its other pairs
        tn.write_opera(tmp_path / "opera" / tn.opera_name(*p), t, *p, mask=m)
    fb = recording_feedback()
    res = run_alg("sbasinversion", {"INTERFEROGRAMS": str(tmp_path / "opera"), "MIN_TEMPORAL_COHERENCE": 0,
                                    **_outs(tmp_path / "o")}, feedback=fb)
    vel, _ = read_raster(res["OUTPUT_VELOCITY"])
    masked = mask != 1
    n_files, n_px = len(pairs), rows * cols
    dropped = n_files * int(masked.sum()) + 1
    assert np.isnan(vel[masked]).all()
    # without that pair the pixel's network falls in two: no velocity there, rather than an invented one
    assert np.isnan(vel[10, 20])
    masked[10, 20] = True
    np.testing.assert_allclose(vel[~masked], t.velocity[~masked], atol=2e-3)
    assert (f"recommended_mask applied to {n_files} of {n_files} file(s): {dropped} of {n_files * n_px} "
            "displacement pixels") in fb.text


def test_opera_without_recommended_mask_keeps_every_pixel(run_alg, tmp_path):
    t = Truth()
    tn.opera_folder(tmp_path / "opera", t, drop=("recommended_mask",))
    fb = recording_feedback()
    res = run_alg("stackingvelocity", {"INTERFEROGRAMS": str(tmp_path / "opera"),
                                       "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    vel, _ = read_raster(res["OUTPUT_VELOCITY"])
    assert np.isfinite(vel).all()
    assert "none of the 6 DISP-S1 file(s) has a recommended_mask: every displacement pixel is kept" in fb.text
