"""The faster forms of the phase-closure correction's neighbourhood steps give the values of the forms they replace
(tests/testutils_closure_reference.py: loop by loop, every pixel of a chunk on each pass), on random inputs: window
sizes, majorities, networks, slipped patches, missing and noisy loops, blind corrections and both strictnesses drawn
at random (fixed seeds)."""

import numpy as np
import pytest
import testutils_closure_reference as ref

from insar_geohazards.algorithms.corrections import closure_consensus as cc


def _keys(rng):
    """Integer closures (T, P) as a slipped region and noise leave them: patches of one value on a background of
    zeros, single flipped loops, missing loops; with the loops' data mask."""
    t, rows, cols = int(rng.integers(1, 40)), int(rng.integers(1, 28)), int(rng.integers(1, 28))
    key = np.zeros((t, rows, cols), np.int16)
    for _ in range(int(rng.integers(0, 3 * t + 1))):
        r0, c0 = int(rng.integers(rows)), int(rng.integers(cols))
        key[int(rng.integers(t)), r0:r0 + int(rng.integers(1, 12)), c0:c0 + int(rng.integers(1, 12))] = \
            rng.choice([-6, -2, -1, 1, 2, 3])
    key = key.reshape(t, -1)
    flip = rng.random(key.shape) < rng.uniform(0.0, 0.3)
    key[flip] = rng.choice(np.array([-1, 1, 2], np.int16), size=int(flip.sum()))
    finite = rng.random(key.shape) >= rng.uniform(0.0, 0.3)
    unusable = ~finite | (rng.random(key.shape) < rng.uniform(0.0, 0.4))
    key[unusable] = cc.MISSING
    return key, finite, rows, cols


@pytest.mark.parametrize("seed", [0, 1])
def test_window_counts_and_consensus_match_the_loop_by_loop_form(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        key, finite, rows, cols = _keys(rng)
        window = int(rng.choice([1, 3, 5, 7, 9, 17]))
        majority = float(rng.choice([0.5, 0.7]))
        want = ref.consensus_keys(key, finite, rows, cols, window_px=window, majority=majority)
        got = cc.consensus_keys(key, finite, rows, cols, window_px=window, majority=majority)
        assert got[0].dtype == np.int16 and got[1].dtype == bool
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(cc.noisy_loops(key, finite, rows, cols, window_px=window),
                                      ref.noisy_loops(key, finite, rows, cols, window_px=window))
        mask = rng.random((rows, cols)) < rng.uniform(0, 1)
        got = cc.box_counts(mask, window // 2)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, ref.box_counts(mask, window // 2))


def _world(rng):
    """A small network (each date paired with the next 2-4), noisy cycles with slipped patches and missing values,
    its loops' closures (``own``, NaN where missing or noisy) and corrections on trial: part of the true ones, some
    wrong ones."""
    n_dates, reach = int(rng.integers(5, 12)), int(rng.integers(2, 5))
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + reach + 1))]
    where = {p: k for k, p in enumerate(pairs)}
    index = np.array(sorted((where[(i, j)], where[(j, k)], where[(i, k)]) for i, j in pairs
                            for k in range(j + 1, n_dates) if (j, k) in where and (i, k) in where), np.int64)
    m, t = len(pairs), index.shape[0]
    matrix = np.zeros((t, m))
    np.add.at(matrix, (np.arange(t), index[:, 0]), 1.0)
    np.add.at(matrix, (np.arange(t), index[:, 1]), 1.0)
    np.add.at(matrix, (np.arange(t), index[:, 2]), -1.0)
    rows, cols = int(rng.integers(3, 26)), int(rng.integers(3, 26))
    planted = np.zeros((m, rows, cols), np.int16)
    for _ in range(int(rng.integers(1, 7))):
        r0, c0 = int(rng.integers(rows)), int(rng.integers(cols))
        planted[int(rng.integers(m)), r0:r0 + int(rng.integers(2, 10)), c0:c0 + int(rng.integers(2, 10))] = \
            rng.choice([-2, -1, 1, 2])
    planted = planted.reshape(m, -1)
    x = rng.normal(0.0, rng.uniform(0.03, 0.35), planted.shape) + planted
    x[rng.random(x.shape) < rng.uniform(0.0, 0.1)] = np.nan
    noisy = rng.random((t, x.shape[1])) < rng.uniform(0.0, 0.1)

    def own(px):
        with np.errstate(invalid="ignore"):
            c = x[index[:, 0]][:, px] + x[index[:, 1]][:, px] - x[index[:, 2]][:, px]
        c[noisy[:, px]] = np.nan
        return c

    u = np.where(rng.random(planted.shape) < rng.uniform(0.2, 0.9), -planted, 0).astype(np.int16)
    wrong = rng.random(u.shape) < rng.uniform(0.0, 0.05)
    u[wrong] = rng.choice(np.array([-1, 1], np.int16), size=int(wrong.sum()))
    loops, signs = cc.loops_by_ifg(matrix)
    return u, own, np.isfinite(x), rows, cols, loops, signs, index


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pixel_checks_match_the_every_pixel_form(seed):
    """keep_supported (with and without blind corrections, strict or not), settle and grow: the same values kept,
    dropped and added, and the same counts returned."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(30):
        u, own, has, rows, cols, loops, signs, index = _world(rng)
        px = np.flatnonzero((u != 0).any(axis=0))
        blind = rng.random((u.shape[0], px.size)) < 0.3 if rng.random() < 0.5 else None
        strict = bool(rng.random() < 0.7)
        a, b = u.copy(), u.copy()
        assert cc.keep_supported(a, own, px, loops, signs, index, blind, strict) == \
            ref.keep_supported(b, own, px, loops, signs, index, blind, strict)
        np.testing.assert_array_equal(a, b)
        a, b = u.copy(), u.copy()
        assert cc.settle(a, own, loops, signs, index, strict) == ref.settle(b, own, loops, signs, index, strict)
        np.testing.assert_array_equal(a, b)
        a = np.where(rng.random(u.shape) < 0.5, u, 0).astype(np.int16)
        b = a.copy()
        steps = int(rng.integers(1, 4))
        assert cc.grow(a, own, has, rows, cols, loops, signs, index, steps) == \
            ref.grow(b, own, has, rows, cols, loops, signs, index, steps)
        np.testing.assert_array_equal(a, b)


def test_date_shift_ties_in_one_pass_match_the_two_checks():
    """Both answers of the date-shift tie (in cycles, with the slips) from one pass equal the two separate checks,
    on random corrections of random networks with interferograms outside every usable loop; and the one date shifted
    it gives the edges (or None) is the one an enumeration of every run of dates finds."""
    import datetime as dt

    from insar_geohazards.algorithms.corrections.closure import network_triplets
    from insar_geohazards.algorithms.corrections.closure_solver import _Solver

    rng = np.random.default_rng(7)
    ties = [0, 0, 0]
    for _ in range(25):
        n_dates, reach = int(rng.integers(4, 14)), int(rng.integers(2, 5))
        dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(n_dates)]
        pairs = [(dates[i], dates[j]) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + reach + 1))]
        solver = _Solver(network_triplets(pairs), float(rng.choice([0.5, 1.5])), 3)
        for _ in range(20):
            u = np.where(rng.random(len(pairs)) < rng.uniform(0.05, 0.5),
                         rng.choice(np.array([-2, -1, 1, 2], np.int16), size=len(pairs)), 0).astype(np.int16)
            if not u.any():
                continue
            seen = rng.random(len(pairs)) < rng.uniform(0.5, 1.0)
            want = (solver._date_shift_tie(u, seen, slips=False), solver._date_shift_tie(u, seen, slips=True))
            got = solver._date_shift_ties(u, seen)
            assert got[:2] == want
            assert got[2] == _one_date_tie(u, seen, n_dates, reach, solver)
            ties[0] += want[0]
            ties[1] += want[1]
            ties[2] += got[2] is not None
    assert min(ties) > 0  # every kind of tie was met


def _one_date_tie(u, seen, n_dates, reach, solver):
    """By enumeration: ``(d, k)`` where the only shift of a run of dates by +-1 cycle (on the seen pairs) as sparse
    in cycles as ``u`` is date ``d`` alone by ``k``, no sparser, and every pair of ``d`` in a loop is seen; else
    None."""
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + reach + 1))]
    a = np.zeros((len(pairs), n_dates), np.int64)
    for m, (i, j) in enumerate(pairs):
        a[m, i], a[m, j] = -1, 1
    in_loop = (solver.triplets.matrix != 0).any(axis=0)
    tied = []
    for first in range(n_dates):
        for last in range(first, n_dates):
            if first == 0 and last == n_dates - 1:
                continue
            shift = a[:, first:last + 1].sum(axis=1)
            for k in (1, -1):
                size = np.abs(u + np.where(seen, k * shift, 0)).sum()
                if size <= np.abs(u).sum():
                    tied.append((first, last, k, size, shift))
    if len(tied) != 1:
        return None
    first, last, k, size, shift = tied[0]
    if first != last or size != np.abs(u).sum() or ((shift != 0) & in_loop & ~seen).any():
        return None
    return first, k


def test_descent_moves_match_the_direct_cost_differences():
    """The descent's step costs from the closures' signs (integer closures, loop entries -1/0/1, both moves of every
    interferogram in one vector) give the moves of the direct form that sums |r + C_m| - |r| for every move."""
    from insar_geohazards.algorithms.corrections import closure_exact as ce

    rng = np.random.default_rng(11)
    moved = 0
    for _ in range(400):
        t, n = int(rng.integers(1, 14)), int(rng.integers(1, 9))
        c = rng.choice([-1.0, 0.0, 0.0, 1.0], size=(t, n))
        k = rng.integers(-3, 4, t).astype(np.float64)
        w = rng.choice([0.5, 0.75, 1.5], size=n)
        e, mc = float(rng.choice([0.0, 0.05, 0.1])), int(rng.integers(1, 4))
        got = ce.descent(c, k, w, e, mc)
        want = ce._descent_general(c, k.copy(), w, e, mc)
        assert got.dtype == want.dtype == np.int64
        np.testing.assert_array_equal(got, want)
        moved += bool(got.any())
    assert moved > 100


def test_components_are_scipys_connected_components():
    """The union-find components of the loops' interferograms are scipy's connected components of the graph that
    joins two columns sharing a row, numbered alike (in order of their first column)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from insar_geohazards.algorithms.corrections.closure_solver import _components

    rng = np.random.default_rng(3)
    for _ in range(300):
        r, n = int(rng.integers(0, 14)), int(rng.integers(1, 16))
        touch = rng.random((r, n)) < rng.uniform(0.0, 0.4)
        i, j = [], []
        for row in touch:
            cols = np.flatnonzero(row)
            i += [cols[0]] * (cols.size - 1) if cols.size else []
            j += cols[1:].tolist()
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
        want_n, want = connected_components(graph, directed=False)
        got_n, got = _components(touch)
        assert got_n == want_n
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", [3, 4])
def test_window_counts_at_some_pixels_match_the_whole_block(seed):
    """The windows' agreement counted at chosen pixels alone (consensus_at), the pixels that may agree on a closure
    other than 0 (nonzero_candidates) and the noisy loops made as they are asked (NoisyLoops) give the whole block's
    values (the loop-by-loop reference), the keys beyond a bound counting as missing."""
    rng = np.random.default_rng(seed)
    for _ in range(30):
        key, finite, rows, cols = _keys(rng)
        window = int(rng.choice([1, 3, 5, 7, 9]))
        majority = float(rng.choice([0.3, 0.5, 0.7]))
        bound = [None, 1, 2, 6][int(rng.integers(4))]
        keyed = key if bound is None else np.where(np.abs(key) <= bound, key, cc.MISSING)
        want, want_noisy = ref.consensus_keys(keyed, finite, rows, cols, window_px=window, majority=majority)
        p = key.shape[1]
        px = np.sort(rng.choice(p, size=int(rng.integers(1, p + 1)), replace=False))
        got, got_noisy = cc.consensus_at(key, finite, rows, cols, px, window_px=window, majority=majority,
                                         bound=bound)
        assert got.dtype == np.int16 and got_noisy.dtype == bool
        np.testing.assert_array_equal(got, want[:, px])
        np.testing.assert_array_equal(got_noisy, want_noisy[:, px])
        # every pixel whose window agrees on a closure other than 0 is a candidate (when counted one by one)
        carried = (keyed != cc.MISSING) & (keyed != 0)
        cand = cc.nonzero_candidates(key, rows, cols, np.flatnonzero(carried.any(axis=0)), window_px=window,
                                     majority=majority, bound=bound)
        if cand is not None:
            agrees = ((want != cc.MISSING) & (want != 0)).any(axis=0)
            assert np.isin(np.flatnonzero(agrees), cand).all()
        # the noisy loops asked for in pieces, some twice, past the share at which the whole block is counted
        noisy = cc.NoisyLoops(lambda k=key: k, lambda f=finite: f, rows, cols, window_px=window, bound=bound)
        whole = ref.noisy_loops(keyed, finite, rows, cols, window_px=window)
        for part in np.array_split(rng.permutation(p), int(rng.integers(1, 6))):
            np.testing.assert_array_equal(noisy.at(part), whole[:, part])
        np.testing.assert_array_equal(noisy.at(px), whole[:, px])


def test_count_tables_give_the_float_comparisons():
    """The integer thresholds of the window counts' comparisons are numpy's float64 verdicts, count by count."""
    for share in (0.25, 0.3, 0.5, 0.6, 0.7, 1.0 / 3.0, 0.1, 1.0):
        for area in (1, 9, 25, 49, 81, 289):
            c = np.arange(area + 1, dtype=np.uint8 if area <= 255 else np.uint16)
            x = share * c
            above = cc._count_table(share, area, "above")
            least = cc._count_table(share, area, "at least")
            for count in range(area + 1):
                np.testing.assert_array_equal(count > above, count > x)
                np.testing.assert_array_equal(count >= least, count >= x)
                np.testing.assert_array_equal(count < least, count < x)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_block_counted_at_its_candidates_equals_the_block_counted_whole(seed, monkeypatch):
    """The correction's two passes give the same bytes whether the windows are counted over the whole block or
    only at the pixels that may agree on a closure other than 0 (and the noisy loops where they are asked): planted
    slips over a share of the interferograms, or noise alone, drawn at random."""
    from testutils_corrections import CYCLE_MM, planted_stack

    from insar_geohazards.algorithms.corrections import closure as cl

    rng = np.random.default_rng(seed)
    for _ in range(3):
        net, clean, planted, _ = planted_stack(
            n_dates=int(rng.integers(8, 14)), neighbours=int(rng.integers(2, 5)),
            shape=(int(rng.integers(18, 40)), int(rng.integers(18, 40))), noise_mm=float(rng.uniform(0.3, 3.0)),
            share=float(rng.choice([0.0, 0.05, 0.3])), seed=int(rng.integers(1000)))
        x = clean + planted * CYCLE_MM
        tri = cl.network_triplets(net.pairs)
        runs = []
        for share in (0.0, 1.0):  # 0: every window counted over the whole block; 1: at the candidates alone
            monkeypatch.setattr(cc, "GATHER_SHARE", share)
            monkeypatch.setattr(cc, "SPARSE_SHARE", share)
            cl._SOLVERS.clear()
            runs.append(cl.correct_closure_stack(x, tri, cycle_mm=CYCLE_MM, reference_mm=x[:, 0, 0]))
        for k, v in runs[0].items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(runs[1][k], v, err_msg=k)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.25, 1.0])
def test_remembered_closures_are_the_closures_taken_again(share):
    """The pixels' closures kept once taken (up to a share of the block) are those taken again, whichever pixels
    are asked together, in which order, and when the store is full."""
    from insar_geohazards.algorithms.corrections.closure_consensus import Remembered as _Remembered

    rng = np.random.default_rng(int(share * 100))
    t, p = 17, 400
    x = rng.normal(0.0, 1.0, (t, p))
    x[rng.random(x.shape) < 0.1] = np.nan
    calls = []

    def fn(px):
        calls.append(np.asarray(px).size)
        return x[:, px] * 1.5 - 0.25

    own = _Remembered(fn, p, share)
    for _ in range(25):
        px = rng.choice(p, size=int(rng.integers(1, 120)), replace=False)
        np.testing.assert_array_equal(own(px), x[:, px] * 1.5 - 0.25)
    if share >= 1.0:
        assert sum(calls) <= p  # every pixel taken once
    assert _Remembered(fn, p, share)(np.zeros(0, np.int64)).shape == (t, 0)  # no pixel asked (nothing kept yet)


def test_keys_made_alone_are_the_classification_keys():
    """The loops' keys made on their own (a second pass that needs them only late) are those the classification
    makes with its counts, on values with gaps, infinities and closures near half a cycle; the counts the same
    with or without the keys."""
    from insar_geohazards.algorithms.corrections import closure as cl

    rng = np.random.default_rng(11)
    p = 300
    pairs = [(i, j) for i in range(6) for j in range(i + 1, min(6, i + 4))]
    tri = cl.network_triplets(pairs)
    x = rng.normal(0.0, 8.0, (len(pairs), p))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[rng.random(x.shape) < 0.01] = np.inf
    x[:, :20] = rng.integers(-2, 3, (len(pairs), 20)) * 5.0 + 2.5  # closures near half a cycle
    idx = np.ascontiguousarray(tri.index)
    offset = rng.uniform(-0.3, 0.3, tri.n)
    args = (x, 0.2, idx, offset, 1.5 / (2.0 * np.pi))
    t = tri.n
    key, nl, nn, todo = np.empty((t, p), np.int16), np.empty(p, np.int32), np.empty(p, np.int32), np.empty(p, bool)
    cl._classify_kernel(*args, key, nl, nn, todo)
    alone = np.empty((t, p), np.int16)
    cl._key_kernel(*args, alone)
    np.testing.assert_array_equal(alone, key)
    nl2, nn2, todo2 = np.empty(p, np.int32), np.empty(p, np.int32), np.empty(p, bool)
    cl._classify_kernel(*args, None, nl2, nn2, todo2)
    np.testing.assert_array_equal(nl2, nl)
    np.testing.assert_array_equal(nn2, nn)
    assert todo.any() and not todo2.any()


def _offsets_every_key(sample, tri, cycle_mm, max_residual_rad, reference):
    """closure_offsets as first written: every pixel's keys, then the reference's columns of them."""
    from insar_geohazards.algorithms.corrections import closure as cl

    x = np.asarray(sample, np.float64).reshape(sample.shape[0], -1) / cycle_mm
    idx = tri.index
    frac = np.zeros(tri.n)
    key = np.empty((tri.n, x.shape[1]), np.int16)
    for t in range(tri.n):
        with np.errstate(invalid="ignore"):
            c = x[idx[t, 0]] + x[idx[t, 1]] - x[idx[t, 2]]
        ok = np.isfinite(c)
        if ok.any():
            frac[t] = np.rint(np.angle(np.exp(2j * np.pi * c[ok]).sum()) / (2 * np.pi) * 2.0**40) / 2.0**40  # a grid
        d = np.where(ok, c - frac[t], 0.0)
        k = np.rint(d)
        trusted = ok & (np.abs(d - k) <= max_residual_rad / (2 * np.pi)) & (np.abs(k) < 32767)
        key[t] = np.where(trusted, k, cc.MISSING)
    if reference is not None:
        inside = key[:, np.asarray(reference, bool).reshape(-1)]
        if int((inside != cc.MISSING).any(axis=0).sum()) >= cl.REFERENCE_MIN_PX:
            return frac + cc.frame_of(inside)
    return frac + cc.frame_of(key)


@pytest.mark.parametrize("seed", [5, 6])
def test_closure_offsets_keys_of_the_reference_alone_give_the_same_frame(seed):
    """The network's closure offsets with the keys of a reference's pixels alone (those of every pixel only where
    the reference has too few) are those of every pixel's keys: with and without a reference, with a reference too
    small, slipped regions and gaps drawn at random."""
    from insar_geohazards.algorithms.corrections import closure as cl

    rng = np.random.default_rng(seed)
    for _ in range(6):
        n_dates = int(rng.integers(5, 10))
        pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 4))]
        tri = cl.network_triplets(pairs)
        p = int(rng.integers(50, 400))
        x = rng.normal(0.0, rng.uniform(0.5, 6.0), (len(pairs), p)) + rng.uniform(-20, 20, (len(pairs), 1))
        x[:, : p // 3] += rng.integers(-2, 3, (len(pairs), 1)) * 27.7
        x[rng.random(x.shape) < 0.05] = np.nan
        for reference in (None, rng.random(p) < 0.3, rng.random(p) < 0.02):
            got = cl.closure_offsets(x, tri, cycle_mm=27.7, max_residual_rad=1.5, reference=reference)
            want = _offsets_every_key(x, tri, 27.7, 1.5, reference)
            np.testing.assert_array_equal(got, want)


def test_loops_kept_beside_a_non_closing_one_match_the_incidence_counts():
    """The loops a pattern keeps (those sharing an interferogram with a loop that does not close, the others set to
    0) from the bit-packed pixels equal those of the interferograms' counts of non-closing loops (a dense incidence
    product), on random networks, keys with missing loops and widths that are not multiples of eight."""
    from testutils_seed import drawn_seed

    from insar_geohazards.algorithms.corrections import closure as cl

    rng = np.random.default_rng(drawn_seed())
    for _ in range(30):
        n_dates = int(rng.integers(3, 14))
        pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + int(rng.integers(2, 5)) + 1))]
        tri = cl.network_triplets(pairs)
        p = int(rng.choice([0, 1, 7, 8, 9, int(rng.integers(10, 500))]))
        key = np.where(rng.random((tri.n, p)) < rng.uniform(0.0, 0.2),
                       rng.choice(np.array([-2, -1, 1, 3], np.int16), (tri.n, p)), np.int16(0)).astype(np.int16)
        key[rng.random(key.shape) < rng.uniform(0.0, 0.3)] = cc.MISSING
        incidence = np.zeros((len(pairs), tri.n), np.int64)
        for t, loop in enumerate(tri.index):
            incidence[loop, t] = 1
        hit = incidence @ ((key != cc.MISSING) & (key != 0)).astype(np.int64)
        near = (hit[tri.index[:, 0]] > 0) | (hit[tri.index[:, 1]] > 0) | (hit[tri.index[:, 2]] > 0)
        want = np.where(near, key, np.int16(0))
        got = cl._relevant_only(key, tri)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_pattern_corrections_set_a_row_at_a_time_match_the_two_dimensional_form():
    """The patterns' corrections written at their pixels an interferogram at a time, only where a pattern carries one,
    equal ``out[:, todo] = where(has[:, todo], per_pattern[:, inverse], 0)`` on an array 0 at those pixels (random
    shapes, patterns without a correction, rows without one, pixels without data)."""
    from testutils_seed import drawn_seed

    from insar_geohazards.algorithms.corrections import closure as cl

    rng = np.random.default_rng(drawn_seed())
    for _ in range(40):
        m, p, n_pat = int(rng.integers(1, 12)), int(rng.integers(1, 300)), int(rng.integers(1, 20))
        todo = np.flatnonzero(rng.random(p) < rng.uniform(0.0, 1.0))
        inverse = rng.integers(0, n_pat, todo.size)
        per_pattern = np.where(rng.random((m, n_pat)) < rng.uniform(0.0, 0.5),
                               rng.integers(-3, 4, (m, n_pat)), 0).astype(np.int16)
        has = rng.random((m, p)) < rng.uniform(0.5, 1.0)
        out = np.where(rng.random((m, p)) < 0.3, rng.integers(-2, 3, (m, p)), 0).astype(np.int16)
        out[:, todo] = 0
        want = out.copy()
        want[:, todo] = np.where(has[:, todo], per_pattern[:, inverse], 0)
        cl._set_where_data(out, has, todo, per_pattern, inverse)
        assert out.tobytes() == want.tobytes()


def test_held_cycles_and_kept_ties_asked_where_they_are_match_the_whole_arrays():
    """The second pass's cycles from the first pass's (a tie's fewer-slips correction taken where the pixel's whole
    component decided it), made at the pixels holding a tie alone, and the first pass's ties cleared only in the
    columns that carry one, equal the forms over the whole arrays (written here in plain numpy) on drawn inputs."""
    from testutils_seed import drawn_seed

    from insar_geohazards.algorithms.corrections import closure as cl

    rng = np.random.default_rng(drawn_seed())
    tie_at = cl.TIE_CYCLES
    for _ in range(40):
        m, p, n_comp = int(rng.integers(1, 10)), int(rng.integers(1, 400)), int(rng.integers(1, 6))
        held = rng.integers(-2, 3, (m, p)).astype(np.int8)
        held[rng.random((m, p)) < 0.1] = cl.NO_DATA_CYCLES
        tied = rng.random((m, p)) < rng.choice([0.0, 0.05, 0.3])
        held[tied] = (tie_at + rng.integers(-2, 3, int(tied.sum()))).astype(np.int8)
        labels = rng.integers(0, n_comp + 1, p)
        decisions = np.where(rng.random((n_comp + 1, m)) < 0.5, rng.integers(-2, 3, (n_comp + 1, m)), 0)
        decisions = decisions.astype(np.int16)
        decided = {"ambiguous": rng.random(p) < 0.3, "labels": labels, "decisions": decisions}
        u, ambiguous = cl._held_cycles(held, decided, p)
        t = held >= tie_at // 2
        want_amb = decided["ambiguous"].copy()
        if not t.any():
            want_u = np.where(held == cl.NO_DATA_CYCLES, 0, held).astype(np.int16)
        else:
            want_u = np.where((held == cl.NO_DATA_CYCLES) | t, 0, held).astype(np.int16)
            dec = decisions[labels].T
            take = t & (dec != 0) & (held.astype(np.int16) - tie_at == dec) & (labels > 0)[None, :]
            want_u[take] = dec[take]
            want_amb[take.any(axis=0)] = False
        assert u.dtype == want_u.dtype and u.tobytes() == want_u.tobytes() and np.array_equal(ambiguous, want_amb)

        tie = np.where(rng.random((m, p)) < 0.05, rng.integers(-2, 3, (m, p)), 0).astype(np.int16)
        tie_shift = rng.integers(-5, 6, p).astype(np.int16)
        uu = np.where(rng.random((m, p)) < 0.1, 1, 0).astype(np.int16)
        amb = rng.random(p) < 0.5
        has = rng.random((m, p)) < 0.9
        want_tie, want_shift = tie.copy(), tie_shift.copy()
        left = (uu != 0).any(axis=0) | ~amb  # (no swap codes drawn: |tie_shift| < SWAP_BASE)
        want_tie[:, left] = 0
        want_shift[left | ~(want_tie != 0).any(axis=0)] = 0
        cl._keep_ties(tie, tie_shift, uu, amb, has)
        assert tie.tobytes() == want_tie.tobytes() and tie_shift.tobytes() == want_shift.tobytes()
