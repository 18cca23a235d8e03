"""The phase-linking kernel: row chunks in parallel, each pixel's window covariance, its linked phases.

:func:`_phase_link_kernel` splits the output rows into ``chunks`` runs of consecutive rows (one per numba thread).
A chunk goes over column tiles; for each target pixel it sums the ``s s^H`` of the window neighbours its SHP test
accepts (:mod:`.covariance`) and queues the sum in a batch; eight waiting pixels are linked at once, one per vector
lane (:mod:`.batch`: the sample coherence ``G``, then EMI, EVD or the coherence-weighted EVD, the temporal
coherence), a lane still iterating when most of its batch has converged on its own (:mod:`.lane`). The image
arrays are ``(rows, cols)`` (``slc_t``: ``(rows, cols, n)`` complex64, the dates last); the outputs cover the rows
``row0 .. row1`` only: ``out_phase`` ``(n, row1 - row0, cols)`` float32 radians, ``out_tcoh`` and ``out_count``
``(row1 - row0, cols)``. Every pixel's bytes are the same whatever the chunks, tiles, batches and threads.
"""

from __future__ import annotations

import math

import numpy as np

from ..._numba import njit_slp, prange, thread_count
from .batch import (
    LANES,
    _coherence_b,
    _iterate_b,
    _start_vector_b,
    _times_abs_b,
    emi_batch,
    temporal_coherence_b,
)
from .covariance import _add_packed, _outer_packed, conj_product
from .lane import _steps_q
from .shp import glrt_homogeneous, is_shp, pair_mean

#: A batch's last iteration steps go on lane by lane once fewer than this many of its eight pixels still iterate: a
#: step of eight lanes costs about five single-lane steps, and a few pixels (close eigenvalues, the re-shift
#: refused) take tens of steps while the others have converged.
EMI_MIN_LANES = 6


@njit_slp(error_model="numpy")
def _batch_work(n):
    """Work arrays of :func:`_link_batch`: the waiting pixels' window sums ``C`` (``cb[0] + i cb[1]``, ``(n, n,
    LANES)``, the pixel last), their ``G`` transposed, :func:`.batch.emi_batch`'s work, the temporal coherences."""
    cb = np.zeros((2, n, n, LANES))
    gl = np.zeros((2, n, n, LANES))
    mats = np.zeros((8, n, n, LANES))
    vecs = np.zeros((7, n, LANES))
    vals = np.zeros((6, LANES))
    flags = np.zeros((6, LANES), np.bool_)
    tcoh = np.zeros(LANES)
    return cb, gl, mats, vecs, vals, flags, tcoh


@njit_slp(error_model="numpy")
def _go_on_alone(tr, ti, vr, vi, wr, wi, flags, s, n, max_iter, inverse):
    """The lanes of a batch iteration still running (``flags[3]``) take up to ``max_iter`` more steps one at a time
    (:func:`.lane._steps_q`, the batch's own steps: the same bits)."""
    for q in range(LANES):
        if flags[3, q]:
            _steps_q(tr, ti, vr, vi, wr, wi, flags[2], flags[3], flags[4], s, n, max_iter, 1e-10, 1, inverse, q)


@njit_slp(error_model="numpy")
def _power_lanes(gtr, gti, atr, ati, vecs, flags, s, weighted, n, min_lanes):
    """The principal eigenvector of ``G`` (EVD) or of ``|G| o G`` (``weighted``: the coherence-weighted EVD, ``atr +
    i ati`` its work) by power iteration from ``G``'s first column, in the lanes where ``flags[5]``, into ``vecs[4] +
    i vecs[5]`` (the other lanes: any); ``vecs[2]``, ``vecs[3]`` are work."""
    vr, vi, wr, wi = vecs[4], vecs[5], vecs[2], vecs[3]
    _start_vector_b(gtr, gti, vr, vi, n)
    if weighted:
        _times_abs_b(gtr, gti, atr, ati, n)
    else:
        atr, ati = gtr, gti
    steps = _iterate_b(atr, ati, vr, vi, wr, wi, flags[5], flags[2], flags[3], flags[4], s, n, 100, 1e-10, min_lanes,
                       False)
    _go_on_alone(atr, ati, vr, vi, wr, wi, flags, s, n, 100 - steps, False)


@njit_slp(error_model="numpy")
def _link_batch(cb, gl, bmats, vecs, vals, flags, tcoh, nl, method, beta, n, min_lanes):
    """Link the ``nl`` pixels whose window sums are in the first lanes of ``cb`` (:func:`_batch_work`; the other
    lanes are set to ``I``): their linked vectors into ``vecs[0] + i vecs[1]``, their temporal coherences into
    ``tcoh``. EMI (``method`` 0, the coherence-weighted EVD where EMI is undefined), EVD (1), coherence-weighted EVD
    (2); the last iteration steps go on lane by lane once fewer than ``min_lanes`` lanes still iterate
    (:data:`EMI_MIN_LANES`)."""
    for q in range(nl, LANES):
        for k in range(n):
            for i in range(n):
                cb[0, k, i, q] = 1.0 if k == i else 0.0
                cb[1, k, i, q] = 0.0
    gtr, gti = gl[0], gl[1]
    _coherence_b(cb[0], cb[1], gtr, gti, vecs[6], n)
    if method == 0:
        steps = emi_batch(gtr, gti, beta, nl, bmats, vecs, vals, flags, n, min_lanes)
        for q in range(LANES):
            flags[3, q] = flags[3, q] and flags[0, q]
        _go_on_alone(bmats[5], bmats[6], vecs[0], vecs[1], vecs[2], vecs[3], flags, vals[4], n, 100 - steps, True)
        fall = False
        for q in range(LANES):  # |G| or M not positive definite: EMI undefined
            flags[5, q] = q < nl and not flags[0, q]
            fall = fall or flags[5, q]
        if fall:
            _power_lanes(gtr, gti, bmats[0], bmats[1], vecs, flags, vals[4], True, n, min_lanes)
            for q in range(LANES):
                if flags[5, q]:
                    for i in range(n):
                        vecs[0, i, q] = vecs[4, i, q]
                        vecs[1, i, q] = vecs[5, i, q]
    else:
        for q in range(LANES):
            flags[5, q] = q < nl
        _power_lanes(gtr, gti, bmats[0], bmats[1], vecs, flags, vals[4], method == 2, n, min_lanes)
        for q in range(LANES):
            for i in range(n):
                vecs[0, i, q] = vecs[4, i, q]
                vecs[1, i, q] = vecs[5, i, q]
    temporal_coherence_b(gtr, gti, vecs[0], vecs[1], vecs[4], vecs[5], tcoh, n)


@njit_slp(error_model="numpy")
def _write_linked(vr, vi, q, tcoh, k, ro, c, out_phase, out_tcoh, out_count, n):
    """A linked pixel's outputs from lane ``q`` of the batch's vectors: phases relative to date 0 (``arg(v_i
    conj(v_0))``, libm's ``atan2``), temporal coherence, SHP count."""
    out_tcoh[ro, c] = tcoh
    for i in range(n):
        re, im = conj_product(vr[i, q], vi[i, q], vr[0, q], vi[0, q])
        out_phase[i, ro, c] = math.atan2(im, re)
    out_count[ro, c] = k


@njit_slp(error_model="numpy")
def _flush(batch, pend, nb, method, beta, out, n):
    """Link the ``nb`` pixels waiting in ``batch`` (:func:`_batch_work`) and write their outputs at the places
    ``pend[q] = (output row, column, SHP count)``."""
    cb, gl, bmats, vecs, vals, flags, tcoh = batch
    _link_batch(cb, gl, bmats, vecs, vals, flags, tcoh, nb, method, beta, n, EMI_MIN_LANES)
    for q in range(nb):
        _write_linked(vecs[0], vecs[1], q, tcoh[q], pend[q, 2], pend[q, 0], pend[q, 1], out[0], out[1], out[2], n)


# _has_data and _unpack_sum are written once for one pixel and for many: the kernel passes a pixel's packed sum
# (``acc[t]`` a value) and its lane ``q``; the numpy path (:mod:`.vectorised`) the sums of many pixels, ``acc[t]`` a
# row of them, and ``q`` the slice of their lanes (their Python functions: the same values on each element).
@njit_slp(error_model="numpy", inline="always")
def _has_data(acc_r, n):
    """Whether every diagonal element of the packed window sum ``acc_r`` is positive (else the pixel has no data;
    the sums are finite: no-data dates enter as zeros)."""
    ok = True
    t = 0
    for i in range(n):
        ok = ok & (acc_r[t] > 0)
        t += n - i
    return ok


@njit_slp(error_model="numpy", inline="always")
def _unpack_sum(acc_r, acc_i, cb, q, n):
    """The Hermitian window sum ``C`` from its packed upper triangle ``acc_r + i acc_i`` into lane ``q`` of ``cb``."""
    t = 0
    for i in range(n):
        for j in range(i, n):
            cb[0, i, j, q] = acc_r[t]
            cb[1, i, j, q] = acc_i[t]
            cb[0, j, i, q] = acc_r[t]
            cb[1, j, i, q] = -acc_i[t]
            t += 1


@njit_slp(error_model="numpy")
def _queue_sum(acc_r, acc_i, cb, q, n):
    """The Hermitian window sum ``C`` from its packed upper triangle ``acc_r + i acc_i`` into lane ``q`` of ``cb``;
    False when a diagonal element is not positive (the pixel has no data)."""
    if not _has_data(acc_r, n):
        return False
    _unpack_sum(acc_r, acc_i, cb, q, n)
    return True


@njit_slp(error_model="numpy")
def _write_no_data(out, ro, c, count, n):
    """NaN phases and temporal coherence at output row ``ro``, column ``c``; ``count`` neighbours."""
    for i in range(n):
        out[0][i, ro, c] = np.nan
    out[1][ro, c] = np.nan
    out[2][ro, c] = count


@njit_slp(error_model="numpy")
def _window_sum(acc_r, acc_i, o_r, o_i, image, shp, r, c, hr, hc, base):
    """``C = sum_k s_k s_k^H`` over the neighbours of ``(r, c)`` the SHP test accepts (the pixel itself always), in
    window order (the same sums on any CPU), packed into ``acc_r + i acc_i``; returns their number. A neighbour
    enters when usable, not a PS kept out, and homogeneous: the GLRT (:func:`.shp.glrt_homogeneous`) with the
    logarithms of the means cached, else :func:`.shp.is_shp`. The arrays are taken out of their tuples once here:
    the loop over the window is the kernel's hottest."""
    slc_t, usable, ps, sorted_amp, mean_int, log_mean = image
    shp_method, threshold, ps_neighbours = shp
    rows, cols, n = slc_t.shape
    nf = float(n)
    wr = o_r.shape[0]
    mpk = acc_r.shape[0]
    mp = mean_int[r, c]
    lp = log_mean[r, c]
    acc_r[:] = 0.0
    acc_i[:] = 0.0
    k = 0
    for rr in range(max(0, r - hr), min(rows, r + hr + 1)):
        for cc in range(max(0, c - hc), min(cols, c + hc + 1)):
            if not usable[rr, cc]:
                continue
            if not (rr == r and cc == c):
                if ps[rr, cc] and not ps_neighbours:
                    continue
                if shp_method == 0:
                    mq = mean_int[rr, cc]
                    if not glrt_homogeneous(mp, mq, math.log(pair_mean(mp, mq)), lp, log_mean[rr, cc], nf,
                                            threshold):
                        continue
                elif not is_shp(shp_method, sorted_amp, mean_int, r, c, rr, cc, threshold, nf):
                    continue
            _add_packed(acc_r, acc_i, o_r, o_i, rr % wr, cc - base, mpk)
            k += 1
    return k


@njit_slp(error_model="numpy")
def _fill_ring(ring, image, r, dr0, hr, col, base, sr, si):
    """The ``s s^H`` of column ``col`` in window rows ``r + dr0 .. r + hr`` into the ring (row ``rr`` in slot
    ``rr % wr``, column ``col`` in slot ``col - base``); ``sr``, ``si`` are work."""
    slc_t, usable = image[0], image[1]
    o_r, o_i = ring
    wr = o_r.shape[0]
    for rr in range(max(0, r + dr0), min(usable.shape[0], r + hr + 1)):
        if usable[rr, col]:
            _outer_packed(o_r, o_i, rr % wr, col - base, slc_t[rr, col], sr, si, slc_t.shape[2])


@njit_slp(error_model="numpy")
def _link_target(image, shp, r, c, ro, hr, hc, base, method, beta, ring, work, batch, pend, nb, out):
    """Outputs of target pixel ``(r, c)`` at output row ``ro``: no data, a PS's own phases, or its window's linked
    phases (its window sum queued as the batch's slot ``nb``, linked when eight wait). Returns the pixels now
    waiting in the batch."""
    slc_t, usable, ps = image[0], image[1], image[2]
    n = slc_t.shape[2]
    acc_r, acc_i = work
    if not usable[r, c]:
        _write_no_data(out, ro, c, 0, n)
        return nb
    if ps[r, c]:  # its own phases: arg(s_i conj(s_0)) in complex64, atan2f
        s0 = slc_t[r, c, 0]
        for i in range(n):
            s = slc_t[r, c, i]
            re, im = conj_product(s.real, s.imag, s0.real, s0.imag)
            out[0][i, ro, c] = np.arctan2(im, re)
        out[1][ro, c] = 1.0
        out[2][ro, c] = 1
        return nb
    k = _window_sum(acc_r, acc_i, ring[0], ring[1], image, shp, r, c, hr, hc, base)
    if not _queue_sum(acc_r, acc_i, batch[0], nb, n):
        _write_no_data(out, ro, c, k, n)
        return nb
    pend[nb, 0] = ro
    pend[nb, 1] = c
    pend[nb, 2] = k
    nb += 1
    if nb == LANES:
        _flush(batch, pend, nb, method, beta, out, n)
        nb = 0
    return nb


@njit_slp(error_model="numpy")
def _link_chunk(image, shp, hr, hc, method, beta, row0, ra, rb, out, tile_cols):
    """Output rows ``ra .. rb`` (image rows) of one chunk, tile by tile of ``tile_cols`` columns.

    The chunk keeps the ``s s^H`` of every usable pixel of its windows in a ring (:mod:`.covariance`), row ``rr``
    in slot ``rr % wr``, over a tile of columns (column ``cc`` in slot ``cc - (t0 - hc)``): each product is made
    once per chunk and tile (the chunk's first row makes all ``wr`` window rows, each next row only its new last
    one) and added for every target that accepts it as SHP. The sums read the same values in the same order
    whatever the chunks and tiles."""
    cols, n = image[0].shape[1], image[0].shape[2]
    mpk = (n * (n + 1) // 2 + 31) // 32 * 32  # packed triangle padded to whole vector steps
    ring = (np.zeros((2 * hr + 1, tile_cols + 2 * hc, mpk)), np.zeros((2 * hr + 1, tile_cols + 2 * hc, mpk)))
    sv = np.zeros((2, n))
    work = (np.zeros(mpk), np.zeros(mpk))
    # the chunk's pixels are linked eight at a time: their window sums in the batch, their places and SHP counts in
    # pend
    batch = _batch_work(n)
    pend = np.zeros((LANES, 3), np.int64)
    nb = 0
    for t0 in range(0, cols, tile_cols):
        base = t0 - hc
        for r in range(ra, rb):
            dr0 = -hr if r == ra else hr
            filled = max(0, base) - 1
            for c in range(t0, min(cols, t0 + tile_cols)):
                while filled < min(cols - 1, c + hc):
                    filled += 1
                    _fill_ring(ring, image, r, dr0, hr, filled, base, sv[0], sv[1])
                nb = _link_target(image, shp, r, c, r - row0, hr, hc, base, method, beta, ring, work, batch, pend,
                                  nb, out)
    if nb > 0:  # the chunk's last pixels, fewer than eight
        _flush(batch, pend, nb, method, beta, out, n)


@njit_slp(parallel=True, error_model="numpy")
def _phase_link_kernel(slc_t, usable, ps, sorted_amp, mean_int, log_mean, shp_method, threshold, hr, hc,
                       method, beta, row0, row1, out_phase, out_tcoh, out_count, ps_neighbours, chunks, tile_cols):
    """Phase-link the rows ``row0 .. row1`` of the image (see the module docstring for the arrays), ``chunks``
    runs of consecutive rows in parallel; ``hr``, ``hc``: half window; ``shp_method``, ``method``: the codes of
    :data:`.shp.SHP_METHODS` and :data:`.block.METHODS`."""
    image = (slc_t, usable, ps, sorted_amp, mean_int, log_mean)
    shp = (shp_method, threshold, ps_neighbours)
    out = (out_phase, out_tcoh, out_count)
    nrows = row1 - row0
    for ch in prange(chunks):
        _link_chunk(image, shp, hr, hc, method, beta, row0, row0 + nrows * ch // chunks,
                    row0 + nrows * (ch + 1) // chunks, out, tile_cols)


# Memory of one chunk's ring of s s^H products (two float64 planes of wr x (tile + wc - 1) packed triangles): the
# tile is as wide as fits in it, at least 16 columns. The ring is read back one row later, a tile's width of
# products after it was made: a ring that stays in the cache beats fewer products (30 x 200 x 200, 11 x 11, one
# thread: 1.56-1.57 CPU-s with tiles of 16-32 columns, 1.61 with 64, 1.69 with the whole 200-column row)
_RING_BYTES = 3 * 2**20


def _chunks_and_tile(n_rows, n_cols, n_dates, wr, wc):
    """Row chunks of the kernel (one per numba thread: each makes its window rows' products once) and columns per
    tile of the products' ring. Neither changes an output bit."""
    threads = thread_count()
    mpk = (n_dates * (n_dates + 1) // 2 + 31) // 32 * 32
    tile = max(16, _RING_BYTES // (16 * wr * mpk) - (wc - 1))
    return max(1, min(threads, n_rows)), int(min(n_cols, tile))
