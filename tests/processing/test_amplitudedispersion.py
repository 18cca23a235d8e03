"""geohazard:amplitudedispersion — parameters, wrong parameters, real run on a simulated SLC stack."""

import os

import numpy as np
import pytest
from testutils import read_array as _read
from testutils import write_geotiff
from testutils_psds import write_slc_files, write_slc_multiband

from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

NAME = "amplitudedispersion"


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INPUT", "CALIBRATE", "DISPERSION_THRESHOLD", "THRESHOLD", "OUTPUT_MEAN_AMPLITUDE",
                   "OUTPUT_DISPERSION", "OUTPUT_PS_MASK",  # THRESHOLD: hidden former ID
                   "MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS"]
    assert a.parameterDefinition("DISPERSION_THRESHOLD").defaultValue() == 0.25
    assert "D_A = sigma_A / mean_A" in a.shortHelpString()
    assert a.group() == "PS and DS (SLC stacks)"


@pytest.mark.parametrize("dtype", ["CFloat32", "CInt16"])
def test_run_finds_simulated_ps(run_alg, tmp_path, dtype):
    sim = simulate_slc_stack(shape=(30, 40), n_dates=12, seed=4, water_fraction=0.3)
    files = write_slc_files(tmp_path, sim, dtype=dtype)[::-1]  # order does not matter: dates come from names
    out = run_alg(NAME, {"INPUT": files, "OUTPUT_MEAN_AMPLITUDE": str(tmp_path / "m.tif"),
                         "OUTPUT_DISPERSION": str(tmp_path / "da.tif"), "OUTPUT_PS_MASK": str(tmp_path / "ps.tif")})
    da = _read(out["OUTPUT_DISPERSION"])
    ps = _read(out["OUTPUT_PS_MASK"])
    assert ps[sim.ps_mask].all()
    assert ps[sim.labels == -1].mean() < 0.02  # pure speckle rarely looks stable
    assert abs(np.median(da[sim.labels == -1]) - np.sqrt(4 / np.pi - 1)) < 0.06
    from osgeo import gdal

    assert gdal.Open(out["OUTPUT_DISPERSION"]).GetGeoTransform()[1] == 20.0


def test_radar_geometry_multiband_stack(run_alg, tmp_path):
    sim = simulate_slc_stack(shape=(20, 25), n_dates=8, seed=1)
    src = write_slc_multiband(tmp_path / "stack.tif", sim)
    out = run_alg(NAME, {"INPUT": [src], "CALIBRATE": False, "OUTPUT_MEAN_AMPLITUDE": str(tmp_path / "m.tif"),
                         "OUTPUT_DISPERSION": str(tmp_path / "da.tif"), "OUTPUT_PS_MASK": str(tmp_path / "ps.tif")})
    from osgeo import gdal

    ds = gdal.Open(out["OUTPUT_DISPERSION"])
    assert ds.GetGeoTransform(can_return_null=True) is None
    assert (ds.RasterYSize, ds.RasterXSize) == (20, 25)
    assert _read(out["OUTPUT_PS_MASK"])[sim.ps_mask].all()


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    real = [write_geotiff(tmp_path / f"amp_2020010{i}.tif", np.ones((5, 6))) for i in range(1, 5)]
    outs = {"OUTPUT_MEAN_AMPLITUDE": str(tmp_path / "m.tif"), "OUTPUT_DISPERSION": str(tmp_path / "da.tif"),
            "OUTPUT_PS_MASK": str(tmp_path / "ps.tif")}
    with pytest.raises(QgsProcessingException, match="real values .* must be complex"):
        run_alg(NAME, {"INPUT": real, **outs})
    sim = simulate_slc_stack(shape=(10, 12), n_dates=3, seed=0)
    files = write_slc_files(tmp_path, sim)
    with pytest.raises(QgsProcessingException, match="at least 3"):
        run_alg(NAME, {"INPUT": files[:2], **outs})
    other = simulate_slc_stack(shape=(9, 12), n_dates=3, seed=0, start=sim.dates[-1].replace(year=2021))
    odd = write_slc_files(tmp_path, other, prefix="other_")
    with pytest.raises(QgsProcessingException, match="9 rows x 12 columns, expected 10 x 12"):
        run_alg(NAME, {"INPUT": files + odd[:1], **outs})
    nodate = tmp_path / "stack_a.tif"
    write_slc_files(tmp_path, sim, prefix="x")[0]
    import shutil

    shutil.copy(files[0], nodate)
    with pytest.raises(QgsProcessingException, match="no acquisition date"):
        run_alg(NAME, {"INPUT": [str(nodate)] + files[1:], **outs})
    assert not any((tmp_path / n).exists() for n in ("m.tif", "da.tif", "ps.tif"))


def test_snap_iq_pairs_and_envi_stack(run_alg, tmp_path):
    """SNAP-style i_/q_ float band pairs and an ENVI complex stack give the same D_A as GeoTIFFs."""
    from osgeo import gdal

    sim = simulate_slc_stack(shape=(16, 20), n_dates=6, seed=3)
    iq = gdal.GetDriverByName("GTiff").Create(str(tmp_path / "snap_stack.tif"), 20, 16, 12, gdal.GDT_Float32)
    for i, d in enumerate(sim.dates):
        tag = d.strftime("%d%b%Y")
        for k, (prefix, part) in enumerate((("i", sim.slc[i].real), ("q", sim.slc[i].imag))):
            band = iq.GetRasterBand(2 * i + k + 1)
            band.SetDescription(f"{prefix}_VV_slv{i}_{tag}")
            band.WriteArray(part)
    iq = None
    envi = write_slc_multiband(tmp_path / "stack.envi", sim, driver="ENVI")
    results = []
    for src in (str(tmp_path / "snap_stack.tif"), envi):
        name = os.path.basename(src).replace(".", "_")
        out = run_alg(NAME, {"INPUT": [src], "OUTPUT_MEAN_AMPLITUDE": str(tmp_path / f"{name}_m.tif"),
                             "OUTPUT_DISPERSION": str(tmp_path / f"{name}_da.tif"),
                             "OUTPUT_PS_MASK": str(tmp_path / f"{name}_ps.tif")})
        results.append(_read(out["OUTPUT_DISPERSION"]))
    from insar_geohazards.algorithms.psds.ps import amplitude_date_sums, amplitude_dispersion, calibration_factors

    amp = np.abs(sim.slc)
    _, expect = amplitude_dispersion(amp, calibration=calibration_factors(*amplitude_date_sums(amp)))
    for da in results:
        np.testing.assert_allclose(da, expect, rtol=1e-4, atol=1e-6)
