"""Core seams: dates, conventions, LOS geometry, progress protocol, numba shim."""

import datetime as dt
import os

import numpy as np
import pytest

from insar_geohazards.algorithms import conventions
from insar_geohazards.algorithms.errors import GeohazardError, OperationCanceled
from insar_geohazards.algorithms.formats.dates import (
    dated_fields,
    decimal_years,
    field_name,
    parse_date,
    parse_date_pair,
)
from insar_geohazards.algorithms.geometry.los import los_to_vertical, los_unit_vector
from insar_geohazards.algorithms.progress import SubProgress, check_canceled, iter_blocks

D = dt.date


@pytest.mark.parametrize("name, expected", [
    ("S1AA_20200101T054321_20200113T054322_VVP012_INT80_G_ueF_1A2B_unw_phase.tif", (D(2020, 1, 1), D(2020, 1, 13))),
    ("20200101_20200113.geo.unw.tif", (D(2020, 1, 1), D(2020, 1, 13))),
    ("cropA_20180106-20180130_VV_8rlks_eqa_unw.tif", (D(2018, 1, 6), D(2018, 1, 30))),
    ("geo_060619-061002_unw.tif", (D(2006, 6, 19), D(2006, 10, 2))),
    ("/data/ifgs/20170102_20170114/filt_fine.unw", (D(2017, 1, 2), D(2017, 1, 14))),
    ("unwrap_ll_2020001_2020013.grd", (D(2020, 1, 1), D(2020, 1, 13))),
    ("Orb_Stack_ifg_deb_dinsar_flt_01Jan2020_13Jan2020_unw.tif", (D(2020, 1, 1), D(2020, 1, 13))),
    ("geo_991231-000105.unw", (D(1999, 12, 31), D(2000, 1, 5))),
])
def test_parse_date_pair_conventions(name, expected):
    assert parse_date_pair(name) == expected


@pytest.mark.parametrize("name", ["velocity.tif", "20201399_20201401.tif", ""])
def test_parse_date_pair_rejects_names_without_a_valid_pair(name):
    with pytest.raises(GeohazardError, match="no date pair"):
        parse_date_pair(name)


def test_parse_date_pair_names_a_same_date_pair_as_such():
    with pytest.raises(GeohazardError, match="pairs 2020-01-01 with itself"):
        parse_date_pair("20200101_20200101.tif")


def test_parse_date_forms():
    assert parse_date("20200229") == D(2020, 2, 29)
    assert parse_date("D20200229") == D(2020, 2, 29)
    assert parse_date("2020-02-29T10:00:00") == D(2020, 2, 29)
    assert parse_date(np.datetime64("2020-02-29")) == D(2020, 2, 29)
    assert parse_date("2020060") == D(2020, 2, 29)
    with pytest.raises(GeohazardError, match="'2020-13-01'"):
        parse_date("2020-13-01")


def test_dated_fields_sorted_and_filtered():
    names = ["pid", "VEL", "D20200113", "20200101", "D2020011", "D20201301", "mean_velocity"]
    assert dated_fields(names) == [("20200101", D(2020, 1, 1)), ("D20200113", D(2020, 1, 13))]
    assert field_name(D(2021, 3, 4)) == "D20210304"
    np.testing.assert_allclose(decimal_years(["2020-01-01", "2021-01-01"]), [0.0, 366 / 365.25])


def test_phase_to_los_sign_and_scale():
    # half a wavelength of range increase = -2 pi * ... : one fringe (2 pi) = lambda/2 of LOS
    wl = conventions.SENTINEL1_WAVELENGTH_M
    assert conventions.phase_to_los_mm(2 * np.pi, wl) == pytest.approx(-wl / 2 * 1000)
    assert conventions.phase_to_los_mm(2 * np.pi, wl, phase_sign=1) == pytest.approx(wl / 2 * 1000)
    np.testing.assert_allclose(conventions.los_mm_to_phase(conventions.phase_to_los_mm(1.3, wl), wl), 1.3)
    assert wl == pytest.approx(0.05546576, abs=1e-8)


def test_los_to_vertical_values_nan_and_no_mutation():
    v = np.array([[10.0, np.nan], [-5.0, 0.0]])
    before = v.copy()
    out = los_to_vertical(v, 60.0)
    np.testing.assert_allclose(out, [[20.0, np.nan], [-10.0, 0.0]])
    np.testing.assert_array_equal(v, before)
    inc = np.array([[0.0001, 45.0], [np.nan, 30.0]])
    out = los_to_vertical(np.ones((2, 2)), inc)
    np.testing.assert_allclose(out, [[1.0, np.sqrt(2)], [np.nan, 1 / np.cos(np.radians(30))]])


@pytest.mark.parametrize("bad", [0.0, 90.0, -3.0, 0.6 * 180])
def test_los_to_vertical_rejects_bad_incidence(bad):
    with pytest.raises(GeohazardError, match="between 0 and 90"):
        los_to_vertical(1.0, bad)


def test_los_to_vertical_shape_mismatch():
    with pytest.raises(GeohazardError, match="does not match"):
        los_to_vertical(np.ones((3, 4)), np.full((4, 3), 30.0))


def test_los_unit_vector_sentinel1_ascending():
    # ascending, right-looking: the satellite is to the west, looking east
    e, n, u = los_unit_vector(38.97, -8.94)
    assert e < 0 and u > 0
    assert e**2 + n**2 + u**2 == pytest.approx(1.0)
    # First point of EGMS L2b Ustica, ascending track 117: incidence_angle 38.97,
    # track_angle -8.94 and the product's own los_east/north/up = -0.621, -0.098, 0.777
    assert (e, n, u) == pytest.approx((-0.621, -0.098, 0.777), abs=6e-4)
    e2, _, _ = los_unit_vector(39.0, -12.0, look="left")
    assert e2 > 0


class _Cancel:
    def __init__(self, after):
        self.calls, self.after, self.percent = 0, after, []

    def set_progress(self, p):
        self.percent.append(p)

    def is_canceled(self):
        self.calls += 1
        return self.calls > self.after


def test_iter_blocks_covers_rows_with_overlap_and_cancels():
    blocks = list(iter_blocks(10, 4, overlap=1))
    assert blocks == [(0, 5, 0, 4), (3, 9, 4, 8), (7, 10, 8, 10)]
    prog = _Cancel(after=2)
    with pytest.raises(OperationCanceled):
        list(iter_blocks(10, 2, progress=prog))
    assert prog.percent == [0.0, 20.0]


def test_subprogress_maps_range():
    prog = _Cancel(after=99)
    sub = SubProgress(prog, 50, 100)
    sub.set_progress(50)
    assert prog.percent == [75.0]
    check_canceled(sub)


def _shim_copy():
    """A separate copy of the numba shim, imported anew (its import-time choices made again under the test's
    environment). Reloading the shared module instead would empty its registry of kernel classes, which the
    kernels imported before the reload still belong to, for every later test in the process."""
    import importlib.util

    import insar_geohazards.algorithms._numba as shim

    spec = importlib.util.spec_from_file_location("insar_geohazards.algorithms._numba_copy", shim.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numba_shim_fallback(monkeypatch):
    monkeypatch.setenv("INSAR_GEOHAZARDS_DISABLE_NUMBA", "1")
    fallback = _shim_copy()
    assert not fallback.HAVE_NUMBA
    assert list(fallback.prange(2, 5)) == [2, 3, 4]  # prange is range as Python

    @fallback.njit(parallel=True)
    def f(x):
        return x + 1

    assert f(1) == 2


def test_numba_shim_shortens_openmp_spinning_unless_the_user_chose(monkeypatch):
    """libgomp's idle workers spin 300,000 iterations by default (CPU taken from the reader and compression
    threads); the shim asks for 10,000 before libgomp loads, and keeps a policy or count the user set."""
    try:
        for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
            monkeypatch.delenv(var, raising=False)
        _shim_copy().have_numba()  # the settings are made when numba is imported, at a kernel's first need
        assert os.environ.get("GOMP_SPINCOUNT") == "10000" and "OMP_WAIT_POLICY" not in os.environ
        monkeypatch.delenv("GOMP_SPINCOUNT")
        monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
        _shim_copy().have_numba()
        assert "GOMP_SPINCOUNT" not in os.environ
        monkeypatch.delenv("OMP_WAIT_POLICY")
        monkeypatch.setenv("GOMP_SPINCOUNT", "500")
        _shim_copy().have_numba()
        assert os.environ["GOMP_SPINCOUNT"] == "500"
    finally:
        monkeypatch.undo()


def test_numba_shim_tunes_for_a_cpu_llvm_misnames_unless_the_user_chose(monkeypatch):
    """LLVM before 16 names AMD Zen 4 "znver3" (a model without AVX-512) and that model's tuning slows DS phase
    linking's kernel by half again: the shim asks numba for znver2's tuning there (the CPU's own features are kept),
    leaves every other CPU to numba, and keeps a model or features the user chose."""
    import llvmlite.binding as ll

    import insar_geohazards.algorithms._numba as shim

    class Features(dict):
        pass

    def host(name, **features):
        monkeypatch.setattr(ll, "get_host_cpu_name", lambda: name)
        monkeypatch.setattr(ll, "get_host_cpu_features", lambda: Features(features))

    for var in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        monkeypatch.delenv(var, raising=False)
    host("znver3", avx512f=True, avx2=True)
    assert shim.cpu_tuning() == "znver2"
    host("znver3", avx512f=False, avx2=True)  # a real Zen 3: numba's own choice
    assert shim.cpu_tuning() == ""
    host("skylake-avx512", avx512f=True)
    assert shim.cpu_tuning() == ""
    host("znver3", avx512f=True)
    monkeypatch.setenv("NUMBA_CPU_NAME", "haswell")
    assert shim.cpu_tuning() == ""
    monkeypatch.delenv("NUMBA_CPU_NAME")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", "+avx2")
    assert shim.cpu_tuning() == ""
