"""geohazard:unwrapclosurecorrection: parameters, runs against planted errors and the Mexico City stack."""

import os

import numpy as np
import pytest
from testutils import read_raster as _read
from testutils_corrections import CYCLE_MM, S1_WAVELENGTH_M, error_counts, planted_stack
from testutils_seed import drawn_seed
from testutils_series_corrections import _folder


def test_closure_folder_run(run_alg, tmp_path):
    net, clean, planted, _ = planted_stack(n_dates=10, neighbours=3, shape=(20, 24), noise_mm=0.8, share=0.3, seed=4)
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    out_dir = tmp_path / "fixed"
    res = run_alg("unwrapclosurecorrection", {
        "INTERFEROGRAMS": str(folder), "COHERENCE": str(folder), "INPUT_UNITS": 0, "MIN_COHERENCE": 0.5,
        "OUTPUT": str(out_dir), "OUTPUT_CYCLES": str(tmp_path / "cycles.tif"),
        "OUTPUT_NONCLOSING": str(tmp_path / "nonclosing.tif"), "OUTPUT_STATS": str(tmp_path / "stats.csv"),
        "OUTPUT_LOOPS": str(tmp_path / "loops.csv")})
    names = sorted(os.listdir(out_dir))
    assert names == sorted(f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif" for a, b in net.pairs)
    corrected = []
    for a, b in net.pairs:
        arr, _ = _read(out_dir / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif")
        corrected.append(-arr * S1_WAVELENGTH_M * 1000 / (4 * np.pi))
    n, fixed, new = error_counts(np.array(corrected), clean, planted)
    assert new == 0 and fixed / n > 0.9
    # the values not corrected are bit-identical to the input (float32 round trip)
    src, _ = _read(folder / f"{net.pairs[0][0]:%Y%m%d}_{net.pairs[0][1]:%Y%m%d}.unw.tif")
    out0, _ = _read(out_dir / f"{net.pairs[0][0]:%Y%m%d}_{net.pairs[0][1]:%Y%m%d}.unw.tif")
    same = planted[0] == 0
    np.testing.assert_array_equal(out0[same], src[same])
    cyc, _ = _read(res["OUTPUT_CYCLES"])
    assert cyc.sum() >= fixed
    nc, ds = _read(res["OUTPUT_NONCLOSING"])
    assert ds.GetRasterBand(1).GetDescription() == "before" and (nc[1] <= nc[0]).all() and nc[0].max() > 0
    import csv

    with open(res["OUTPUT_STATS"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == net.n_pairs
    assert {"interferogram", "loops", "bad_loops", "rms_closure_rad", "share_nonclosing", "share_nonclosing_after",
            "corrected_pixels", "bad"} <= set(rows[0])
    hit = {f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif" for k, (a, b) in enumerate(net.pairs) if planted[k].any()}
    for r in rows:
        if r["interferogram"] in hit:
            assert float(r["share_nonclosing"]) > 0
        assert float(r["share_nonclosing_after"]) <= float(r["share_nonclosing"]) + 1e-12
    with open(res["OUTPUT_LOOPS"]) as fh:
        loops = list(csv.DictReader(fh))
    from insar_geohazards.algorithms.corrections.closure import network_triplets

    assert len(loops) == network_triplets(net.pairs).n and all(int(r["pixels"]) == 20 * 24 for r in loops)


def test_closure_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    net, clean, planted, _ = planted_stack(n_dates=5, neighbours=1, shape=(8, 8), seed=1, patch=(2, 4))
    folder = _folder(tmp_path, net, clean)
    with pytest.raises(QgsProcessingException, match="no closed triplet"):
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "OUTPUT": str(tmp_path / "o")})
    assert not os.path.exists(tmp_path / "o") or not os.listdir(tmp_path / "o")
    net, clean, planted, _ = planted_stack(n_dates=5, neighbours=2, shape=(8, 8), seed=1, patch=(2, 4))
    folder = _folder(tmp_path, net, clean, name="ifgs2")
    with pytest.raises(QgsProcessingException, match="destroy the input|holds the input"):
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "OUTPUT": str(folder)})


def test_closure_mexico_city_planted(run_alg, tmp_path, data_dir):
    """Real Sentinel-1 GAMMA stack (tests/data, PyRate's Mexico City crop): the stack closes as given (nothing
    changed), cycle slips planted in interferograms with 3+ loops are fixed, none made elsewhere."""
    import glob
    import shutil

    from osgeo import gdal

    src = sorted(glob.glob(os.path.join(str(data_dir), "sentinel1_mexico_city", "geotiffs", "*_unw.tif")))
    folder = tmp_path / "mx"
    folder.mkdir()
    orig = {}
    for p in src:
        shutil.copy(p, folder)
        orig[os.path.basename(p)] = gdal.Open(p).ReadAsArray().astype(np.float64)
    planted = {"cropA_20180307-20180506_VV_8rlks_eqa_unw.tif": (slice(10, 25), slice(60, 80), 1),
               "cropA_20180319-20180331_VV_8rlks_eqa_unw.tif": (slice(30, 45), slice(20, 35), -2),
               "cropA_20180331-20180506_VV_8rlks_eqa_unw.tif": (slice(40, 55), slice(70, 90), 1)}
    for name, (r, c, n) in planted.items():
        ds = gdal.Open(str(folder / name), gdal.GA_Update)
        arr = ds.ReadAsArray()
        valid = arr != 0
        arr[r, c] = np.where(valid[r, c], arr[r, c] + n * 2 * np.pi, 0)
        ds.GetRasterBand(1).WriteArray(arr)
        ds = None
    res = run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "OUTPUT": str(tmp_path / "fixed"),
                                              "OUTPUT_STATS": str(tmp_path / "s.csv")})
    n_planted = n_fixed = n_new = 0
    for name, a in orig.items():
        b = gdal.Open(os.path.join(res["OUTPUT"], name)).ReadAsArray().astype(np.float64)
        ok = (a != 0) & np.isfinite(b)
        cyc = np.rint((b - a) / (2 * np.pi))
        mask = np.zeros(a.shape, bool)
        if name in planted:
            r, c, _ = planted[name]
            mask[r, c] = True
            n_planted += int((mask & ok).sum())
            n_fixed += int((mask & ok & (cyc == 0)).sum())
        n_new += int((~mask & ok & (cyc != 0)).sum())
    assert n_new == 0
    assert n_fixed / n_planted > 0.95


def test_dask_localcluster_equals_the_local_run(run_alg, tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    from insar_geohazards.algorithms import engine
    from insar_geohazards.algorithms.corrections import closure

    # 3 blocks of 16 rows, the corrected files' tiles as tall
    monkeypatch.setattr(closure, "closure_plan", lambda h, w, *a: (engine.plan_blocks(h, w, block_rows=16), 16))
    net, clean, planted, _ = planted_stack(n_dates=8, neighbours=3, shape=(40, 24), noise_mm=0.8, seed=6)
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    got = []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        res = run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "DASK_SCHEDULER": sched,
                                                  "OUTPUT": str(d / "fixed"), "OUTPUT_CYCLES": str(d / "c.tif")})
        got.append([_read(os.path.join(res["OUTPUT"], f))[0].tobytes() for f in sorted(os.listdir(res["OUTPUT"]))]
                   + [_read(res["OUTPUT_CYCLES"])[0].tobytes()])
        _, ds = _read(os.path.join(res["OUTPUT"], sorted(os.listdir(res["OUTPUT"]))[0]))
        assert ds.GetRasterBand(1).GetBlockSize() == [256, 16]
    assert got[0] == got[1]


def test_closure_plan_fits_the_budget(qgis_app):
    """The plan of unwrapclosurecorrection counts every block alive at once (read ahead, computed, queued,
    written): rows x width x closure_pixel_bytes within MAX_MEMORY_MB; below one 256-row tile the blocks
    are a multiple of 16 rows and the corrected files' tiles as tall; the model grows with the network."""
    from insar_geohazards.algorithms.corrections.closure import closure_block_bytes, closure_pixel_bytes, closure_plan

    assert closure_pixel_bytes(202, 256, False) == 202 * 28 + closure_block_bytes(202, 256)
    assert closure_pixel_bytes(202, 256, True) > closure_pixel_bytes(202, 256, False)
    for (h, w), m, t, coh, mb in (((1000, 1000), 202, 256, False, 512), ((1000, 1000), 202, 256, True, 512),
                                  ((3000, 2000), 40, 60, False, 64), ((500, 300), 10, 8, False, 16),
                                  ((100000, 5000), 300, 900, False, 16)):
        plan, tile = closure_plan(h, w, m, t, coh, mb)
        rows = plan[0].row1 - plan[0].row0
        assert plan[-1].row1 == h and all(b.row0 == a.row1 for a, b in zip(plan, plan[1:]))
        assert rows * w * closure_pixel_bytes(m, t, coh) <= mb * 2 ** 20 or rows == 1
        if rows < min(h, 256):
            assert rows % 16 == 0 or rows < 16
            assert tile == max(16, rows // 16 * 16)
        else:
            assert tile is None and (rows % 256 == 0 or rows == h)


def test_closure_without_coherence_warns_that_min_coherence_is_not_applied(run_alg, tmp_path):
    from qgis.core import QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        warnings = []

        def pushWarning(self, text):
            Log.warnings.append(text)

    net, clean, planted, _ = planted_stack(n_dates=8, neighbours=3, shape=(12, 14), seed=2, patch=(3, 5))
    folder = _folder(tmp_path, net, clean)
    run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "COHERENCE_THRESHOLD": 0.3,
                                        "OUTPUT": str(tmp_path / "o")}, feedback=Log())
    assert any("COHERENCE_THRESHOLD 0.3 is not applied" in w for w in Log.warnings)


def test_closure_threshold_no_value_passes_warns_with_the_shares_below(run_alg, tmp_path):
    """COHERENCE_THRESHOLD 1 on a stack whose coherence is 0.8 everywhere: no loop is checked anywhere, so "corrected
    0" means nothing was looked at. The run says so, naming the threshold and the share of the interferogram values
    that would pass lower thresholds (100 % at 0.8 and below, 0 % at 0.9); a threshold every value passes says
    nothing of the kind."""
    from testutils_hostile import warning_feedback

    net, clean, planted, _ = planted_stack(n_dates=8, neighbours=3, shape=(12, 14), seed=2, patch=(3, 5))
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    fb = warning_feedback()
    run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "COHERENCE": str(folder),
                                        "COHERENCE_THRESHOLD": 1.0, "OUTPUT": str(tmp_path / "o")}, feedback=fb)
    said = [w for w in fb.warnings if "COHERENCE_THRESHOLD 1" in w]
    assert said and "no pixel" in said[0], fb.warnings
    assert "0.8: 100 %" in said[0] and "0.9: 0 %" in said[0], said[0]
    fb = warning_feedback()
    run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "COHERENCE": str(folder),
                                        "COHERENCE_THRESHOLD": 0.5, "OUTPUT": str(tmp_path / "o2")}, feedback=fb)
    assert not any("COHERENCE_THRESHOLD" in w for w in fb.warnings), fb.warnings


def test_closure_slip_beyond_a_belt_same_bytes_at_two_budgets(run_alg, tmp_path):
    """A slip beyond an incoherent belt after a gap bridged by pairs 0.2 coherent (three pairs of the first date
    after the gap, +1 -1 +1 over 45 % of the scene), every value used as the Corrected SBAS model runs the step:
    fixed, and the corrected files are the same bytes at MAX_MEMORY_MB 1 (blocks of a few rows) and 512 (one
    block)."""
    import datetime as dt

    from testutils import write_geotiff
    from testutils_corrections import gap_belt_stack

    pairs, clean, planted, coh = gap_belt_stack(seed=2)
    days = [12 * i + (96 if i >= 6 else 0) for i in range(12)]
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=d) for d in days]
    folder = tmp_path / "ifgs"
    folder.mkdir()
    bad = clean + planted * CYCLE_MM
    for k, (i, j) in enumerate(pairs):
        stem = f"{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}"
        write_geotiff(folder / f"{stem}.unw.tif", bad[k], nodata=-9999.0)
        write_geotiff(folder / f"{stem}.cc.tif", coh[k])
    got = []
    for mb in (1, 512):
        out_dir = tmp_path / f"out{mb}"
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "COHERENCE": str(folder), "INPUT_UNITS": 3,
                                            "MAX_MEMORY_MB": mb, "OUTPUT": str(out_dir)})
        arrs = [_read(out_dir / f"{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}.unw.tif")[0] for i, j in pairs]
        got.append(np.array(arrs))
    assert got[0].tobytes() == got[1].tobytes()
    wrong = np.rint((got[0].astype(np.float64) - clean) / CYCLE_MM) != 0
    assert wrong.sum() <= 0.001 * (planted != 0).sum()


def test_patches_the_closures_cannot_tell_are_fixed_by_their_edges_same_bytes_at_two_budgets(run_alg, tmp_path):
    """Two patches slipped on two of the three pairs ending at a date (one at the last date, one at the fourth from
    last): the closures alone correct the third pair the other way instead (as sparse in closures, one pair). The
    tool's pass between its two lets the patches' edges choose: every planted value fixed, none made, and the same
    bytes at MAX_MEMORY_MB 1 (blocks of a few rows, a patch across several) and 512 (one block)."""
    net, clean, _, _ = planted_stack(n_dates=12, neighbours=3, shape=(48, 40), noise_mm=0.8, share=0.0, seed=8)
    pairs = [(net.dates.index(a), net.dates.index(b)) for a, b in net.pairs]
    planted = np.zeros(clean.shape, np.int16)
    for d, (r0, r1, c0, c1), s in ((11, (6, 30, 5, 17), 1), (8, (20, 41, 22, 35), -1)):
        ending = [k for k, (i, j) in enumerate(pairs) if j == d]
        planted[ending[:2], r0:r1, c0:c1] = s
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    corrected = _corrected_at_two_budgets(run_alg, tmp_path, folder, net)
    n, fixed, new = error_counts(corrected, clean, planted)
    assert (n, fixed, new) == (int((planted != 0).sum()), int((planted != 0).sum()), 0)


def test_ties_the_closures_leave_are_decided_by_the_edges_same_bytes_at_two_budgets(run_alg, tmp_path):
    """One patch slipped on one of the two pairs of the first date, one on one of the last date's (drawn at random,
    as tests/core/test_corrections_closure_edges.py draws them): each closes its loop alike whichever pair slipped,
    and the closures alone apply nothing there. The edges' votes between the two decide: at least 9 in 10 planted
    values fixed, none made, and the same bytes at MAX_MEMORY_MB 1 (blocks of a few rows, a patch across several)
    and 512 (one block)."""
    from testutils_corrections import first_last_date_slips

    net, _, clean, planted = first_last_date_slips(20261128)
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    corrected = _corrected_at_two_budgets(run_alg, tmp_path, folder, net)
    n, fixed, new = error_counts(corrected, clean, planted)
    assert new == 0 and fixed >= 0.9 * n, (n, fixed, new)


def test_a_tie_along_a_masked_slip_is_decided_same_bytes_at_two_budgets(run_alg, tmp_path):
    """A slip on one of the last date's two pairs whose loop partner has no data over it but along its top side
    (drawn at random, as tests/core/test_corrections_closure_edges.py draws it): the tie there is decided by its top
    edge alone, the masked rest around it counting as no edge, and the decision reaches a ring of the rest. At least
    the tie's values fixed, none made, and the same bytes at MAX_MEMORY_MB 1 (blocks of a few rows, the region
    across several) and 512 (one block)."""
    from testutils_corrections import tie_inside_slip

    net, _, clean, planted, (h, w) = tie_inside_slip(20261201)
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    corrected = _corrected_at_two_budgets(run_alg, tmp_path, folder, net)
    n, fixed, new = error_counts(corrected, clean, planted)
    assert new == 0 and fixed >= h * w, (n, fixed, new, h * w)


def test_a_decision_tearing_values_off_their_neighbours_is_refused_same_bytes_at_two_budgets(run_alg, tmp_path):
    """An island slipped a cycle on one interferogram but on one column (drawn at random, as
    tests/core/test_corrections_closure_continuity.py draws it): its component decides the correction, and the
    column's values without a loop of their own would take it though they run on from the column's around them.
    Every planted value fixed, none made, and the same bytes at MAX_MEMORY_MB 1 (blocks of a few rows, the column
    across several) and 512 (one block)."""
    from testutils_corrections import torn_by_a_decision

    net, _, clean, planted, _, _ = torn_by_a_decision(drawn_seed())
    folder = _folder(tmp_path, net, clean + planted * CYCLE_MM)
    corrected = _corrected_at_two_budgets(run_alg, tmp_path, folder, net)
    n, fixed, new = error_counts(corrected, clean, planted)
    assert (fixed, new) == (n, 0), (n, fixed, new)


def _corrected_at_two_budgets(run_alg, tmp_path, folder, net) -> np.ndarray:
    """The tool's corrected stack (mm) at MAX_MEMORY_MB 1 (blocks of a few rows) and 512 (one block), asserted the
    same bytes."""
    got = []
    for mb in (1, 512):
        out_dir = tmp_path / f"out{mb}"
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "MAX_MEMORY_MB": mb, "OUTPUT": str(out_dir)})
        got.append(np.array([_read(out_dir / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif")[0] for a, b in net.pairs]))
    assert got[0].tobytes() == got[1].tobytes()
    return -got[0].astype(np.float64) * S1_WAVELENGTH_M * 1000 / (4 * np.pi)


def test_network_offsets_read_in_spans_take_the_values_of_one_row_reads(monkeypatch):
    """The closure offsets' sample read in spans of rows (fileio/base/file_parts.row_spans) hands the
    offsets the very values one-row reads give (the sample's rows, then the stable area's), with and without the
    coherence mask, on grids of random sizes; the spans cover every wanted row once, top-down, within the byte cap,
    and thinly spread rows stay one-row reads."""
    from types import SimpleNamespace

    from insar_geohazards.fileio.base import file_parts
    from insar_geohazards.fileio.corrections import corrections

    rng = np.random.default_rng(drawn_seed(1000))
    for _ in range(4):
        m, h, w = int(rng.integers(3, 9)), int(rng.integers(5, 300)), int(rng.integers(4, 60))
        values = rng.normal(size=(m, h, w))
        coh = rng.uniform(size=(m, h, w)).astype(np.float32)
        reads = []

        def read(r0, r1, coherence=False, _v=values, _c=coh, _reads=reads):
            _reads.append((r0, r1))
            return _v[:, r0:r1].copy(), (_c[:, r0:r1].copy() if coherence else None)

        stack = SimpleNamespace(info=SimpleNamespace(height=h, width=w), network=SimpleNamespace(n_pairs=m),
                                has_coherence=True, mintpy=True, read=read)
        stable = rng.uniform(size=(h, w)) < 0.2
        for min_coh, area in ((0.0, None), (0.4, stable)):
            got = {}
            monkeypatch.setattr(corrections, "closure_offsets",
                                lambda x, tri, reference=None, _got=got, **kw: _got.update(x=x, ref=reference))
            reads.clear()
            corrections.network_closure_offsets(stack, None, 28.0, min_coherence=min_coh, stable=area)
            # the one-row reads: the sample's rows, then the stable area's
            rows = np.unique(np.linspace(0, h - 1, min(h, 64)).astype(int))
            step = max(1, w * rows.size // 20000)
            one = [(r, slice(None, None, step)) for r in rows]
            if area is not None:
                in_rows = np.flatnonzero(area.any(axis=1))
                picked = in_rows[np.unique(np.linspace(0, in_rows.size - 1, min(in_rows.size, 64)).astype(int))]
                one += [(r, np.flatnonzero(area[r])) for r in picked]
            parts = [np.where(coh[:, r, c] >= min_coh, values[:, r, c], np.nan) if min_coh > 0 else values[:, r, c]
                     for r, c in one]
            want = np.concatenate(parts, axis=1)
            spans = file_parts.row_spans([r for r, _ in one], m * w * (12 if min_coh > 0 else 8))
            assert reads == [s for s in spans for _ in range(2 if min_coh > 0 else 1)]
            assert got["x"].tobytes() == want.tobytes()
            if area is not None:
                assert got["ref"].sum() == sum(p.shape[1] for p in parts[rows.size:])
    wanted = sorted({int(r) for r in rng.choice(5000, 60)})
    for row_bytes in (1, 10 ** 6, file_parts.SPAN_BYTES + 1):
        spans = file_parts.row_spans(wanted, row_bytes)
        covered = [r for a, b in spans for r in range(a, b)]
        assert covered == sorted(set(covered)) and set(wanted) <= set(covered)
        assert all(a in wanted and b - 1 in wanted for a, b in spans)
        assert all(b - a == 1 or (b - a) * row_bytes <= file_parts.SPAN_BYTES for a, b in spans)
        for (a, b), (a2, _) in zip(spans, spans[1:]):  # apart: a gap too wide, or the cap reached
            assert a2 - b > file_parts.SPAN_GAP or (a2 + 1 - a) * row_bytes > file_parts.SPAN_BYTES
    assert file_parts.row_spans(range(0, 4000, 64), 1) == [(r, r + 1) for r in range(0, 4000, 64)]
    assert file_parts.row_spans(range(0, 220, 4), 1) == [(0, 217)]


def test_a_bank_the_closures_leave_unsettled_is_bridged_same_bytes_at_two_budgets(run_alg, tmp_path):
    """Half a date's pairs off by a cycle on one bank of a channel and a patch of the bank off in a fourth
    (tests/testutils_closure_banks.py's ``patched_tied_bank_stack``, a seed drawn at random): the other half off
    closes every loop alike, so the closures leave the whole bank unsettled, and the pass between the two bridges it
    to the bank across the channel; the patch, whose closures prefer the date's sparser twin, is recast as the bank's
    decision plus its own slip. At least 99 % of the planted values fixed (relative to a pixel of the largest bank,
    as the practice stack's README counts), and the same bytes at MAX_MEMORY_MB 1 (blocks of a few rows, the channel
    and the patch across several) and 512 (one block)."""
    from testutils import write_geotiff
    from testutils_closure_banks import patched_tied_bank_stack, relative_counts

    seed = drawn_seed()
    sc, planted, _, _, bank = patched_tied_bank_stack(seed)
    dates, pairs = sc["dates"], sc["pairs"]
    folder = tmp_path / "ifgs"
    folder.mkdir()
    bad = sc["clean_mm"] + planted * CYCLE_MM
    names = [f"{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}" for i, j in pairs]
    for k, stem in enumerate(names):
        write_geotiff(folder / f"{stem}.unw.tif", np.where(np.isfinite(bad[k]), bad[k], -9999.0), nodata=-9999.0)
    got = []
    for mb in (1, 512):
        out_dir = tmp_path / f"out{mb}"
        run_alg("unwrapclosurecorrection", {"INTERFEROGRAMS": str(folder), "INPUT_UNITS": 3, "MAX_MEMORY_MB": mb,
                                            "OUTPUT": str(out_dir)})
        got.append(np.array([_read(out_dir / f"{stem}.unw.tif")[0] for stem in names]))
    assert got[0].tobytes() == got[1].tobytes()
    comp = sc["components"]
    ys, xs = np.nonzero(comp == np.argmax(np.bincount(comp.ravel())[1:]) + 1)
    c = relative_counts(got[0].astype(np.float64), sc["clean_mm"], planted, (ys[ys.size // 2], xs[xs.size // 2]))
    assert c["fixed"] >= 0.99 * c["planted"], (seed, c)
    assert c["new"] <= 0.001 * int(bank.sum()) * len(pairs), (seed, c)
