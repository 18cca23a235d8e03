"""Tiled built-in unwrapping (algorithms/unwrap/unwrap_tiles.py) against the global run and synthetic truth."""

import os

import numpy as np
import pytest
from testutils_unwrap import correct_share, synthetic_interferogram

from insar_geohazards.algorithms import engine as eng
from insar_geohazards.algorithms.errors import GeohazardError, OperationCanceled
from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram
from insar_geohazards.algorithms.unwrap.unwrap_tiles import (
    BYTES_PER_PIXEL,
    MIN_TILE_ROWS,
    TILE_HALO,
    RowScratch,
    SeamMerger,
    plan_tiles,
    unwrap_array_tiled,
)

# generators of test_unwrap_unwrap (sizes, densities, holes, water, noise), cut in small tiles
TILED_CASES = [
    (dict(rows=160, cols=100, seed=1, bowls=((0.3, 0.4, 25.0, 8.0), (0.7, 0.6, -30.0, 12.0)),
          holes=((0.5, 0.2, 0.1), (0.2, 0.8, 0.06))), 40, 16),
    (dict(rows=140, cols=140, seed=3, bowls=((0.5, 0.5, 18.0, 6.0),), coh_range=(0.4, 0.95), ramp=(6.0, 4.0)),
     32, 12),
    (dict(rows=150, cols=120, seed=4, bowls=((0.5, 0.5, -50.0, 20.0),), coh_range=(0.2, 0.6), looks=4), 50, 20),
]


def test_one_tile_is_the_global_unwrapper_byte_for_byte():
    d = synthetic_interferogram(120, 150, seed=0, bowls=((0.5, 0.5, -40.0, 15.0),))
    ref = unwrap_interferogram(d["wrapped"], d["coherence"])
    unw, cc, stats = unwrap_array_tiled(d["wrapped"], d["coherence"])
    assert stats["tiles"] == 1
    np.testing.assert_array_equal(unw, ref.unwrapped)
    np.testing.assert_array_equal(cc, ref.components)
    assert {k: stats[k] for k in ref.stats} == ref.stats
    ref = unwrap_interferogram(d["complex"])  # complex input, coherence from the fringes
    unw, cc, _ = unwrap_array_tiled(d["complex"])
    np.testing.assert_array_equal(unw, ref.unwrapped)


@pytest.mark.parametrize("case,tile_rows,halo", TILED_CASES)
def test_tiles_keep_the_global_correct_share(case, tile_rows, halo):
    d = synthetic_interferogram(**case)
    region = d["land"] & (d["coherence"] >= 0.3)
    ref = unwrap_interferogram(d["wrapped"], d["coherence"])
    unw, cc, stats = unwrap_array_tiled(d["wrapped"], d["coherence"], tile_rows=tile_rows, halo=halo)
    assert stats["tiles"] >= 3
    # the seams join what the global run joins; under 4-look noise both leave some pairs of large sets apart
    # (their edges disagree), not always the same ones, but the tiles do not split the raster further
    if case.get("looks") == 4:
        assert stats["components"] <= ref.stats["components"] + 2
    else:
        assert stats["components"] == ref.stats["components"]
    tiled = correct_share(unw, cc, d["truth"], region)
    assert tiled >= correct_share(ref.unwrapped, ref.components, d["truth"], region) - 0.002
    assert tiled > (0.95 if case.get("looks") == 4 else 0.985)
    ok = np.isfinite(unw)
    assert (cc[ok] > 0).all() and (cc[~ok] == 0).all()
    np.testing.assert_allclose(np.angle(np.exp(1j * (unw[ok] - d["wrapped"][ok]))), 0, atol=1e-4)
    for key in ("valid", "residues"):  # counted tile by tile on the tiles' own rows: the global counts
        assert stats[key] == ref.stats[key]
    assert stats["unwrapped"] == int(ok.sum())
    assert stats["mean_coherence"] == pytest.approx(ref.stats["mean_coherence"], rel=1e-5)


def test_a_gap_along_a_seam_splits_components_instead_of_guessing():
    rows, cols = 120, 60
    truth = np.tile(np.linspace(0, 14 * np.pi, rows)[:, None], (1, cols))
    coh = np.full((rows, cols), 0.9, np.float32)
    coh[38:43] = 0.05  # a decorrelated strip across the seam at row 40
    unw, cc, stats = unwrap_array_tiled(np.angle(np.exp(1j * truth)), coh, tile_rows=40, halo=10)
    assert stats["tiles"] == 3 and stats["components"] == 2
    assert (cc[38:43] == 0).all() and len(np.unique(cc[:38])) == 1 and cc[0, 0] != cc[-1, 0]
    for lab in (1, 2):  # exact within each component, up to its own whole cycles
        k = (unw[cc == lab] - truth[cc == lab]) / (2 * np.pi)
        np.testing.assert_allclose(k, np.round(k[0]), atol=1e-3)


def _tile_out(unw, labels):
    return {"unwrapped": unw.astype(np.float32), "labels": labels.astype(np.int32),
            "counts": np.zeros(3, np.int64), "coherence_sum": 0.0}


def test_seam_votes_that_disagree_leave_components_apart(tmp_path):
    """Two tiles whose overlap says +1 cycle on one half and 0 on the other: no guess, two components."""
    n_rows, n_cols, halo = 40, 30, 5
    plan = plan_tiles(n_rows, n_cols, halo=halo, tile_rows=20)
    assert [(b.read0, b.read1) for b in plan] == [(0, 25), (15, 40)]
    base = np.linspace(0, 3, n_rows)[:, None] * np.ones((1, n_cols))
    top, bottom = base[0:25].copy(), base[15:40].copy()
    for split, expect in ((15, 2), (29, 1)):  # 15 of 30 columns disagree / only 1 does
        b = bottom.copy()
        b[:, split:] -= 2 * np.pi
        with RowScratch(n_cols, str(tmp_path)) as scratch:
            m = SeamMerger(scratch, halo)
            m.add(plan[0], _tile_out(top, np.ones(top.shape)))
            m.add(plan[1], _tile_out(b, np.ones(b.shape)))
            offset, label, sizes, stats = m.solve(1)
        assert len(sizes) == expect and stats["seams_rejected"] == (1 if expect == 2 else 0)
        if expect == 1:
            assert offset[1] - offset[0] == 0  # the majority (no offset) wins
    assert not list(tmp_path.iterdir())  # scratch files removed


def test_contradicting_votes_are_counted_not_applied(tmp_path):
    """A loop of four seam votes that does not close (A-c, B-c, A-d agree, B-d is one cycle off): one
    component, the loop's last vote counted as a conflict and not applied."""
    n_rows, n_cols, halo = 40, 30, 5
    plan = plan_tiles(n_rows, n_cols, halo=halo, tile_rows=20)
    la = np.ones((25, n_cols))
    la[:, 15:] = 2  # tile 1: A (left), B (right)
    lb = np.ones((25, n_cols))
    lb[5:] = 2  # tile 2: c (overlap rows 15-19), d (from row 20 down)
    b = np.zeros((25, n_cols))
    b[5:10, 15:] += 2 * np.pi  # B-d one cycle off
    with RowScratch(n_cols, str(tmp_path)) as scratch:
        m = SeamMerger(scratch, halo)
        m.add(plan[0], _tile_out(np.zeros((25, n_cols)), la))
        m.add(plan[1], _tile_out(b, lb))
        offset, label, sizes, stats = m.solve(1)
    assert len(sizes) == 1 and stats["seam_conflicts"] == 1 and stats["seams_rejected"] == 0
    assert len(set(offset.tolist())) == 1  # the three agreeing votes (offset 0) set the frame


def test_plan_bounds_memory_whatever_the_raster_size():
    for n in (5000, 10000, 40000):
        plan = plan_tiles(n, n, max_memory_mb=512)
        rows = max(b.read1 - b.read0 for b in plan)
        assert rows * n * BYTES_PER_PIXEL <= 512 * 2**20 or plan[0].rows == MIN_TILE_ROWS
        assert all(b.read0 == max(0, b.row0 - TILE_HALO) for b in plan)
    assert len(plan_tiles(300, 200)) == 1  # fits: one tile, the global unwrapper
    with pytest.raises(GeohazardError, match="halo"):
        plan_tiles(300, 200, halo=0)


def test_cancel_between_tiles_leaves_no_scratch(tmp_path):
    d = synthetic_interferogram(150, 80, seed=2, holes=())

    class CancelAfterFirst:
        calls = 0

        def set_progress(self, p):
            self.calls += 1

        def is_canceled(self):
            return self.calls > 0

    with pytest.raises(OperationCanceled):
        unwrap_array_tiled(d["wrapped"], d["coherence"], tile_rows=40, halo=10, progress=CancelAfterFirst(),
                           scratch_dir=str(tmp_path))
    assert not os.listdir(tmp_path)


def test_all_incoherent_and_unwrapped_input_over_tiles():
    d = synthetic_interferogram(150, 60, seed=1, holes=())
    with pytest.raises(GeohazardError, match="all incoherent"):
        unwrap_array_tiled(d["wrapped"], np.full(d["wrapped"].shape, 0.1, np.float32), tile_rows=40, halo=10)
    bad = d["wrapped"].copy()
    bad[120:] = d["truth"][120:] * 3
    with pytest.raises(GeohazardError, match="already unwrapped"):
        unwrap_array_tiled(bad, d["coherence"], tile_rows=40, halo=10, name="x.unw.tif")


def test_localcluster_two_workers_give_the_local_bytes():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    d = synthetic_interferogram(160, 100, seed=1, holes=((0.5, 0.2, 0.1),))
    local = unwrap_array_tiled(d["wrapped"], d["coherence"], tile_rows=40, halo=16)
    with eng.DaskExecutor("local", n_workers=2, processes=True) as ex:
        dask = unwrap_array_tiled(d["wrapped"], d["coherence"], tile_rows=40, halo=16, executor=ex)
    np.testing.assert_array_equal(dask[0], local[0])
    np.testing.assert_array_equal(dask[1], local[1])
    assert dask[2] == local[2]
