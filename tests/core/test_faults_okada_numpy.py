"""Okada's numpy form (okada_numpy, written from okada_numpy_src.py by scripts/generate's numpy pass).

* the numpy path's displacement, gradients and derivatives only are the compiled kernels' bytes (NaN included),
  at the surface and at depth, with near-plane stations, meshed planes of variable slip and a point source;
* the bytes do not depend on how many stations go together (CHUNK);
* vlog/vatan on arrays (simd_math.array_form) are the compiled loop's bits;
* the numpy pass: an ``if`` on a station's value is np.where, and what no stored row reads is dropped (the
  derivatives-only function computes no atan or log).
"""

import os

import numpy as np
import pytest
from testutils import compiled_elementwise

from insar_geohazards.algorithms import _numba, kernel_families
from insar_geohazards.algorithms.faults import okada, okada_numpy
from insar_geohazards.algorithms.faults.faults import Faults, discretize
from insar_geohazards.algorithms.faults.simd_math import vatan, vatan_array, vlog, vlog_array

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _table():
    f = Faults.create(east_m=[0.0, 6e3], north_m=[0.0, -3e3], strike_deg=[30.0, 115.0], dip_deg=[55.0, 90.0],
                      length_m=[8e3, 5e3], top_m=[0.0, 1e3], bottom_m=[6e3, 5e3], strike_slip_m=[0.5, -1.0],
                      dip_slip_m=[1.0, 0.3], opening_m=[0.0, 0.1])
    patches, _ = discretize(f, patch_length_m=2e3, patch_width_m=1.5e3)
    table = patches.table()
    table[:, 7:10] *= np.random.default_rng(3).uniform(0.5, 1.5, (len(table), 1))  # variable slip
    point = table[:1].copy()
    point[0, [0, 1, 2, 7, 8, 9, 10]] = [-4e3, 5e3, 3e3, 1e6, 0.0, 2e5, okada.KIND_POINT]
    return np.concatenate([table, point])


def _stations(n=700):
    rng = np.random.default_rng(5)
    e = rng.uniform(-15e3, 15e3, n)
    nn = rng.uniform(-15e3, 15e3, n)
    z = np.where(rng.random(n) < 0.5, 0.0, -rng.uniform(0.0, 8e3, n))  # the surface and depths mixed
    # on the first fault's top corner (singular) and beside its trace (near the plane: the per-patch fallback)
    e[:6], nn[:6], z[:6] = 0.0, np.linspace(0.0, 50.0, 6), 0.0
    return e, nn, z


def _runs(table, e, n, z):
    d, g = okada.okada_displacement(e, n, table, up_m=z, gradients=True)
    return [okada.okada_displacement(e, n, table, up_m=z), d, g, okada.okada_gradients(e, n, table, up_m=z),
            okada.okada_displacement(e, n, table)]


def _numpy_path():
    return _numba.python_kernels(kernel_families.BY_NAME["okada"].modules())


def test_numpy_form_gives_the_compiled_bytes(monkeypatch):
    if not _numba.have_numba():
        pytest.skip("numba is missing: no compiled kernel to compare the numpy form with")
    table = _table()
    e, n, z = _stations()
    compiled = _runs(table, e, n, z)
    calls = []
    real = okada_numpy.sum_sources
    monkeypatch.setattr(okada_numpy, "sum_sources", lambda *a: calls.append(1) or real(*a))
    with _numpy_path():
        numpy_form = _runs(table, e, n, z)
    assert calls  # the kernels' numpy form ran, not their compiled code
    assert np.isnan(compiled[0]).any()  # stations on a trace: singular in the per-patch fallback
    for a, b in zip(compiled, numpy_form):
        assert a.tobytes() == b.tobytes()


def test_numpy_form_bytes_do_not_depend_on_the_chunk(monkeypatch):
    table = _table()
    e, n, z = _stations(300)
    with _numpy_path():
        whole = _runs(table, e, n, z)
        monkeypatch.setattr(okada_numpy, "CHUNK", 7)
        small = _runs(table, e, n, z)
    for a, b in zip(whole, small):
        assert a.tobytes() == b.tobytes()


def test_numpy_form_agrees_with_dc3d_patch_by_patch():
    """Against the reference path (DC3D patch by patch, libm's log and atan): to rounding."""
    table = _table()
    e, n, z = _stations(200)
    with _numpy_path():
        d, g = okada.okada_displacement(e, n, table, up_m=z, gradients=True)
    rd, rg = okada.okada_displacement(e, n, table, up_m=z, gradients=True, share_corners=False)
    ok = np.isfinite(rd[:, 0])
    assert ok.sum() > 150
    assert np.abs(d[ok] - rd[ok]).max() <= 1e-11 * np.abs(rd[ok]).max()
    assert np.abs(g[ok] - rg[ok]).max() <= 1e-10 * np.abs(rg[ok]).max()


def test_vlog_vatan_on_arrays_are_the_compiled_bits():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 20_000)), 1.0 + rng.uniform(-0.3, 0.3, 20_000),
                        [1.0, 2.0, 0.5, np.sqrt(2.0), 1e-300, 1e300]])
    t = np.concatenate([rng.normal(0, 1, 20_000), 10.0 ** rng.uniform(-300, 300, 20_000) * rng.choice([-1, 1], 20_000),
                        [0.0, 1.0, -1.0, np.inf, -np.inf, np.nan]])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert vlog_array(x).tobytes() == compiled_elementwise(vlog)(x).tobytes()
        assert vatan_array(t).tobytes() == compiled_elementwise(vatan)(t).tobytes()


def test_the_numpy_form_computes_only_what_its_stored_rows_read():
    """The numpy pass's pruning: the derivatives-only functions compute none of DC3D's atan and log, the full ones
    all of them; each branch per station is np.where, none an if on a station's value."""
    generated = open(os.path.join(ROOT, "algorithms", "faults", "okada_numpy.py"), encoding="utf-8").read()
    grad_only = generated.split("def _image_parts_abc_grad(", 1)[1].split("\ndef ", 1)[0]
    assert "vlog(" not in grad_only and "vatan(" not in grad_only
    full = generated.split("def _image_parts_abc(", 1)[1].split("\ndef ", 1)[0]
    assert full.count("vlog(") == 3 and full.count("vatan(") == 2
    assert "np.where(xi == 0.0, 0.0, ai4)" in full and "if xi == 0.0" not in full
    assert "if cd != 0.0:" in full  # a branch on the fault's dip stays a branch


def test_design_matrix_numpy_form_gives_the_compiled_bytes():
    """okada_greens (the slip inversions' design matrix): per-patch DC3D on arrays of stations, libm's log and atan
    element by element, DC3D's branches per station (on an edge: NaN) as np.where: the compiled bytes."""
    if not _numba.HAVE_NUMBA:
        pytest.skip("numba is missing: no compiled kernel to compare the numpy form with")
    table = _table()[:-1]  # rectangles only
    e, n, _ = _stations(300)  # station 0 on the first fault's top corner
    nans = []
    for z in (None, -1.5e3):
        compiled = okada.okada_greens(e, n, table, up_m=z)
        with _numpy_path():
            numpy_form = okada.okada_greens(e, n, table, up_m=z)
        assert compiled.tobytes() == numpy_form.tobytes()
        nans.append(int(np.isnan(compiled).sum()))
    assert nans[0] > 0
