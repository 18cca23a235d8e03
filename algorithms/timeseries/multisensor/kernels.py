"""Numerical kernels of the multi-sensor east/up time-series solver (numba, batches of pixels).

The model and its notation are in :mod:`algorithms.timeseries.multisensor`. Per pixel the
unknowns are ordered ``[H_0, U_0, H_1, U_1, ..., H_{K-1}, U_{K-1} | border]`` on the K knots
(``H`` east, or the horizontal component along the slope's aspect); the border holds the
deterministic terms of each component (annual sine and cosine, acceleration), the north velocity
(when estimated), one offset per stack and the network drift modes of the interferogram stacks.
An output date between knots ``k`` and ``k + 1`` is ``(1 - w) X_k + w X_{k+1}`` plus its
deterministic terms. The normal matrix is an *arrow* matrix: a banded core (half-bandwidth
:data:`P` = 4, two components times two neighbouring knots of the second-difference prior) and
dense border rows. It is factored as ``[[Lc, 0], [W, Ls]]`` with ``Lc`` the banded Cholesky factor
of the core, ``W = R Lc^-T`` and ``Ls`` the Cholesky factor of the border's Schur complement.

Marginal variances use the banded selected inverse of the core (Takahashi, Fagan & Chen
1973; the recursion of Rue & Martino 2007, doi:10.1016/j.jspi.2006.07.016, for band
matrices) and the identity, for ``Z = Qcc^-1 R^T`` and ``S`` the Schur complement,

    var(e_i^T x + phi_i^T s) = (Qcc^-1)_ii + (z_i - phi_i)^T S^-1 (z_i - phi_i).

Every kernel works on a batch of pixels held in the last (contiguous) axis: each step is a
loop over the batch, which LLVM vectorises, and a pixel's arithmetic is the same whatever
the batch it falls in (same bytes for any block layout). No fused multiply-add is asked for.

The kernels live in :mod:`.noise` (statistics, weights), :mod:`.arrow` (the banded arrow factor) and :mod:`.batch`
(the batch solver), their lane helpers in :mod:`.lanes` (generated); this module names them all.
"""

from __future__ import annotations

from .arrow import (  # noqa: F401
    _backward,
    _factor,
    _forward,
    _functional,
    _norm2,
    _takahashi,
    _v_value,
    _value,
)
from .batch import (  # noqa: F401
    _border_terms,
    _factor_of,
    _flush_stack,
    _term_values,
    solve_batch,
    solve_pixels,
)
from .lanes import (  # noqa: F401
    _m_div,
    _m_sub_mul,
    _m_sub_mul4,
    _m_sub_mul4_row,
    _v_add_lin4,
    _v_add_mul,
    _v_add_mul3,
    _v_add_mul_ss,
    _v_add_smul,
    _v_and_finite,
    _v_closure,
    _v_copy,
    _v_count_valid,
    _v_date_var3,
    _v_diag_inv,
    _v_div,
    _v_fill,
    _v_lag1,
    _v_lin2,
    _v_mul,
    _v_mul_s,
    _v_neg_div,
    _v_order,
    _v_residual,
    _v_residual_of,
    _v_sdiv,
    _v_smul,
    _v_sq_sum,
    _v_sqrt_pos,
    _v_sub_dot4,
    _v_sub_mul,
    _v_sub_smul,
    _v_weights,
)
from .model import (  # noqa: F401
    BATCH,
    PIVOT_RTOL,
    ROW_TILE,
    STATUS_GEOMETRY,
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_SINGULAR,
    P,
)
from .noise import (  # noqa: F401
    _series_statistics_pixel,
    _v_median_rows,
    _v_sigma_row,
    network_residual_sigma,
    observation_weights,
    refine_weights,
    residual_pair_correlation,
    series_statistics,
)

__all__ = [
    "P",
    "BATCH",
    "ROW_TILE",
    "PIVOT_RTOL",
    "STATUS_OK",
    "STATUS_NO_DATA",
    "STATUS_GEOMETRY",
    "STATUS_SINGULAR",
    "_series_statistics_pixel",
    "_v_and_finite",
    "_v_residual_of",
    "_v_lag1",
    "_v_order",
    "_v_median_rows",
    "series_statistics",
    "_v_closure",
    "network_residual_sigma",
    "_v_count_valid",
    "_v_weights",
    "_v_sigma_row",
    "observation_weights",
    "refine_weights",
    "_v_sub_mul",
    "_v_div",
    "_v_sub_dot4",
    "_m_sub_mul",
    "_m_sub_mul4_row",
    "_m_sub_mul4",
    "_m_div",
    "_v_sq_sum",
    "_v_add_mul",
    "_v_mul",
    "_v_smul",
    "_v_mul_s",
    "_v_add_smul",
    "_v_sub_smul",
    "_v_add_mul_ss",
    "_v_fill",
    "_v_copy",
    "_v_sdiv",
    "_v_neg_div",
    "_v_diag_inv",
    "_v_lin2",
    "_v_add_lin4",
    "_v_sqrt_pos",
    "_v_date_var3",
    "_v_residual",
    "_factor",
    "_forward",
    "_backward",
    "_norm2",
    "_takahashi",
    "_functional",
    "_value",
    "_v_value",
    "_border_terms",
    "_term_values",
    "_factor_of",
    "_v_add_mul3",
    "_flush_stack",
    "solve_batch",
    "solve_pixels",
    "residual_pair_correlation",
]
