"""The multi-sensor model's plain values: a stack, the north model, a gap, the units and status codes."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from ...conventions import phase_to_los_mm

NORTH_MODES = ("zero", "given", "slope")


UNITS = ("mm", "m", "rad")


def los_mm(values, units: str, wavelength_m=None, phase_sign: int = -1) -> np.ndarray:
    """A stack's values in LOS mm from its ``units`` (:data:`UNITS`): metres x 1000, radians through the wavelength
    (:func:`~algorithms.conventions.phase_to_los_mm`; ``phase_sign`` -1: the phase grows with the range), mm as
    given. The one conversion of the multi-sensor stacks (the core's and the adapter's datum)."""
    v = np.asarray(values, np.float64)
    if units == "m":
        return v * 1000.0
    if units == "rad":
        return phase_to_los_mm(v, float(wavelength_m), phase_sign=phase_sign)
    return v


NORTH_CODES = {"zero": 0, "given": 1, "slope": 2, "slope too gentle (north = 0)": 3}


STATUS = {0: "solved", 1: "no data", 2: "one geometry (east and up not separable)", 3: "singular"}


#: A stack enters a pixel's solution with at least this many valid dates there (``min_dates``'s default).
MIN_DATES = 8


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


def block_bytes_per_pixel(n_obs: int, n_series: int, n_dates: int, n_stacks: int, n_gaps: int) -> float:
    """Memory of one pixel in a block of the joint solve: ``n_obs`` input bands and ``n_series`` per-date values summed
    over the stacks, ``n_dates`` model dates (:meth:`MultisensorProblem.bytes_per_pixel`)."""
    return 8.0 * (n_obs * 2 + n_series * 3 + n_dates * 6 + 16 * n_stacks + 8 * n_gaps + 32)


# ------------------------------------------------------------------ the kernels' constants
#: Half-bandwidth of the banded core (two components x two neighbouring dates).
P = 4
#: Pixels solved together in one batch (the last axis of every work array).
BATCH = 128
#: Knot rows per tile of the border solve (their rows of every border fit in a core's L2 cache).
ROW_TILE = 8
#: Relative pivot below which a pixel's normal matrix is declared singular.
PIVOT_RTOL = 1e-11

STATUS_OK = 0
STATUS_NO_DATA = 1
STATUS_GEOMETRY = 2
STATUS_SINGULAR = 3
