"""Stacks checked and planned for the joint solve (a mixin of :class:`.problem.MultisensorProblem`)."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Optional

import numpy as np

from ...dense import scaled_gram, sym_eig
from ...errors import GeohazardError, NetworkError
from ...formats.dates import parse_date
from ...geometry.los import los_unit_vector
from ..network import build_network, orient_pairs
from ..sbas import SbasSolver
from .density import _density_noise_design, _mode_covariances, _noise_power_bias, _series_statistics_design
from .model import UNITS, Stack, _is_source, _per_pixel, _StackPlan


class _Plan:
    """The stacks checked and planned: dates, geometry, networks, wavelengths, north."""


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
                    raise GeohazardError(f"LOS vector ({e:g}, {n:g}, {u:g}) is not a ground-to-satellite unit vector "
                                         "(norm 1, up > 0)")  # named by the handler below
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
