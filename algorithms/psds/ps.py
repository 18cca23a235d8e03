"""Permanent-scatterer candidates by amplitude dispersion (Ferretti et al. 2001).

``D_A = sigma_A / mean_A`` of the (radiometrically calibrated) amplitude time series of a
pixel. For a point target with high signal-to-clutter ratio, ``sigma_phase ~ D_A``
(valid below about 0.25), so a threshold on ``D_A`` selects pixels whose phase is stable
without any interferogram.

Calibration: each date's amplitudes are divided by that date's image-wide mean amplitude
(divided by the mean over dates), removing gain changes between acquisitions before the
dispersion is computed. The factors come from the whole image: accumulate the per-row sums of
each block (:func:`amplitude_sums_block`) in row order with :class:`DateSums` (or
:func:`amplitude_date_sums` on a whole stack) and turn them into factors with
:func:`calibration_factors`.

Reference: Ferretti A., Prati C., Rocca F. (2001), Permanent scatterers in SAR
interferometry, IEEE TGRS 39(1), 8-20, doi:10.1109/36.898661.
"""

from __future__ import annotations

import numpy as np

from ..errors import GeohazardError
from ..ordered import RowSums, add_rows, row_sums, sum_first_axis


def _check_stack(stack, name="amplitude"):
    arr = np.asarray(stack)
    if arr.ndim != 3:
        raise GeohazardError(f"{name} must be a (n_dates, rows, cols) stack, got shape {arr.shape}")
    if arr.shape[0] < 3:
        raise GeohazardError(f"{name} has {arr.shape[0]} date(s); amplitude dispersion needs at least 3")
    return arr


def amplitude_row_sums(amplitude) -> tuple[np.ndarray, np.ndarray]:
    """Per row and date, the sum and count of finite, non-zero amplitudes.

    Parameters
    ----------
    amplitude : ndarray, shape (n_dates, rows, cols)
        Amplitudes ``|slc|`` (NaN or 0 = no data).

    Returns
    -------
    sums, counts : ndarray, shape (rows, n_dates)
        Added in row order (:class:`DateSums`, :func:`algorithms.ordered.add_rows`) they give the
        image's sums, the same bits for any block layout.
    """
    amp = _check_stack(amplitude).astype(np.float64, copy=False)
    ok = np.isfinite(amp) & (amp > 0)
    return row_sums(np.where(ok, amp, 0.0)).T, ok.sum(axis=-1).astype(np.float64).T


def amplitude_date_sums(amplitude) -> tuple[np.ndarray, np.ndarray]:
    """Per-date sum and count (each of shape ``(n_dates,)``) of the finite, non-zero amplitudes of a whole stack:
    :func:`amplitude_row_sums` of the same ``amplitude`` added in row order."""
    sums, counts = amplitude_row_sums(amplitude)
    return add_rows(None, sums), add_rows(None, counts)


class DateSums:
    """Writer of the calibration pass: the per-row sums of :func:`amplitude_sums_block` added in row order."""

    def __init__(self):
        self._rows = RowSums()

    def __call__(self, block, out: dict) -> None:
        self._rows(block, {"sums": out["sums"], "counts": out["counts"]})

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sums, counts)`` per date, for :func:`calibration_factors`."""
        t = self._rows.result()
        return t["sums"], t["counts"]


def calibration_factors(sums, counts) -> np.ndarray:
    """Radiometric calibration factors ``c_m = mean_m / mean_over_dates(mean_m)``.

    Raises
    ------
    GeohazardError
        When a date has no valid amplitude.
    """
    sums = np.asarray(sums, float)
    counts = np.asarray(counts, float)
    if np.any(counts <= 0):
        bad = [int(i) for i in np.flatnonzero(counts <= 0)]
        raise GeohazardError(f"dates {bad} (0-based) have no valid amplitude; cannot calibrate")
    means = sums / counts
    return means / means.mean()


def amplitude_dispersion(amplitude, *, calibration=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean amplitude and amplitude dispersion index of a stack.

    Parameters
    ----------
    amplitude : ndarray, shape (n_dates, rows, cols)
        Amplitudes ``|slc|``; NaN or 0 marks missing dates of a pixel.
    calibration : ndarray, shape (n_dates,), optional
        Factors from :func:`calibration_factors`; amplitudes are divided by them.
        ``None`` = no calibration.

    Returns
    -------
    mean_amplitude : ndarray, shape (rows, cols)
        Mean calibrated amplitude (NaN where fewer than 3 dates are valid).
    dispersion : ndarray, shape (rows, cols)
        ``D_A = std(A) / mean(A)`` (population std, dimensionless).

    Notes
    -----
    ``D_A = sigma_A / m_A``; for high SCR, ``sigma_v ~ D_A`` (Ferretti et al. 2001, eq. 11).
    """
    amp = _check_stack(amplitude).astype(np.float64)
    if calibration is not None:
        cal = np.asarray(calibration, float)
        if cal.shape != (amp.shape[0],) or np.any(~(cal > 0)):
            raise GeohazardError(f"calibration must be {amp.shape[0]} positive factors, got {cal}")
        amp = amp / cal[:, None, None]
    amp[~(amp > 0)] = np.nan
    ok = np.isfinite(amp)
    n = np.sum(ok, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # means over the dates in order (algorithms.ordered: the same bits for a block of one pixel)
        mean = sum_first_axis(np.where(ok, amp, 0.0)) / n if amp.size else np.zeros(amp.shape[1:])
        mean = np.where(n >= 3, mean, np.nan)
        std = np.sqrt(sum_first_axis(np.where(ok, (amp - mean) ** 2, 0.0)) / n)
        da = std / mean
    bad = n < 3
    mean[bad] = np.nan
    da[bad] = np.nan
    return mean, da


def ps_candidates(dispersion, *, threshold: float = 0.25, mean_amplitude=None, min_amplitude: float = 0.0):
    """Boolean PS-candidate mask ``D_A <= threshold`` (and ``mean_A >= min_amplitude``).

    Parameters
    ----------
    dispersion : ndarray, shape (rows, cols)
        Amplitude dispersion index.
    threshold : float
        Largest accepted ``D_A`` (Ferretti 2001 use 0.25); must be in (0, 1].
    mean_amplitude : ndarray, optional
        Mean amplitude, required with ``min_amplitude > 0``.
    min_amplitude : float
        Smallest accepted mean amplitude (same units as the SLC).
    """
    if not 0 < threshold <= 1.0:
        raise GeohazardError(f"threshold must be in (0, 1], got {threshold}")
    da = np.asarray(dispersion, float)
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(da) & (da <= threshold)
        if min_amplitude > 0:
            if mean_amplitude is None:
                raise GeohazardError("min_amplitude needs mean_amplitude")
            mask &= np.asarray(mean_amplitude, float) >= min_amplitude
    return mask


def amplitude_sums_block(block, inputs: dict) -> dict:
    """Block function of the engine: per row and date, ``sums`` and ``counts`` of ``|inputs["slc"]|`` (see
    :func:`amplitude_row_sums`); :class:`DateSums` adds them in row order for :func:`calibration_factors`."""
    sums, counts = amplitude_row_sums(np.abs(inputs["slc"]))
    return {"sums": sums, "counts": counts}


def amplitude_dispersion_block(block, inputs: dict, *, calibration=None, threshold: float = 0.25) -> dict:
    """Block function of the engine: ``mean`` amplitude, ``dispersion`` D_A and ``ps`` (uint8: 1 = candidate,
    0 = not, 255 = no data) of ``inputs["slc"]`` (see :func:`amplitude_dispersion`, :func:`ps_candidates`)."""
    mean, da = amplitude_dispersion(np.abs(inputs["slc"]), calibration=calibration)
    mask = ps_candidates(da, threshold=threshold)
    return {"mean": mean, "dispersion": da, "ps": np.where(np.isfinite(da), mask, 255).astype(np.uint8)}


def ps_ds_selection(shape, dispersion=None, temporal_coherence=None, *, dispersion_threshold: float = 0.25,
                    coherence_threshold: float = 0.8):
    """The PS/DS rule of the point time series, on one block.

    PS: ``D_A <= dispersion_threshold`` (:func:`ps_candidates`); DS: temporal coherence
    ``>= coherence_threshold`` and not a PS. Either input may be ``None`` (that kind is not
    selected). Returns ``(ps, ds, quality)``: boolean masks of ``shape`` and the quality used to
    rank points for the reference choice (``2 - D_A`` for PS, so every PS ranks above every DS,
    the temporal coherence for DS, ``-inf`` elsewhere).
    """
    ps = np.zeros(shape, bool)
    q = np.full(shape, -np.inf)
    if dispersion is not None:
        ps = ps_candidates(dispersion, threshold=dispersion_threshold)
        q[ps] = 2.0 - dispersion[ps]
    ds = np.zeros_like(ps)
    if temporal_coherence is not None:
        tc = temporal_coherence
        with np.errstate(invalid="ignore"):
            ds = np.isfinite(tc) & (tc >= coherence_threshold) & ~ps
        q[ds] = tc[ds]
    return ps, ds, q
