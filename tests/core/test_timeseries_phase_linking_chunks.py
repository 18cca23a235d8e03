"""Phase linking gives the same bytes however its kernel splits the rows into chunks and the columns into tiles.

The kernel keeps each pixel's ``s s^H`` in a ring shared by the consecutive rows of a chunk and by the columns of
a tile; which product is made where must not change the sums (same values, same order) nor anything downstream.
"""

import numpy as np
import pytest

from insar_geohazards.algorithms.psds import phase_linking as pl
from insar_geohazards.algorithms.psds.phase_linking import block
from insar_geohazards.algorithms.psds.phase_linking import kernel as plk


def _stack(rng, n=6, rows=13, cols=17):
    amp = rng.gamma(2.0, 1.0, (1, rows, cols)) * np.exp(rng.normal(0, 0.3, (n, rows, cols)))
    phase = rng.uniform(-np.pi, np.pi, (1, rows, cols)) + rng.normal(0, 0.6, (n, rows, cols))
    slc = (amp * np.exp(1j * phase)).astype(np.complex64)
    slc[:, 3, 4] = np.nan  # no data: a gap in the ring
    slc[:, 8, 0] = 0
    ps = np.zeros((rows, cols), bool)
    ps[6, 9] = ps[0, 16] = True
    return slc, ps


def _run(monkeypatch, chunks, tile, **kw):
    monkeypatch.setattr(block, "_chunks_and_tile", lambda n_rows, n_cols, *a: (min(chunks, n_rows), min(tile, n_cols)))
    return pl.phase_link(**kw)


@pytest.mark.parametrize("method,shp,window", [("emi", "glrt", (5, 7)), ("evd", "ks", (3, 3)),
                                               ("cevd", "rect", (5, 3))])
def test_same_bytes_for_every_chunking_and_tiling(monkeypatch, method, shp, window):
    slc, ps = _stack(np.random.default_rng(7))
    kw = dict(slc=slc, window=window, method=method, shp_method=shp, ps_mask=ps, rows=(2, 12))
    ref = _run(monkeypatch, 1, 10**6, **kw)
    assert np.isfinite(ref.phase).mean() > 0.9 and ref.shp_count.max() > 1
    for chunks, tile in ((2, 10**6), (3, 1), (4, 2), (10, 5), (1, 16), (2, 9)):
        got = _run(monkeypatch, chunks, tile, **kw)
        for name in ("phase", "temporal_coherence", "shp_count"):
            a, b = getattr(ref, name), getattr(got, name)
            assert a.tobytes() == b.tobytes(), (chunks, tile, name)


def test_tile_fits_the_ring_budget():
    chunks, tile = plk._chunks_and_tile(64, 5000, 30, 11, 11)
    mpk = (30 * 31 // 2 + 31) // 32 * 32
    assert chunks >= 1 and 16 <= tile < 5000
    assert 16 * 11 * (tile + 10) * mpk <= plk._RING_BYTES
    assert plk._chunks_and_tile(64, 5000, 200, 11, 11)[1] == 16  # at least 16 columns
    assert plk._chunks_and_tile(3, 12, 30, 11, 11) == (min(chunks, 3), 12)
