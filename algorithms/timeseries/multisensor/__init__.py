"""East and up displacement histories from several InSAR stacks, solved jointly.

Stacks from different missions and geometries (ERS/Envisat, ALOS, TerraSAR-X/COSMO-SkyMed,
Sentinel-1 ascending and descending...) each see the ground motion ``(E, N, U)`` along their
own line of sight, on their own dates, relative to their own reference point and date. This
module solves, pixel by pixel and from the observations of every stack at once, for the east
and up displacement on the union of all dates, with a 1-sigma for every date.

Model (per pixel)
-----------------
Observation ``j`` of stack ``s`` (LOS mm, positive toward the satellite, date ``t_j``)::

    y_sj = g_s . [X(t_j) + D(t_j)] + n_s N(t_j) + c_s + m_s . V_s[j] + eps_sj,   eps_sj ~ N(0, sigma_sj^2)

* ``X = (H, U)``: east (or horizontal along the slope's aspect, see North) and up. ``X`` is
  piecewise linear between *knots* (the dates thinned to ``min_interval_days``, 12 by default),
  ``X = 0`` on the reference date (the datum); every date enters by interpolation and gets an output.
* ``D(t)``: deterministic terms per component, 0 on the reference date: an annual sine and cosine
  (weak prior ``N(0, 30 mm)``) and a constant acceleration (weak prior ``N(0, 50 mm/yr^2)``).
* ``c_s``: the stack's unknown offset (flat prior). A per-date series is known up to a constant (its
  reference date's own noise, or a stack starting after the datum): stacks need no shared reference
  date. With white ``eps`` this is exactly a series whose every value carries its acquisition's noise.
* ``m_s . V_s``: interferogram stacks only, the drift of the network inversion (below).
* ``g_s = (e_s, u_s)`` (or ``(e_s sin a + n_s cos a, u_s)`` along aspect ``a``): the stack's
  ground-to-satellite unit vector, constant or per pixel.

Prior on the motion (the regularisation, MSBAS's unknowns): the interval velocities
``v_k = (X_{k+1} - X_k) / h_k`` between consecutive knots form a Gaussian random walk over the
interval midpoints ``m_k``, ``v_k - v_{k-1} ~ N(0, q (m_k - m_{k-1}))`` per component: a discrete
integrated random walk (cubic smoothing spline, Wahba 1978) with density ``q`` (mm^2/yr^3). Its
weight on the second differences is MSBAS's first-order Tikhonov regularisation of the velocities,
chosen from the data instead of by hand; read as a prior it gives every date an honest posterior
standard deviation from ``Q^-1``.

Noise and density, per pixel and stack, from the stack's own series
(:func:`.kernels.series_statistics`): after a least-squares fit of the deterministic
terms, the residual of each value from the line through its neighbours gives ``sigma_s`` (white
noise); the power of the series in the next three Legendre polynomials over its span (the slowest
shapes the deterministic terms leave) gives the LOS density ``q_s``, its expected noise and drift
power subtracted, kept signed. ``q_s = g_sH^2 q_H + g_sU^2 q_U`` gives ``q_H``, ``q_U`` by non-negative
least squares, each stack weighed by the precision of its estimate under noise alone, where the stacks'
``e^2 : u^2`` differ, else both components share it alike: the signed estimates are combined first and
clipped at zero once (clipping each stack's estimate first biased the density up). Each period between
gaps gets its own density from the stacks with dates in it, never below the whole series' (a period of a few
years cannot see a wander slower than its span). One pixel's estimate is mostly noise where the velocity does not
wander, so each is shrunk toward the scene's prior (empirical Bayes, :meth:`MultisensorProblem.calibrate`): the
mean density ``m`` and its spread over the ground ``tau^2`` of every period, from the signed estimates of a fixed
pixel sample read before the blocks, and the pixel's posterior mean ``m + tau^2 / (tau^2 + v) (q - m)`` for an
estimate ``q`` of variance ``v`` under noise alone. Without calibration (``scene_densities=False``) each pixel's own
estimate is floored at ``min_process_noise`` (1 mm^2/yr^3). Where a stack's residual RMS exceeds its sigma by more than
three standard errors (time-correlated noise, e.g. filtered EGMS series), the pixel is solved again
with that stack's noise raised to the residual RMS.

Interferogram stacks
--------------------
Interferograms are reduced, pixel by pixel, to the stack's per-date series by its own network
least squares (:class:`~algorithms.timeseries.sbas.SbasSolver`): the series is the sufficient
statistic of the interferograms for the per-date LOS. The network's own noise reaches that series
as ``sigma_ifg^2 L^+`` (``L`` the network Laplacian, ``sigma_ifg`` from the closure residuals): a drift
along chains of short pairs that white noise cannot represent. Its ``network_modes`` smoothest
eigenvectors ``V_s`` enter as unknowns with their prior variances, the variance they leave is
added to each date's noise. Pixels whose own network is split are left out for that stack (counted);
a stack whose network is split everywhere is refused.

Gaps between missions
---------------------
Consecutive dates more than ``gap_days`` apart form a gap. It is filled with flagged dates every
``bridge_step_days`` (no observation; they let the discrete random walk reach its continuous
limit, so the bridge's variance is right), and the density across it comes from the data: a first
pass leaves the gap almost untied (``q = 10^4``) and measures the change ``dv`` of the one-year mean
velocity across the gap (deterministic terms included: an acceleration fitted over every segment need not
be how the velocity changed inside the gap); ``(dv^2 - 2 var dv) / T`` for windows ``T`` years apart, shrunk toward
the scene's prior of the gap like the periods' densities, gives ``q_gap`` (without calibration: floored at
``min_gap_process_noise``, 0.25); where a one-geometry year borders the gap, the change
cannot be split between east and up: each component gets both shares, and the scene's prior (estimated where
the split is observed) cannot lower it below the pixel's own change floored at ``min_gap_process_noise``; the
final pass uses it.
Every date after the gap carries the bridge's uncertainty; the gap displacement and its sigma are output
per gap. A gap longer than ``max_bridge_years`` is refused, naming the stacks on both sides; periods seen
by one geometry and stacks overlapping no other in time are reported.

North
-----
``NorthModel("zero")``: ``N = 0``; the velocity response to 1 mm/yr of north motion left out of the
model is output (``leak_per_north``). ``NorthModel("given", velocity_mm_yr=..., sigma_mm_yr=...)``:
``N(t) = v_N (t - t_r)`` from a model (GNSS, as EGMS L3); with a sigma ``v_N`` is an unknown with that
prior, and its uncertainty reaches east and up. ``NorthModel("slope", slope_deg=..., aspect_deg=...)``:
the horizontal motion follows the downhill azimuth (``E = H sin a``, ``N = H cos a``) where the slope
is at least ``min_slope_deg``, else ``N = 0``. The mode is in the outputs (``north_mode``, ``north``).

References
----------
Samsonov S., d'Oreye N. (2012) Multidimensional time-series analysis of ground deformation
from multiple InSAR data sets applied to Virunga Volcanic Province, GJI 191,
doi:10.1111/j.1365-246X.2012.05564.x. Samsonov S., d'Oreye N. (2017) Multidimensional Small
Baseline Subset (MSBAS) for two-dimensional deformation analysis: case study Mexico City,
Can. J. Remote Sens. 43, doi:10.1080/07038992.2017.1344926. Wahba G. (1978) Improper priors,
spline smoothing and the problem of guarding against model errors in regression, J. R. Stat.
Soc. B 40, doi:10.1111/j.2517-6161.1978.tb01039.x. Rue H., Martino S. (2007) Approximate
Bayesian inference for hierarchical Gaussian Markov random field models, J. Stat. Plan.
Inference 137, doi:10.1016/j.jspi.2006.07.016 (band selected inverse).


The package (model and plan, density calibration, solve, banded arrow factor, outputs): :mod:`.model` (a stack, the
north model, gaps, units), :mod:`.plan` and :mod:`.dates` (stacks checked, the model dates, knots and gaps),
:mod:`.density` (the velocity random walk's density per pixel, the scene's prior), :mod:`.solve` (a block's joint
solve), :mod:`.outputs` (inputs read per stack, outputs assembled), :mod:`.problem` (:class:`MultisensorProblem`,
:func:`solve_multisensor`); the numba kernels :mod:`.kernels` (:mod:`.noise`, :mod:`.arrow`, :mod:`.batch`, and
:mod:`.lanes` written by ``scripts/generate`` from one template). Every name of the former module is re-exported here.
"""

from __future__ import annotations

from . import lanes_numpy  # noqa: F401 - the lane helpers' numpy forms, stand-ins on the numpy path
from .density import (  # noqa: F401 - the former module's names, private ones included
    _DENSITY_GRID,
    _GRID_EM_STEPS,
    _MAD_VAR_FACTOR,
    _MEDIAN_BIAS_N,
    _bilinear,
    _cross_designs,
    _density_noise_design,
    _density_noise_variance,
    _grid_loglik,
    _grid_posterior,
    _grid_prior,
    _local_prior,
    _mode_covariances,
    _noise_power_bias,
    _scene_prior,
    _series_statistics_design,
    _shrink,
    _split_inflation,
    _split_normal,
    _split_process_noise,
    _split_signed,
)
from .model import (  # noqa: F401 - the former module's names, private ones included
    _GAP_NOISE_SHARE,
    _Q_UNTIED,
    MIN_DATES,
    NORTH_CODES,
    NORTH_MODES,
    STATUS,
    UNITS,
    Gap,
    NorthModel,
    Stack,
    _is_source,
    _is_zero,
    _per_pixel,
    _PerPixel,
    _StackPlan,
    block_bytes_per_pixel,
    los_mm,
)
from .outputs import (  # noqa: F401 - the former module's names, private ones included
    grid_points_to_stack,
)
from .plan import (  # noqa: F401 - the former module's names, private ones included
    _network_modes,
)
from .problem import (  # noqa: F401 - the former module's names, private ones included
    MultisensorProblem,
    MultisensorResult,
    _replace,
    check_spatial_overlap,
    solve_multisensor,
)
from .solve import (  # noqa: F401 - the former module's names, private ones included
    _empty_outputs,
    _geometry_condition,
)

__all__ = [
    "Stack",
    "NorthModel",
    "Gap",
    "MultisensorProblem",
    "MultisensorResult",
    "solve_multisensor",
    "check_spatial_overlap",
    "grid_points_to_stack",
    "NORTH_MODES",
    "NORTH_CODES",
    "STATUS",
]
