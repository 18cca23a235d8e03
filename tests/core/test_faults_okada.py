"""Okada DC3D / DC3D0 against Okada (1985) Table 2, gradients vs finite differences, continuity."""

import os
import re

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.faults import okada
from insar_geohazards.algorithms.faults.faults import Faults, faults_from_traces

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "okada1985", "OKADA1985_TABLE2_verbatim.md")
ALPHA = 2.0 / 3.0
# Table columns ux uy uz dux/dx dux/dy duy/dx duy/dy duz/dx duz/dy -> DC3D output indices
COLS = [0, 1, 2, 3, 6, 4, 7, 5, 8]


def _table_rows():
    rows = []
    with open(DATA) as fh:
        for ln in fh:
            m = re.match(r"\|\s*([234])\s*\|(.*)\|\s*$", ln)
            if m:
                cells = [c.strip() for c in m.group(2).split("|")]
                rows.append((int(m.group(1)), cells[6], [float(c) for c in cells[7:16]]))
    return rows


ROWS = _table_rows()


def test_table_parsed():
    assert len(ROWS) == 9


def _sig_equal(ours, ref):
    """Agreement to the table's printed precision (4 significant digits, 0 printed as 0)."""
    if ref == 0.0:
        return abs(ours) < 1e-12
    return abs(ours - ref) <= 0.5e-3 * 10 ** np.floor(np.log10(abs(ref))) * 1.0001


@pytest.mark.parametrize("case, mode, ref", ROWS, ids=[f"case{r[0]}-{r[1]}" for r in ROWS])
def test_dc3d_reproduces_okada1985_table2(case, mode, ref):
    x, y, depth, dip = {2: (2, 3, 4, 70), 3: (0, 0, 4, 90), 4: (0, 0, 6, 90)}[case]
    disl = {"strike": [1.0, 0, 0], "dip": [0, 1.0, 0], "tensile": [0, 0, 1.0]}[mode]
    if case == 4 and mode == "strike":  # dip -90 in the paper = dip +90 with reversed strike-slip
        disl[0] = -1.0
    out = okada.dc3d(ALPHA, x, y, 0.0, depth, dip, 0.0, 3.0, 0.0, 2.0, *disl)
    assert out[12] == 0
    for k, col in enumerate(COLS):
        assert _sig_equal(out[col], ref[k]), (okada.DC3D_NAMES[col], out[col], ref[k])


def test_dc3d0_point_source_values():
    ref = {(1, 0, 0): (-9.447e-4, -1.023e-3, -7.420e-4), (0, 1, 0): (-1.172e-3, -2.082e-3, -2.532e-3),
           (0, 0, 1): (-3.572e-4, 3.531e-4, -2.007e-4)}
    for pot, vals in ref.items():
        out = okada.dc3d0(ALPHA, 2.0, 3.0, 0.0, 4.0, 70.0, *pot, 0.0)
        for k in range(3):
            assert _sig_equal(out[k], vals[k]), (pot, k, out[k], vals[k])


def _fd_check(fun, x, y, z, h=1e-4):
    out = np.array(fun(x, y, z)[:12])
    for j, (dx, dy, dz) in enumerate([(h, 0, 0), (0, h, 0), (0, 0, h)]):
        up = np.array(fun(x + dx, y + dy, z + dz)[:3])
        dn = np.array(fun(x - dx, y - dy, z - dz)[:3])
        fd = (up - dn) / (2 * h)
        np.testing.assert_allclose(out[3 + 3 * j:6 + 3 * j], fd, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("dip", [35.0, 70.0, 90.0])
def test_dc3d_gradients_match_finite_differences_at_depth(dip):
    for disl in ([1, 0, 0], [0, 1, 0], [0, 0, 1], [0.3, -0.7, 0.2]):
        fun = lambda x, y, z, d=disl: okada.dc3d(ALPHA, x, y, z, 4.0, dip, -1.0, 2.0, -0.5, 1.5, *d)  # noqa: E731
        for x, y, z in [(2.0, 3.0, -1.0), (-1.5, -2.0, -5.5), (0.7, 0.4, -3.2)]:
            _fd_check(fun, x, y, z)


def test_dc3d0_gradients_match_finite_differences():
    for pot in ([1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]):
        fun = lambda x, y, z, p=pot: okada.dc3d0(ALPHA, x, y, z, 4.0, 55.0, *p)  # noqa: E731
        _fd_check(fun, 2.0, 3.0, -1.5)


def test_continuity_to_the_surface():
    surf = np.array(okada.dc3d(ALPHA, 2.0, 3.0, 0.0, 4.0, 70.0, 0, 3, 0, 2, 0.4, 0.8, 0.1)[:12])
    near = np.array(okada.dc3d(ALPHA, 2.0, 3.0, -1e-7, 4.0, 70.0, 0, 3, 0, 2, 0.4, 0.8, 0.1)[:12])
    np.testing.assert_allclose(near, surf, rtol=1e-5, atol=1e-10)


def test_singular_and_positive_z_return_codes():
    # on the upper edge of a fault that reaches the surface (z=0, depth=W sin(dip)), inside the length
    out = okada.dc3d(ALPHA, 1.0, 0.0, 0.0, 2.0, 90.0, 0, 3, 0, 2, 1, 0, 0)
    assert out[12] == 1 and all(v == 0 for v in out[:12])
    assert okada.dc3d(ALPHA, 1.0, 1.0, 0.5, 4.0, 70.0, 0, 3, 0, 2, 1, 0, 0)[12] == 2
    assert okada.dc3d0(ALPHA, 0.0, 0.0, -4.0, 4.0, 70.0, 1, 0, 0, 0)[12] == 1
    # negative extension of an edge: finite values (log(R - xi) branch)
    out = okada.dc3d(ALPHA, -1.0, 0.0, 0.0, 2.0, 90.0, 0, 3, 0, 2, 1, 0, 0)
    assert out[12] == 0 and np.all(np.isfinite(out[:12]))


def test_array_input_matches_scalar_calls():
    x = np.array([2.0, -3.0, 0.5])
    y = np.array([3.0, 1.0, -4.0])
    arr = okada.dc3d(ALPHA, x, y, -1.0, 4.0, 70.0, 0, 3, 0, 2, 1, 1, 0)
    for i in range(3):
        one = okada.dc3d(ALPHA, x[i], y[i], -1.0, 4.0, 70.0, 0, 3, 0, 2, 1, 1, 0)
        np.testing.assert_allclose([a[i] for a in arr[:12]], one[:12], rtol=1e-13)


@pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba not installed: the pure-Python path is the only one")
def test_kernels_numba_and_python_agree():
    out_n = np.zeros(12)
    out_p = np.zeros(12)
    s = [np.zeros(12) for _ in range(3)]
    sd, cd = okada._dip_constants.py_func(70.0)
    okada._dc3d_one(ALPHA, 2.0, 3.0, -1.0, 4.0, sd, cd, 0, 3, 0, 2, 0.4, 0.9, 0.1, True, out_n, *s)
    okada._dc3d_one.py_func(ALPHA, 2.0, 3.0, -1.0, 4.0, sd, cd, 0, 3, 0, 2, 0.4, 0.9, 0.1, True, out_p, *s)
    np.testing.assert_allclose(out_n, out_p, rtol=1e-12)
    okada._dc3d0_one(ALPHA, 2.0, 3.0, -1.0, 4.0, sd, cd, 1, 0.5, 0.2, 0.1, out_n, *s)
    okada._dc3d0_one.py_func(ALPHA, 2.0, 3.0, -1.0, 4.0, sd, cd, 1, 0.5, 0.2, 0.1, out_p, *s)
    np.testing.assert_allclose(out_n, out_p, rtol=1e-12)


def test_map_frame_left_lateral_and_rotation():
    f = faults_from_traces([np.array([[0.0, -10e3], [0.0, 10e3]])], dip_deg=90, top_m=0, bottom_m=10e3, slip_m=1,
                           rake_deg=0)
    d = okada.okada_displacement(np.array([5e3, -5e3]), np.array([0.0, 0.0]), f.table())
    assert d[0, 1] > 0.1 and d[1, 1] < -0.1  # left-lateral: east side moves north
    np.testing.assert_allclose(d[0], -d[1], atol=1e-12)
    # same fault rotated by 90 degrees gives the rotated field
    g = faults_from_traces([np.array([[-10e3, 0.0], [10e3, 0.0]])], dip_deg=90, top_m=0, bottom_m=10e3, slip_m=1,
                           rake_deg=0)
    d2 = okada.okada_displacement(np.array([0.0]), np.array([-5e3]), g.table())
    np.testing.assert_allclose(d2[0], [d[0, 1], -d[0, 0], d[0, 2]], atol=1e-12)


def test_map_frame_gradients_match_finite_differences_and_dc3d():
    f = Faults.create(east_m=1000.0, north_m=2000.0, strike_deg=30.0, dip_deg=60.0, length_m=8e3, top_m=1e3,
                      bottom_m=6e3, strike_slip_m=0.5, dip_slip_m=1.2, opening_m=0.1)
    e, n, z = 4000.0, -3000.0, -2500.0
    d, g = okada.okada_displacement(e, n, f.table(), up_m=z, gradients=True)
    h = 0.5
    for j, step in enumerate(np.eye(3) * h):
        dp = okada.okada_displacement(e + step[0], n + step[1], f.table(), up_m=z + step[2])
        dm = okada.okada_displacement(e - step[0], n - step[1], f.table(), up_m=z - step[2])
        np.testing.assert_allclose(g[:, j], (dp - dm) / (2 * h), rtol=1e-5, atol=1e-12)
    greens = okada.okada_greens(np.array([e]), np.array([n]), f.table(), up_m=z)
    np.testing.assert_allclose(greens[0, 0], d, rtol=1e-12)


def test_greens_columns_are_each_source_alone_and_refuse_point_sources():
    """The design-matrix kernel (rectangles only, DC3D0 not compiled) gives each source's displacement to the bit,
    as the general station-by-station sum does for that source alone; a point source is refused, not mixed in."""
    f = Faults.create(east_m=[0.0, 6e3, -2e3], north_m=[0.0, -3e3, 4e3], strike_deg=[30.0, 115.0, 270.0],
                      dip_deg=[55.0, 85.0, 20.0], length_m=[8e3, 5e3, 3e3], top_m=[0.0, 1e3, 2e3],
                      bottom_m=[6e3, 5e3, 3e3], strike_slip_m=[0.5, -1.0, 0.2], dip_slip_m=[1.0, 0.3, -0.7],
                      opening_m=[0.0, 0.1, 0.0])
    table = f.table()
    rng = np.random.default_rng(7)
    e, n = rng.uniform(-15e3, 15e3, 40), rng.uniform(-15e3, 15e3, 40)
    e[0], n[0] = 0.0, 0.0  # on the first trace: a singular station
    greens = okada.okada_greens(e, n, table)
    for s in range(len(table)):
        alone = okada.okada_displacement(e, n, table[s:s + 1], share_corners=False)
        np.testing.assert_array_equal(greens[:, s], alone)
    point = table[:1].copy()
    point[0, 10] = okada.KIND_POINT
    with pytest.raises(GeohazardError, match="point sources"):
        okada.okada_greens(e, n, np.vstack([table, point]))


def test_bad_inputs_raise_clear_errors():
    f = Faults.create(east_m=0.0, north_m=0.0, strike_deg=0.0, dip_deg=45.0, length_m=1e3, top_m=0.0, bottom_m=1e3,
                      strike_slip_m=1.0)
    with pytest.raises(GeohazardError, match="up_m must be <= 0"):
        okada.okada_displacement(0.0, 0.0, f.table(), up_m=10.0)
    with pytest.raises(GeohazardError, match="dip_deg must be in"):
        Faults.create(east_m=0.0, north_m=0.0, strike_deg=0.0, dip_deg=95.0, length_m=1e3, top_m=0.0, bottom_m=1e3)
    with pytest.raises(GeohazardError, match="at least 2 vertices"):
        faults_from_traces([np.array([[0.0, 0.0]])], dip_deg=60, top_m=0, bottom_m=1e3)
    with pytest.raises(GeohazardError, match="poisson"):
        okada.alpha_from_poisson(0.5)
    # receiver on a source edge: documented NaN
    d = okada.okada_displacement(0.0, 500.0, f.table())
    assert np.all(np.isnan(d))


@pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba not installed: the Python path is the only one")
def test_singular_stations_give_the_same_bytes_compiled_or_as_python(monkeypatch):
    """Stations on a source's surface edge and corners (singular in DC3D) through numba and through the Python path
    (the kernels run as plain Python, ``_numba.python_kernels``): the same bytes, the NaN included, even with
    ``canonical_nan`` switched off. The kernels never compute a singular station's NaN (no ``-0.0 * inf``, no
    ``sqrt(-0.0)`` reaches the output): they assign ``math.nan``, positive, and skip the station's sources, so the
    sign of the NaN cannot depend on the path; the Coulomb stresses resolved from it keep it positive too."""
    from insar_geohazards.algorithms.faults import okada_planes, stress

    for module in (okada, stress):
        monkeypatch.setattr(module, "canonical_nan", lambda a: a)
    f = Faults.create(east_m=[0.0], north_m=[0.0], strike_deg=[30.0], dip_deg=[55.0], length_m=[8e3], top_m=[0.0],
                      bottom_m=[6e3], strike_slip_m=[0.5], dip_slip_m=[1.0], opening_m=[0.2])
    s = np.radians(30.0)
    e = np.array([0.0, 4e3 * np.sin(s), -4e3 * np.sin(s), 3e3, -7e3])  # the trace's middle and ends, two off it
    n = np.array([0.0, 4e3 * np.cos(s), -4e3 * np.cos(s), -2e3, 5e3])

    def run():
        d, g = okada.okada_displacement(e, n, f.table(), up_m=0.0, gradients=True)
        cfs = stress.coulomb_at_points(e, n, np.zeros_like(e), f.table(), strike_deg=30.0, dip_deg=60.0,
                                       rake_deg=90.0)
        return [d, g, okada.okada_greens(e, n, f.table()), *cfs.values()]

    compiled = run()
    with _numba.python_kernels((okada, okada_planes)):
        python = run()
    singular = np.isnan(compiled[0]).any(axis=1)
    assert 1 <= singular.sum() < len(e) and np.isfinite(compiled[0][~singular]).all()
    for a, b in zip(compiled, python):
        assert a.tobytes() == b.tobytes()
        assert not np.signbit(a[np.isnan(a)]).any()
