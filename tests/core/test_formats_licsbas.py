"""LiCSBAS cum.h5 / cum_filt.h5 read as dated layers (algorithms/formats/licsbas.py through h5_layers.open_layer).

Sample files laid out as LiCSBAS13_sb_inv.py and LiCSBAS16_filt_ts.py write them (tests/testutils_licsbas.py cites
the code). Truths: the grid LiCSBAS_flt2geotiff.py builds from corner/post (first pixel's centre), the planted
series and velocity, the incidence and heading the E/N/U unit vectors were made from, the wavelength written to
info/13parameters.txt (and the radar frequency of slc.mli.par).
"""

import os

import numpy as np
import pytest
import testutils_licsbas as tl

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import h5_layers
from insar_geohazards.algorithms.formats.mintpy import read_layer_rows

h5py = pytest.importorskip("h5py", reason="h5py is not installed")


@pytest.fixture
def cum(tmp_path):
    dates, cum_mm, vel, ref = tl.scene()
    os.makedirs(tmp_path / "TS_GEOCml1")
    path = tl.write_cum(tmp_path / "TS_GEOCml1" / "cum.h5", dates, cum_mm, vel, ref, bperp=np.arange(9) * 10.0 - 7)
    return path, dates, cum_mm, vel, ref


def test_cum_is_a_dated_series_in_mm_on_the_licsbas_grid(cum):
    path, dates, cum_mm, _, ref = cum
    layer = h5_layers.open_layer(path)
    assert layer.producer == "LiCSBAS" and layer.dataset == "cum" and layer.bands == len(dates)
    assert layer.geotransform == pytest.approx(tl.geotransform()) and layer.epsg == 4326
    assert layer.dates == dates and layer.unit == "mm" and layer.factor == 1.0
    np.testing.assert_array_equal(read_layer_rows(layer, (0, 10)), cum_mm)  # NaN where LiCSBAS left NaN
    md = layer.metadata
    assert md["SIGN"] == "LOS positive toward the satellite" and md["REFERENCE_DATE"] == dates[0].isoformat()
    assert (int(md["REFERENCE_ROW"]), int(md["REFERENCE_COL"])) == ref and layer.ref_yx == ref
    assert float(md["WAVELENGTH_M"]) == pytest.approx(tl.WAVELENGTH_S1, rel=1e-9)
    assert float(md["INCIDENCE_DEG"]) == pytest.approx(tl.INCIDENCE, abs=1e-4)
    assert float(md["HEADING_DEG"]) == pytest.approx(tl.HEADING, abs=1e-4)
    assert md["PERPENDICULAR_BASELINES_M"].split(",")[:3] == ["0.000", "10.000", "20.000"]
    text = " | ".join(layer.sources)
    assert "wavelength 0.05546576 m from info/13parameters.txt" in text.replace(os.sep, "/")
    assert "from its E.geo/N.geo/U.geo datasets" in text and "'refarea'" in text


def test_velocity_and_the_filtered_file(tmp_path):
    dates, cum_mm, vel, ref = tl.scene()
    path = tl.write_cum(tmp_path / "cum_filt.h5", dates, cum_mm, vel, ref, filt=True)
    v = h5_layers.open_layer(path, dataset="vel")
    assert v.unit == "mm/yr" and v.bands == 1 and v.metadata["START_DATE"] == dates[0].isoformat()
    np.testing.assert_array_equal(read_layer_rows(v, (0, 10))[0], vel)
    m = h5_layers.open_layer(path, dataset="mask")
    assert m.is_mask and read_layer_rows(m, (0, 10))[0].sum() == vel.size - 4  # NaN read as masked
    assert h5_layers.open_layer(path, dataset="vstd").unit == "mm/yr"


def test_wavelength_from_the_geoc_folders_slc_mli_par(tmp_path):
    """Without info/13parameters.txt, radar_frequency (Hz) of GEOCml1/slc.mli.par (LiCSBAS13 reads it there)."""
    dates, cum_mm, vel, ref = tl.scene()
    os.makedirs(tmp_path / "TS_GEOCml1")
    os.makedirs(tmp_path / "GEOCml1")
    (tmp_path / "GEOCml1" / "slc.mli.par").write_text("range_samples:  12\nradar_frequency:  1.2575e+09   Hz\n")
    path = tl.write_cum(tmp_path / "TS_GEOCml1" / "cum.h5", dates, cum_mm, vel, ref, wavelength_m=None)
    layer = h5_layers.open_layer(path)
    assert float(layer.metadata["WAVELENGTH_M"]) == pytest.approx(299792458.0 / 1.2575e9, rel=1e-9)  # L band
    assert any("GEOCml1/slc.mli.par" in s.replace(os.sep, "/") for s in layer.sources)


def test_no_wavelength_file_leaves_it_unset(tmp_path):
    dates, cum_mm, vel, ref = tl.scene()
    layer = h5_layers.open_layer(tl.write_cum(tmp_path / "cum.h5", dates, cum_mm, vel, ref, wavelength_m=None))
    assert "WAVELENGTH_M" not in layer.metadata


@pytest.mark.parametrize("case, message", [
    ("radar", "LiCSBAS time series in radar coordinates"),
    ("truncated", "cum.h5 is not an HDF5 file"),
    ("no_imdates", "without its .imdates. dataset"),
    ("short_imdates", "'imdates' holds 8 dates but 'cum' 9 bands"),
    ("wavelength_mm", "info/13parameters.txt gives a wavelength of 55.4658 m"),
    ("post_lat_positive", "post_lat=0.001"),
    ("incidence_purpose", "holds no per-pixel incidence raster"),
])
def test_hostile_files_are_named(tmp_path, case, message):
    dates, cum_mm, vel, ref = tl.scene()
    path = str(tmp_path / "cum.h5")
    kw = {}
    if case == "radar":
        kw["geocoded"] = False
    if case == "wavelength_mm":
        kw["wavelength_m"] = tl.WAVELENGTH_S1 * 1000
    if case == "post_lat_positive":
        kw["corner"] = (39.0, 25.0, 0.001, 0.001)
    tl.write_cum(path, dates, cum_mm, vel, ref, **kw)
    if case == "truncated":
        with open(path, "rb") as fh:
            data = fh.read()
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 3])
    if case in ("no_imdates", "short_imdates"):
        with h5py.File(path, "a") as f:
            del f["imdates"]
            if case == "short_imdates":
                f.create_dataset("imdates", data=[np.int32(d.strftime("%Y%m%d")) for d in dates[:-1]])
    with pytest.raises(GeohazardError, match=message) as err:
        h5_layers.open_layer(path, purpose="incidence" if case == "incidence_purpose" else None)
    assert "cum.h5" in str(err.value)
