"""Breakpoint detection in displacement time series: a step or a change of trend.

For every candidate date ``t_k`` (leaving at least ``min_segment`` dates on each side) two
alternatives to the linear model ``d = a + v t`` are fitted to every series at once:

* step:          ``d = a + v t + s H(t - t_k)``  (offset ``s`` in mm between ``t_{k-1}`` and ``t_k``)
* trend change:  ``d = a + v t + dv max(t - t_k, 0)``  (continuous; ``dv`` in mm/yr)

The best candidate (lowest BIC over dates and both kinds) is kept when it beats the
linear model by more than ``min_delta_bic`` (10 = "very strong" evidence, Kass & Raftery
1995). The break date counts as a parameter, so ``k = 4 + 1`` for the alternatives.

References
----------
Kass R. E., Raftery A. E. (1995), Bayes factors, JASA 90(430), 773-795,
doi:10.1080/01621459.1995.10476572.
Bai J., Perron P. (2003), Computation and analysis of multiple structural change models,
J. Appl. Econometrics 18(1), 1-22, doi:10.1002/jae.659.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import GeohazardError
from ..models.timeseriesmodels import TimeBase, batched_lsq, information_criterion, series_matrix
from ..progress import check_canceled

#: Codes of :attr:`Breakpoints.kind`.
NO_BREAK, STEP, TREND_CHANGE = 0, 1, 2
KIND_NAMES = {NO_BREAK: "none", STEP: "step", TREND_CHANGE: "trend"}


@dataclass
class Breakpoints:
    """Most likely single break per series.

    Attributes (all shape ``(m,)``)
    ----------
    kind : int
        0 none, 1 step, 2 trend change.
    index : int
        Index of the first date after the break (-1 when none).
    step_mm : float
        Offset at the break (step kind), NaN otherwise.
    velocity_before_mm_yr, velocity_after_mm_yr : float
        Trend before / after the break (equal for a step).
    delta_bic : float
        BIC(linear) - BIC(break); larger is stronger evidence.
    """

    kind: np.ndarray
    index: np.ndarray
    step_mm: np.ndarray
    velocity_before_mm_yr: np.ndarray
    velocity_after_mm_yr: np.ndarray
    delta_bic: np.ndarray

    def dates(self, dates: Sequence) -> list:
        return [dates[i] if i >= 0 else None for i in self.index]


def detect_breakpoints(displacement_mm, dates, *, min_segment: int = 5, min_delta_bic: float = 10.0,
                       kinds: Sequence[str] = ("step", "trend"), progress=None) -> Breakpoints:
    """Detect the most likely step or trend change in each series.

    Parameters
    ----------
    displacement_mm : array_like, shape (n_dates, m)
        Displacements in mm, NaN for gaps.
    dates : sequence of date
        Strictly increasing.
    min_segment : int
        Minimum number of dates before and after a break.
    min_delta_bic : float
        Evidence needed to declare a break.
    kinds : sequence of {"step", "trend"}

    Returns
    -------
    Breakpoints

    Raises
    ------
    GeohazardError
        When there are fewer than ``2 * min_segment`` dates or an unknown kind.
    """
    tb = TimeBase(list(dates))
    n_dates = len(tb.dates)
    d = series_matrix(displacement_mm, n_dates, "displacement_mm")
    if min_segment < 2:
        raise GeohazardError(f"min_segment must be >= 2, got {min_segment}")
    if n_dates < 2 * min_segment:
        raise GeohazardError(
            f"breakpoint detection needs at least {2 * min_segment} dates (min_segment={min_segment}), got {n_dates}")
    for k in kinds:
        if k not in ("step", "trend"):
            raise GeohazardError(f"unknown breakpoint kind {k!r}; use 'step' or 'trend'")
    mask = np.isfinite(d)
    m = d.shape[1]
    t = tb.t_yr
    g_lin = np.column_stack([np.ones(n_dates), t])
    _, _, rss0, n0 = batched_lsq(g_lin, d, mask)
    bic0 = np.nan_to_num(information_criterion(rss0, n0, 2, "bic"), nan=np.inf)
    best_bic = np.full(m, np.inf)
    kind = np.zeros(m, np.int64)
    index = np.full(m, -1, np.int64)
    params = np.full((m, 3), np.nan)
    candidates = range(min_segment, n_dates - min_segment + 1)
    total = max(len(candidates), 1)
    for i, k in enumerate(candidates):
        if i % 8 == 0:
            check_canceled(progress)
            if progress is not None:
                progress.set_progress(100.0 * i / total)
        for name in kinds:
            if name == "step":
                extra = (np.arange(n_dates) >= k).astype(np.float64)
                code = STEP
            else:
                extra = np.maximum(t - t[k - 1], 0.0)
                code = TREND_CHANGE
            g = np.column_stack([g_lin, extra])
            prm, _, rss, n = batched_lsq(g, d, mask)
            # each side of the break must hold min_segment valid dates
            before = mask[:k].sum(axis=0)
            after = mask[k:].sum(axis=0)
            bic = information_criterion(rss, n, 4, "bic")
            bic = np.where((before >= min_segment) & (after >= min_segment), np.nan_to_num(bic, nan=np.inf), np.inf)
            better = bic < best_bic
            best_bic[better] = bic[better]
            kind[better] = code
            index[better] = k
            params[better] = prm[better]
    with np.errstate(invalid="ignore"):  # no break fitted and no straight line either: inf - inf, not declared
        delta = bic0 - best_bic
    declared = np.isfinite(delta) & (delta > min_delta_bic)
    kind = np.where(declared, kind, NO_BREAK)
    index = np.where(declared, index, -1)
    step = np.where(declared & (kind == STEP), params[:, 2], np.nan)
    v_before = np.where(declared, params[:, 1], np.nan)
    v_after = np.where(declared, params[:, 1] + np.where(kind == TREND_CHANGE, params[:, 2], 0.0), np.nan)
    if progress is not None:
        progress.set_progress(100.0)
    return Breakpoints(kind, index, step, v_before, v_after, np.where(np.isfinite(delta), delta, np.nan))
