"""MintPy HDF-EOS5 (.he5) read as dated layers (algorithms/formats/mintpy.py through h5_layers.open_layer).

Sample files laid out as MintPy's save_hdfeos5.py writes them (tests/testutils_mintpy.py write_hdfeos5 cites the
code). Truths: the planted series in metres (read in mm), the file's grid attributes, its geometry group's
incidence and slant range, its REF_Y/REF_X and dates.
"""

import numpy as np
import pytest
import testutils_mintpy as tm

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.formats import h5_layers, mintpy

h5py = pytest.importorskip("h5py", reason="h5py is not installed")


def test_displacement_is_the_default_layer_in_mm(tmp_path):
    days, ts_m, _ = tm.scene()
    path = tm.write_hdfeos5(tmp_path / tm.HE5_NAME, ts_m, days)
    layer = h5_layers.open_layer(path)
    assert layer.producer == "MintPy HDF-EOS5" and layer.name == "displacement"
    assert layer.dataset == "HDFEOS/GRIDS/timeseries/observation/displacement"
    assert layer.dates == days and layer.unit == "mm" and layer.factor == 1000.0 and layer.source_unit == "meters"
    assert layer.geotransform == (400000.0, 100.0, 0.0, 3950000.0, 0.0, -100.0) and layer.epsg == 32611
    got = mintpy.read_layer_rows(layer, (0, 12))
    np.testing.assert_allclose(got, ts_m * 1000.0, rtol=1e-6, atol=1e-6)
    assert layer.ref_yx == (2, 3) and layer.metadata["REFERENCE_DATE"] == days[0].isoformat()
    assert float(layer.metadata["WAVELENGTH_M"]) == pytest.approx(0.05546576)


def test_geometry_and_quality_datasets_by_purpose_and_by_path(tmp_path):
    days, ts_m, _ = tm.scene()
    inc = np.full((12, 15), 36.0, np.float32)
    inc[:, 8:] = 42.0
    path = tm.write_hdfeos5(tmp_path / tm.HE5_NAME, ts_m, days, incidence_deg=inc)
    g = h5_layers.open_layer(path, purpose="incidence")
    assert g.name == "incidenceAngle" and g.unit == "deg"
    np.testing.assert_array_equal(mintpy.read_layer_rows(g, (0, 12))[0], inc)
    q = h5_layers.open_layer(path, dataset="HDFEOS/GRIDS/timeseries/quality/temporalCoherence")
    np.testing.assert_allclose(mintpy.read_layer_rows(q, (0, 12))[0], 0.9)
    scene = mintpy.scene_geometry(path, mintpy.HDFEOS_GROUPS[2])
    assert float(scene["INCIDENCE_DEG"]) == pytest.approx((8 * 36.0 + 7 * 42.0) / 15)
    assert float(scene["SLANT_RANGE_M"]) == pytest.approx(880000.0 + 50.0 * 7.0)


@pytest.mark.parametrize("case, message", [
    ("no_displacement", "without HDFEOS/GRIDS/timeseries/observation/displacement"),
    ("truncated", "is not an HDF5 file"),
    ("wrong_units", "has the unit 'furlongs'"),
    ("radar", "is in radar coordinates"),
])
def test_hostile_he5_files_are_named(tmp_path, case, message):
    days, ts_m, _ = tm.scene()
    kw = {"drop": ("displacement",)} if case == "no_displacement" else {}
    if case == "radar":
        kw["geo"] = {}
    path = tm.write_hdfeos5(tmp_path / tm.HE5_NAME, ts_m, days, **kw)
    if case == "truncated":
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])
    if case == "wrong_units":
        with h5py.File(path, "a") as f:
            f["HDFEOS/GRIDS/timeseries/observation/displacement"].attrs["Units"] = "furlongs"
    with pytest.raises(GeohazardError, match=message) as err:
        h5_layers.open_layer(path)
    assert tm.HE5_NAME in str(err.value)
