"""geohazard:interferogramfilter: a real run on simulated noisy interferograms (phase and complex), the looked grid
and its geotransform, the metadata carried, the coherence estimate, the memory knob and a filtered stack that
unwraps better than the raw one."""

import os

import numpy as np
import pytest
from testutils import read_array, write_geotiff
from testutils_unwrap import correct_share, synthetic_interferogram

NAME = "interferogramfilter"
PAIR = "20200101_20200113"
GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)


def _complex_tif(path, z, *, metadata=None):
    from osgeo import gdal, osr

    ds = gdal.GetDriverByName("GTiff").Create(str(path), z.shape[1], z.shape[0], 1, gdal.GDT_CFloat32)
    ds.SetGeoTransform(GT)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    if metadata:
        ds.SetMetadata(metadata)
    ds.GetRasterBand(1).WriteArray(z.astype(np.complex64))
    ds = None
    return str(path)


@pytest.fixture(scope="module")
def noisy():
    """One bowl of fringes, single-look decorrelation noise (coherence 0.2-0.95)."""
    return synthetic_interferogram(96, 120, seed=4, bowls=((0.5, 0.5, -30.0, 16.0),), holes=(), water=False,
                                   looks=1, coh_range=(0.35, 0.9))


def _phase_error(phase, truth):
    return float(np.sqrt(np.nanmean(np.angle(np.exp(1j * (phase - truth))) ** 2)))


def test_goldstein_lowers_the_phase_error_and_keeps_names_metadata_and_grid(run_alg, tmp_path, noisy):
    meta = {"WAVELENGTH_METRES": "0.0554658", "INCIDENCE_DEG": "38.5", "HEADING_DEG": "-12"}
    src = write_geotiff(tmp_path / f"{PAIR}.wrapped.tif", noisy["wrapped"], metadata=meta, descriptions=[PAIR])
    res = run_alg(NAME, {"INPUT": [src], "METHOD": 0, "ALPHA": 0.8, "OUTPUT": str(tmp_path / "flt"),
                         "OUTPUT_COHERENCE": str(tmp_path / "coh")})
    out = os.path.join(res["OUTPUT"], f"{PAIR}.wrapped.tif")
    assert res["OUTPUT_LAYERS"] == [out]
    filtered = read_array(out)
    assert filtered.dtype == np.float32 and filtered.shape == noisy["wrapped"].shape
    raw_err, flt_err = _phase_error(noisy["wrapped"], noisy["truth"]), _phase_error(filtered, noisy["truth"])
    assert flt_err < 0.6 * raw_err, (raw_err, flt_err)
    from osgeo import gdal

    ds = gdal.Open(out)
    md = ds.GetMetadata()
    assert ds.GetGeoTransform() == GT and ds.GetRasterBand(1).GetDescription() == PAIR
    assert md["WAVELENGTH_METRES"] == "0.0554658" and md["FILTER_METHOD"] == "goldstein" and md["FILTER_ALPHA"] == "0.8"
    assert float(md["INCIDENCE_DEG"]) == 38.5
    ds = None
    coh = read_array(os.path.join(res["OUTPUT_COHERENCE"], f"{PAIR}.coh.tif"))
    assert np.nanmin(coh) >= 0 and np.nanmax(coh) <= 1
    # the estimate follows the true coherence: higher where the simulated coherence is high
    hi, lo = noisy["coherence"] > 0.75, noisy["coherence"] < 0.5
    assert np.nanmean(coh[hi]) > np.nanmean(coh[lo]) + 0.05


def test_looks_average_the_complex_values_and_scale_the_geotransform(run_alg, tmp_path, noisy):
    z = noisy["complex"][:95, :119]  # a last partial window in both directions is left out
    src = _complex_tif(tmp_path / f"{PAIR}.int.tif", z)
    res = run_alg(NAME, {"INPUT": [src], "METHOD": 2, "LOOKS_Y": 4, "LOOKS_X": 2, "OUTPUT": str(tmp_path / "ml"),
                         "OUTPUT_COHERENCE": str(tmp_path / "coh")})
    from osgeo import gdal

    ds = gdal.Open(os.path.join(res["OUTPUT"], f"{PAIR}.int.tif"))
    got = ds.GetRasterBand(1).ReadAsArray()
    assert (ds.RasterYSize, ds.RasterXSize) == (23, 59)
    assert ds.GetGeoTransform() == (GT[0], 60.0, 0.0, GT[3], 0.0, -120.0)
    ds = None
    zz = z.astype(np.complex128)[:92, :118].reshape(23, 4, 59, 2)
    np.testing.assert_allclose(got, zz.mean(axis=(1, 3)), rtol=2e-6, atol=1e-6)
    coh = read_array(os.path.join(res["OUTPUT_COHERENCE"], f"{PAIR}.coh.tif"))
    np.testing.assert_allclose(coh, np.abs(zz.sum(axis=(1, 3))) / np.abs(zz).sum(axis=(1, 3)), rtol=1e-5)


def test_same_bytes_whatever_the_memory_budget(run_alg, tmp_path, noisy, monkeypatch):
    src = write_geotiff(tmp_path / f"{PAIR}.wrapped.tif", noisy["wrapped"])
    outs = []
    for mb in ("0.02", "0.2", ""):
        monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", mb or "512")
        res = run_alg(NAME, {"INPUT": [src], "OUTPUT": str(tmp_path / f"o{mb}"),
                             "OUTPUT_COHERENCE": str(tmp_path / f"c{mb}")})
        outs.append((read_array(os.path.join(res["OUTPUT"], f"{PAIR}.wrapped.tif")),
                     read_array(os.path.join(res["OUTPUT_COHERENCE"], f"{PAIR}.coh.tif"))))
    for a, b in outs[1:]:
        assert a.tobytes() == outs[0][0].tobytes() and b.tobytes() == outs[0][1].tobytes()


def test_filtered_stack_unwraps_better_than_the_raw_one(run_alg, tmp_path):
    """The use the tool is for: a noisy interferogram with a steep bowl unwraps to more correct pixels once
    filtered (the unwrapping tool given the filter's coherence)."""
    d = synthetic_interferogram(100, 100, seed=7, bowls=((0.5, 0.5, -45.0, 14.0),), holes=(), water=False, looks=1,
                                coh_range=(0.45, 0.8))
    src = write_geotiff(tmp_path / f"{PAIR}.wrapped.tif", d["wrapped"])
    flt = run_alg(NAME, {"INPUT": [src], "ALPHA": 0.8, "OUTPUT": str(tmp_path / "flt"),
                         "OUTPUT_COHERENCE": str(tmp_path / "coh")})
    shares = []
    for name, inputs, coh in (("raw", [src], None), ("flt", flt["OUTPUT_LAYERS"], flt["OUTPUT_COHERENCE_LAYERS"])):
        params = {"INPUT": inputs, "OUTPUT": str(tmp_path / f"u_{name}"), "MIN_COMPONENT_PIXELS": 10,
                  "COHERENCE_THRESHOLD": 0.0}
        if coh:
            params["COHERENCE"] = coh
        out = run_alg("unwrap", params)["OUTPUT"]
        unw, cc = (read_array(os.path.join(out, f"{PAIR}.{k}.tif")) for k in ("unw", "conncomp"))
        shares.append(correct_share(unw, cc, d["truth"], np.ones(unw.shape, bool)))
    assert shares[1] > 0.95 and shares[1] > shares[0] + 0.05, shares


def test_a_licsar_frame_as_delivered_is_filtered_with_its_metadata(run_alg, tmp_path):
    """LiCSAR's wrapped phase (``.geo.diff_pha.tif``) read from the frame folder as delivered: each pair filtered
    into ``YYYYMMDD_YYYYMMDD.wrapped.tif``, carrying the frame's wavelength, incidence and heading (from its
    metadata and E/N/U rasters)."""
    from osgeo import gdal
    from testutils_products import Truth, licsar_frame

    t = Truth(n_dates=4)
    geoc = licsar_frame(tmp_path / "work", t)
    res = run_alg(NAME, {"INPUT": geoc, "PATCH_SIZE": 16, "OUTPUT": str(tmp_path / "flt")})
    names = sorted(os.listdir(res["OUTPUT"]))
    assert names == sorted(f"{a:%Y%m%d}_{b:%Y%m%d}.wrapped.tif" for a, b in t.pairs)
    ds = gdal.Open(os.path.join(res["OUTPUT"], names[0]))
    md = ds.GetMetadata()
    ds = None
    assert float(md["WAVELENGTH_M"]) == pytest.approx(0.0555, abs=2e-4)
    assert "INCIDENCE_DEG" in md and "HEADING_DEG" in md


@pytest.mark.parametrize("smooth", [0, 5])
def test_smooth_px_reaches_the_core_and_is_recorded(run_alg, tmp_path, noisy, smooth):
    """SMOOTH_PX is the Goldstein spectrum's smoothing: the tool's output is the core's (compared with the filter
    written patch by patch in tests/testutils_goldstein.py) and carries the value."""
    from testutils_goldstein import windowed_goldstein

    src = write_geotiff(tmp_path / f"{PAIR}.wrapped.tif", noisy["wrapped"], descriptions=[PAIR])
    res = run_alg(NAME, {"INPUT": [src], "METHOD": 0, "ALPHA": 0.5, "SMOOTH_PX": smooth,
                         "OUTPUT": str(tmp_path / "flt")})
    out = os.path.join(res["OUTPUT"], f"{PAIR}.wrapped.tif")
    ref = np.angle(windowed_goldstein(np.exp(1j * noisy["wrapped"].astype(np.float64)), 0.5, smooth=smooth,
                                      smooth_quality=0.7))
    got = read_array(out)
    assert float(np.max(np.abs(np.angle(np.exp(1j * (got - ref)))))) < 1e-3
    from osgeo import gdal

    ds = gdal.Open(out)
    assert ds.GetMetadata()["FILTER_SMOOTH_PX"] == str(smooth) and ds.GetMetadata()["FILTER_SMOOTH_QUALITY"] == "0.7"
    ds = None
