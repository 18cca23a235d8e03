"""Reference point selection by coherence: MintPy's choice, optionally weighted by stability.

The tools that pick a reference themselves use one rule, the largest consistent ground
(:mod:`..timeseries.ground_reference`, through ``processing_provider/inputs/reference.py``); this module gives
``referencepoint``'s coherence-only alternative (its STABILITY off) and the stacking-rate sums other corrections
read (:func:`reference_sums_block`, :func:`stacking_rate`).

Every interferogram is relative to an unknown constant; the time series are referred to
one pixel, which must (1) have data in every interferogram, (2) be coherent in a
neighbourhood (its value is not noise) and (3) be **stable**, i.e. not sit on the
deformation one wants to measure. (1) and (2) are MintPy's ``reference_point`` default
(maximum average spatial coherence); (3) is added
from the data: the weighted stacking rate of each pixel, ``rate = sum(d dt) / sum(dt^2)``
over its valid interferograms (Sandwell & Price 1998, doi:10.1029/1998JB900010), is compared
with the median rate of the coherent pixels, and the score

``score = C_w * exp(-|rate - median| / (3 MAD))``

(``C_w``: coherence averaged over the ``window`` x ``window`` neighbourhood, 1 without coherence;
MAD: median absolute deviation of the coherent pixels' rates) is maximised over the
pixels whose whole window has data in every interferogram. A pixel in a subsidence bowl
thus loses to an equally coherent one outside it. Ties go to the pixel nearest the centre.

The sums are accumulated block by block (:func:`reference_sums_block`); the choice
(:func:`select_reference`) needs the per-pixel maps (one value per pixel, like the SBAS scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import GeohazardError


@dataclass
class ReferenceChoice:
    row: int
    col: int
    coherence: float  # window-mean coherence (1 when no coherence was given)
    rate: float  # stacking rate (input unit per year)
    median_rate: float
    score: float
    candidates: list  # best candidates: dicts row, col, coherence, rate, score


def reference_sums_block(block, inputs: dict, *, span_years: np.ndarray, signs: Optional[np.ndarray] = None) -> dict:
    """Block function: per pixel, the number of valid interferograms, the summed coherence and the
    stacking-rate sums ``sum(d dt)``, ``sum(dt^2)``. ``inputs["stack"]`` ``(M, rows, cols)``,
    optional ``inputs["coherence"]``; ``span_years`` (M,) temporal baselines, ``signs`` orient the files.

    The sums run over the interferograms in order, one interferogram at a time, each term rounded as the
    elementwise expression ``dt * (d * sign)``, ``(dt * dt) * valid`` (a pixel's sums do not depend on the other
    pixels of the block, nor on the CPU); one interferogram's float64 terms at a time, never a float64 copy of the
    block: as fast as a compiled loop over the pixels (0.5-1.2x its CPU on 84 interferograms x 128-512 rows x
    1024 columns, ``benchmarks/compile/twin_paths.py``), so there is no kernel."""
    stack = inputs["stack"]
    m = np.shape(stack)[0]
    s = np.ones(m) if signs is None else np.asarray(signs, np.float64)
    dt = np.asarray(span_years, np.float64)
    coh = inputs.get("coherence")
    shape = np.shape(stack)[1:]
    count = np.zeros(shape, np.int32)
    sdt, dt2, csum = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for k in range(m):
        v = np.asarray(stack[k], np.float64)
        ok = np.isfinite(v)
        ta = dt[k] * (np.where(ok, v, 0.0) * s[k])
        tb = (dt[k] * dt[k]) * ok
        count += ok
        # the first term starts each sum (a sum of -0.0 terms stays -0.0)
        sdt, dt2 = (ta, tb) if k == 0 else (np.add(sdt, ta, out=sdt), np.add(dt2, tb, out=dt2))
        if coh is not None:
            c = np.asarray(coh[k], np.float64)
            tc = np.where(np.isfinite(c), c, 0.0)
            csum = tc if k == 0 else np.add(csum, tc, out=csum)
    out = {"count": count, "sdt": sdt, "dt2": dt2}
    if coh is not None:
        out["coh"] = csum / m
    return out


def select_reference(count: np.ndarray, n_ifgs: int, *, rate: np.ndarray, mean_coherence: Optional[np.ndarray] = None,
                     window: int = 5, n_candidates: int = 10, stability: bool = True,
                     allowed: Optional[np.ndarray] = None) -> ReferenceChoice:
    """The reference pixel (see the module notes).

    Parameters
    ----------
    count : ndarray (rows, cols)
        Interferograms with data at each pixel.
    n_ifgs : int
    rate : ndarray (rows, cols)
        Stacking rate (any unit per year).
    mean_coherence : ndarray (rows, cols), optional
        Temporal mean coherence.
    window : int
        Side of the neighbourhood (pixels, odd).
    stability : bool
        False: coherence only (MintPy's and the SBAS tool's choice).
    allowed : ndarray (rows, cols) bool, optional
        Where the reference may be (a stable area known to the user); the scene median rate is
        then the median inside it.

    Raises
    ------
    GeohazardError
        When no pixel has data in every interferogram.
    """
    from scipy.ndimage import uniform_filter

    full = np.asarray(count) >= n_ifgs
    if not full.any():
        raise GeohazardError("INTERFEROGRAMS: no pixel has data in every interferogram, so none can be the reference; "
                             "drop the interferograms with few valid pixels (modifynetwork) first")
    coh = np.ones(full.shape) if mean_coherence is None else np.nan_to_num(np.asarray(mean_coherence, float))
    cw = uniform_filter(np.where(full, coh, 0.0), size=window, mode="constant")
    whole = (uniform_filter(full.astype(float), size=window, mode="constant") > 0.999) & full
    cand = whole if whole.any() else full
    if allowed is not None:
        cand = cand & np.asarray(allowed, bool)
        if not cand.any():
            raise GeohazardError("STABLE_AREA / MASK: no pixel of the stable area has data in every interferogram")
    rate = np.asarray(rate, float)
    good = cand & np.isfinite(rate)
    if not good.any():
        good = cand
    thr = np.quantile(cw[good], 0.5)
    ref_set = good & (cw >= thr)
    med = float(np.nanmedian(rate[ref_set])) if np.isfinite(rate[ref_set]).any() else 0.0
    mad = float(np.nanmedian(np.abs(rate[ref_set] - med))) if np.isfinite(rate[ref_set]).any() else 0.0
    if stability and mad > 0:
        score = cw * np.exp(-np.abs(np.nan_to_num(rate, nan=np.inf) - med) / (3.0 * mad))
    else:
        score = cw.copy()
    score = np.where(cand, score, -np.inf)
    best = np.max(score)
    rows, cols = np.nonzero(score >= best - 1e-12)
    rc, cc = (full.shape[0] - 1) / 2.0, (full.shape[1] - 1) / 2.0
    k = int(np.argmin((rows - rc) ** 2 + (cols - cc) ** 2))
    r, c = int(rows[k]), int(cols[k])
    order = np.argsort(-score, axis=None, kind="stable")[:max(1, n_candidates)]
    cands = []
    for flat in order:
        i, j = np.unravel_index(flat, score.shape)
        if not np.isfinite(score[i, j]):
            break
        cands.append({"row": int(i), "col": int(j), "coherence": float(cw[i, j]), "rate": float(rate[i, j]),
                      "score": float(score[i, j])})
    return ReferenceChoice(r, c, float(cw[r, c]), float(rate[r, c]), med, float(score[r, c]), cands)


def stacking_rate(sdt: np.ndarray, dt2: np.ndarray) -> np.ndarray:
    """``sum(d dt) / sum(dt^2)`` (NaN where no interferogram)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dt2 > 0, sdt / dt2, np.nan)
