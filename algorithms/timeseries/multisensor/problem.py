"""The multi-sensor problem (its mixins joined) and the one-call solve on arrays."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

from ...engine import map_blocks
from ...errors import GeohazardError
from .dates import _Dates
from .density import _cross_designs, _Density
from .model import MIN_DATES, NORTH_MODES, NorthModel, Stack
from .outputs import _Outputs
from .plan import _Plan
from .solve import _Solve


class MultisensorProblem(_Plan, _Dates, _Density, _Solve, _Outputs):
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
                 max_condition: float = 10.0, min_dates: int = MIN_DATES, network_modes: int = 2, low_modes: int = 3,
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
