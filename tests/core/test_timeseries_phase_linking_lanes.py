"""Phase linking's lane functions are written once, as plain Python (``phase_linking/batch.py``), and the three forms
the AST passes of ``algorithms/lane_passes.py`` make of them give that source's bits.

The reference is the source itself run as plain Python, lane after lane, with no pass at all. Against it: the
compiled kernels (the lane loops written out lane by lane for numba), the numpy form (``batch_numpy``: every pixel
of several batches at once) and the one-lane form (``lane``: each lane on its own), on a chain of the linking's steps
over sample coherence matrices of a random mix of looks and coherence (some not positive definite, so the lanes'
flags part). The passes run at a kernel's first use, never at import; a source breaking the rules they rely on is
refused with the rule.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from testutils_seed import drawn_seed
from testutils_timeseries import sample_coherence

from insar_geohazards.algorithms import _numba, lane_passes
from insar_geohazards.algorithms.lane_passes import independent
from insar_geohazards.algorithms.psds.phase_linking import batch, batch_numpy, lane

LANES = batch.LANES
needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: no compiled lanes to test")


def _window_sums(seed, n, batches):
    """Hermitian positive definite window sums ``C`` of ``batches * LANES`` pixels, transposed and split
    (``(n, n, P)`` real and imaginary parts), scaled per date: a random mix of looks and coherence."""
    rng = np.random.default_rng(seed)
    mats = []
    for _ in range(batches * LANES):
        looks = int(rng.choice([2, 3, n // 2, n, 2 * n, 3 * n]))
        g = sample_coherence(rng, n, looks, float(rng.uniform(0.05, 0.95)))
        d = rng.uniform(0.5, 3.0, n)
        mats.append(g * np.outer(d, d))
    c = np.stack(mats, -1)
    return np.ascontiguousarray(c.real), np.ascontiguousarray(c.imag)


def _chain(f, cr, ci, n, beta=0.01):
    """The linking's steps in a row (``f``: name -> function), every array they write."""
    size = cr.shape[2]
    z3 = [np.zeros((n, n, size)) for _ in range(10)]
    gtr, gti, p, u, inv, mr, mi, tr, ti, atr = z3
    ati = np.zeros((n, n, size))
    vr, vi, wr, wi, yr, yi, t, s2, pr, pim = (np.zeros((n, size)) for _ in range(10))
    s, s1, rho, gap, tc = (np.zeros(size) for _ in range(5))
    ok, ok2, conv = (np.zeros(size, bool) for _ in range(3))
    f["_coherence_b"](cr, ci, gtr, gti, s2, n)
    f["_real_spd_inverse_b"](gtr, gti, beta, p, u, inv, t, ok, n)
    f["_emi_matrix_b"](gtr, gti, inv, mr, mi, n)
    shift = np.full(size, 0.99)
    f["_emi_factor_b"](mr, mi, shift, tr, ti, ok2, n)
    f["_start_vector_b"](gtr, gti, vr, vi, n)
    go = ok & ok2
    f["_normalise_b"](vr, vi, go, s, n)
    f["_chol_solve_b"](tr, ti, vr, vi, wr, wi, n)
    f["_normalise_b"](wr, wi, go, s1, n)
    f["_step_converged_b"](vr, vi, wr, wi, go, conv, n, 1e-10)
    f["_rayleigh_b"](mr, mi, vr, vi, yr, yi, rho, gap, n)
    sigma, run = shift.copy(), go.copy()
    f["_next_shift_b"](rho, gap, shift, sigma, run, True)
    f["_times_abs_b"](gtr, gti, atr, ati, n)
    f["_matvec_b"](atr, ati, vr, vi, wr, wi, n)
    f["temporal_coherence_b"](gtr, gti, vr, vi, pr, pim, tc, n)
    return [gtr, gti, p, u, inv, mr, mi, tr, ti, atr, ati, vr, vi, wr, wi, yr, yi, t, s2, pr, pim, s, s1, rho, gap,
            tc, ok, ok2, conv, sigma, run]


NAMES = ["_coherence_b", "_real_spd_inverse_b", "_emi_matrix_b", "_emi_factor_b", "_start_vector_b", "_normalise_b",
         "_chol_solve_b", "_step_converged_b", "_rayleigh_b", "_next_shift_b", "_times_abs_b", "_matvec_b",
         "temporal_coherence_b"]


def _per_batch(f, cr, ci, n):
    """The chain run batch by batch of ``LANES`` pixels (the compiled and plain forms' shape), joined."""
    parts = [_chain(f, np.ascontiguousarray(cr[..., b:b + LANES]), np.ascontiguousarray(ci[..., b:b + LANES]), n)
             for b in range(0, cr.shape[2], LANES)]
    return [np.concatenate(arrays, axis=-1) for arrays in zip(*parts)]


def _one_lane(name):
    """The one-lane form of ``name`` run on each lane in turn, where it has one, else the plain source."""
    kernel = getattr(lane, name[:-2] + "_q", None)
    if kernel is None:
        return getattr(batch, name).__wrapped__
    return lambda *args: [kernel(*args, q) for q in range(LANES)]


def _canonical(a):
    """``a`` with every NaN the one quiet NaN: IEEE 754 leaves the sign and payload of an operation's NaN to the
    hardware and the order of its operands (numpy's vector loops, LLVM's commuted products), and NaN arises here only
    in a failed factor's lanes, whose values are never read."""
    return np.where(np.isnan(a), np.nan, a) if a.dtype.kind == "f" else a


def _same(want, got, what, seed):
    assert len(want) == len(got)
    for k, (a, b) in enumerate(zip(want, got)):
        assert a.dtype == b.dtype and a.shape == b.shape
        a, b = _canonical(a), _canonical(b)
        assert a.tobytes() == b.tobytes(), (f"{what}: array {k} differs (seed {seed})", np.argwhere(a != b)[:5])


@pytest.mark.parametrize("n", [2, 7, 12])
def test_every_form_gives_the_plain_sources_bits(n):
    seed = drawn_seed()
    cr, ci = _window_sums(seed, n, batches=3)
    with np.errstate(all="ignore"):  # a failed factor's lanes overflow in values nothing reads
        plain = _per_batch({name: getattr(batch, name).__wrapped__ for name in NAMES}, cr, ci, n)
        compiled = _per_batch({name: getattr(batch, name) for name in NAMES}, cr, ci, n)
        one = _per_batch({name: _one_lane(name) for name in NAMES}, cr, ci, n)
        wide = _chain({name: getattr(batch_numpy, name) for name in NAMES}, cr, ci, n)
    assert not plain[-5].all() or not plain[-4].all() or n == 2  # some lanes' matrices not positive definite
    _same(plain, compiled, "compiled", seed)
    _same(plain, one, "one lane", seed)
    _same(plain, wide, "numpy", seed)


@needs_numba
def test_the_compiled_kernels_are_the_unrolled_source_cached_beside_it():
    """numba compiles the unrolled function (no lane loop left: ``q`` a number in every statement) as a line of
    ``batch.py``, so its on-disk cache sits beside that file; the cache's stamp holds the passes' file too (an edit
    of the passes compiles again)."""
    kernel = batch._emi_factor_b
    source = kernel.py_func.__code__.co_filename
    assert os.path.samefile(source, batch.__file__)
    text = lane_passes.written(kernel.__wrapped__)
    assert "range(LANES)" not in text and "tr[j, j, 7] -= shift[7]" in text and "independent" not in text
    assert kernel.dispatcher()._cache._cache_path
    stamp = _numba._callee_stamp(kernel)
    assert any(name == "algorithms.lane_passes" for name, _, _ in stamp), stamp


def test_the_passes_run_at_first_use_not_at_import():
    code = ("import sys\n"
            "from insar_geohazards.algorithms.psds.phase_linking import batch, batch_numpy, lane\n"
            "built = [n for n, k in vars(batch).items() if getattr(k, '_build', None) and k._py_func is not None]\n"
            "built += [n for n, k in vars(lane).items() if getattr(k, '_build', None) and k._py_func is not None]\n"
            "made = [n for n in vars(batch_numpy) if n.endswith('_b')]\n"
            "print(built, made)\n"
            "batch_numpy._matvec_b\n"
            "print(sorted(n for n in vars(batch_numpy) if n.endswith('_b'))[:2])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "[] []"
    assert second == "['_chol_solve_b', '_coherence_b']"


def _toy_read_across(x, y, n):
    for q in range(LANES):
        a = x[0, q]
    for i in range(n):
        for q in range(LANES):
            y[i, q] = a


def _toy_declared_local(x, n):
    a = np.empty(LANES)
    for q in range(LANES):
        a = x[0, q]
        x[1, q] = a


def _toy(x, y, ok, n):
    keep = np.empty(LANES, np.bool_)
    for q in range(LANES):
        keep[q] = ok[q] and not x[0, q] < 0
    for i in independent(range(n)):
        for q in range(LANES):
            a = x[i, q]
            x[i, q] = a * 2.0 if keep[q] else abs(complex(a, 1.0))
            y[i, q] = a


def test_the_passes_write_what_their_rules_say_and_refuse_a_source_breaking_them():
    """The unrolled form writes each lane statement once per lane, lane 0 first; the numpy form is element-wise, the
    loop a slice, a value a later store could reach a copy; the one-lane form runs lane ``q`` alone. A lane's own
    value read in another loop (not declared) is refused with the rule."""
    rng = np.random.default_rng(drawn_seed())
    x = rng.normal(size=(3, LANES))
    ok = rng.random(LANES) < 0.6
    want_x, want_y = x.copy(), np.zeros_like(x)
    _toy(want_x, want_y, ok, 3)  # the source as Python
    for form in (lane_passes.unrolled(_toy), lane_passes.sliced(_toy, globals())):
        got_x, got_y = x.copy(), np.zeros_like(x)
        form(got_x, got_y, ok, 3)
        assert got_x.tobytes() == want_x.tobytes() and got_y.tobytes() == want_y.tobytes()
    one = lane_passes.one_lane(_toy, "_toy_q", {}, globals())
    got_x, got_y = x.copy(), np.zeros_like(x)
    for q in range(LANES):
        one(got_x, got_y, ok, 3, q)
    assert got_x.tobytes() == want_x.tobytes() and got_y.tobytes() == want_y.tobytes()
    assert "a_7 = x[i, 7]" in lane_passes.written(_toy)
    sliced = lane_passes.written(_toy, "sliced")
    assert "i = slice(0, n)" in sliced and "a = x[i, :].copy()" in sliced and "np.hypot(a, 1.0)" in sliced
    with pytest.raises(ValueError, match=r"_toy_read_across .*\['a'\] .*declared \(y = np.empty\(LANES\)\)"):
        lane_passes.unrolled(_toy_read_across)
    with pytest.raises(ValueError, match=r"\['a'\] are declared lane values: write them y\[q\]"):
        lane_passes.sliced(_toy_declared_local, globals())


def test_a_form_made_once_is_kept_beside_its_source_and_made_again_after_an_edit(monkeypatch, tmp_path):
    """A form's code is kept in the source's ``__pycache__`` (a later process loads it without running the pass);
    an edit of the source (its modification time and size) makes it again."""
    source = tmp_path / "toy_lanes.py"
    source.write_text("import numpy as np\n\nLANES = 8\n\n\ndef toy(x, n):\n    for q in range(LANES):\n"
                      "        a = x[0, q]\n        x[1, q] = a * 2.0\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import toy_lanes

    x = np.arange(2.0 * LANES).reshape(2, LANES)
    lane_passes.unrolled(toy_lanes.toy)(x, 2)
    assert x[1].tolist() == (2.0 * np.arange(LANES)).tolist()
    kept = list((tmp_path / "__pycache__").glob("toy_lanes.toy.*.lanes"))
    assert len(kept) == 1

    def no_pass(fn):
        raise AssertionError("the pass ran again")

    monkeypatch.setattr(lane_passes, "_unrolled_tree", no_pass)
    y = np.arange(2.0 * LANES).reshape(2, LANES)
    lane_passes.unrolled(toy_lanes.toy)(y, 2)
    assert y.tobytes() == x.tobytes()
    source.write_text(source.read_text(encoding="utf-8").replace("* 2.0", "* 3.0 "), encoding="utf-8")
    with pytest.raises(AssertionError, match="the pass ran again"):
        lane_passes.unrolled(toy_lanes.toy)
