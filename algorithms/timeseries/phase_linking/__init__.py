"""Distributed-scatterer phase linking: SHP windows, sample coherence, EVD / EMI, temporal coherence.

For every pixel, the statistically homogeneous neighbours in a window (:mod:`.shp`)
give the sample covariance ``C = 1/K sum_k s_k s_k^H`` of the ``N``-date SLC vectors and
the sample coherence ``G_mn = C_mn / sqrt(C_mm C_nn)``. Phase linking finds the ``N``
phases ``theta`` that best explain all ``N (N - 1) / 2`` interferometric phases of ``G``:

* ``evd`` — principal eigenvector of ``G`` (Cao et al. 2015; Fornaro et al. 2015);
* ``emi`` — eigenvector of the smallest eigenvalue of ``|G|^-1 o G`` (eigendecomposition-
  based maximum-likelihood estimator of interferometric phase, Ansari et al. 2018),
  ``|G|`` regularised as ``(1 - beta) |G| + beta I``; found by shift-inverse iteration
  with shift 0.99 (that eigenvalue is close to 1), falling back to no shift when the
  shifted matrix is not positive definite, and to ``cevd`` when ``|G|`` itself is not
  positive definite (EMI is then undefined; few looks);
* ``cevd`` — coherence-weighted EVD: principal eigenvector of ``|G| o G``, which gives
  high-coherence pairs more say than EVD (a first-order approximation of the
  maximum-likelihood weighting; dolphin's ``use_evd`` estimator).

Eigenvectors come from power iteration (EVD, CEVD) and inverse iteration on a Cholesky
factor (EMI), started from ``G``'s first column, iterated until ``1 - |<v_k, v_k+1>| < 1e-10``
(about 1e-5 rad).
The output phase is single-reference: ``theta_m - theta_0``.

Temporal coherence (Ferretti et al. 2011, eq. 24)::

    gamma = 1 / (N (N - 1)) * | sum_{m != n} exp(j (phi_mn - (theta_m - theta_n))) |

with ``phi_mn = arg G_mn``; 1 = the linked phases explain every interferogram. Permanent
scatterers keep their own phase ``arg(s_m s_0*)`` (temporal coherence 1, SHP count 1).
By default they still enter their neighbours' windows when the SHP test accepts them (as in
dolphin, whose ``mask_input_ps`` is off by default): a PS shares its neighbours' deformation
and atmosphere with a high signal-to-clutter ratio, so dropping it loses looks (with
rectangular windows dropping PS gave 17 % more phase error on the benchmark stack of
benchmarks/psds, 0.252 vs 0.216 rad, where dolphin has 0.216);
``ps_neighbours=False`` keeps them out of every window.

Large images are processed in row blocks with ``window_rows // 2`` rows of overlap on
each side (:func:`phase_link_stack`), so the result is the same as the whole-image one.

The package: :mod:`.block` (what the engine and the tools call), :mod:`.kernel` (the parallel kernel: row chunks,
windows, batches), :mod:`.covariance` (window sums of ``s s^H``, the sample coherence), :mod:`.shp` (the
homogeneous-neighbour tests), :mod:`.pixel` (EVD, CEVD and the reference EMI of one pixel) with its row operations
:mod:`.rows`, and :mod:`.batch` (EMI of eight pixels at once, one per vector lane). ``rows`` and ``batch`` are
generated from the templates ``rows.py.in`` and ``batch.py.in`` by ``scripts/generate``: each statement is written
once there and expanded per lane.

References
----------
Ferretti A. et al. (2011), SqueeSAR, IEEE TGRS 49(9), doi:10.1109/TGRS.2011.2124465.
Ansari H., De Zan F., Bamler R. (2018), Efficient phase estimation for interferogram
stacks, IEEE TGRS 56(7), doi:10.1109/TGRS.2018.2826045.
Fornaro G. et al. (2015), CAESAR, IEEE TGRS 53(4), doi:10.1109/TGRS.2014.2352853.
"""

from .batch import LANES, emi_batch, temporal_coherence_b
from .block import (
    METHODS,
    PhaseLinkResult,
    _check_options,
    interferogram_pairs,
    phase_link,
    phase_link_block,
    phase_link_plan,
    phase_link_stack,
)
from .covariance import (
    _add_packed,
    _load_coherence,
    _log_mean,
    _outer_packed,
    _outer_row,
    _scaled_row,
    _unpack_hermitian,
)
from .kernel import (
    _RING_BYTES,
    EMI_MIN_LANES,
    _chunks_and_tile,
    _emi_batch_work,
    _fill_ring,
    _flush_emi,
    _link_chunk,
    _link_emi_batch,
    _link_target,
    _phase_link_kernel,
    _window_sum,
    _write_linked,
    _write_no_data,
)
from .pixel import (
    _cevd_vector_t,
    _chol_solve_t,
    _cholesky_t,
    _emi_factor_t,
    _emi_matrix_t,
    _emi_rayleigh_t,
    _emi_vector_t,
    _inverse_iteration_t,
    _inverse_steps_t,
    _link_pixel_t,
    _lower_rows,
    _normalise_t,
    _padded,
    _power_iteration_t,
    _real_spd_inverse_t,
    _start_vector,
    _step_converged,
    _temporal_coherence,
)
from .rows import _row_abs8, _row_times_abs, _u
from .shp import SHP_METHODS, is_shp, shp_inputs, shp_threshold

__all__ = [
    "EMI_MIN_LANES", "LANES", "METHODS", "PhaseLinkResult", "emi_batch", "interferogram_pairs", "phase_link",
    "phase_link_block", "phase_link_plan", "phase_link_stack", "temporal_coherence_b",
    # the kernels' parts, by the path they had when this package was one module (tests and benchmarks use them;
    # the tool's first-run compilation counts the kernels of this namespace)
    "SHP_METHODS", "_RING_BYTES", "_add_packed", "_cevd_vector_t", "_check_options", "_chol_solve_t", "_cholesky_t",
    "_chunks_and_tile", "_emi_batch_work", "_emi_factor_t", "_emi_matrix_t", "_emi_rayleigh_t", "_emi_vector_t",
    "_inverse_iteration_t", "_inverse_steps_t", "_link_emi_batch", "_link_pixel_t", "_load_coherence", "_log_mean",
    "_lower_rows", "_normalise_t", "_outer_packed", "_outer_row", "_padded", "_phase_link_kernel",
    "_power_iteration_t", "_real_spd_inverse_t", "_row_abs8", "_row_times_abs", "_scaled_row", "_start_vector",
    "_step_converged", "_temporal_coherence", "_u", "_unpack_hermitian", "_write_linked", "is_shp", "shp_inputs",
    "shp_threshold", "_fill_ring", "_flush_emi", "_link_chunk", "_link_target", "_window_sum",
    "_write_no_data",
]
