"""The station-vectorised gradient kernel (okada_block) and its IEEE-only log/atan (simd_math).

* ``vlog``/``vatan`` against numpy's libm over wide ranges (a few ulp);
* the block kernel's derivatives are the bits of the per-station shared-corner kernel
  (``_sum_sources_kernel``), its displacement within 1e-13; both agree with the per-patch DC3D path;
* the map is the same bytes for any thread count, block size and station order;
* ``okada_gradients`` = ``okada_displacement(..., gradients=True)[1]``, and ``coulomb_at_points`` the same
  bytes whatever the layout;
* the station loops are SIMD in the machine code for AVX2 and AVX-512 targets.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from testutils import compiled_elementwise

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms.faults import okada, okada_planes
from insar_geohazards.algorithms.faults.faults import Faults, discretize
from insar_geohazards.algorithms.faults.simd_math import vatan, vlog
from insar_geohazards.algorithms.faults.stress import coulomb_at_points


def test_vlog_within_4_ulp_of_libm():
    rng = np.random.default_rng(0)
    n = 200_000 if _numba.HAVE_NUMBA else 2_000
    x = np.concatenate([np.exp(rng.uniform(-700, 700, n)), 1.0 + rng.uniform(-0.3, 0.3, n),
                        [1.0, 2.0, 0.5, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 3.0), 1e-300, 1e300]])
    got = compiled_elementwise(vlog)(x)
    ref = np.log(x)
    assert got[x.size - 7] == 0.0  # log(1)
    ulp = np.abs(got - ref) / np.spacing(np.maximum(np.abs(ref), np.finfo(float).tiny))
    assert ulp.max() <= 4, ulp.max()


def test_vatan_within_6_ulp_of_libm():
    rng = np.random.default_rng(1)
    n = 200_000 if _numba.HAVE_NUMBA else 2_000
    t = np.concatenate([rng.normal(0, 1, n), np.tan(rng.uniform(-1.57, 1.57, n)),
                        10.0 ** rng.uniform(-300, 300, n) * rng.choice([-1, 1], n), [0.0, 1.0, -1.0, np.inf, -np.inf]])
    got = compiled_elementwise(vatan)(t)
    ref = np.arctan(t)
    ok = ref != 0
    ulp = np.abs(got[ok] - ref[ok]) / np.spacing(np.abs(ref[ok]))
    assert ulp.max() <= 6, ulp.max()
    assert got[-5] == 0.0 and got[-2] == np.pi / 2 and got[-1] == -np.pi / 2
    assert np.isnan(compiled_elementwise(vatan)(np.array([np.nan]))[0])


def _mesh(rng, n_len=9, n_wid=5, opening=0.2):
    f = Faults.create(east_m=4.5e5, north_m=4.9e6, strike_deg=rng.uniform(0, 360), dip_deg=rng.uniform(20, 80),
                      length_m=24e3, top_m=1e3, bottom_m=13e3, strike_slip_m=1.3, dip_slip_m=-0.7, opening_m=opening)
    p, _ = discretize(f, patch_length_m=24e3 / n_len, patch_width_m=f.width_m[0] / n_wid)
    t = p.table()
    t[:, 7:10] *= rng.uniform(-0.5, 1.5, (len(p), 3))  # every patch its own slip
    # a second, unrelated patch and a point source: the lone-plane and point paths at the same stations
    lone = t[:1].copy()
    lone[0, 0] += 20e3
    lone[0, 3] = (lone[0, 3] + 50.0) % 360.0
    point = t[:1].copy()
    point[0, [0, 1, 2, 10]] = [4.4e5, 4.91e6, 6e3, okada.KIND_POINT]
    point[0, 7:10] = [1e6, -2e6, 5e5]
    c = f.centres()[0]
    return np.concatenate([t, lone, point]), c


def _stations(rng, c, table, n=700):
    e = c[0] + rng.uniform(-35e3, 35e3, n)
    nn = c[1] + rng.uniform(-35e3, 35e3, n)
    # stations on the fault's upper edge and corner: singular (NaN) at the surface-free depth of 1 km
    s0 = table[0]
    phi = np.radians(s0[3])
    e = np.concatenate([e, [s0[0], s0[0] + 0.5 * s0[5] * np.sin(phi)]])
    nn = np.concatenate([nn, [s0[1], s0[1] + 0.5 * s0[5] * np.cos(phi)]])
    return e, nn


@pytest.mark.parametrize("seed", [0, 1])
def test_block_kernel_is_the_per_station_kernel(seed):
    rng = np.random.default_rng(seed)
    t, c = _mesh(rng)
    e, n = _stations(rng, c, t)
    for depth in (0.0, 4e3, 7e3):
        z = np.full(e.size, -depth)
        pieces = okada_planes.plane_groups(t)
        alpha = okada.alpha_from_poisson(0.25)
        ref = np.empty((e.size, 12))
        okada._sum_sources_kernel(alpha, e, n, z, t, *pieces, True, True, ref)
        d, g = okada.okada_displacement(e, n, t, up_m=-depth, gradients=True)
        np.testing.assert_array_equal(g.reshape(-1, 9), ref[:, 3:])  # same bits
        ok = ~np.isnan(ref[:, 0])
        assert ok.sum() >= e.size - 2
        err = np.abs(d[ok] - ref[ok, :3]).max() / np.abs(ref[ok, :3]).max()
        assert err <= 1e-13, err
        np.testing.assert_array_equal(np.isnan(d), np.isnan(ref[:, :3]))
        g2 = okada.okada_gradients(e, n, t, up_m=-depth)
        np.testing.assert_array_equal(g2, g)


def test_block_kernel_agrees_with_per_patch_dc3d():
    rng = np.random.default_rng(5)
    t, c = _mesh(rng, 12, 6)
    e, n = _stations(rng, c, t, n=400)
    shared = okada.okada_gradients(e, n, t, up_m=-5e3)
    d, per_patch = okada.okada_displacement(e, n, t, up_m=-5e3, gradients=True, share_corners=False)
    np.testing.assert_array_equal(np.isnan(shared), np.isnan(per_patch))
    ok = ~np.isnan(per_patch)
    err = np.abs(shared[ok] - per_patch[ok]).max() / np.abs(per_patch[ok]).max()
    assert err <= 1e-9, err


def _with_threads(n, fn):
    if not _numba.HAVE_NUMBA:
        return fn()
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        return fn()
    finally:
        numba.set_num_threads(old)


def test_same_bytes_for_any_threads_blocks_and_station_order():
    rng = np.random.default_rng(7)
    t, c = _mesh(rng, 8, 4)
    e, n = _stations(rng, c, t, n=300)
    ref = _with_threads(1, lambda: okada.okada_gradients(e, n, t, up_m=-3e3))
    two = _with_threads(2, lambda: okada.okada_gradients(e, n, t, up_m=-3e3))
    assert ref.tobytes() == two.tobytes()
    for block in (1, 13, 64, 65, 10_000):
        got = _with_threads(2, lambda b=block: okada.okada_gradients(e, n, t, up_m=-3e3, block_points=b))
        assert got.tobytes() == ref.tobytes(), block
    perm = rng.permutation(e.size)
    got = okada.okada_gradients(e[perm], n[perm], t, up_m=-3e3)
    assert got.tobytes() == ref[perm].tobytes()
    # a station alone gives its bits in a block of many (a vector lane vs the scalar remainder)
    for i in (0, 5, e.size - 1):
        one = okada.okada_gradients(e[i:i + 1], n[i:i + 1], t, up_m=-3e3)
        assert one.tobytes() == ref[i:i + 1].tobytes()


def test_coulomb_map_same_bytes_for_any_threads_and_grid_layout():
    rng = np.random.default_rng(11)
    t, c = _mesh(rng, 8, 4, opening=0.0)
    x = c[0] + np.linspace(-30e3, 30e3, 23)
    y = c[1] + np.linspace(-30e3, 30e3, 17)
    xx, yy = np.meshgrid(x, y)
    kw = dict(strike_deg=30.0, dip_deg=60.0, rake_deg=90.0)
    ref = _with_threads(1, lambda: coulomb_at_points(xx, yy, 8e3, t, **kw))
    two = _with_threads(2, lambda: coulomb_at_points(xx, yy, 8e3, t, **kw))
    flat = coulomb_at_points(xx.ravel()[::-1], yy.ravel()[::-1], 8e3, t, **kw)
    for k in ("dcfs_pa", "shear_pa", "normal_pa"):
        assert two[k].tobytes() == ref[k].tobytes()
        assert flat[k][::-1].tobytes() == ref[k].ravel().tobytes()
    per_patch = coulomb_at_points(xx, yy, 8e3, t, share_corners=False, **kw)
    scale = np.abs(per_patch["dcfs_pa"]).max()
    assert np.abs(ref["dcfs_pa"] - per_patch["dcfs_pa"]).max() <= 1e-9 * scale


_ASM_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from insar_geohazards.algorithms.faults import okada_block as ob
    w = np.zeros(ob._NW)
    c = np.array([[0.0, 0.0, 1.0, 0.5, 0.0], [1e3, 2e3, -1.0, 0.2, 0.1]])
    ob._corners_block(2.0 / 3.0, 4, 0.8, 0.6, c, 0, 2, True, w)
    ob._corners_block(2.0 / 3.0, 4, 0.8, 0.6, c, 0, 2, False, w)
    out = {}
    for f in (ob._real_part_a, ob._image_parts_abc, ob._real_part_a_grad, ob._image_parts_abc_grad):
        asm = f.inspect_asm(f.signatures[0])
        out[f.__name__] = [asm.count("vdivpd\\t%ymm") + asm.count("vdivpd\\t%zmm"), asm.count("vsqrtpd")]
    print(json.dumps(out))
""")


@pytest.mark.heavy
@pytest.mark.parametrize("cpu", ["haswell", "skylake-avx512"])
def test_station_loops_are_simd(tmp_path, cpu):
    if not _numba.HAVE_NUMBA:
        pytest.skip("numba is not installed: nothing is compiled")
    import numba

    if tuple(int(p) for p in numba.__version__.split(".")[:2]) >= (0, 57):
        pytest.skip(f"numba {numba.__version__}: its LLVM leaves the station loops scalar (the results are the same "
                    "bytes, tested above; the packed code is checked on numba < 0.57, QGIS 3.22's)")
    plugins = os.path.dirname(os.path.dirname(os.path.dirname(_numba.__file__)))
    env = dict(os.environ, NUMBA_CPU_NAME=cpu, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-c", _ASM_PROBE, plugins], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    for name, (packed_div, packed_sqrt) in counts.items():
        assert packed_div > 0 and packed_sqrt > 0, (cpu, name, counts)


def test_singular_stations_give_one_nan_whatever_the_path():
    """A station on a source edge is NaN in every output, the one positive quiet NaN (``ordered.canonical_nan``):
    the Coulomb stress resolved from it runs the NaN through negations and products whose operand order differs
    between numba and numpy's vector and scalar loops, which would flip its sign bit and change the bytes."""
    from insar_geohazards.algorithms.faults import stress
    from insar_geohazards.algorithms.ordered import canonical_nan

    rng = np.random.default_rng(3)
    t, _ = _mesh(rng)
    # the first patch's lower-edge start (its reference point) at its own depth: singular
    e, n, z = np.array([t[0, 0], t[0, 0] + 9e3]), np.array([t[0, 1], t[0, 1] - 7e3]), np.array([t[0, 2], 2e3])
    canonical = np.array(np.nan).view(np.uint64)
    for share in (True, False):
        d, g = okada.okada_displacement(e, n, t, up_m=-z, gradients=True, share_corners=share)
        assert np.isnan(d[0]).all() and np.isfinite(d[1]).all()
        assert np.all(g.view(np.uint64)[np.isnan(g)] == canonical)
    res = stress.coulomb_at_points(e, n, z, t, strike_deg=30.0, dip_deg=60.0, rake_deg=90.0)
    for key, v in res.items():
        assert np.isnan(v[0]) and np.all(v.view(np.uint64)[np.isnan(v)] == canonical), key
    neg = -np.full(3, np.nan)  # a negated NaN: sign bit set
    assert np.signbit(neg).all() and not np.signbit(canonical_nan(neg)).any()
