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
windows, batches), :mod:`.covariance` (window sums of ``s s^H``), :mod:`.shp` (the homogeneous-neighbour tests),
:mod:`.batch` (the linking of eight pixels at once, one per vector lane: the sample coherence, EMI, EVD, CEVD, the
temporal coherence), :mod:`.lane` (a batch's lane on its own, for its last iteration steps) and :mod:`.vectorised`
(the numpy path, with :mod:`.batch_numpy`). The linking's arithmetic is written once, in plain Python with loops over
the lanes, in ``batch``; ``lane`` and ``batch_numpy`` hold what :mod:`algorithms.lane_passes` makes of it at first
use (each function on one lane, or on arrays of pixels), as the compiled kernels do (each lane loop written out).

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
    interferogram_pairs,
    phase_link,
    phase_link_block,
    phase_link_cost,
    phase_link_plan,
    phase_link_stack,
    phase_link_work,
)
from .kernel import EMI_MIN_LANES
from .shp import SHP_METHODS, is_shp, shp_inputs, shp_threshold

# The public face only: a kernel's parts are imported from the module that defines them (``.kernel``,
# ``.covariance``, ``.batch``, ``.lane``, ``.shp``).
__all__ = [
    "EMI_MIN_LANES", "LANES", "METHODS", "SHP_METHODS", "PhaseLinkResult", "emi_batch", "interferogram_pairs",
    "is_shp", "phase_link", "phase_link_block", "phase_link_cost", "phase_link_plan", "phase_link_stack",
    "phase_link_work", "shp_inputs", "shp_threshold",
    "temporal_coherence_b",
]
