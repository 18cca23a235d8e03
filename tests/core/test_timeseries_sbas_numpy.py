"""SBAS's numpy path (the kernels run as Python with their batch loops as numpy operations over wide batches, taken
by a run whose kernels are not compiled and without numba) gives the compiled kernels' bytes: every output of the
solver, unweighted (shared factors, the per-pixel solve, the pattern operator of disconnected pixels) and
variance-weighted, with NaN pixels, pixels with too few interferograms and disconnected networks, in two block
layouts and small numpy batches."""

import numpy as np
import pytest
from testutils_timeseries import sbas_dates, sbas_pairs

from insar_geohazards.algorithms import _numba, kernel_families
from insar_geohazards.algorithms.timeseries import sbas
from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import SbasSolver

needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: only the numpy path exists")
FAMILY = kernel_families.BY_NAME["sbas"]
SHAPE = (14, 23)


@pytest.fixture(scope="module")
def stack():
    """A 12-date network (3 neighbours), a drifting LOS signal with noise, and: an all-NaN pixel, scattered NaN, a
    row of pixels missing most interferograms (too few), and 40 pixels whose interferograms across dates 5-6 are
    NaN (a disconnected network; 30 of one pattern, enough to share it, 10 of another, too few to)."""
    net = build_network(sbas_pairs(sbas_dates(12), max_neighbours=3))
    rng = np.random.default_rng(7)
    m = net.n_pairs
    rate = rng.normal(0, 20, SHAPE)
    ifg = (net.years[net.sec_index] - net.years[net.ref_index])[:, None, None] * rate + rng.normal(0, 2, (m,) + SHAPE)
    ifg[rng.random(ifg.shape) < 0.08] = np.nan
    ifg[:, 0, 0] = np.nan
    ifg[: m - 4, 1, :] = np.nan
    across = (net.ref_index <= 5) & (net.sec_index >= 6)
    flat = ifg.reshape(m, -1)
    flat[:, 60:110] = rng.normal(0, 2, (m, 50))
    flat[np.ix_(across, np.arange(60, 90))] = np.nan
    flat[np.ix_(across | (np.arange(m) == 0), np.arange(100, 110))] = np.nan
    coh = rng.uniform(0.05, 0.95, ifg.shape).astype(np.float32)
    coh[2, 3, 4] = np.nan
    return net, ifg, coh


def _outputs(res):
    return [res.timeseries_mm, res.velocity_mm_yr, res.velocity_std_mm_yr, res.temporal_coherence, res.count,
            res.disconnected]


def _same_bytes(a, b):
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes(), np.argwhere(x.view(np.uint8) != y.view(np.uint8))[:5]


def _blocks(solver, ifg, coh, rows):
    """The image solved in row blocks of ``rows`` rows, the results put together."""
    parts = [solver.solve(ifg[:, a:a + rows], coherence=None if coh is None else coh[:, a:a + rows])
             for a in range(0, ifg.shape[1], rows)]
    return [np.concatenate([_outputs(p)[k] for p in parts], axis=1 if k == 0 else 0) for k in range(6)]


CASES = [
    ({"min_count": 8}, False),  # unweighted: shared factors, the per-pixel solve, the disconnected patterns
    ({"min_count": 8, "group_min_pixels": 1}, False),  # every pattern a shared factor
    ({"min_count": 8, "group_min_pixels": 10**6}, False),  # every pixel solved alone
    ({"min_count": 8, "coherence_threshold": 0.1}, True),  # unweighted with a coherence threshold
    ({"weighting": "variance", "min_count": 8, "coherence_threshold": 0.1}, True),
    ({"weighting": "variance", "min_count": 8, "looks": 3}, True),
]


@needs_numba
@pytest.mark.parametrize("kw, with_coh", CASES)
def test_numpy_path_gives_the_kernels_bytes(stack, kw, with_coh, monkeypatch):
    net, ifg, coh = stack
    c = coh if with_coh else None
    compiled = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=c))
    assert np.isnan(compiled[0][:, 0, 0]).all() and compiled[4][0, 0] == 0  # the NaN pixel
    assert np.isnan(compiled[1][1]).all() and (compiled[4][1] < 8).all()  # too few interferograms
    assert compiled[5].reshape(-1)[60:90].all() and compiled[5].sum() >= 40  # disconnected networks
    assert np.isfinite(compiled[0].reshape(net.n_dates, -1)[:, 60:90]).all()  # solved by the minimum norm
    with _numba.python_kernels(FAMILY.modules()):
        twin = _numba.python_twin(sbas._solve_shared_factor)
        assert twin.__globals__["_b_sub_scaled"] is sbas._sub_prod_np  # the batch loops as numpy operations
        whole = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=c))
        monkeypatch.setattr(sbas, "NUMPY_BATCH_PIXELS", 7)
        blocks = _blocks(SbasSolver(net, **kw), ifg, c, 5)
    _same_bytes(compiled, whole)
    _same_bytes(compiled, blocks)


@needs_numba
def test_float64_coherence_gives_the_fused_kernels_bytes(stack):
    """Variance weighting from float64 coherence goes through the weight array and the unweighted kernel (one
    compiled form of the fused kernel, float32's), compiled and as Python (the weights' numpy form): the bytes of
    the fused kernel on float32 coherence widened, compiled and run as Python (the kernels compare in float64)."""
    net, ifg, coh = stack
    kw = {"weighting": "variance", "min_count": 8, "coherence_threshold": 0.1}
    compiled = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=coh.astype(np.float64)))
    assert compiled[5].sum() >= 40 and np.isfinite(compiled[3]).sum() > 200
    _same_bytes(compiled, _outputs(SbasSolver(net, **kw).solve(ifg, coherence=coh)))
    with _numba.python_kernels(FAMILY.modules()):
        split = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=coh.astype(np.float64)))
        fused = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=coh))
    _same_bytes(compiled, split)
    _same_bytes(compiled, fused)


@needs_numba
def test_the_weights_numpy_form_gives_the_kernels_bytes(stack):
    """The coherence table's weights on whole arrays (NaN, below the floor, beyond the table, float32 and float64
    coherence): the compiled loop's bytes."""
    _, _, coh = stack
    rng = np.random.default_rng(4)
    c = coh.reshape(coh.shape[0], -1).copy()
    c[0, :5] = [np.nan, -1.0, 0.0, 1.0, 2.0]
    valid = rng.random(c.shape) > 0.1
    inv_var, c_first, step, eps = 1.0 / np.linspace(3.0, 0.05, 200), 0.02, 0.005, 0.05
    for arr in (c, c.astype(np.float64)):
        assert sbas._weights_from_lut(arr, valid, inv_var, c_first, step, eps).tobytes() == \
            sbas._weights_from_lut_np(arr, valid, inv_var, c_first, step, eps).tobytes()


@needs_numba
@pytest.mark.parametrize("kw, with_coh", [CASES[0], CASES[2], CASES[4]])
def test_numpy_path_on_several_threads_gives_the_kernels_bytes(stack, kw, with_coh, monkeypatch):
    """On the numpy path the pixels of a shared factor, of the per-pixel solve and of the weighted solve go in
    ranges to the run's threads (three here, ranges of a few pixels, batches of 7): the compiled bytes, and the
    ranges did run on other threads."""
    import threading

    net, ifg, coh = stack
    c = coh if with_coh else None
    compiled = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=c))
    seen = set()

    def spy_on(real):
        def spy(*args):
            seen.add(threading.get_ident())
            return real(*args)
        return spy

    for name in ("_shared_factor_range", "_wls_range", "_wls_variance_range"):
        monkeypatch.setattr(sbas, name, spy_on(getattr(sbas, name)))
    monkeypatch.setattr(_numba, "thread_count", lambda: 3)
    monkeypatch.setattr(sbas, "NUMPY_THREAD_MIN_PIXELS", 2)
    monkeypatch.setattr(sbas, "NUMPY_BATCH_PIXELS", 7)
    with _numba.python_kernels(FAMILY.modules()):
        threaded = _outputs(SbasSolver(net, **kw).solve(ifg, coherence=c))
    _same_bytes(compiled, threaded)
    assert len(seen) >= 2, seen


@needs_numba
@pytest.mark.parametrize("min_norm", [True, False])
def test_wls_kernel_numpy_path_gives_the_compiled_bytes(stack, min_norm):
    """The per-pixel weighted solve with its own weights, with and without the minimum-norm solution."""
    net, ifg, coh = stack
    d = np.ascontiguousarray(ifg.reshape(net.n_pairs, -1))
    w = coh.reshape(net.n_pairs, -1).astype(np.float64) ** 2
    w[0, :50] = 0.0
    args = (d, w, net.ref_index, net.sec_index, net.interval_years, 8, 0.5, 1e-5, min_norm)
    compiled = sbas.wls_kernel(*args)
    assert compiled[3].sum() >= 40
    with _numba.python_kernels(FAMILY.modules()):
        _same_bytes(compiled, sbas.wls_kernel(*args))


def test_sincos_is_the_kernels_and_close_to_libm():
    x = np.concatenate([np.linspace(-40.0, 40.0, 2001), [0.0, -0.0, np.pi, -np.pi, 1e-9, 1e3]])
    c, s = sbas._sincos_np(x)
    np.testing.assert_allclose(c, np.cos(x), atol=2e-15 * 1e3)
    np.testing.assert_allclose(s, np.sin(x), atol=2e-15 * 1e3)
    np.testing.assert_allclose(c[:2001], np.cos(x[:2001]), atol=2e-15)
    if _numba.HAVE_NUMBA:
        pairs = np.array([sbas._sincos(v) for v in x])
        assert pairs[:, 0].tobytes() == c.tobytes() and pairs[:, 1].tobytes() == s.tobytes()
