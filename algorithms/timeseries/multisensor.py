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
(:func:`multisensor_kernels.series_statistics`): after a least-squares fit of the deterministic
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
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR, phase_to_los_mm
from ..dense import pinv_tall, scaled_gram, sym_eig
from ..errors import GeohazardError, NetworkError
from ..formats.dates import parse_date
from ..geometry.los import los_unit_vector
from . import multisensor_kernels as _k
from .network import build_network, orient_pairs

NORTH_MODES = ("zero", "given", "slope")
UNITS = ("mm", "m", "rad")
#: Per-pixel codes of the ``north_mode`` output.
NORTH_CODES = {"zero": 0, "given": 1, "slope": 2, "slope too gentle (north = 0)": 3}
STATUS = {0: "solved", 1: "no data", 2: "one geometry (east and up not separable)", 3: "singular"}
#: Random-walk density of the first, almost untied, pass across gaps (mm^2/yr^3).
_Q_UNTIED = 1e4
#: Times the variance of the velocity change ``dv`` across a gap (both edges' velocities, the posterior variance of the
#: first pass) subtracted from ``dv^2`` as its noise power. The derivation says 1 and the white-noise scene agrees
#: where the periods' densities are near zero (realised / stated 1.01 / 1.15, ``gap_noise.py``); with the scene's
#: priors the realised power is 0.78 of it (the variance counts the periods' prior wander) and 1 lowered the gap
#: z-scores (in the 0.8-1.25 band: 7 -> 4 of 18 gap components): kept at 2, see docs/multisensor.md. Correcting the
#: periods' estimates (``design_weights``, ``exact_density_variance``, ``unbiased_noise_power``: right on independent
#: pixels) does not free it: one scene's prior of a density is one draw of the atmosphere (worth 3-6 pixels).
_GAP_NOISE_SHARE = 2.0


class _PerPixel:
    """Stands for a per-pixel array in a problem shipped to a worker (the block brings its rows)."""

    def __repr__(self):
        return "<per-pixel input>"


def _is_source(v) -> bool:
    return hasattr(v, "read") and hasattr(v, "shipped")


def _per_pixel(v) -> bool:
    return isinstance(v, _PerPixel) or _is_source(v) or (isinstance(v, np.ndarray) and v.ndim >= 2)


@dataclass
class Stack:
    """One stack: its dates, values, geometry, reference and noise (plain values, no files).

    Parameters
    ----------
    name : str
        Label used in messages and outputs (unique).
    dates : sequence of date or str, optional
        Acquisition dates of a per-date LOS series, one per band of ``values``
        (``YYYYMMDD``, ``YYYY-MM-DD``, ``DYYYYMMDD``, ``datetime.date``). Not needed with ``pairs``.
    values : ndarray (n_obs, rows, cols) or engine source, optional
        The data: LOS displacement per date (series) or per interferogram (``pairs``). Only
        the in-memory :func:`solve_multisensor` needs it here; a block driver passes it as
        the input named ``name``.
    pairs : sequence of (date, date), optional
        Interferogram (reference, secondary) dates, one per band; a later-first pair flips
        the band's sign.
    units : {"mm", "m", "rad"}
        LOS mm or m (positive toward the satellite), or unwrapped phase in radians (needs
        ``wavelength_m``; ``phase_sign`` -1 when the phase grows with range, MintPy/ISCE/GAMMA).
    wavelength_m : float, optional
        Radar wavelength (metres); from the stack's metadata.
    incidence_deg, heading_deg : float, ndarray (rows, cols) or source
        Geometry (incidence from the vertical; heading clockwise from north), or
    los_east, los_north, los_up : float, ndarray or source
        the ground-to-satellite unit vector (EGMS ``los_east/north/up``).
    look : {"right", "left"}
    reference_rc : (row, col), optional
        The stack's reference point (assumed stable); must lie inside the grid.
    reference_date : date, optional
        The stack's reference date (one of its dates). The stack's offset is solved for, so
        stacks need not share it.
    reference_values : ndarray (n_obs,), optional
        The stack's values at a common reference point, subtracted from every pixel.
    sigma_mm : float, ndarray (rows, cols) or (n_obs, rows, cols), optional
        Standard deviation of each per-date LOS value (mm). Default: estimated per pixel.
    coherence : ndarray (n_obs, rows, cols) or source, optional
        Interferogram coherence (variance weighting, coherence threshold of the network solve).
    network_options : dict
        Options of :class:`~algorithms.timeseries.sbas.SbasSolver` for interferograms
        (``weighting``, ``coherence_threshold``, ``min_count``, ``min_temporal_coherence``).
    """

    name: str
    dates: Optional[Sequence] = None
    values: Any = None
    pairs: Optional[Sequence] = None
    units: str = "mm"
    wavelength_m: Optional[float] = None
    phase_sign: int = -1
    incidence_deg: Any = None
    heading_deg: Any = None
    los_east: Any = None
    los_north: Any = None
    los_up: Any = None
    look: str = "right"
    reference_rc: Optional[tuple] = None
    reference_date: Any = None
    reference_values: Optional[np.ndarray] = None
    sigma_mm: Any = None
    coherence: Any = None
    network_options: dict = field(default_factory=dict)


@dataclass
class NorthModel:
    """How the north component is handled (see the module notes).

    Parameters
    ----------
    mode : {"zero", "given", "slope"}
    velocity_mm_yr : float, ndarray (rows, cols) or source
        ``given``: north velocity (e.g. a GNSS velocity model), mm/yr.
    sigma_mm_yr : float, ndarray or source
        ``given``: its standard deviation; 0 = taken as exact.
    slope_deg, aspect_deg : ndarray (rows, cols) or source
        ``slope``: terrain slope and downhill azimuth (clockwise from north) from a DEM.
    min_slope_deg : float
        ``slope``: gentler slopes keep ``N = 0``.
    """

    mode: str = "zero"
    velocity_mm_yr: Any = 0.0
    sigma_mm_yr: Any = 0.0
    slope_deg: Any = None
    aspect_deg: Any = None
    min_slope_deg: float = 5.0

    @property
    def label(self) -> str:
        if self.mode == "zero":
            return "north neglected (N = 0)"
        if self.mode == "given":
            return "north from a velocity model" + (" with its sigma" if not _is_zero(self.sigma_mm_yr) else "")
        return f"horizontal motion along the slope aspect (slopes >= {self.min_slope_deg:g} deg; else N = 0)"


def _is_zero(v) -> bool:
    return not _per_pixel(v) and float(v) == 0.0


@dataclass(frozen=True)
class Gap:
    """A period without any acquisition, bridged by the temporal model."""

    last_before: _dt.date
    first_after: _dt.date
    before: tuple  # stacks with data before
    after: tuple  # stacks with data after

    @property
    def days(self) -> int:
        return (self.first_after - self.last_before).days


@dataclass
class _StackPlan:
    spec: Stack
    dates: list  # per-date dates of the series (after the network solve for interferograms)
    order: Optional[np.ndarray]  # permutation of the input bands into date order
    sign: Optional[np.ndarray]  # interferograms: sign flip of later-first pairs
    network: Any
    solver: Any
    n_obs: int
    const_vec: Optional[tuple]  # constant (e, n, u), or None for per-pixel geometry
    stats: Any = None  # (t, basis, kl_cols, g_irw, h_noise, d_net) of the noise statistics
    modes: Optional[np.ndarray] = None  # interferograms: drift modes of the network (N, M)
    mode_var: Optional[np.ndarray] = None  # their variance per unit interferogram variance (M,)
    drift_rest: Optional[np.ndarray] = None  # (N,) drift variance per date the modes leave, per unit variance
    noise_design: Any = None  # (H, HD, D, c_sigma, d_lag1 / k): the density estimate's variance under noise alone
    noise_mats: Any = None  # (H, D): covariances of the slow modes' coefficients, unit white / network noise
    noise_power_bias: float = 1.0  # E[s^2] / sigma^2 of the median-based noise estimate (all dates valid)


class MultisensorProblem:
    """Validated stacks, the model dates, gaps and the block function of the joint solve.

    Parameters
    ----------
    stacks : sequence of Stack
    shape : (rows, cols)
        The common output grid (stacks already resampled onto it).
    north : NorthModel
    reference_date : date, optional
        Datum of the outputs (a model date); default the first date.
    gap_days : float
        Consecutive dates further apart form a gap (default 90, EGMS L3's longest interpolation).
    bridge_step_days : float
        Spacing of the flagged model dates inside a gap.
    max_bridge_years : float
        Longer gaps are refused.
    seasonal : bool, optional
        Annual term; default when the dates span at least 1.5 years.
    seasonal_prior_mm : float
        Prior standard deviation of the annual coefficients.
    min_process_noise : float
        Floor of the velocity random-walk density, mm^2/yr^3.
    min_sigma_mm : float
        Floor of the per-date noise.
    max_condition : float
        Pixels whose stacks' geometry has a worse condition number ``sqrt(l_max / l_min)`` of
        ``sum_s g_s g_s^T`` are not solved (one geometry).
    min_dates : int
        A stack enters a pixel's solution with at least this many valid dates there.
    network_modes : int
        Drift modes of each interferogram network carried as unknowns (0 = none).
    low_modes : int
        Low-frequency modes whose power gives the velocity random-walk density.
    min_interval_days : float
        Knots of the motion model are at least this far apart (the motion is linear between them);
        every date enters by linear interpolation and gets an output.
    acceleration : bool
        A constant acceleration per component in the deterministic part of the model (weak prior
        ``N(0, acceleration_prior_mm_yr2^2)``); the random walk then models departures from it.
    min_gap_process_noise : float
        Floor of the density across a gap, mm^2/yr^3 (the gap's own estimate comes from the velocity
        change measured across it).
    segment_densities : bool
        One velocity random-walk density per period between gaps (from the stacks with dates in it, never
        below the whole series'); False: the whole series' density everywhere.
    scene_densities : bool
        :meth:`calibrate` pools the densities of a fixed sample of pixels into the scene's prior of each
        density (its mean and spread over the ground) and every pixel's estimate is shrunk toward it by
        their precisions (empirical Bayes); ``min_process_noise`` and ``min_gap_process_noise`` then do
        not apply. False, or a problem never calibrated: each pixel's own estimate above those floors.
    prior_floor : float
        Numerical floor of the shrunk densities, mm^2/yr^3.
    exact_density_variance : bool
        The variance of a density estimate under noise alone from the full covariance of the slow modes'
        coefficients and the scatter of the subtracted white-noise power (True), instead of the modes' diagonal
        alone, which understates it 1.2-1.6 times (False, the default: measured, not adopted; see
        ``docs/multisensor.md``).
    local_prior_nodes : int
        0 (default): one prior per density for the whole scene. ``w`` > 0: a prior that varies over the scene,
        the random-effects moments over the ``(2 w + 1) x (2 w + 1)`` sampled pixels around each sampled pixel,
        bilinear between them (measured, not adopted).
    design_weights : bool
        Weigh the east/up split and the shrinkage by each stack's variance at the scene's median noise (from the
        fixed sample) instead of the pixel's own, which shares the pixel's noise estimate with its density
        estimate (measured, not adopted).
    grid_prior_gaps, grid_prior_periods : bool
        A nonparametric prior over the density (g-modelling): weights on a fixed grid of densities from 0 to
        3 10^4 mm^2/yr^3, estimated by EM (the NPMLE) from the fixed sample's likelihoods, and each pixel's
        density its posterior mean over that grid instead of the shrinkage toward a mean and spread. Gaps: the
        exact likelihood of the velocity change across the gap (normal, variance its noise power plus the
        density times the gap's span); periods: the normal likelihood of the signed estimate with its variance
        under noise alone. A gap bordered by one geometry keeps the moments' prior. (measured, not adopted.)
    unbiased_noise_power : bool
        The white-noise power a density estimate subtracts made mean-unbiased: the median-based estimate is
        median-unbiased for the noise's standard deviation, so its square is too large on average by
        ``Var(s) / sigma^2 + 2 b`` (``b`` the sample median's relative bias); the estimate then runs negative under
        noise alone (1.02-1.15 times the noise power subtracted on the white-noise scene). The reported noise and
        the observations' weights keep the robust estimate. (measured, not adopted: right on independent pixels,
        the gaps' honesty unchanged on the scenarios, see ``docs/multisensor.md``.)
    prior_mean_error : bool
        The scene prior's mean treated as one more noisy estimate: the pixels of one scene share each date's
        atmosphere, so their mean is worth only the sample's effective number of independent pixels,
        ``n^2 / sum_ij rho_ij^2`` from the correlation of the sampled pixels' noise (their series differenced over
        consecutive dates; the density estimates correlate as ``rho^2``); the mean's squared standard error at
        that number is subtracted from its square (the positive part, as a gap's velocity change gives back its
        noise power). False: the mean as estimated, clipped at zero. (measured, not adopted: still scenes' draws
        go, but so does a wandering scene's mean within its error, and coverage breaks; ``docs/multisensor.md``.)
    prior_effective_pixels : bool
        The prior's spread over the ground from the random-effects moments with the expected scatter under noise
        alone counted at the effective number of pixels (``n - n / n_eff`` instead of ``n - 1``). (measured, not
        adopted.)
    prior_mean_spread : bool
        The prior mean's own squared standard error (at the effective number of pixels) added to the prior's
        spread over the ground: each pixel is shrunk toward a mean known only that well, so its own estimate
        weighs more. (measured, not adopted.)
    refine_noise : bool
        Pixels where a stack's residual RMS exceeds its noise by more than three standard errors
        (``1 + 3 / sqrt(2 n)`` for ``n`` dates: noise correlated in time, e.g. filtered EGMS series) are
        solved again with that stack's noise raised to its residual RMS (``noise_sigma`` reports it).
    """

    def __init__(self, stacks: Sequence[Stack], *, shape: tuple, north: Optional[NorthModel] = None,
                 reference_date=None, gap_days: float = 90.0, bridge_step_days: float = 30.0,
                 max_bridge_years: float = 12.0, seasonal: Optional[bool] = None, seasonal_prior_mm: float = 30.0,
                 min_process_noise: float = 1.0, min_sigma_mm: float = 0.1,
                 max_condition: float = 10.0, min_dates: int = 8, network_modes: int = 2, low_modes: int = 3,
                 min_interval_days: float = 12.0, acceleration: bool = True, acceleration_prior_mm_yr2: float = 50.0,
                 refine_noise: bool = True, min_gap_process_noise: float = 0.25, segment_densities: bool = True,
                 scene_densities: bool = True, prior_floor: float = 0.01, periods_above_series: bool = True,
                 exact_density_variance: bool = False, local_prior_nodes: int = 0, design_weights: bool = False,
                 cross_products: bool = False, grid_prior_gaps: bool = False, grid_prior_periods: bool = False,
                 unbiased_noise_power: bool = False, prior_mean_error: bool = False,
                 prior_effective_pixels: bool = False, prior_mean_spread: bool = False):
        self.shape = (int(shape[0]), int(shape[1]))
        self.north = north if north is not None else NorthModel()
        if self.north.mode not in NORTH_MODES:
            raise GeohazardError(f"north mode must be one of {NORTH_MODES}, got {self.north.mode!r}")
        for nm, val in (("gap_days", gap_days), ("bridge_step_days", bridge_step_days),
                        ("max_bridge_years", max_bridge_years), ("seasonal_prior_mm", seasonal_prior_mm),
                        ("min_process_noise", min_process_noise),
                        ("min_sigma_mm", min_sigma_mm), ("max_condition", max_condition)):
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val > 0):
                raise GeohazardError(f"{nm} must be a positive number, got {val!r}")
        if not stacks:
            raise GeohazardError("no stack was given")
        self.gap_days = float(gap_days)
        self.bridge_step_days = float(bridge_step_days)
        self.max_bridge_years = float(max_bridge_years)
        self.seasonal_prior_mm = float(seasonal_prior_mm)
        self.min_process_noise = float(min_process_noise)
        self.min_sigma_mm = float(min_sigma_mm)
        self.max_condition = float(max_condition)
        self.min_dates = int(min_dates)
        if not (min_interval_days >= 1):
            raise GeohazardError(f"min_interval_days must be >= 1, got {min_interval_days!r}")
        self.min_interval_days = float(min_interval_days)
        if not acceleration_prior_mm_yr2 > 0:
            raise GeohazardError(f"acceleration_prior_mm_yr2 must be > 0, got {acceleration_prior_mm_yr2!r}")
        self.acceleration = bool(acceleration)
        self.refine_noise = bool(refine_noise)
        if not min_gap_process_noise > 0:
            raise GeohazardError(f"min_gap_process_noise must be > 0, got {min_gap_process_noise!r}")
        self.min_gap_process_noise = float(min_gap_process_noise)
        self.segment_densities = bool(segment_densities)
        self.scene_densities = bool(scene_densities)
        self.periods_above_series = bool(periods_above_series)
        self.exact_density_variance = bool(exact_density_variance)
        if int(local_prior_nodes) != local_prior_nodes or local_prior_nodes < 0:
            raise GeohazardError(f"local_prior_nodes must be a whole number >= 0, got {local_prior_nodes!r}")
        self.local_prior_nodes = int(local_prior_nodes)
        self.design_weights = bool(design_weights)
        self.cross_products = bool(cross_products)
        self.grid_prior_gaps = bool(grid_prior_gaps)
        self.grid_prior_periods = bool(grid_prior_periods)
        self.unbiased_noise_power = bool(unbiased_noise_power)
        self.prior_mean_error = bool(prior_mean_error)
        self.prior_effective_pixels = bool(prior_effective_pixels)
        self.prior_mean_spread = bool(prior_mean_spread)
        #: per stack, the variance of its density estimate under noise alone at the scene's median noise (set by
        #: :meth:`calibrate`): the weights of the east/up split and of the shrinkage, the same for every pixel
        self.density_var_ref: Optional[np.ndarray] = None
        if not (isinstance(prior_floor, (int, float)) and prior_floor > 0):
            raise GeohazardError(f"prior_floor must be a positive number, got {prior_floor!r}")
        self.prior_floor = float(prior_floor)
        #: the scene's density priors (set by :meth:`calibrate`); None: the fixed floors
        self.scene_prior: Optional[dict] = None
        self.acceleration_prior = float(acceleration_prior_mm_yr2)
        for nm_, val in (("network_modes", network_modes), ("low_modes", low_modes)):
            if int(val) != val or val < 0:
                raise GeohazardError(f"{nm_} must be a whole number >= 0, got {val!r}")
        self.network_modes = int(network_modes)
        self.low_modes = max(1, int(low_modes))
        self.warnings: list = []
        names = [s.name for s in stacks]
        for s in stacks:
            if not isinstance(s.name, str) or not s.name:
                raise GeohazardError(f"every stack needs a name, got {s.name!r}")
            if names.count(s.name) > 1:
                raise GeohazardError(f"two stacks are named {s.name!r}; names must be unique")
        self.plans = [self._plan_stack(s) for s in stacks]
        self._check_wavelengths()
        self._check_north()
        self._build_dates(reference_date, seasonal)
        self._pairs = _cross_designs(self.plans) if self.cross_products else []

    # ------------------------------------------------------------------ validation
    def _plan_stack(self, s: Stack) -> _StackPlan:
        where = f"stack {s.name!r}"
        if s.units not in UNITS:
            raise GeohazardError(f"{where}: units must be one of {UNITS}, got {s.units!r}")
        if s.wavelength_m is not None and not (isinstance(s.wavelength_m, (int, float)) and s.wavelength_m > 0):
            raise GeohazardError(f"{where}: wavelength_m must be a positive number of metres, got {s.wavelength_m!r}")
        if s.phase_sign not in (-1, 1):
            raise GeohazardError(f"{where}: phase_sign must be -1 or +1, got {s.phase_sign!r}")
        if s.look not in ("right", "left"):
            raise GeohazardError(f"{where}: look must be 'right' or 'left', got {s.look!r}")
        network = solver = sign = order = None
        if s.pairs is not None:
            pairs = []
            for p in s.pairs:
                try:
                    a, b = p
                except (TypeError, ValueError):
                    raise GeohazardError(f"{where}: interferogram pair {p!r} is not two dates") from None
                pairs.append((self._date(where, a), self._date(where, b)))
            pairs, sign = orient_pairs(pairs)
            try:
                network = build_network(pairs)
            except NetworkError as exc:
                raise GeohazardError(f"{where}: {exc}") from None
            comps = network.components()
            if len(comps) > 1:
                desc = "; ".join(f"{network.dates[c[0]]}..{network.dates[c[-1]]} ({len(c)} dates)" for c in comps)
                raise GeohazardError(f"{where}: its interferogram network is split into {len(comps)} subsets "
                                     f"({desc}); give each subset as its own stack (each gets its own offset)")
            dates = list(network.dates)
            n_obs = network.n_pairs
            from .sbas import SbasSolver

            opts = {"min_temporal_coherence": 0.0, **s.network_options}
            try:
                solver = SbasSolver(network, wavelength_m=float(s.wavelength_m or 0.05546576), **opts)
            except TypeError as exc:
                raise GeohazardError(f"{where}: network_options {sorted(s.network_options)} not understood "
                                     f"({exc})") from None
        else:
            if s.dates is None:
                raise GeohazardError(f"{where} has neither dates (a per-date series) nor pairs (interferograms)")
            dates = [self._date(where, d) for d in s.dates]
            if len(dates) < 2:
                raise GeohazardError(f"{where} has {len(dates)} date; a series needs at least two")
            seen = {}
            for i, d in enumerate(dates):
                if d in seen:
                    raise GeohazardError(f"{where}: date {d} appears twice (bands {seen[d] + 1} and {i + 1})")
                seen[d] = i
            order = np.argsort(np.array([d.toordinal() for d in dates]), kind="stable")
            if np.all(order == np.arange(len(dates))):
                order = None
            else:
                dates = [dates[i] for i in order]
            n_obs = len(dates)
        if s.reference_date is not None:
            rd = self._date(where, s.reference_date)
            if rd not in dates:
                raise GeohazardError(f"{where}: reference date {rd} is not one of its dates "
                                     f"({dates[0]}..{dates[-1]})")
        if s.reference_rc is not None:
            try:
                rr, rc = (int(v) for v in s.reference_rc)
            except (TypeError, ValueError):
                raise GeohazardError(f"{where}: reference point {s.reference_rc!r} is not (row, col)") from None
            if not (0 <= rr < self.shape[0] and 0 <= rc < self.shape[1]):
                raise GeohazardError(f"{where}: reference point (row {rr}, col {rc}) lies outside the stack "
                                     f"({self.shape[0]} rows x {self.shape[1]} columns)")
        if s.reference_values is not None and np.asarray(s.reference_values).shape != (n_obs,):
            raise GeohazardError(f"{where}: reference_values has shape {np.asarray(s.reference_values).shape}, "
                                 f"expected ({n_obs},)")
        const_vec = self._geometry(s, where)
        if isinstance(s.values, np.ndarray):
            if s.values.ndim != 3 or s.values.shape[0] != n_obs or s.values.shape[1:] != self.shape:
                raise GeohazardError(f"{where}: values have shape {s.values.shape}, expected "
                                     f"({n_obs}, {self.shape[0]}, {self.shape[1]})")
        if isinstance(s.sigma_mm, np.ndarray) and s.sigma_mm.ndim >= 2:
            if s.sigma_mm.shape not in (self.shape, (n_obs,) + self.shape):
                raise GeohazardError(f"{where}: sigma_mm has shape {s.sigma_mm.shape}, expected {self.shape} or "
                                     f"({n_obs}, {self.shape[0]}, {self.shape[1]})")
        elif s.sigma_mm is not None and not _is_source(s.sigma_mm):
            if not float(s.sigma_mm) > 0:
                raise GeohazardError(f"{where}: sigma_mm must be > 0 mm, got {s.sigma_mm!r}")
        plan = _StackPlan(s, dates, order, sign, network, solver, n_obs, const_vec)
        lap_pinv = None
        if network is not None:
            lap_pinv, plan.modes, plan.mode_var = _network_modes(network, self.network_modes)
            kept = (plan.modes ** 2 * plan.mode_var).sum(axis=1) if plan.modes is not None else 0.0
            plan.drift_rest = np.maximum(np.diag(lap_pinv) - kept, 0.0)
        plan.stats = _series_statistics_design(dates, lap_pinv, self.low_modes, quadratic=self.acceleration)
        plan.noise_design = _density_noise_design(plan.stats, lap_pinv)
        plan.noise_mats = _mode_covariances(plan.stats, lap_pinv)
        plan.noise_power_bias = _noise_power_bias(plan.stats[0].size)
        return plan

    @staticmethod
    def _date(where, value) -> _dt.date:
        try:
            return parse_date(value)
        except GeohazardError as exc:
            raise GeohazardError(f"{where}: {exc}") from None

    def _geometry(self, s: Stack, where: str) -> Optional[tuple]:
        vec = (s.los_east, s.los_north, s.los_up)
        ang = (s.incidence_deg, s.heading_deg)
        has_vec = all(v is not None for v in vec)
        has_ang = all(v is not None for v in ang)
        if not has_vec and not has_ang:
            given = [n for n, v in zip(("incidence_deg", "heading_deg", "los_east", "los_north", "los_up"),
                                       ang + vec) if v is not None]
            raise GeohazardError(f"{where} has no geometry: give incidence_deg and heading_deg (numbers or "
                                 f"rasters) or the LOS unit vector los_east/los_north/los_up"
                                 + (f" (only {', '.join(given)} given)" if given else ""))
        parts = vec if has_vec else ang
        for v, nm in zip(parts, ("los_east", "los_north", "los_up") if has_vec else ("incidence_deg", "heading_deg")):
            if isinstance(v, np.ndarray) and v.ndim >= 2 and v.shape != self.shape:
                raise GeohazardError(f"{where}: {nm} has shape {v.shape}, expected {self.shape}")
        if any(_per_pixel(v) for v in parts):
            return None
        try:
            if has_vec:
                e, n, u = (float(v) for v in vec)
                norm = math.sqrt(e * e + n * n + u * u)
                if not (abs(norm - 1.0) < 0.01 and u > 0):
                    raise GeohazardError(f"{where}: LOS vector ({e:g}, {n:g}, {u:g}) is not a ground-to-satellite "
                                         "unit vector (norm 1, up > 0)")
                return (e, n, u)
            e, n, u = los_unit_vector(float(s.incidence_deg), float(s.heading_deg), look=s.look)
        except GeohazardError as exc:
            raise GeohazardError(f"{where}: {exc}") from None
        return (float(e), float(n), float(u))

    def _check_wavelengths(self) -> None:
        """A stack in radians needs its wavelength; one sharing its geometry with another sensor's stack (an X-
        and a C-band stack on one track) cannot borrow it."""
        for a in self.plans:
            if a.spec.units != "rad" or a.spec.wavelength_m is not None:
                continue
            mates = [b.spec for b in self.plans if b is not a and a.const_vec is not None and b.const_vec is not None
                     and np.allclose(a.const_vec, b.const_vec, atol=1e-3)]
            msg = (f"stack {a.spec.name!r} is in radians but has no wavelength: give wavelength_m (from the stack's "
                   "metadata) to convert its phase to LOS millimetres")
            if mates:
                msg += "; it shares its geometry with " + ", ".join(
                    f"{m.name!r} ({f'{m.wavelength_m:g} m' if m.wavelength_m else 'no wavelength'})" for m in mates) \
                    + ", which tells nothing about its own band"
            raise GeohazardError(msg)

    def _check_north(self) -> None:
        nm = self.north
        if nm.mode == "slope" and (nm.slope_deg is None or nm.aspect_deg is None):
            raise GeohazardError("north mode 'slope' needs slope_deg and aspect_deg (from a DEM)")
        for key in ("velocity_mm_yr", "sigma_mm_yr", "slope_deg", "aspect_deg"):
            v = getattr(nm, key)
            if isinstance(v, np.ndarray) and v.ndim >= 2 and v.shape != self.shape:
                raise GeohazardError(f"north {key} has shape {v.shape}, expected {self.shape}")
        if nm.mode == "given" and not _per_pixel(nm.sigma_mm_yr) and float(nm.sigma_mm_yr) < 0:
            raise GeohazardError(f"north sigma_mm_yr must be >= 0, got {nm.sigma_mm_yr!r}")

    # ------------------------------------------------------------------ dates, gaps, report
    def _build_dates(self, reference_date, seasonal) -> None:
        union = sorted({d for p in self.plans for d in p.dates})
        self.union_dates = union
        model, observed = [union[0]], [True]
        self.gaps: list = []
        for a, b in zip(union[:-1], union[1:]):
            days = (b - a).days
            if days > self.gap_days:
                before = tuple(p.spec.name for p in self.plans if p.dates[0] <= a)
                after = tuple(p.spec.name for p in self.plans if p.dates[-1] >= b)
                if days / DAYS_PER_YEAR > self.max_bridge_years:
                    raise GeohazardError(
                        f"stacks {', '.join(repr(n) for n in before)} (data until {a}) and "
                        f"{', '.join(repr(n) for n in after)} (data from {b}) are {days / DAYS_PER_YEAR:.1f} years "
                        f"apart, more than max_bridge_years={self.max_bridge_years:g}: they cannot be tied by the "
                        "temporal model; solve the periods separately or raise max_bridge_years")
                self.gaps.append(Gap(a, b, before, after))
                nsub = max(2, int(math.ceil(days / self.bridge_step_days)))
                for j in range(1, nsub):
                    model.append(a + _dt.timedelta(days=int(round(days * j / nsub))))
                    observed.append(False)
            model.append(b)
            observed.append(True)
        self.dates = model
        self.observed = np.array(observed, bool)
        if reference_date is None:
            self.reference_date = model[0]
        else:
            rd = self._date("reference_date", reference_date)
            if rd not in union:
                raise GeohazardError(f"reference_date {rd} is not a date of any stack ({union[0]}..{union[-1]})")
            self.reference_date = rd
        t0 = model[0]
        self.tau = np.array([(d - t0).days for d in model], float) / DAYS_PER_YEAR
        # knots: the output dates thinned to min_interval_days, keeping the reference date, gap edges and
        # the dates inside gaps (the motion is linear between knots)
        must = {self.reference_date, model[0]}
        for g in self.gaps:
            must |= {g.last_before, g.first_after}
        must |= {d for d, o in zip(model, observed) if not o}
        knots = [0]
        for i in range(1, len(model)):
            if model[i] in must or (model[i] - model[knots[-1]]).days >= self.min_interval_days:
                knots.append(i)
        if knots[-1] != len(model) - 1:
            if model[knots[-1]] in must or len(knots) == 1:
                knots.append(len(model) - 1)
            else:
                knots[-1] = len(model) - 1
        knots = np.array(knots, np.int64)
        self.knot_dates = [model[i] for i in knots]
        self.tau_k = self.tau[knots]
        self.r = int(np.flatnonzero(knots == model.index(self.reference_date))[0])
        pos = np.searchsorted(knots, np.arange(len(model)), side="right") - 1
        pos = np.minimum(pos, knots.size - 1)
        self.out_k = pos.astype(np.int64)
        w = np.zeros(len(model))
        inner = knots[pos] != np.arange(len(model))
        nxt = np.minimum(pos + 1, knots.size - 1)
        w[inner] = (self.tau[inner] - self.tau_k[pos[inner]]) / (self.tau_k[nxt[inner]] - self.tau_k[pos[inner]])
        self.out_w = w
        span = self.tau[-1] - self.tau[0]
        self.seasonal = bool(span >= 1.5) if seasonal is None else bool(seasonal)
        om = 2.0 * math.pi
        tr = self.tau[model.index(self.reference_date)]
        det, det_w = [], []
        if self.seasonal:
            det += [np.sin(om * self.tau) - math.sin(om * tr), np.cos(om * self.tau) - math.cos(om * tr)]
            det_w += [1.0 / self.seasonal_prior_mm ** 2] * 2
        if self.acceleration:
            det.append(0.5 * (self.tau - tr) ** 2)  # displacement of a unit acceleration (mm/yr^2) since t_r
            det_w.append(1.0 / self.acceleration_prior ** 2)
        self.det = np.ascontiguousarray(np.stack(det, 1) if det else np.zeros((self.tau.size, 0)))
        self.det_w = np.array(det_w, float)
        h = np.diff(self.tau_k)
        self.wq_inc = (2.0 / (h[:-1] + h[1:])) if h.size > 1 else np.zeros(0)
        gi = -np.ones(max(knots.size - 1, 0), np.int64)
        for g_i, g in enumerate(self.gaps):
            lo, hi = model.index(g.last_before), model.index(g.first_after)
            gi[(knots[:-1] >= lo) & (knots[1:] <= hi)] = g_i
        self.gap_inc = np.maximum(gi[:-1], gi[1:]) if gi.size > 1 else np.zeros(0, np.int64)
        # the periods between gaps: each has its own density, estimated from the stacks with dates in it
        lo_k = np.array([model.index(g.first_after) for g in self.gaps], np.int64)
        self.seg_inc = np.searchsorted(lo_k, knots[1:-1], side="right").astype(np.int64)
        bounds = [self.dates[0]] + [d for g in self.gaps for d in (g.last_before, g.first_after)] + [self.dates[-1]]
        self.segment_spans = list(zip(bounds[0::2], bounds[1::2]))
        self.segment_stacks = [np.array([any(a <= d <= b for d in p.dates) for p in self.plans])
                               for a, b in self.segment_spans]
        # least-squares slope (line + annual term when seasonal) over the observed dates
        obs_t = self.tau[self.observed]
        cols = [np.ones_like(obs_t), obs_t - obs_t.mean()]
        if self.seasonal:
            cols += [np.sin(om * obs_t), np.cos(om * obs_t)]
        a = np.stack(cols, 1)
        g = np.zeros(self.tau.size)
        g[self.observed] = pinv_tall(a)[1]
        self.g_vel = g
        index = {d: i for i, d in enumerate(model)}
        self.obs_o = np.concatenate([[index[d] for d in p.dates] for p in self.plans]).astype(np.int64)
        self.obs_s = np.concatenate([[i] * len(p.dates) for i, p in enumerate(self.plans)]).astype(np.int64)
        # one-year velocity windows either side of each gap (the first pass measures their change)
        self.gap_index = [(index[g.last_before], index[g.first_after]) for g in self.gaps]
        self._vel_windows = []
        obs_idx = np.flatnonzero(self.observed)
        for ka, kb in self.gap_index:
            before = obs_idx[(obs_idx <= ka) & (self.tau[obs_idx] >= self.tau[ka] - 1.0)]
            after = obs_idx[(obs_idx >= kb) & (self.tau[obs_idx] <= self.tau[kb] + 1.0)]
            self._vel_windows.append((int(before[0]), ka, kb, int(after[-1])))
        self._segments()
        # gaps with a one-geometry year on either side: the first pass cannot split the velocity change measured
        # there between east and up (the one geometry sees one combination of them)
        self._gap_one_geometry = [self._one_geometry(self.dates[w[0]], self.dates[w[1]])
                                  or self._one_geometry(self.dates[w[2]], self.dates[w[3]]) for w in self._vel_windows]

    def _one_geometry(self, a, b) -> bool:
        """True when the stacks with data between dates ``a`` and ``b`` share one geometry."""
        keys = {tuple(np.round(p.const_vec, 2)) if p.const_vec is not None else p.spec.name
                for p in self.plans if p.dates[0] <= b and p.dates[-1] >= a
                and any(a <= d <= b for d in p.dates)}
        return len(keys) <= 1

    def _segments(self) -> None:
        """Report how each stack is tied to the others (time overlap, gaps, periods seen by one geometry)."""
        def geom_key(p):
            return tuple(np.round(p.const_vec, 2)) if p.const_vec is not None else p.spec.name

        runs, cur = [], None
        for d in self.union_dates:
            active = [p for p in self.plans if p.dates[0] <= d <= p.dates[-1]]
            keys = {geom_key(p) for p in active}
            key = next(iter(keys)) if len(keys) == 1 else None
            if cur is not None and key == cur[0]:
                cur[2] = d
                cur[3] |= {p.spec.name for p in active}
                continue
            if cur is not None:
                runs.append(cur)
            cur = [key, d, d, {p.spec.name for p in active}] if key is not None else None
        if cur is not None:
            runs.append(cur)
        for _, a, b, names in runs:
            if (b - a).days >= self.gap_days:
                self.warnings.append(f"{a}..{b} is seen by one geometry only ({', '.join(sorted(names))}): east and "
                                     "up there rest on the temporal model tying it to the other periods")
        for g in self.gaps:
            self.warnings.append(f"gap of {g.days / DAYS_PER_YEAR:.1f} years ({g.last_before} .. {g.first_after}): "
                                 f"{', '.join(g.after)} tied to {', '.join(g.before)} only through the temporal "
                                 "model; dates after it carry the bridge's uncertainty")
        for p in self.plans:
            others = [q.spec.name for q in self.plans if q is not p and q.dates[0] <= p.dates[-1]
                      and q.dates[-1] >= p.dates[0]]
            if not others:
                self.warnings.append(f"stack {p.spec.name!r} ({p.dates[0]}..{p.dates[-1]}) overlaps no other stack "
                                     "in time: its offset is tied through the temporal model only")

    def report(self) -> list:
        """Lines describing the stacks, the model dates, the north handling, the gaps and the ties."""
        lines = []
        for p in self.plans:
            s = p.spec
            kind = f"{p.network.n_pairs} interferograms" if p.network is not None else "per-date series"
            geo = ("per-pixel geometry" if p.const_vec is None else
                   "LOS (e, n, u) = ({:.3f}, {:.3f}, {:.3f})".format(*p.const_vec))
            wl = f", wavelength {s.wavelength_m:g} m" if s.wavelength_m else ""
            lines.append(f"stack {s.name!r}: {kind}, {len(p.dates)} dates {p.dates[0]}..{p.dates[-1]}{wl}, {geo}")
        lines.append(f"model: {len(self.dates)} dates ({int(self.observed.sum())} with data, "
                     f"{int((~self.observed).sum())} inside gaps), reference date {self.reference_date}, "
                     f"annual term {'on' if self.seasonal else 'off'}")
        lines.append("north: " + self.north.label)
        for g in self.gaps:
            lines.append(f"gap {g.last_before} .. {g.first_after} ({g.days} days) bridged by the temporal model")
        if self.scene_prior is not None:
            lines += self.scene_prior["lines"]
        lines += [f"warning: {w}" for w in self.warnings]
        return lines

    # ------------------------------------------------------------------ the scene's density priors
    def sample_pixels(self, max_rows: int = 32, max_cols: int = 64):
        """Rows and columns of the fixed pixel sample of :meth:`calibrate` (the grid's shape alone sets it)."""
        rows, cols = self.shape
        r = np.unique(np.round(np.linspace(0, rows - 1, min(rows, max_rows))).astype(np.int64))
        c = np.unique(np.round(np.linspace(0, cols - 1, min(cols, max_cols))).astype(np.int64))
        return r, c

    def calibrate(self, sources: Mapping[str, Any]) -> Optional[dict]:
        """The scene's prior of every density, from a fixed pixel sample, before the blocks are solved.

        The pixels on up to 32 evenly spaced rows and 64 evenly spaced columns (the grid's shape alone
        chooses them, so the result does not depend on blocks, threads or scheduler) are read from
        ``sources`` (as :meth:`sources`); each sampled pixel's signed density estimate and its variance
        under noise alone give, per period and component, the scene's mean density and its spread over
        the ground (random-effects moments, DerSimonian & Laird 1986, doi:10.1016/0197-2456(86)90046-2);
        the same for each gap's velocity change, with the periods' densities already shrunk. Returns the
        priors (also kept on the problem and named in :meth:`report`); None where ``scene_densities`` is
        off or no sampled pixel can be solved.
        """
        from ..engine import _as_source

        if not self.scene_densities:
            return None
        r_idx, c_idx = self.sample_pixels()
        mini = {}
        for key, src in sources.items():
            s_ = _as_source(src)
            # one row at a time: memory stays that of one row of every band, whatever the grid
            parts = [np.asarray(s_.read(int(r), int(r) + 1, self.shape[1]))[..., c_idx] for r in r_idx]
            mini[key] = np.concatenate(parts, axis=-2)
        shape = (int(r_idx.size), int(c_idx.size))
        self.scene_prior = None
        self.density_var_ref = None
        if self.design_weights:
            # a pixel's own variance comes from its own noise estimate, which its density estimate shares (a low
            # noise estimate raises the density and its weight alike): the weights take the scene's median instead
            var_q = self.solve_arrays(mini, shape, _stage="noise")["var_q"]
            with np.errstate(all="ignore"):
                ref = np.array([np.median(v[np.isfinite(v)]) if np.isfinite(v).any() else np.nan for v in var_q])
            self.density_var_ref = ref
        first = self.solve_arrays(mini, shape, _stage="densities")
        todo = first["todo"]
        if todo.size == 0:
            return None
        (q_all, v_all), segs = first["raw"]
        w = self.local_prior_nodes
        # per density (east, up), the variance of the sample's mean against that of independent pixels (1: the
        # prior's mean as estimated); see ``prior_mean_error``
        infl_all, infl_seg = (1.0, 1.0), [(1.0, 1.0)] * len(segs)
        if "split" in first:
            q_los, gh, gu, var_q, reg, seg_masks, infl = first["split"]
            infl_all = _split_inflation(q_los, gh, gu, var_q, reg, infl, todo)
            infl_seg = [_split_inflation(np.where(m_[:, None], q_los, np.nan), gh, gu, var_q, reg, infl, todo)
                        for m_ in seg_masks]

        def pri(q, v, kind=None, inf=1.0):
            if kind is not None:
                return _grid_prior(q[todo], v[todo], kind)
            if w:
                return _local_prior(q, v, todo, shape, w)
            if "split" not in first:
                return _scene_prior(q[todo], v[todo])
            return _scene_prior(q[todo], v[todo], inflation=inf, mean_error=self.prior_mean_error,
                                spread=self.prior_effective_pixels, mean_spread=self.prior_mean_spread)

        kp = "normal" if self.grid_prior_periods else None
        prior = {"all": [pri(q_all[c], v_all[c], kp, infl_all[c]) for c in (0, 1)], "seg": [], "gap": [],
                 "n": int(todo.size), "nodes": (r_idx, c_idx)}
        for j, seg in enumerate(segs):
            prior["seg"].append(None if seg is None else [pri(seg[0][c], seg[1][c], kp, infl_seg[j][c])
                                                          for c in (0, 1)])
        self.scene_prior = prior
        if self.gaps:
            second = self.solve_arrays(mini, shape, _stage="gaps", _at=(r_idx, c_idx))
            # a gap's change is measured from the periods on both sides: their inflations' mean
            n_sg = len(infl_seg)
            infl_gap = [tuple(0.5 * (infl_seg[min(gi, n_sg - 1)][c] + infl_seg[min(gi + 1, n_sg - 1)][c])
                              for c in (0, 1)) for gi in range(len(self.gaps))]
            prior["gap"] = [[pri(e[c], v[c], "change" if self.grid_prior_gaps and not self._gap_one_geometry[gi]
                                 else None, infl_gap[gi][c]) for c in (0, 1)]
                            for gi, (e, v) in enumerate(second["gaps"])]
        comp = ("east", "up")
        where = (f"its neighbourhood of {2 * w + 1} x {2 * w + 1} sampled pixels (medians over the scene)" if w
                 else "the whole scene")
        lines = [f"velocity wander densities: the scene's prior from {prior['n']} sampled pixels, each pixel's "
                 f"estimate shrunk toward the prior of {where} by their precisions "
                 "(mm^2/yr^3, mean / spread over the ground)"]
        grid_on = [n_ for n_, on in (("periods", self.grid_prior_periods), ("gaps", self.grid_prior_gaps)) if on]
        if grid_on:
            lines.append(f"  {' and '.join(grid_on)}: a nonparametric prior instead (weights on {_DENSITY_GRID.size} "
                         f"densities from 0 to {_DENSITY_GRID[-1]:.0f}, fitted by EM to the sampled estimates' "
                         "likelihoods), each pixel's density its posterior mean over them")
        for (a, b), seg in zip(self.segment_spans, prior["seg"]):
            use = seg if seg is not None else prior["all"]
            lines.append(f"  period {a}..{b}: " + ", ".join(
                f"{comp[c]} {np.median(use[c][0]):.3g} / {math.sqrt(np.median(use[c][1])):.3g}" for c in (0, 1)))
        for g, gp in zip(self.gaps, prior["gap"]):
            lines.append(f"  gap {g.last_before}..{g.first_after}: " + ", ".join(
                f"{comp[c]} {np.median(gp[c][0]):.3g} / {math.sqrt(np.median(gp[c][1])):.3g}" for c in (0, 1)))
        if "split" in first:
            prior["inflation"] = {"all": infl_all, "seg": infl_seg}
            lines.append("  the prior's mean " + ("shrunk by its own standard error" if self.prior_mean_error else
                                                   "as estimated") + ", the sample worth "
                         + ", ".join(f"{prior['n'] / max(i_, 1.0):.3g}" for i_ in infl_all)
                         + " independent pixels (east, up: from the noise's spatial correlation, consecutive dates "
                         "differenced)")
        prior["lines"] = lines
        return prior

    def _sample_inflation(self, series, todo):
        """Per stack, the variance of the sampled pixels' mean density estimate under noise alone against that of
        independent pixels, ``n / n_eff = 1 + (n - 1) rho2``: ``rho2`` the mean squared correlation of two pixels'
        noise (their series differenced over consecutive dates, the differenced fit removed), less its value for
        independent series (``1 / dof``), over up to 512 of the pixels valid on every date (a fixed choice); the
        density estimates, squares of the slow modes' coefficients, correlate as the square of their noises'."""
        n = int(todo.size)
        out = np.ones(len(self.plans))
        for si, p in enumerate(self.plans):
            if p.stats is None or n < 2:
                continue
            # the noise's correlation, not the motion's: each pair of consecutive dates (2k, 2k + 1) differenced,
            # less the fit of the differenced deterministic terms and slow modes (a smooth motion shared by the
            # pixels differences away; the atmosphere, white in time, does not)
            i0 = 2 * np.arange(len(p.dates) // 2)
            basis = p.stats[1][i0 + 1] - p.stats[1][i0]
            basis = basis[:, np.abs(basis).max(axis=0) > 1e-9 * max(np.abs(basis).max(), 1e-300)]
            y = series[si][:, todo]
            use = np.flatnonzero(np.all(np.isfinite(y), axis=0))
            dof = i0.size - basis.shape[1]
            if use.size < 3 or dof < 3:
                continue
            if use.size > 512:
                use = use[np.round(np.linspace(0, use.size - 1, 512)).astype(np.int64)]
            yd = y[i0 + 1][:, use] - y[i0][:, use]
            tot, pairs = _k.residual_pair_correlation(np.ascontiguousarray(yd), np.ascontiguousarray(basis),
                                                      np.ascontiguousarray(pinv_tall(basis)))
            rho2 = max(0.0, (tot / pairs - 1.0 / dof) / (1.0 - 1.0 / dof))
            out[si] = 1.0 + (n - 1) * min(rho2, 1.0)
        return out

    def _with_cross_products(self, q_los, var_q, gh, gu, coefs, sig, sig_net):
        """The stacks' density estimates and, below them, one per pair of stacks from the products of their slow
        modes' coefficients: ``E sum_k c_ak c_bk = (e_a e_b q_E + u_a u_b q_U) sum_k G_abk`` (their noises are
        independent, so the products carry no noise power to subtract); an ascending and a descending stack of
        the same incidence, whose squares cannot tell east from up, tell them apart by the sign of ``e_a e_b``.
        Returns the estimates, their variances under noise alone, the regressors (east, up) and each period's
        rows."""
        qs, vs, ra, rb = [q_los], [var_q], [gh * gh], [gu * gu]
        masks = [list(m) for m in self.segment_stacks]
        for a, b, g_sum, m, (hh, hd, dh, dd) in self._pairs:
            prod = np.sum(coefs[a][:m] * coefs[b][:m], axis=0)
            sa, sb = sig[a] ** 2, sig[b] ** 2
            na, nb = np.nan_to_num(sig_net[a]) ** 2, np.nan_to_num(sig_net[b]) ** 2
            qs.append((prod / g_sum)[None])
            vs.append(((sa * sb * hh + sa * nb * hd + na * sb * dh + na * nb * dd) / (g_sum * g_sum))[None])
            ra.append((gh[a] * gh[b])[None])
            rb.append((gu[a] * gu[b])[None])
            for mk_ in masks:
                mk_.append(bool(mk_[a] and mk_[b]))
        return (np.concatenate(qs), np.concatenate(vs), (np.concatenate(ra), np.concatenate(rb)),
                [np.array(m_, bool) for m_ in masks])

    def _signed_densities(self, q_los, gh, gu, var_q, reg=None, seg_masks=None):
        """Each pixel's signed (east, up) density and its variance under noise alone: the whole series',
        and each period's where periods have their own (else None)."""
        whole = _split_signed(q_los, gh, gu, var_q, reg)
        segs = []
        n_seg = len(self.segment_spans)
        for inside in (self.segment_stacks if seg_masks is None else seg_masks):
            if self.segment_densities and n_seg > 1:
                segs.append(_split_signed(np.where(inside[:, None], q_los, np.nan), gh, gu, var_q, reg))
            else:
                segs.append(None)
        return whole, segs

    def _prior_at(self, prior, at):
        """A prior ``(m, tau^2, ...)`` at the pixels ``at`` = (global rows, global columns) of a block: the scene's
        as it is, a local prior (fields on the sampled nodes) interpolated bilinearly between the nodes."""
        if np.ndim(prior[0]) == 0:
            return prior
        r_idx, c_idx = self.scene_prior["nodes"]
        return tuple(_bilinear(f, r_idx, c_idx, at[0], at[1]) for f in prior[:2])

    def _shrunk_densities(self, raw, at):
        """The densities shrunk toward the scene's priors: whole series (east, up) and per period."""
        (q_all, v_all), segs = raw
        pr = self.scene_prior
        q_e, q_u = (np.maximum(_shrink(q_all[c], v_all[c], self._prior_at(pr["all"][c], at)), self.prior_floor)
                    for c in (0, 1))
        qseg = np.empty((len(segs), 2, q_all.shape[1]))
        for j, seg in enumerate(segs):
            for c, qc in enumerate((q_e, q_u)):
                if seg is None:
                    qseg[j, c] = qc
                else:
                    # never below the whole series' density: a period of a few years cannot see a wander slower
                    # than its own span (a multi-year cycle), which the whole series does
                    qj = _shrink(seg[0][c], seg[1][c], self._prior_at(pr["seg"][j][c], at))
                    qseg[j, c] = np.maximum(qj, qc) if self.periods_above_series else np.maximum(qj, self.prior_floor)
        return q_e, q_u, qseg

    # ------------------------------------------------------------------ block inputs
    def sources(self, **arrays) -> dict:
        """Name -> array/source of every per-pixel input the block function reads.

        Values come from each stack's ``values`` unless given here by stack name.
        """
        out = {}
        for p in self.plans:
            s = p.spec
            v = arrays.get(s.name, s.values)
            if v is None:
                raise GeohazardError(f"stack {s.name!r}: no values were given")
            out[s.name] = v
            for key in ("incidence_deg", "heading_deg", "los_east", "los_north", "los_up", "sigma_mm", "coherence"):
                val = getattr(s, key)
                if val is not None and _per_pixel(val):
                    out[f"{s.name}:{key}"] = val
        for key in ("velocity_mm_yr", "sigma_mm_yr", "slope_deg", "aspect_deg"):
            val = getattr(self.north, key)
            if val is not None and _per_pixel(val):
                out[f"north:{key}"] = val
        return out

    def __getstate__(self):
        """Pickled for a Dask worker without the data: the block function reads pixels only from its inputs."""
        from dataclasses import replace

        state = dict(self.__dict__)
        plans = []
        for p in self.plans:
            spec = p.spec
            changes = {k: _PerPixel() for k in ("incidence_deg", "heading_deg", "los_east", "los_north", "los_up",
                                                "sigma_mm", "coherence") if _per_pixel(getattr(spec, k))}
            plans.append(replace(p, spec=replace(spec, values=None, **changes)))
        state["plans"] = plans
        nm = self.north
        state["north"] = replace(nm, **{k: _PerPixel() for k in ("velocity_mm_yr", "sigma_mm_yr", "slope_deg",
                                                                   "aspect_deg") if _per_pixel(getattr(nm, k))})
        return state

    @property
    def n_dates(self) -> int:
        return len(self.dates)

    def bytes_per_pixel(self) -> float:
        """Memory of one pixel in a block (inputs, work arrays, outputs), for the block planner."""
        n_in = sum(p.n_obs for p in self.plans)
        n_ser = sum(len(p.dates) for p in self.plans)
        k = self.n_dates
        return 8.0 * (n_in * 2 + n_ser * 3 + k * 6 + 16 * len(self.plans) + 8 * len(self.gaps) + 32)

    # ------------------------------------------------------------------ the block function
    def __call__(self, block, inputs: Mapping[str, np.ndarray]) -> dict:
        """The engine's block function: ``inputs`` as :meth:`sources`, block rows in, outputs out."""
        rows = block.core if hasattr(block, "core") else slice(None)
        first = next(iter(inputs.values()))
        shape = first[..., rows, :].shape[-2:]
        return self.solve_arrays({k: np.asarray(v)[..., rows, :] for k, v in inputs.items()}, shape,
                                 row0=int(getattr(block, "row0", 0)))

    def solve_arrays(self, inputs: Mapping[str, np.ndarray], shape: tuple, *, _stage: Optional[str] = None,
                     row0: int = 0, _at=None) -> dict:
        """Solve a block of pixels whose inputs (as :meth:`sources`) cover ``shape`` (rows, cols).

        ``_stage`` (:meth:`calibrate` only): ``"densities"`` returns each pixel's signed density estimates,
        ``"gaps"`` the gaps' velocity-change estimates, instead of a solution. ``row0``: the grid row of the
        block's first row (a local prior is looked up where each pixel lies on the grid)."""
        n_pix = int(shape[0] * shape[1])
        rows_g, cols_g = _at if _at is not None else (row0 + np.arange(shape[0]), np.arange(shape[1]))
        at = (np.repeat(np.asarray(rows_g, float), len(cols_g)), np.tile(np.asarray(cols_g, float), len(rows_g)))
        n_stk = len(self.plans)
        series, gh, gu, gn, sig_given, drop = [], [], [], [], [], []
        north_code = np.zeros(n_pix, np.uint8)
        nm = self.north
        if nm.mode == "slope":
            sl = self._pixel(inputs, "north:slope_deg", nm.slope_deg, n_pix)
            asp = np.radians(self._pixel(inputs, "north:aspect_deg", nm.aspect_deg, n_pix))
            slope_ok = np.isfinite(sl) & np.isfinite(asp) & (sl >= nm.min_slope_deg)
            north_code[:] = np.where(slope_ok, NORTH_CODES["slope"], NORTH_CODES["slope too gentle (north = 0)"])
            sin_a = np.where(slope_ok, np.sin(asp), 1.0)
            cos_a = np.where(slope_ok, np.cos(asp), 0.0)
        elif nm.mode == "given":
            north_code[:] = NORTH_CODES["given"]
        sig_net = []
        for p in self.plans:
            y, n_drop, s_net = self._stack_series(p, inputs, shape)
            series.append(y)
            drop.append(n_drop)
            sig_net.append(s_net)
            e, n, u = self._stack_vectors(p, inputs, n_pix)
            if nm.mode == "slope":
                gh.append(e * sin_a + n * cos_a)
            else:
                gh.append(e)
            gu.append(u)
            gn.append(n)
            sig_given.append(self._stack_sigma(p, inputs, n_pix))
        gh, gu, gn = np.stack(gh), np.stack(gu), np.stack(gn)
        tr = self.tau[self.dates.index(self.reference_date)]
        north_est = 0
        north_prior = np.zeros(n_pix)
        north_prior_w = np.zeros(n_pix)
        vn = None
        if nm.mode == "given":
            vn = self._pixel(inputs, "north:velocity_mm_yr", nm.velocity_mm_yr, n_pix)
            sn = self._pixel(inputs, "north:sigma_mm_yr", nm.sigma_mm_yr, n_pix)
            if np.any(sn > 0):
                north_est = 1
                north_prior = np.nan_to_num(vn)
                with np.errstate(divide="ignore"):
                    north_prior_w = np.where(sn > 0, 1.0 / np.where(sn > 0, sn, 1.0) ** 2, 1e12)
            else:
                for si, p in enumerate(self.plans):
                    tk = np.array([(d - self.reference_date).days for d in p.dates], float) / DAYS_PER_YEAR
                    series[si] = series[si] - gn[si][None, :] * vn[None, :] * tk[:, None]
        # ---- noise and process density per stack and pixel
        sig = np.full((n_stk, n_pix), np.nan)
        q_los = np.full((n_stk, n_pix), np.nan)
        var_q = np.full((n_stk, n_pix), np.nan)
        coefs = []
        for si, y in enumerate(series):
            t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = self.plans[si].stats
            s_est = np.empty(n_pix)
            q_est = np.empty(n_pix)
            c_out = np.empty((kl.size if self._pairs else 0, n_pix))
            _k.series_statistics(t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1, np.ascontiguousarray(y),
                                 self.min_dates, np.nan_to_num(sig_net[si]), s_est, q_est, c_out)
            coefs.append(c_out)
            q_los[si] = q_est
            sig[si] = s_est
            # the estimate's variance under noise alone (all dates valid): each mode's squared coefficient
            # scatters as a chi-square of one degree of freedom around its expected noise power
            sn2 = np.nan_to_num(sig_net[si]) ** 2
            g_sum = float(np.sum(g_irw))
            if self.unbiased_noise_power and g_sum > 0:
                # the power the median estimate measured, ``mad^2 / k`` (white noise and the drift's share), divided by
                # its mean bias; the density estimate gives back what was subtracted too much
                lag = self.plans[si].noise_design[5]
                pw = s_est ** 2 + sn2 * lag
                s2_u = np.maximum(pw / self.plans[si].noise_power_bias - sn2 * lag, 0.0)
                q_los[si] = q_est + (s_est ** 2 - s2_u) * float(np.sum(h_noise)) / g_sum
            var_q[si] = _density_noise_variance(self.plans[si].noise_design, s_est ** 2, sn2, g_sum,
                                                self.exact_density_variance, h_noise, d_net)
        if _stage == "noise":
            return {"var_q": var_q}
        if self.density_var_ref is not None:
            var_q = np.where(np.isfinite(var_q), self.density_var_ref[:, None], np.nan)
        reg, seg_masks = None, self.segment_stacks
        if self._pairs:
            q_los, var_q, reg, seg_masks = self._with_cross_products(q_los, var_q, gh, gu, coefs, sig, sig_net)
        raw = self._signed_densities(q_los, gh, gu, var_q, reg, seg_masks) if (_stage or self.scene_prior) else None
        if self.scene_prior is None:
            q_e, q_u = (np.maximum(q, self.min_process_noise)
                        for q in _split_process_noise(q_los, gh, gu, 0.0, var_q, reg))
            n_seg = len(self.segment_spans)
            qseg = np.empty((n_seg, 2, n_pix))
            for j, inside in enumerate(seg_masks):
                if self.segment_densities and n_seg > 1:
                    # the period's own stacks: a motion that wandered in one mission and not in the others (a decaying
                    # inflation, a landslide reactivated later) keeps its wander where it happened
                    qj = _split_process_noise(np.where(inside[:, None], q_los, np.nan), gh, gu, 0.0, var_q, reg)
                    for c in (0, 1):
                        # never below the whole series' density: a period of a few years cannot see a wander slower
                        # than its own span (a multi-year cycle), which the whole series does
                        qseg[j, c] = np.where(np.isfinite(qj[c]), np.maximum(qj[c], (q_e, q_u)[c]), (q_e, q_u)[c])
                else:
                    qseg[j, 0], qseg[j, 1] = q_e, q_u
        else:
            q_e, q_u, qseg = self._shrunk_densities(raw, at)
        # ---- observations and weights
        n_obs = self.obs_o.size
        ys = np.empty((n_obs, n_pix))
        ws = np.empty((n_obs, n_pix))
        n_valid = np.zeros((n_stk, n_pix), np.int64)
        row = 0
        no_drift = np.zeros(0)
        for si, p in enumerate(self.plans):
            y = series[si]
            sg = sig_given[si]
            drift, sn2 = no_drift, no_drift
            if sg is None and p.drift_rest is not None:
                # the drift the network modes leave: its variance on every date, on top of the white noise
                s_use = sig[si][None, :]
                drift, sn2 = p.drift_rest, np.nan_to_num(sig_net[si]) ** 2
            elif sg is None:
                s_use = sig[si][None, :]
            else:
                s_use = sg if sg.ndim == 2 else sg[None, :]
                sig[si] = sg if sg.ndim == 1 else np.sqrt(np.nanmean(sg ** 2, axis=0))
            ok_geo = np.isfinite(gh[si]) & np.isfinite(gu[si])
            _k.observation_weights(y, np.ascontiguousarray(s_use, np.float64), self.min_sigma_mm, self.min_dates,
                                   ok_geo, row, ys, ws, n_valid[si], np.ascontiguousarray(drift, np.float64),
                                   np.ascontiguousarray(sn2, np.float64))
            row += y.shape[0]
        modes_in = self._mode_arrays(sig_net, n_pix)
        # ---- which pixels can be solved
        status = np.zeros(n_pix, np.uint8)
        used = n_valid > 0
        status[~used.any(axis=0)] = _k.STATUS_NO_DATA
        cond = _geometry_condition(gh, gu, used)
        status[(status == 0) & ~(cond <= self.max_condition)] = _k.STATUS_GEOMETRY
        todo = np.flatnonzero(status == 0).astype(np.int64)
        if _stage == "densities":
            out = {"raw": raw, "todo": todo}
            if self.prior_mean_error or self.prior_effective_pixels or self.prior_mean_spread:
                infl = self._sample_inflation(series, todo)
                if self._pairs:
                    infl = np.concatenate([infl, [0.5 * (infl[a] + infl[b]) for a, b, *_ in self._pairs]])
                out["split"] = (q_los, gh, gu, var_q, reg, seg_masks, infl)
            return out
        k = self.n_dates
        n_gap = len(self.gaps)
        out = _empty_outputs(k, n_pix, n_stk, n_gap)
        q_e = np.where(np.isfinite(q_e), q_e, self.min_process_noise)
        q_u = np.where(np.isfinite(q_u), q_u, self.min_process_noise)
        qseg = np.where(np.isfinite(qseg), qseg, self.min_process_noise)
        qg = np.empty((n_gap, 2, n_pix))
        if n_gap:
            # first pass: gaps almost untied; the change of the one-year mean velocity across each gap
            fun_k, fun_c = self._velocity_change_functionals()
            qg[:] = _Q_UNTIED
            tmp = _empty_outputs(k, n_pix, n_stk, len(fun_k))
            # the whole change of the mean velocity, the deterministic terms' share included: an acceleration fitted
            # over every segment need not be how the velocity changed inside the gap
            self._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k,
                      fun_c, False, todo, tmp, status.copy(), fun_det=True, qseg=qseg)
            gap_raw = []
            for gi, ((ka, kb), win) in enumerate(zip(self.gap_index, self._vel_windows)):
                t_eff = self.tau[win[3]] / 2 + self.tau[kb] / 2 - self.tau[ka] / 2 - self.tau[win[0]] / 2
                # ``sfun^2`` is the variance of the whole change ``dv`` (both edges' velocities); see _GAP_NOISE_SHARE
                ests = [(tmp["fun"][gi, c] ** 2 - _GAP_NOISE_SHARE * tmp["sfun"][gi, c] ** 2) / t_eff
                        for c in (0, 1)]
                if self.scene_prior is not None or _stage:
                    # signed, with its variance under noise alone (dv^2 of a normal dv scatters by sqrt(2) var dv)
                    var_e = [2.0 * tmp["sfun"][gi, c] ** 4 / (t_eff * t_eff) for c in (0, 1)]
                    floor = self.prior_floor
                    if self._gap_one_geometry[gi]:
                        # one geometry on a side sees one combination of east and up: how the velocity's change
                        # splits between them is not observed, so the scene's prior (estimated where it is) cannot
                        # lower it; each component keeps at least the pixel's own change, floored as without
                        # calibration
                        floor = np.maximum(np.nan_to_num(np.maximum(ests[0], 0.0) + np.maximum(ests[1], 0.0)),
                                           self.min_gap_process_noise)
                        ests = [ests[0] + ests[1]] * 2
                        var_e = [var_e[0] + var_e[1]] * 2
                    gap_raw.append((np.stack(ests), np.stack(var_e)))
                    if not _stage:
                        for comp in (0, 1):
                            post = _shrink(ests[comp], var_e[comp], self._prior_at(self.scene_prior["gap"][gi][comp],
                                                                                   at))
                            qg[gi, comp] = np.maximum(post, floor)
                    continue
                if self._gap_one_geometry[gi]:
                    # the change cannot be told east from up: each component may hold all of it
                    both = np.maximum(ests[0], 0.0) + np.maximum(ests[1], 0.0)
                    ests = [both, both]
                for comp in (0, 1):
                    # the change measured across the gap, floored: the segments' own density (noisy and clipped at
                    # zero per pixel, so biased up) made the bridge over-cautious, z rms 0.6 on the gap scenarios
                    est = ests[comp]
                    qg[gi, comp] = np.where(np.isfinite(est), np.maximum(self.min_gap_process_noise, est),
                                            self.min_gap_process_noise)
        if _stage == "gaps":
            return {"gaps": gap_raw if n_gap else [], "todo": todo}
        fun_k, fun_c = self._gap_functionals()
        self._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k, fun_c,
                  True, todo, out, status, qseg=qseg)
        if self.refine_noise and todo.size:
            # a stack whose residuals exceed the noise it was given (noise correlated in time, which the lag-1
            # estimate misses): its noise is raised to its residual RMS and the pixel solved again
            scale = np.ones((n_stk, n_pix))
            row = 0
            for si, p in enumerate(self.plans):
                n_s = len(p.dates)
                _k.refine_weights(ws, row, n_s, np.ascontiguousarray(out["res"][si]), n_valid[si], scale[si])
                row += n_s
            again = np.flatnonzero((scale > 1.0).any(axis=0) & (status == 0)).astype(np.int64)
            if again.size:
                sig *= np.where(np.isfinite(sig), scale, 1.0)
                self._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k,
                          fun_c, True, again, out, status, qseg=qseg)
        return self._finish(out, status, shape, sig, q_e, q_u, qg, qseg, n_valid, drop, north_code, nm,
                            (sin_a, cos_a) if nm.mode == "slope" else None, north_est, vn, tr)

    def _run(self, ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k, fun_c,
             full, todo, out, status, *, qseg, fun_det=None) -> None:
        obs_mode, mode_first, n_mode, mode_w = modes_in
        # one density array for the kernel: the gaps' first, then the periods between them
        q_all = np.ascontiguousarray(np.concatenate([qg, qseg]))
        inc = np.where(self.gap_inc >= 0, self.gap_inc, len(qg) + self.seg_inc).astype(np.int64)
        _k.solve_pixels(ys, ws, self.obs_o, self.obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn,
                        self.tau_k, self.r, self.out_k, self.out_w, self.tau, self.det, self.det_w, north_est,
                        north_prior, north_prior_w, self.wq_inc, q_e, q_u, q_all, inc, self.g_vel, fun_k, fun_c,
                        full if fun_det is None else fun_det, full, full and self.north.mode == "zero", todo, _k.BATCH,
                        out["d"], out["s"],
                        out["vel"], out["svel"], out["fun"], out["sfun"], out["leak"], out["north"], out["snorth"],
                        out["res"], out["nres"], out["chi2"], status)

    def _mode_arrays(self, sig_net, n_pix):
        """Network drift modes of the interferogram stacks: values at the observations, columns, priors."""
        n_stk = len(self.plans)
        n_mode = np.array([0 if p.modes is None else p.modes.shape[1] for p in self.plans], np.int64)
        first = np.concatenate([[0], np.cumsum(n_mode)[:-1]]).astype(np.int64)
        mmax = max(1, int(n_mode.max()) if n_stk else 1)
        obs_mode = np.zeros((self.obs_o.size, mmax))
        mode_w = np.ones((int(n_mode.sum()), n_pix))
        row = 0
        for si, p in enumerate(self.plans):
            n = len(p.dates)
            if p.modes is not None:
                obs_mode[row:row + n, :n_mode[si]] = p.modes
                # closure-free interferograms (sigma 0) pin the modes; no redundancy (NaN) leaves them loose
                sn2 = np.maximum(sig_net[si], 1e-3) ** 2
                for m in range(n_mode[si]):
                    w = 1.0 / (p.mode_var[m] * sn2)
                    mode_w[first[si] + m] = np.where(np.isfinite(w), w, 1.0 / p.mode_var[m])
            row += n
        return obs_mode, first, n_mode, mode_w

    def _gap_functionals(self):
        g = len(self.gap_index)
        fk = np.zeros((g, 2), np.int64)
        fc = np.zeros((g, 2))
        for i, (ka, kb) in enumerate(self.gap_index):
            fk[i] = (ka, kb)
            fc[i] = (-1.0, 1.0)
        return fk, fc

    def _velocity_change_functionals(self):
        g = len(self.gap_index)
        fk = np.zeros((g, 4), np.int64)
        fc = np.zeros((g, 4))
        for i, (a0, ka, kb, b1) in enumerate(self._vel_windows):
            fk[i] = (a0, ka, kb, b1)
            ta = self.tau[ka] - self.tau[a0]
            tb = self.tau[b1] - self.tau[kb]
            if ta <= 0 or tb <= 0:
                continue  # a one-date side: no velocity, the gap keeps the segments' density
            fc[i] = (1.0 / ta, -1.0 / ta, -1.0 / tb, 1.0 / tb)
        return fk, fc

    def _finish(self, out, status, shape, sig, q_e, q_u, qg, qseg, n_valid, drop, north_code, nm, sc, north_est, vn,
                tr) -> dict:
        k = self.n_dates
        rows, cols = shape
        bad = status != 0
        for key in ("d", "s"):
            out[key][:, :, bad] = np.nan
        for key in ("vel", "svel", "leak", "fun", "sfun"):
            out[key][..., bad] = np.nan
        east, s_east = out["d"][0], out["s"][0]
        res = {}
        north = s_north = None
        if nm.mode == "slope":
            sin_a, cos_a = sc
            h, sh = out["d"][0], out["s"][0]
            east, s_east = h * sin_a, sh * np.abs(sin_a)
            north, s_north = h * cos_a, sh * np.abs(cos_a)
            vel_h, svel_h = out["vel"][0], out["svel"][0]
            res["velocity_north"] = (vel_h * cos_a).reshape(shape).astype(np.float32)
            res["sigma_velocity_north"] = (svel_h * np.abs(cos_a)).reshape(shape).astype(np.float32)
            out["vel"][0], out["svel"][0] = vel_h * sin_a, svel_h * np.abs(sin_a)
            gapd, gaps = out["fun"][:, 0], out["sfun"][:, 0]
            out["fun"][:, 0], out["sfun"][:, 0] = gapd * sin_a, gaps * np.abs(sin_a)
        elif nm.mode == "given":
            tk = (self.tau - tr)[:, None]
            if north_est:
                vn, svn = out["north"], out["snorth"]
            else:
                svn = np.zeros(status.size)
            north = np.where(bad, np.nan, vn)[None, :] * tk
            s_north = np.where(bad, np.nan, svn)[None, :] * np.abs(tk)
            res["velocity_north"] = np.where(bad, np.nan, vn).reshape(shape).astype(np.float32)
            res["sigma_velocity_north"] = np.where(bad, np.nan, svn).reshape(shape).astype(np.float32)
        res["east"] = east.reshape(k, rows, cols).astype(np.float32, copy=False)
        res["up"] = out["d"][1].reshape(k, rows, cols)
        res["sigma_east"] = s_east.reshape(k, rows, cols).astype(np.float32, copy=False)
        res["sigma_up"] = out["s"][1].reshape(k, rows, cols)
        if north is not None:
            res["north"] = north.reshape(k, rows, cols).astype(np.float32, copy=False)
            res["sigma_north"] = s_north.reshape(k, rows, cols).astype(np.float32, copy=False)
        res["velocity"] = out["vel"].reshape(2, rows, cols).astype(np.float32)
        res["sigma_velocity"] = out["svel"].reshape(2, rows, cols).astype(np.float32)
        if nm.mode == "zero":
            res["leak_per_north"] = out["leak"].reshape(2, rows, cols).astype(np.float32)
        g = len(self.gaps)
        res["gap_displacement"] = out["fun"].reshape(g, 2, rows, cols).astype(np.float32)
        res["gap_sigma"] = out["sfun"].reshape(g, 2, rows, cols).astype(np.float32)
        res["gap_process_noise"] = np.where(bad, np.nan, qg).reshape(g, 2, rows, cols).astype(np.float32)
        res["process_noise"] = np.where(bad, np.nan, np.stack([q_e, q_u])).reshape(2, rows, cols).astype(np.float32)
        res["period_process_noise"] = np.where(bad, np.nan, qseg).reshape(len(qseg), 2, rows,
                                                                          cols).astype(np.float32)
        res["noise_sigma"] = sig.reshape(len(self.plans), rows, cols).astype(np.float32)
        res["residual_rms"] = out["res"].reshape(len(self.plans), rows, cols).astype(np.float32)
        res["observations"] = n_valid.reshape(len(self.plans), rows, cols).astype(np.int32)
        res["dropped"] = np.stack(drop).reshape(len(self.plans), rows, cols).astype(np.int32)
        res["chi2"] = out["chi2"].reshape(rows, cols).astype(np.float32)
        res["status"] = status.reshape(rows, cols)
        res["north_mode"] = north_code.reshape(rows, cols)
        return res

    # ------------------------------------------------------------------ per-stack pieces
    @staticmethod
    def _pixel(inputs, key, value, n_pix) -> np.ndarray:
        if key in inputs:
            return np.asarray(inputs[key], np.float64).reshape(-1)
        return np.full(n_pix, float(value))

    def _stack_vectors(self, p: _StackPlan, inputs, n_pix):
        s = p.spec
        if p.const_vec is not None:
            return tuple(np.full(n_pix, v) for v in p.const_vec)
        if s.los_east is not None and s.los_north is not None and s.los_up is not None:
            return tuple(self._pixel(inputs, f"{s.name}:{k}", getattr(s, k), n_pix)
                         for k in ("los_east", "los_north", "los_up"))
        inc = self._pixel(inputs, f"{s.name}:incidence_deg", s.incidence_deg, n_pix)
        head = self._pixel(inputs, f"{s.name}:heading_deg", s.heading_deg, n_pix)
        inc = np.where((inc > 0) & (inc < 90), inc, np.nan)
        e, n, u = los_unit_vector(inc, head, look=s.look)
        return np.asarray(e, float), np.asarray(n, float), np.asarray(u, float)

    def _stack_sigma(self, p: _StackPlan, inputs, n_pix):
        s = p.spec
        if s.sigma_mm is None:
            return None
        key = f"{s.name}:sigma_mm"
        if key in inputs:
            a = np.asarray(inputs[key], np.float64)
            if a.ndim == 3:
                a = a.reshape(a.shape[0], -1)
                if p.order is not None:
                    a = a[p.order]
                return a
            return a.reshape(-1)
        return np.full(n_pix, float(s.sigma_mm))

    def _stack_series(self, p: _StackPlan, inputs, shape):
        """The stack's per-date LOS series (N, n_pix) in mm, and the pixels dropped by the network solve."""
        s = p.spec
        v = np.asarray(inputs[s.name], np.float64)
        n_pix = int(shape[0] * shape[1])
        if v.shape[0] != p.n_obs:
            raise GeohazardError(f"stack {s.name!r}: {v.shape[0]} bands were read, expected {p.n_obs}")
        v = v.reshape(p.n_obs, n_pix)
        if s.units == "m":
            v = v * 1000.0
        elif s.units == "rad":
            v = phase_to_los_mm(v, float(s.wavelength_m), phase_sign=s.phase_sign)
        if s.reference_values is not None:
            v = v - np.asarray(s.reference_values, np.float64)[:, None]
        drop = np.zeros(n_pix, np.int32)
        if p.network is None:
            if p.order is not None:
                v = v[p.order]
            return v, drop, np.zeros(n_pix)
        if np.any(p.sign != 1):
            v = v * p.sign[:, None]
        coh = inputs.get(f"{s.name}:coherence")
        if coh is not None:
            coh = np.asarray(coh, np.float64).reshape(p.n_obs, n_pix)
        res = p.solver.solve(v, coherence=coh)
        # the solver's own array (not a view of the input): NaN is written into it below
        ts = np.asarray(res.timeseries_mm, np.float64).reshape(len(p.dates), n_pix)
        split = np.asarray(res.disconnected).reshape(-1)
        ts[:, split] = np.nan
        drop[split] = 1
        s_net = np.empty(n_pix)
        _k.network_residual_sigma(v, ts, p.network.ref_index, p.network.sec_index, len(p.dates), s_net)
        return ts, drop, s_net


def _network_modes(network, n_modes: int):
    """Pseudo-inverse of the network's (unweighted) Laplacian and its ``n_modes`` largest eigenmodes.

    The per-date series of a network inversion carries the interferograms' noise as
    ``sigma_ifg^2 L^+``, a drift that grows along chains of short pairs; its smoothest modes hold most
    of it (the first three about 75-80 % for chains of 3 pairs per date)."""
    n = network.n_dates
    lap = np.zeros((n, n))
    a, b = network.ref_index, network.sec_index
    np.add.at(lap, (a, a), 1.0)
    np.add.at(lap, (b, b), 1.0)
    np.add.at(lap, (a, b), -1.0)
    np.add.at(lap, (b, a), -1.0)
    lam, vec = sym_eig(lap)  # the same bits on any CPU and BLAS thread count (LAPACK's differ)
    keep = lam > 1e-9 * lam.max()
    pinv = scaled_gram(vec[:, keep], 1.0 / lam[keep])
    order = np.argsort(lam[keep])  # smallest Laplacian eigenvalues = largest drift variances
    m = min(int(n_modes), int(keep.sum()))
    if m == 0:
        return pinv, None, None
    sel = np.flatnonzero(keep)[order[:m]]
    return pinv, vec[:, sel].copy(), 1.0 / lam[sel]


def _series_statistics_design(dates, lap_pinv, n_low: int, *, quadratic: bool = True):
    """Basis and expected mode powers of :func:`multisensor_kernels.series_statistics` for one stack: the
    deterministic terms of the model (offset, trend, acceleration, annual) are removed first."""
    t = np.array([(d - dates[0]).days for d in dates], float) / DAYS_PER_YEAR
    span = max(t[-1], 1e-9)
    cols = [np.ones_like(t), t - t.mean()]
    if quadratic:
        cols.append((t - t.mean()) ** 2 - np.mean((t - t.mean()) ** 2))
    if span >= 1.5:
        cols += [np.sin(2 * math.pi * t), np.cos(2 * math.pi * t)]
    first_kl = len(cols)
    n_low = max(0, min(n_low, (t.size - first_kl - 3) // 2))
    # the slowest shapes beyond the deterministic terms: Legendre polynomials of the next degrees on the span
    x = 2.0 * t / span - 1.0
    first_deg = 3 if quadratic else 2
    for k in range(first_deg, first_deg + n_low):
        cols.append(np.polynomial.legendre.Legendre.basis(k)(x))
    basis = np.stack(cols, 1)
    kl = np.arange(first_kl, first_kl + n_low, dtype=np.int64)
    full_pinv = pinv_tall(basis)
    pinv = full_pinv[kl]
    s_, t_ = np.minimum.outer(t, t), np.maximum.outer(t, t)
    cov_irw = s_ * s_ * (3.0 * t_ - s_) / 6.0  # integrated random walk from the first date, unit density
    g_irw = np.einsum("ki,ij,kj->k", pinv, cov_irw, pinv)
    h_noise = np.einsum("ki,ki->k", pinv, pinv)
    d_net = np.einsum("ki,ij,kj->k", pinv, lap_pinv, pinv) if lap_pinv is not None else np.zeros(kl.size)
    # the drift's share of the lag-1 residuals, so that white noise is not counted twice
    d_lag1 = 0.0
    if lap_pinv is not None and t.size >= 3:
        h1, h2 = np.diff(t)[:-1], np.diff(t)[1:]
        wa, wc = -h2 / (h1 + h2), -h1 / (h1 + h2)
        i = np.arange(1, t.size - 1)
        d_lag1 = float(np.mean(wa * wa * lap_pinv[i - 1, i - 1] + lap_pinv[i, i] + wc * wc * lap_pinv[i + 1, i + 1]
                               + 2 * wa * lap_pinv[i - 1, i] + 2 * wc * lap_pinv[i, i + 1]
                               + 2 * wa * wc * lap_pinv[i - 1, i + 1]))
    return t, basis, np.ascontiguousarray(full_pinv), kl, g_irw, h_noise, d_net, d_lag1


#: ``n Var(s^2) / sigma^4`` of the white-noise variance from the median absolute lag-1 residual, ``n`` residuals:
#: 4 x 1.3605 for the median absolute deviation of independent normals, times 1.45 for the residuals' correlation
#: (``-2/3`` at lag 1, ``1/6`` at lag 2 on even dates; the indicators of ``|z| < MAD`` correlate by 0.054 and 0.0026
#: against a variance of 0.25); a simulation of 20,000 series of 150 dates gives 8.1
_MAD_VAR_FACTOR = 7.9


#: relative bias of the sample median of ``n`` half-normal values, ``-f'(m) / (8 n f(m)^3) / m`` at the half-normal's
#: median ``m = 0.6745`` (density ``f(m) = 0.6356``, slope ``f'(m) = -0.4287``), times ``n``
_MEDIAN_BIAS_N = 0.309


def _noise_power_bias(n_dates: int) -> float:
    """``E[s^2] / sigma^2`` of the median-based white-noise estimate of a series of ``n_dates`` dates: ``s`` is the
    sample median of the ``n = n_dates - 2`` absolute lag residuals, scaled; to first order ``E s = sigma (1 + b)``
    (``b`` the sample median's relative bias) and ``Var s = sigma^2 Var(s^2) / (4 sigma^4)``, so
    ``E s^2 / sigma^2 = 1 + 2 b + c / 4`` with ``c = n Var(s^2) / sigma^4 / n`` (:data:`_MAD_VAR_FACTOR`)."""
    n_z = n_dates - 2
    if n_z <= 0:
        return 1.0
    return 1.0 + 2.0 * _MEDIAN_BIAS_N / n_z + 0.25 * _MAD_VAR_FACTOR / n_z


def _mode_covariances(stats, lap_pinv):
    """Covariance of a stack's slow modes' fitted coefficients per unit white-noise variance and per unit
    interferogram variance (all dates valid): ``(H, D)``."""
    pk = stats[2][stats[3]]
    hm = np.einsum("ki,ji->kj", pk, pk)
    dm = np.einsum("ki,il,jl->kj", pk, lap_pinv, pk) if lap_pinv is not None else np.zeros_like(hm)
    return hm, dm


def _density_noise_design(stats, lap_pinv):
    """What the variance of a stack's density estimate under noise alone needs: the covariance of the slow modes'
    coefficients per unit white-noise variance ``H`` and per unit interferogram variance ``D`` (full, not only their
    diagonals: the modes' fitted coefficients are correlated), their cross products, and the relative variance of
    the white-noise estimate that the estimate subtracts."""
    t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = stats
    pk = pinv[kl]
    hm = np.einsum("ki,ji->kj", pk, pk)
    dm = np.einsum("ki,il,jl->kj", pk, lap_pinv, pk) if lap_pinv is not None else np.zeros_like(hm)
    n_z = t.size - 2
    if n_z > 0:
        h1, h2 = np.diff(t)[:-1], np.diff(t)[1:]
        k_bar = float(np.mean(1.0 + (h1 * h1 + h2 * h2) / ((h1 + h2) ** 2)))
        c_sig = _MAD_VAR_FACTOR / n_z
    else:
        k_bar, c_sig = 1.0, 0.0
    return (float(np.sum(hm * hm)), float(np.sum(hm * dm)), float(np.sum(dm * dm)), float(np.sum(np.diag(hm))),
            c_sig, float(d_lag1) / k_bar)


def _cross_designs(plans):
    """Per pair of stacks ``(a, b)`` whose slow modes see a common wander: ``(a, b, sum_k G_abk, m, noise)``, ``G_abk``
    the covariance of mode ``k``'s coefficients of the two stacks per unit integrated-random-walk density (both
    stacks' dates from one origin; the modes remove offset and trend, so the origin does not matter), ``m`` the
    modes used (the fewer of the two) and ``noise`` the sums of the products of the modes' noise covariances (white
    and interferogram noise of each stack) that give the products' variance under noise alone. Pairs whose modes
    share less than a tenth of their own wander (stacks far apart in time) are left out."""
    out = []
    for a in range(len(plans)):
        for b in range(a + 1, len(plans)):
            pa, pb = plans[a], plans[b]
            if pa.stats is None or pb.stats is None or pa.noise_mats is None or pb.noise_mats is None:
                continue
            m = min(pa.stats[3].size, pb.stats[3].size)
            if m == 0:
                continue
            t0 = min(pa.dates[0], pb.dates[0])
            ta = np.array([(d - t0).days for d in pa.dates], float) / DAYS_PER_YEAR
            tb = np.array([(d - t0).days for d in pb.dates], float) / DAYS_PER_YEAR
            s_, t_ = np.minimum.outer(ta, tb), np.maximum.outer(ta, tb)
            cov = s_ * s_ * (3.0 * t_ - s_) / 6.0
            ka, kb = pa.stats[2][pa.stats[3][:m]], pb.stats[2][pb.stats[3][:m]]
            g = np.einsum("ki,ij,kj->k", ka, cov, kb)
            g_sum = float(np.sum(g))
            own = math.sqrt(float(np.sum(pa.stats[4][:m])) * float(np.sum(pb.stats[4][:m])))
            if not g_sum > 0.1 * own:
                continue
            (ha, da), (hb, db) = pa.noise_mats, pb.noise_mats
            ha, da, hb, db = ha[:m, :m], da[:m, :m], hb[:m, :m], db[:m, :m]
            out.append((a, b, g_sum, m, (float(np.sum(ha * hb)), float(np.sum(ha * db)), float(np.sum(da * hb)),
                                         float(np.sum(da * db)))))
    return out


def _density_noise_variance(design, s2, sn2, g_sum, exact, h_noise, d_net):
    """Variance of a stack's signed density estimate under noise alone (white noise ``s2``, interferogram noise
    ``sn2``, per pixel): ``2 tr(C^2)`` of the slow modes' coefficients ``C = s2 H + sn2 D``, plus the scatter of the
    subtracted white-noise power ``s2 tr(H)`` (``exact``; else the diagonal of ``C`` alone, as before)."""
    if not g_sum > 0:
        return np.full(np.shape(s2), np.nan)
    if not exact:
        pw = s2[None, :] * h_noise[:, None] + sn2[None, :] * d_net[:, None]
        return 2.0 * np.sum(pw * pw, axis=0) / (g_sum * g_sum)
    hh, hd, dd, tr_h, c_sig, lag = design
    var_c = 2.0 * (s2 * s2 * hh + 2.0 * s2 * sn2 * hd + sn2 * sn2 * dd)
    var_s = c_sig * (s2 + sn2 * lag) ** 2 * tr_h * tr_h
    return (var_c + var_s) / (g_sum * g_sum)


def _empty_outputs(k, n_pix, n_stk, n_fun) -> dict:
    nan = np.nan
    return {"d": np.full((2, k, n_pix), nan, np.float32), "s": np.full((2, k, n_pix), nan, np.float32),
            "vel": np.full((2, n_pix), nan), "svel": np.full((2, n_pix), nan), "fun": np.full((n_fun, 2, n_pix), nan),
            "sfun": np.full((n_fun, 2, n_pix), nan), "leak": np.full((2, n_pix), nan),
            "north": np.full(n_pix, nan), "snorth": np.full(n_pix, nan), "res": np.full((n_stk, n_pix), nan),
            "nres": np.zeros((n_stk, n_pix), np.int32), "chi2": np.full(n_pix, nan)}


def _geometry_condition(gh, gu, used) -> np.ndarray:
    """``sqrt(l_max / l_min)`` of ``sum_s g_s g_s^T`` over the stacks used at each pixel (inf when singular)."""
    w = used.astype(float)
    a = np.nansum(w * gh * gh, axis=0)
    b = np.nansum(w * gh * gu, axis=0)
    c = np.nansum(w * gu * gu, axis=0)
    tr = a + c
    det = a * c - b * b
    disc = np.sqrt(np.maximum(tr * tr / 4.0 - det, 0.0))
    lmax, lmin = tr / 2.0 + disc, tr / 2.0 - disc
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.sqrt(lmax / lmin)
    return np.where(lmin > 1e-12 * np.maximum(lmax, 1e-300), cond, np.inf)


def _split_normal(q_los, gh, gu, var_q, reg=None):
    """Normal equations of ``q_s = gH_s^2 q_H + gU_s^2 q_U`` over the stacks ``s`` of each pixel, weighed by the
    inverse of ``var_q`` (S, P; None: equal weights): ``(ok, (n11, n12, n22), (r1, r2), det)``, ``ok`` (S, P)
    the stacks used."""
    a, b = (gh * gh, gu * gu) if reg is None else reg
    ok = np.isfinite(q_los) & np.isfinite(a) & np.isfinite(b)
    if var_q is None:
        w = ok.astype(float)
    else:
        ok &= np.isfinite(var_q)
        w = np.where(ok, 1.0 / np.maximum(np.where(ok, var_q, 1.0), 1e-12), 0.0)
    a = np.where(ok, a, 0.0)
    b = np.where(ok, b, 0.0)
    y = np.where(ok, q_los, 0.0)
    n11, n12, n22 = (w * a * a).sum(0), (w * a * b).sum(0), (w * b * b).sum(0)
    r1, r2 = (w * a * y).sum(0), (w * b * y).sum(0)
    return ok, (n11, n12, n22), (r1, r2), n11 * n22 - n12 * n12


def _split_process_noise(q_los, gh, gu, floor, var_q=None, reg=None):
    """``q_s = gH_s^2 q_H + gU_s^2 q_U`` by weighted non-negative least squares over the stacks of each pixel.

    ``var_q`` (S, P): the variance of each stack's estimate ``q_los`` under noise alone, whose inverse weighs
    the stack (equal weights when None). A short or sparse stack, whose estimate scatters by hundreds of
    mm^2/yr^3 where a long one pins the density to a few tenths, then hardly moves the density: with equal
    weights its clipped noise made the density of every pixel it covers tens of times too large."""
    ok, (n11, n12, n22), (r1, r2), det = _split_normal(q_los, gh, gu, var_q, reg)
    with np.errstate(divide="ignore", invalid="ignore"):
        qh = (n22 * r1 - n12 * r2) / det
        qu = (n11 * r2 - n12 * r1) / det
        # east and up densities are told apart only by stacks whose e^2 : u^2 differ (not a symmetric asc/desc pair)
        well = det > 0.1 * (n11 * n22)
        only_u = r2 / n22
        only_h = r1 / n11
        # not separable (e.g. a symmetric ascending + descending pair): the LOS variability is shared alike
        iso = (r1 + r2) / (n11 + 2 * n12 + n22)
    qh2 = np.where(qh < 0, 0.0, np.where(qu < 0, only_h, qh))
    qu2 = np.where(qu < 0, 0.0, np.where(qh < 0, only_u, qu))
    qh = np.where(well, qh2, iso)
    qu = np.where(well, qu2, iso)
    any_ok = ok.any(axis=0)
    qh = np.where(any_ok, np.maximum(np.nan_to_num(qh), 0.0), np.nan)
    qu = np.where(any_ok, np.maximum(np.nan_to_num(qu), 0.0), np.nan)
    return np.maximum(qh, floor), np.maximum(qu, floor)


def _split_signed(q_los, gh, gu, var_q, reg=None):
    """Signed ``(q_H, q_U)`` (2, P) by weighted least squares over the stacks, and their variances (2, P).

    As :func:`_split_process_noise` but never clipped (an average of them over pixels is unbiased): where
    the stacks' ``e^2 : u^2`` do not differ enough, both components share the isotropic estimate."""
    ok, (n11, n12, n22), (r1, r2), det = _split_normal(q_los, gh, gu, var_q, reg)
    with np.errstate(divide="ignore", invalid="ignore"):
        well = det > 0.1 * (n11 * n22)
        n_iso = n11 + 2 * n12 + n22
        iso = (r1 + r2) / n_iso
        qh = np.where(well, (n22 * r1 - n12 * r2) / det, iso)
        qu = np.where(well, (n11 * r2 - n12 * r1) / det, iso)
        vh = np.where(well, n22 / det, 1.0 / n_iso)
        vu = np.where(well, n11 / det, 1.0 / n_iso)
    bad = ~ok.any(axis=0) | ~(n_iso > 0)
    q = np.where(bad, np.nan, np.stack([qh, qu]))
    v = np.where(bad, np.nan, np.stack([vh, vu]))
    return q, v


def _scene_prior(q, v, *, inflation=None, mean_error=False, spread=False, mean_spread=False):
    """Mean and spread over the ground ``(m, tau^2, var m)`` of a density, from signed estimates ``q`` with noise
    variances ``v`` (random-effects moments of DerSimonian & Laird 1986; the mean kept >= 0; ``var m`` the
    variance of the mean were the pixels independent: neighbours sharing the atmosphere make it larger).

    ``inflation``: the variance of the sample's mean under noise alone against that of independent pixels,
    ``n / n_eff``. ``spread``: the moments' expected scatter under noise alone ``n - n / n_eff`` instead of
    ``n - 1`` (the common part of correlated errors does not scatter). ``mean_error``: ``var m`` with the noise's
    share inflated, and the mean the positive part of ``m^2 - var m`` under the root (its square's noise
    subtracted, as a gap's velocity change gives back its own). ``mean_spread``: ``var m`` (so inflated) added to
    ``tau^2``."""
    ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
    q, v = q[ok], v[ok]
    if q.size < 2:
        return (0.0, 0.0, 0.0)
    w = 1.0 / v
    sw = w.sum()
    m_fix = float((w * q).sum() / sw)
    big_q = float((w * (q - m_fix) ** 2).sum())
    infl = 1.0 if inflation is None else min(max(float(inflation), 1.0), float(q.size))
    expect = q.size - (infl if spread else 1.0)
    tau2 = max(0.0, (big_q - expect) / (sw - (w * w).sum() / sw))
    wr = 1.0 / (v + tau2)
    m = float((wr * q).sum() / wr.sum())
    if inflation is None or not (mean_error or mean_spread):
        return (max(m, 0.0), tau2, float(1.0 / wr.sum()))
    var_m = float((wr * wr * (v * infl + tau2)).sum() / wr.sum() ** 2)
    if mean_error:
        m = math.sqrt(m * m - var_m) if m * m > var_m and m > 0 else 0.0
    return (max(m, 0.0), tau2 + var_m if mean_spread else tau2, var_m)


def _split_inflation(q_los, gh, gu, var_q, reg, infl, todo):
    """Per component (east, up), the variance of the sample's mean of the east/up density against that of
    independent pixels: each row's (stack's) ``infl`` weighed by its share of the split estimates' variance over
    the pixels ``todo`` (the stacks' noises are independent)."""
    q_los, gh, gu, var_q = q_los[:, todo], gh[:, todo], gu[:, todo], var_q[:, todo]
    if reg is not None:
        reg = (reg[0][:, todo], reg[1][:, todo])
    ok, (n11, n12, n22), _, det = _split_normal(q_los, gh, gu, var_q, reg)
    a, b = (gh * gh, gu * gu) if reg is None else reg
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok, 1.0 / np.maximum(np.where(ok, var_q, 1.0), 1e-12), 0.0)
        a, b = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
        well = det > 0.1 * (n11 * n22)
        n_iso = n11 + 2 * n12 + n22
        iso = w * (a + b) / n_iso
        coef = (np.where(well, w * (n22 * a - n12 * b) / det, iso), np.where(well, w * (n11 * b - n12 * a) / det, iso))
        out = []
        for c_ in coef:
            share = np.nansum(np.where(ok, c_ * c_ / np.where(w > 0, w, 1.0), 0.0), axis=1)
            tot = share.sum()
            out.append(float((share * infl).sum() / tot) if tot > 0 and np.isfinite(tot) else 1.0)
    return tuple(out)


def _local_prior(q, v, todo, shape, w):
    """A prior that varies over the scene: at every node of the sampled grid ``shape`` (rows, cols), the
    random-effects moments (:func:`_scene_prior`) of the estimates ``q`` (variances ``v``; flat over the grid,
    only ``todo`` used) on the ``(2 w + 1) x (2 w + 1)`` nodes around it (clipped at the edges): ``(m, tau^2)``
    fields (rows, cols). A node with fewer than 4 usable neighbours takes the scene's moments."""
    rows, cols = shape
    use = np.zeros(rows * cols, bool)
    use[todo] = True
    qg = np.where(use, q, np.nan).reshape(rows, cols)
    vg = np.where(use, v, np.nan).reshape(rows, cols)
    whole = _scene_prior(q[todo], v[todo])
    m = np.empty(shape)
    t2 = np.empty(shape)
    for i in range(rows):
        a0, a1 = max(0, i - w), min(rows, i + w + 1)
        for j in range(cols):
            b0, b1 = max(0, j - w), min(cols, j + w + 1)
            qq, vv = qg[a0:a1, b0:b1].ravel(), vg[a0:a1, b0:b1].ravel()
            if np.count_nonzero(np.isfinite(qq) & np.isfinite(vv) & (vv > 0)) < 4:
                m[i, j], t2[i, j] = whole[0], whole[1]
            else:
                m[i, j], t2[i, j] = _scene_prior(qq, vv)[:2]
    return (m, t2)


def _bilinear(field, r_nodes, c_nodes, rows, cols):
    """``field`` (nodes on rows ``r_nodes`` x columns ``c_nodes`` of the grid) at grid pixels ``rows``, ``cols``
    (flat), bilinear between the nodes, constant beyond the outermost ones."""
    fr = np.interp(rows, r_nodes, np.arange(r_nodes.size, dtype=float))
    fc = np.interp(cols, c_nodes, np.arange(c_nodes.size, dtype=float))
    r0 = np.minimum(np.floor(fr).astype(np.int64), r_nodes.size - 1)
    c0 = np.minimum(np.floor(fc).astype(np.int64), c_nodes.size - 1)
    r1 = np.minimum(r0 + 1, r_nodes.size - 1)
    c1 = np.minimum(c0 + 1, c_nodes.size - 1)
    ar, ac = fr - r0, fc - c0
    return ((1 - ar) * ((1 - ac) * field[r0, c0] + ac * field[r0, c1])
            + ar * ((1 - ac) * field[r1, c0] + ac * field[r1, c1]))


#: the densities (mm^2/yr^3) on which :func:`_grid_prior` puts its weights: zero (ground that does not wander), then
#: geometric steps of 1.45 from 10^-3 to 3 10^4
_DENSITY_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 3e4, 47)])
_GRID_EM_STEPS = 300


def _grid_loglik(q, v, kind):
    """Log-likelihood (n, J) of each estimate ``q`` (variance ``v`` under noise alone) at every density of
    :data:`_DENSITY_GRID`, up to a constant per estimate. ``"change"``: ``q = (dv^2 - b) / T`` of a velocity change
    ``dv`` across a gap whose noise power is ``b = k s^2`` (``s^2`` the variance of ``dv``, ``k``
    :data:`_GAP_NOISE_SHARE`; the estimate's variance ``v = 2 s^4 / T^2``, that of the square of a normal ``dv``),
    so that ``dv^2 / T = q + k sqrt(v / 2)`` and ``dv ~ N(0, b + theta T)``: the normal likelihood of ``dv``.
    ``"normal"``: ``q ~ N(theta, v)``."""
    th = _DENSITY_GRID[None, :]
    q = q[:, None]
    v = v[:, None]
    if kind == "change":
        b = np.sqrt(0.5 * _GAP_NOISE_SHARE ** 2 * v)
        s = b + th
        return -0.5 * np.log(s) - 0.5 * (q + b) / s
    return -0.5 * (q - th) ** 2 / v


def _grid_prior(q, v, kind):
    """A nonparametric prior over a density (g-modelling): weights on :data:`_DENSITY_GRID` maximising the sampled
    estimates' marginal likelihood (EM for the NPMLE, a fixed number of steps from equal weights). Returns
    ``(mean, variance over the ground, 0, weights, kind)``."""
    ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
    n_grid = _DENSITY_GRID.size
    if np.count_nonzero(ok) < 2:
        return (0.0, 0.0, 0.0, np.r_[1.0, np.zeros(n_grid - 1)], kind)
    ll = _grid_loglik(q[ok], v[ok], kind)
    lik = np.exp(ll - ll.max(axis=1, keepdims=True))
    w = np.full(n_grid, 1.0 / n_grid)
    for _ in range(_GRID_EM_STEPS):
        post = lik * w
        post /= post.sum(axis=1, keepdims=True)
        w = post.mean(axis=0)
    m = float(np.sum(w * _DENSITY_GRID))
    return (m, float(np.sum(w * (_DENSITY_GRID - m) ** 2)), 0.0, w, kind)


def _grid_posterior(q, v, prior):
    """Each pixel's posterior mean density under a grid prior (:func:`_grid_prior`): a pixel whose estimate says it
    does not wander sits near zero, one that wanders near its own density; the prior mean without an estimate."""
    m, w, kind = prior[0], prior[3], prior[4]
    ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
    out = np.full(np.shape(q), m, dtype=float)
    if ok.any():
        ll = _grid_loglik(q[ok], v[ok], kind)
        post = np.exp(ll - ll.max(axis=1, keepdims=True)) * w[None, :]
        out[ok] = (post * _DENSITY_GRID[None, :]).sum(axis=1) / post.sum(axis=1)
    return out


def _shrink(q, v, prior):
    """Posterior mean of a density: the estimate ``q`` (variance ``v``) shrunk toward the prior ``(m, tau^2)``
    by their precisions; the prior mean where the pixel has no estimate. A grid prior (:func:`_grid_prior`): the
    posterior mean over its grid."""
    if len(prior) > 3:
        return _grid_posterior(np.asarray(q, float), np.asarray(v, float), prior)
    m, tau2 = prior[0], prior[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(tau2 > 0, tau2 / (tau2 + v), 0.0)
        post = m + k * (q - m)
    return np.where(np.isfinite(post), post, m)


@dataclass
class MultisensorResult:
    """Outputs of :func:`solve_multisensor` on the whole grid.

    Attributes
    ----------
    dates : list of date
        Model dates (the union of all stacks' dates, plus flagged dates inside gaps).
    observed : ndarray (K,) bool
        False for the dates inside gaps (no observation; the temporal model's bridge).
    reference_date : date
        Datum: every displacement is 0 there.
    gaps : list of Gap
    north : str
        How north was handled.
    arrays : dict
        ``east``, ``up``, ``sigma_east``, ``sigma_up`` (K, rows, cols) mm; ``north``/``sigma_north``
        (modes given/slope); ``velocity``/``sigma_velocity`` (2, rows, cols) east, up mm/yr;
        ``velocity_north`` (given/slope); ``leak_per_north`` (2, rows, cols) velocity response to
        1 mm/yr of north motion (mode zero); ``gap_displacement``/``gap_sigma`` (G, 2, rows, cols);
        ``process_noise`` (2, ...) the whole series', ``period_process_noise`` (G + 1, 2, ...) each period
        between gaps' (the one the model uses there), ``gap_process_noise`` (G, 2, ...) mm^2/yr^3;
        ``noise_sigma``, ``residual_rms``, ``observations``, ``dropped`` (S, rows, cols) per stack;
        ``chi2`` (mean squared normalised residual), ``status`` (:data:`STATUS`), ``north_mode``
        (:data:`NORTH_CODES`).
    stacks : list of str
    report : list of str
    """

    dates: list
    observed: np.ndarray
    reference_date: _dt.date
    gaps: list
    north: str
    arrays: dict
    stacks: list
    report: list

    def __getitem__(self, key):
        return self.arrays[key]


def check_spatial_overlap(footprints: Mapping[str, np.ndarray]) -> None:
    """Refuse stacks that share no pixel with any other stack.

    Parameters
    ----------
    footprints : mapping name -> ndarray (rows, cols) bool
        Pixels where each stack has data.
    """
    names = list(footprints)
    masks = {n: np.asarray(footprints[n], bool) for n in names}
    for n in names:
        if not masks[n].any():
            raise GeohazardError(f"stack {n!r} has no data on the output grid")
        if len(names) > 1 and not any((masks[n] & masks[m]).any() for m in names if m != n):
            others = ", ".join(repr(m) for m in names if m != n)
            raise GeohazardError(f"stack {n!r} and the other stacks ({others}) do not overlap in space; "
                                 "check its extent and CRS")


def solve_multisensor(stacks: Sequence[Stack], *, north: Optional[NorthModel] = None, reference_rc=None,
                      block_rows: Optional[int] = None, max_memory_mb: Optional[float] = None, executor=None,
                      progress=None, **options) -> MultisensorResult:
    """Joint east/up time series of in-memory stacks on one grid (see the module notes).

    Parameters
    ----------
    stacks : sequence of Stack
        With ``values`` (n_obs, rows, cols) on one grid.
    north : NorthModel
    reference_rc : (row, col), optional
        A common reference point: every stack's values there are subtracted first.
    block_rows, max_memory_mb : optional
        Block layout of the engine (results do not depend on it).
    executor, progress : optional
        As :func:`algorithms.engine.process_blocks`.
    **options
        Options of :class:`MultisensorProblem`.

    Returns
    -------
    MultisensorResult
    """
    from ..engine import map_blocks

    if not stacks:
        raise GeohazardError("no stack was given")
    first = stacks[0].values
    if not isinstance(first, np.ndarray) or first.ndim != 3:
        raise GeohazardError(f"stack {stacks[0].name!r}: values must be an array (n_obs, rows, cols)")
    shape = first.shape[1:]
    stacks = list(stacks)
    if reference_rc is not None:
        rr, rc = (int(v) for v in reference_rc)
        if not (0 <= rr < shape[0] and 0 <= rc < shape[1]):
            raise GeohazardError(f"reference point (row {rr}, col {rc}) lies outside the grid {shape}")
        out = []
        for s in stacks:
            ref = np.asarray(s.values[:, rr, rc], np.float64)
            if np.isnan(ref).mean() > 0.5:
                raise GeohazardError(f"stack {s.name!r} has no data at the common reference point "
                                     f"(row {rr}, col {rc}) for {int(np.isnan(ref).sum())} of {ref.size} bands")
            out.append(_replace(s, reference_values=ref, reference_rc=(rr, rc)))
        stacks = out
    problem = MultisensorProblem(stacks, shape=shape, north=north, **options)
    check_spatial_overlap({s.name: np.isfinite(np.asarray(s.values)).any(axis=0) for s in stacks})
    for s in stacks:
        if s.reference_rc is not None and not np.isfinite(np.asarray(s.values)[:, s.reference_rc[0],
                                                                                  s.reference_rc[1]]).any():
            raise GeohazardError(f"stack {s.name!r} has no data at its reference point {tuple(s.reference_rc)}")
    names = ["east", "up", "sigma_east", "sigma_up", "velocity", "sigma_velocity", "gap_displacement", "gap_sigma",
             "gap_process_noise", "process_noise", "period_process_noise", "noise_sigma", "residual_rms",
             "observations", "dropped", "chi2", "status", "north_mode"]
    if problem.north.mode == "zero":
        names.append("leak_per_north")
    else:
        names += ["north", "sigma_north", "velocity_north", "sigma_velocity_north"]
    problem.calibrate(problem.sources())
    arrays = map_blocks(problem, problem.sources(), n_rows=shape[0], n_cols=shape[1], outputs=names,
                        bytes_per_pixel=problem.bytes_per_pixel(), block_rows=block_rows, max_memory_mb=max_memory_mb,
                        executor=executor, progress=progress)
    return MultisensorResult(problem.dates, problem.observed, problem.reference_date, problem.gaps,
                             problem.north.label, arrays, [p.spec.name for p in problem.plans], problem.report())


def _replace(stack: Stack, **changes) -> Stack:
    from dataclasses import replace

    return replace(stack, **changes)


def grid_points_to_stack(x, y, series, los_east, los_north, los_up, grid, *, sigma=None):
    """Average point LOS series (EGMS L2a/L2b, PS) onto a grid's cells.

    Parameters
    ----------
    x, y : ndarray (n,)
        Point coordinates in the grid's CRS.
    series : ndarray (n_dates, n)
        LOS displacement, mm (NaN = missing).
    los_east, los_north, los_up : ndarray (n,)
        Each point's ground-to-satellite unit vector.
    grid : :class:`algorithms.geometry.decomposition.Grid`
    sigma : ndarray (n,), optional
        Per-point noise (e.g. EGMS ``rmse``), combined as the standard error of the cell mean.

    Returns
    -------
    dict
        ``values`` (n_dates, rows, cols) cell means (NaN where no point), ``los_east``,
        ``los_north``, ``los_up`` (rows, cols) mean unit vectors (renormalised), ``count``
        (rows, cols) points per cell, ``sigma`` (rows, cols) or None.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    series = np.asarray(series, float)
    if series.ndim != 2 or series.shape[1] != x.size:
        raise GeohazardError(f"series has shape {series.shape}, expected (n_dates, {x.size})")
    r, c = grid.cell_index(x, y)
    inside = r >= 0
    cell = (r * grid.n_cols + c)[inside]
    ncell = grid.n_rows * grid.n_cols
    count = np.bincount(cell, minlength=ncell).astype(float)
    vals = np.full((series.shape[0], ncell), np.nan)
    for t in range(series.shape[0]):
        v = series[t, inside]
        ok = np.isfinite(v)
        s = np.bincount(cell[ok], weights=v[ok], minlength=ncell)
        n = np.bincount(cell[ok], minlength=ncell)
        with np.errstate(invalid="ignore", divide="ignore"):
            vals[t] = np.where(n > 0, s / n, np.nan)
    vec = []
    for comp in (los_east, los_north, los_up):
        s = np.bincount(cell, weights=np.asarray(comp, float)[inside], minlength=ncell)
        with np.errstate(invalid="ignore", divide="ignore"):
            vec.append(np.where(count > 0, s / count, np.nan))
    norm = np.sqrt(vec[0] ** 2 + vec[1] ** 2 + vec[2] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        vec = [v / norm for v in vec]
    sig = None
    if sigma is not None:
        s2 = np.bincount(cell, weights=np.asarray(sigma, float)[inside] ** 2, minlength=ncell)
        with np.errstate(invalid="ignore", divide="ignore"):
            sig = np.where(count > 0, np.sqrt(s2) / count, np.nan).reshape(grid.n_rows, grid.n_cols)
    shp = (grid.n_rows, grid.n_cols)
    return {"values": vals.reshape((series.shape[0],) + shp), "los_east": vec[0].reshape(shp),
            "los_north": vec[1].reshape(shp), "los_up": vec[2].reshape(shp), "count": count.reshape(shp),
            "sigma": sig}


__all__ = ["Stack", "NorthModel", "Gap", "MultisensorProblem", "MultisensorResult", "solve_multisensor",
           "check_spatial_overlap", "grid_points_to_stack", "NORTH_MODES", "NORTH_CODES", "STATUS"]
