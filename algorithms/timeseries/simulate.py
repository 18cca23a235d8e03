"""Physically honest simulator of a coregistered SLC stack (PS + DS), with its truth.

Used by the tests and the benchmarks of the PS/DS tools, and by users who want to try a
processing chain on a stack whose answer is known.

Model (per pixel, date ``m``)
----------------------------
* **Signal phase** ``theta_m = phi_defo + phi_topo + phi_atmo`` (radians), with
  ``phi_defo = -4 pi / lambda * d_los`` (LOS positive toward the satellite, phase growing
  with range, :mod:`algorithms.conventions`), ``phi_topo = kappa_m * dh`` (DEM error
  ``dh`` in metres times :func:`dem_error_phase_per_m`) and a smooth, spatially correlated
  atmospheric screen per date (Gaussian-filtered white noise).
* **Distributed scatterers** (DS): circular complex Gaussian speckle ``s = sqrt(sigma) L z``,
  ``z ~ CN(0, I)``, ``L L^H = Gamma``, multiplied by ``exp(j theta)``. The coherence matrix
  of each land-cover class is
  ``Gamma_mn = [(g0 - ginf) exp(-|t_m - t_n| / tau) + ginf] * s_m s_n`` (``m != n``,
  ``Gamma_mm = 1``): exponential decorrelation towards a long-term coherence ``ginf``
  (Parizzi & Brcic 2011), scaled by a seasonal factor ``s_m`` that drops in winter
  (snow, vegetation). The matrix is positive semi-definite by construction (Schur
  product of PSD kernels plus a non-negative diagonal).
* **Permanent scatterers** (PS): a deterministic echo ``A exp(j theta)`` plus circular
  Gaussian clutter of power ``A^2 / SCR``; their amplitude dispersion is then about
  ``1 / sqrt(2 SCR)`` (Ferretti et al. 2001).
* A decorrelated region (water) with ``Gamma = I`` (pure speckle).

References
----------
Ferretti A., Prati C., Rocca F. (2001), Permanent scatterers in SAR interferometry,
IEEE TGRS 39(1), doi:10.1109/36.898661.
Parizzi A., Brcic R. (2011), Adaptive InSAR stack multilooking exploiting amplitude
statistics, IEEE GRSL 8(3), doi:10.1109/LGRS.2010.2083631.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np

from ..conventions import (
    DAYS_PER_YEAR,
    SENTINEL1_WAVELENGTH_M,
    dem_error_phase_per_m,
    los_mm_to_phase,
)
from ..errors import GeohazardError


@dataclass
class LandClass:
    """Scattering statistics of one land-cover class of distributed scatterers."""

    gamma0: float = 0.8  #: short-term coherence (thermal / instantaneous decorrelation)
    gamma_inf: float = 0.2  #: long-term coherence
    tau_days: float = 60.0  #: exponential decorrelation time
    seasonal: float = 0.3  #: winter coherence drop (0 = none)
    intensity: float = 1.0  #: mean backscatter power


@dataclass
class SimulatedStack:
    """A simulated SLC stack and its truth (see the module docstring)."""

    slc: np.ndarray  #: (n_dates, rows, cols) complex64
    dates: list  #: datetime.date per date
    phase_true: np.ndarray  #: (n_dates, rows, cols) signal phase minus date 0 (radians)
    velocity_mm_yr: np.ndarray  #: (rows, cols) LOS velocity, positive toward the satellite
    dem_error_m: np.ndarray  #: (rows, cols)
    atmosphere_rad: np.ndarray  #: (n_dates, rows, cols), minus date 0
    bperp_m: np.ndarray  #: (n_dates,) relative to date 0
    ps_mask: np.ndarray  #: (rows, cols) bool
    labels: np.ndarray  #: (rows, cols) land class index, -1 water, -2 PS
    classes: list = field(default_factory=list)
    wavelength_m: float = SENTINEL1_WAVELENGTH_M
    slant_range_m: float = 850_000.0
    incidence_deg: float = 37.0

    @property
    def time_yr(self) -> np.ndarray:
        return np.array([(d - self.dates[0]).days for d in self.dates], float) / DAYS_PER_YEAR

    def coherence_matrix(self, label: int) -> np.ndarray:
        """True coherence matrix (n_dates, n_dates) of land class ``label``."""
        if label < 0:
            return np.eye(len(self.dates))
        return _class_coherence(self.classes[label], self.dates)


def _class_coherence(cls: LandClass, dates) -> np.ndarray:
    t = np.array([(d - dates[0]).days for d in dates], float)
    doy = np.array([d.timetuple().tm_yday for d in dates], float)
    s = 1.0 - cls.seasonal * 0.5 * (1.0 + np.cos(2.0 * np.pi * (doy - 15.0) / 365.25))
    g = ((cls.gamma0 - cls.gamma_inf) * np.exp(-np.abs(t[:, None] - t[None, :]) / cls.tau_days) + cls.gamma_inf)
    g = g * np.outer(s, s)
    np.fill_diagonal(g, 1.0)
    return g


def _smooth_field(rng, shape, sigma_px, std):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), sigma_px, mode="wrap")
    sd = f.std()
    return f * (std / sd) if sd > 0 else f


def simulate_slc_stack(*, shape=(64, 64), n_dates: int = 30, revisit_days: int = 12,
                       start=_dt.date(2020, 1, 1), seed: int = 0, classes=None,
                       ps_fraction: float = 0.02, ps_scr_db=(15.0, 25.0), water_fraction: float = 0.0,
                       max_velocity_mm_yr: float = -20.0, bowl_radius_px: float | None = None,
                       dem_error_std_m: float = 10.0, bperp_std_m: float = 60.0,
                       atmosphere_std_rad: float = 1.0, atmosphere_scale_px: float = 20.0,
                       wavelength_m: float = SENTINEL1_WAVELENGTH_M, slant_range_m: float = 850_000.0,
                       incidence_deg: float = 37.0) -> SimulatedStack:
    """Simulate a coregistered SLC stack with PS, DS, deformation, DEM error and atmosphere.

    Parameters
    ----------
    shape : (rows, cols)
        Image size in pixels.
    n_dates, revisit_days : int
        Number of acquisitions and their spacing (days).
    start : datetime.date
        First acquisition.
    seed : int
        Random seed (the result is reproducible).
    classes : list of LandClass, optional
        DS land-cover classes laid out as vertical bands; default: three classes of
        different brightness and decorrelation.
    ps_fraction : float
        Fraction of pixels that are PS (placed at random, outside water).
    ps_scr_db : (low, high)
        Signal-to-clutter ratio of the PS, uniform in dB.
    water_fraction : float
        Width of a decorrelated horizontal band (fraction of the rows) in the middle.
    max_velocity_mm_yr : float
        Peak LOS velocity of a Gaussian deformation bowl centred in the image (mm/yr,
        positive toward the satellite; negative = subsidence).
    bowl_radius_px : float, optional
        Standard deviation of the bowl (pixels); default a quarter of the image.
    dem_error_std_m : float
        Standard deviation of PS DEM errors (metres); DS get a smooth field with a
        fifth of it.
    bperp_std_m : float
        Standard deviation of the perpendicular baselines (metres; date 0 at 0).
    atmosphere_std_rad, atmosphere_scale_px : float
        Standard deviation (radians) and correlation length (pixels) of the screens.
    wavelength_m, slant_range_m, incidence_deg : float
        Acquisition geometry (defaults: Sentinel-1).

    Returns
    -------
    SimulatedStack
    """
    rows, cols = (int(shape[0]), int(shape[1]))
    if rows < 2 or cols < 2 or n_dates < 3:
        raise GeohazardError(f"simulate_slc_stack needs shape >= (2, 2) and n_dates >= 3, got {shape}, {n_dates}")
    rng = np.random.default_rng(seed)
    if classes is None:
        classes = [LandClass(0.85, 0.35, 80.0, 0.2, 1.0), LandClass(0.7, 0.15, 40.0, 0.4, 4.0),
                   LandClass(0.9, 0.5, 120.0, 0.1, 0.3)]
    dates = [start + _dt.timedelta(days=revisit_days * i) for i in range(n_dates)]
    t_yr = np.array([(d - dates[0]).days for d in dates], float) / DAYS_PER_YEAR
    labels = np.repeat((np.arange(cols) * len(classes) // cols)[None, :], rows, axis=0).astype(np.int32)
    if water_fraction > 0:
        h = max(1, int(round(water_fraction * rows)))
        r0 = (rows - h) // 2
        labels[r0:r0 + h] = -1
    ps = (rng.random((rows, cols)) < ps_fraction) & (labels >= 0)
    labels[ps] = -2

    rr, cc = np.mgrid[0:rows, 0:cols].astype(float)
    radius = bowl_radius_px or max(rows, cols) / 4.0
    vel = max_velocity_mm_yr * np.exp(-((rr - rows / 2) ** 2 + (cc - cols / 2) ** 2) / (2 * radius ** 2))
    dem = _smooth_field(rng, (rows, cols), 5.0, dem_error_std_m / 5.0)
    dem[ps] = rng.normal(0.0, dem_error_std_m, ps.sum())
    bperp = rng.normal(0.0, bperp_std_m, n_dates)
    bperp -= bperp[0]
    kappa = dem_error_phase_per_m(bperp, wavelength_m=wavelength_m, slant_range_m=slant_range_m,
                                  incidence_deg=incidence_deg)
    atmo = np.stack([_smooth_field(rng, (rows, cols), atmosphere_scale_px / 2.0, atmosphere_std_rad)
                     for _ in range(n_dates)])
    atmo -= atmo[0]
    theta = (los_mm_to_phase(vel[None] * t_yr[:, None, None], wavelength_m)
             + kappa[:, None, None] * dem[None] + atmo)

    slc = np.empty((n_dates, rows, cols), np.complex128)
    for k, cls in enumerate(classes):
        sel = labels == k
        n = int(sel.sum())
        if n == 0:
            continue
        w, v = np.linalg.eigh(_class_coherence(cls, dates))
        root = v * np.sqrt(np.clip(w, 0, None))
        z = (rng.standard_normal((n_dates, n)) + 1j * rng.standard_normal((n_dates, n))) / np.sqrt(2)
        slc[:, sel] = np.sqrt(cls.intensity) * (root @ z)
    water = labels == -1
    n = int(water.sum())
    if n:
        slc[:, water] = 0.5 * (rng.standard_normal((n_dates, n)) + 1j * rng.standard_normal((n_dates, n))) / np.sqrt(2)
    n = int(ps.sum())
    if n:
        scr = 10.0 ** (rng.uniform(ps_scr_db[0], ps_scr_db[1], n) / 10.0)
        amp = 5.0 * np.sqrt(rng.uniform(0.5, 2.0, n))
        clutter = (rng.standard_normal((n_dates, n)) + 1j * rng.standard_normal((n_dates, n))) / np.sqrt(2)
        slc[:, ps] = amp + clutter * (amp / np.sqrt(scr))
    slc *= np.exp(1j * theta)
    return SimulatedStack(slc=slc.astype(np.complex64), dates=dates, phase_true=theta - theta[0],
                          velocity_mm_yr=vel, dem_error_m=dem, atmosphere_rad=atmo, bperp_m=bperp,
                          ps_mask=ps, labels=labels, classes=list(classes), wavelength_m=wavelength_m,
                          slant_range_m=slant_range_m, incidence_deg=incidence_deg)
