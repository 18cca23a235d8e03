"""Filtering and multilooking of wrapped interferograms, block by block.

Three filters of the complex interferogram ``z`` (a phase-only raster is ``exp(i phase)``):

``goldstein``
    The adaptive power-spectrum filter of Goldstein & Werner (1998), doi:10.1029/1998GL900033. The interferogram is
    cut into square patches of ``patch`` pixels overlapping by ``patch - step`` (half a patch by default); each
    patch's spectrum ``Z`` is weighted by ``H = S{|Z_w|} ** alpha``, the magnitude of the spectrum of the patch
    tapered by a sine window, smoothed by ``S``, a ``smooth x smooth`` boxcar over frequencies (Goldstein & Werner's
    smoothing of the spectrum; ``smooth`` 0 leaves it unsmoothed), transformed back, tapered by a Hann window and
    added to the output (overlap-add). ``alpha`` 0 leaves the input as it is; 1 filters most. Fringes keep their
    peak in the spectrum while the spread of decorrelation noise is damped. Unsmoothed weights follow the peak
    more narrowly: best on single-look decorrelation noise; the smoothed ones keep more of curved, steep fringes:
    best on multilooked real fringes (benchmarks/interferograms/goldstein_regimes.py; docs/interferograms.md). So
    the smoothing is applied to the patches whose fringe quality (:func:`patch_quality`: 1 for clean fringes of any
    rate, near 0 for noise) reaches ``smooth_quality``; noisier patches keep the unsmoothed weights (0 smooths every
    patch, as Goldstein & Werner do).
``gaussian``
    The complex values smoothed by a Gaussian of ``sigma`` pixels (truncated at 4 sigma), real and imaginary parts
    alike: the phase of the local complex mean.
``none``
    No filter: multilooking only.

Multilooking (``looks_y`` x ``looks_x``) is the complex mean of each window of the input, windows anchored at the
first row and column (a last partial window is left out), taken before the filter; the coherence estimate is
``|sum z| / sum |z|`` over each look window (over the 3 x 3 neighbourhood of each output pixel when no looks are
taken), 0-1. NaN and complex zeros are no data: left out of the sums, and NaN in the outputs.

Same input, same bytes whatever the blocks: the patch grid is anchored to the raster's origin, not to a block (the
first patch starts ``patch - step`` pixels before the first row and column, so every pixel lies under the same
``(patch / step)**2`` patches, values beyond the raster's edges mirrored about them); each row of patches is
transformed in one batch holding every patch of that row; each pixel adds its patches' contributions in the same
order; the block's halo (:func:`filter_halo`) holds every row its patches read.
"""

from __future__ import annotations

import numpy as np

from ..engine import Block
from ..errors import GeohazardError

METHODS = ("goldstein", "gaussian", "none")
#: A wrapped phase may exceed pi by rounding or resampling; beyond this it is not a wrapped phase in radians.
WRAP_TOLERANCE = 0.05
#: Width (frequencies) of the boxcar smoothing the Goldstein spectrum by default, and the fringe quality from which
#: a patch gets it: below 0.7 (decorrelation noise) the unsmoothed weights left the fewest residues, above it (clean
#: or multilooked fringes, the real Mexico City pairs) the smoothed ones; together no more residues and no larger
#: phase error than Goldstein & Werner's classic filter in every regime measured (docs/interferograms.md).
SMOOTH_DEFAULT = 3
SMOOTH_QUALITY_DEFAULT = 0.7
#: A real raster whose values stay within one of these ranges (with WRAP_TOLERANCE) and that jumps by most of its
#: range between neighbours (fringes) holds a phase in cycles, not radians.
CYCLE_RANGES = ((-0.5, 0.5), (0.0, 1.0))
#: Gaussian kernels are truncated at this many sigmas.
GAUSSIAN_TRUNCATE = 4.0
#: Half-width (pixels) of the coherence window of the output when no looks are taken (3 x 3).
COHERENCE_HALF = 1


# --------------------------------------------------------------------------- checks
def check_options(method: str, *, alpha: float = 0.5, patch: int = 32, step: int = 16, sigma: float = 1.0,
                  looks_y: int = 1, looks_x: int = 1, smooth: int = SMOOTH_DEFAULT,
                  smooth_quality: float = SMOOTH_QUALITY_DEFAULT, shape=None) -> None:
    """Refuse options no interferogram can be filtered with, naming the option and its value.

    ``shape`` (rows, columns of the input) also refuses looks larger than the raster and, for the Goldstein filter,
    a patch larger than the looked raster (its spectrum would be mostly mirrored copies)."""
    if method not in METHODS:
        raise GeohazardError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 <= float(alpha) <= 1.0:  # NaN fails too
        raise GeohazardError(f"ALPHA must be in 0-1, got {alpha!r}")
    if int(patch) != patch or patch < 4 or patch % 4:
        raise GeohazardError(f"PATCH_SIZE must be a whole number of pixels >= 4 and a multiple of 4, got {patch!r}")
    if int(step) != step or step < 1 or (patch // 2) % step:
        raise GeohazardError(f"the patch step must divide half the patch size ({patch // 2}), got {step!r}")
    if int(smooth) != smooth or smooth < 0 or (smooth and smooth % 2 == 0) or smooth > patch // 2:
        raise GeohazardError(f"SMOOTH_PX must be 0 (no smoothing) or an odd number of frequencies from 1 to half "
                             f"the patch ({patch // 2}), got {smooth!r}")
    if not 0.0 <= float(smooth_quality) <= 1.0:  # NaN fails too
        raise GeohazardError(f"SMOOTH_QUALITY must be in 0-1 (0: smooth every patch), got {smooth_quality!r}")
    if not 0.0 < float(sigma) <= 1000.0:
        raise GeohazardError(f"GAUSSIAN_SIGMA must be > 0 pixels, got {sigma!r}")
    for name, value in (("LOOKS_Y", looks_y), ("LOOKS_X", looks_x)):
        if int(value) != value or value < 1:
            raise GeohazardError(f"{name} must be a whole number >= 1, got {value!r}")
    if shape is not None:
        rows, cols = (int(x) for x in shape[:2])
        if looks_y > rows or looks_x > cols:
            raise GeohazardError(
                f"looks of {int(looks_y)} x {int(looks_x)} (LOOKS_Y x LOOKS_X) are larger than the interferogram "
                f"({rows} rows x {cols} columns): no whole look window fits")
        looked = (rows // int(looks_y), cols // int(looks_x))
        if method == "goldstein" and patch > min(looked):
            raise GeohazardError(
                f"PATCH_SIZE {int(patch)} is larger than the interferogram ({looked[0]} rows x {looked[1]} columns"
                + (" after the looks" if (looks_y, looks_x) != (1, 1) else "")
                + f"): choose a patch of at most {min(looked) // 4 * 4} pixels (32 is usual)")


def complex_values(data, name: str = "interferogram") -> np.ndarray:
    """``data`` as complex128, NaN where it has no value (NaN, complex zero).

    A real array is a wrapped phase in radians (``exp(i phase)``): values beyond ``[-pi, pi]`` are refused, naming
    degrees when they fit -180..180 and an unwrapped phase otherwise."""
    arr = np.asarray(data)
    if np.iscomplexobj(arr):
        out = arr.astype(np.complex128)
        out[~np.isfinite(out) | (out == 0)] = np.nan
        return out
    finite = np.isfinite(arr)
    if finite.any():
        lo, hi = float(arr[finite].min()), float(arr[finite].max())
        if looks_like_cycles(arr, lo, hi):
            raise GeohazardError(
                f"{name}: values range from {lo:.4g} to {hi:.4g} and jump by about 1 between neighbours: this looks "
                "like a wrapped phase in cycles, not radians; convert it to radians (x 2 pi, e.g. the raster "
                "calculator's \"A\" * 6.283185307) or give the complex interferogram")
        if lo < -np.pi - WRAP_TOLERANCE or hi > np.pi + WRAP_TOLERANCE:
            degrees = lo >= -180.5 and hi <= 180.5 and hi - lo > 180.0  # wrapped degrees fill -180..180
            raise GeohazardError(
                f"{name}: values range from {lo:.4g} to {hi:.4g}, expected a wrapped phase in radians (-pi..pi) or "
                "complex values; " + ("they look like degrees: convert them to radians (x pi / 180)" if degrees
                                      else "is it already unwrapped? give the wrapped interferogram"))
    out = np.exp(1j * np.where(finite, arr, 0.0).astype(np.float64))
    out[~finite] = np.nan
    return out


def looks_like_cycles(arr: np.ndarray, lo: float, hi: float) -> bool:
    """Whether a real raster (its finite minimum ``lo`` and maximum ``hi``) holds a wrapped phase in cycles: its
    values fill most of one of :data:`CYCLE_RANGES` and neighbours jump by most of a cycle (fringes) at least 0.1 %
    of the time. A phase in radians this confined has no such jumps (it would be a fringe-free, noise-free pair)."""
    tol = WRAP_TOLERANCE / (2 * np.pi)
    if hi - lo < 0.8 or not any(lo >= a - tol and hi <= b + tol for a, b in CYCLE_RANGES):
        return False
    a = np.asarray(arr, dtype=np.float64)
    jumps = checked = 0
    for d in (np.diff(a, axis=0), np.diff(a, axis=1)):
        d = np.abs(d[np.isfinite(d)])
        jumps += int(np.count_nonzero(d > 0.6))
        checked += d.size
    return checked > 0 and jumps >= max(2, 0.001 * checked)


# --------------------------------------------------------------------------- multilooking
def multilook(z: np.ndarray, looks_y: int, looks_x: int) -> tuple[np.ndarray, np.ndarray]:
    """Complex mean and coherence ``|sum z| / sum |z|`` of each ``looks_y x looks_x`` window.

    Parameters
    ----------
    z : ndarray of complex, shape (rows, cols)
        NaN where there is no value; rows and columns beyond the last whole window are left out.
    looks_y, looks_x : int
        Window rows and columns.

    Returns
    -------
    mean : ndarray of complex128, shape (rows // looks_y, cols // looks_x)
        Mean of the valid values of each window (NaN when none).
    coherence : ndarray of float64
        ``|sum z| / sum |z|`` over the valid values (NaN when none).

    Notes
    -----
    The window's values are added in a fixed order (row by row of the window, then column by column), so a
    window's result does not depend on the size of the array it is in.
    """
    ly, lx = int(looks_y), int(looks_x)
    rows, cols = z.shape[0] // ly, z.shape[1] // lx
    total = np.zeros((rows, cols), np.complex128)
    magnitude = np.zeros((rows, cols), np.float64)
    count = np.zeros((rows, cols), np.int64)
    for a in range(ly):
        for b in range(lx):
            v = np.ascontiguousarray(z[a:rows * ly:ly, b:cols * lx:lx])
            ok = np.isfinite(v)
            v = np.where(ok, v, 0)
            total += v
            magnitude += np.abs(v)
            count += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan + 0j)
        coherence = np.where(magnitude > 0, np.abs(total) / np.where(magnitude > 0, magnitude, 1.0), np.nan)
    return mean, np.minimum(coherence, 1.0)


def window_coherence(z: np.ndarray, half: int = COHERENCE_HALF) -> np.ndarray:
    """``|sum z| / sum |z|`` over the ``(2 half + 1)``-square neighbourhood of each pixel (clipped at the array's
    edges; NaN values left out), NaN where the pixel itself has no value."""
    ok = np.isfinite(z)
    v = np.where(ok, z, 0).astype(np.complex128)
    mag = np.abs(v)
    rows, cols = z.shape
    total = np.zeros((rows, cols), np.complex128)
    msum = np.zeros((rows, cols), np.float64)
    for dy in range(-half, half + 1):
        for dx in range(-half, half + 1):
            ys, yd = slice(max(dy, 0), rows + min(dy, 0)), slice(max(-dy, 0), rows + min(-dy, 0))
            xs, xd = slice(max(dx, 0), cols + min(dx, 0)), slice(max(-dx, 0), cols + min(-dx, 0))
            total[yd, xd] += v[ys, xs]
            msum[yd, xd] += mag[ys, xs]
    with np.errstate(invalid="ignore", divide="ignore"):
        coh = np.abs(total) / np.where(msum > 0, msum, 1.0)
    coh[~ok | (msum <= 0)] = np.nan
    return np.minimum(coh, 1.0)


# --------------------------------------------------------------------------- Goldstein
def taper(patch: int) -> np.ndarray:
    """The taper of a patch side, a Hann window ``sin^2(pi (i + 1/2) / patch)``: copies ``step`` apart (``step``
    dividing ``patch / 2``) add up to the same constant at every pixel."""
    return np.sin(np.pi * (np.arange(patch, dtype=np.float64) + 0.5) / patch) ** 2


def reflect_index(index: np.ndarray, n: int) -> np.ndarray:
    """Indices mirrored into ``0..n-1`` about the first and last element (numpy's ``"reflect"`` padding, repeated
    for indices farther out than ``n``)."""
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    r = np.mod(index, period)
    return np.where(r > n - 1, period - r, r)


def _spectral_weights(mag: np.ndarray, alpha: float) -> np.ndarray:
    """``mag ** alpha`` of a batch of magnitude spectra, in place (``sqrt`` for 0.5, the common choice, which is
    faster than ``power``)."""
    if alpha == 0.5:
        return np.sqrt(mag, out=mag)
    if alpha == 1.0:
        return mag
    return np.power(mag, np.float32(alpha), out=mag)


def smooth_spectra(mag: np.ndarray, width: int) -> np.ndarray:
    """Boxcar mean of ``width x width`` frequencies of a batch of magnitude spectra ``(n, patch, patch)``, circular
    (the spectrum is periodic), summed in a fixed order; ``width`` 0 or 1 returns ``mag`` itself."""
    w = int(width)
    if w <= 1:
        return mag
    half = w // 2
    out = np.zeros_like(mag)
    for axis in (1, 2):
        out[:] = 0
        for d in range(-half, w - half):
            out += np.roll(mag, d, axis=axis)
        mag, out = out, mag
    return mag / mag.dtype.type(w * w)


def patch_quality(patches: np.ndarray) -> np.ndarray:
    """Fringe quality of each patch of a batch ``(n, patch, patch)``: ``sqrt(|mean u_x| |mean u_y|)`` of the
    products of neighbouring unit phasors along rows and columns (``u_x = e^{i (phi[r, c+1] - phi[r, c])}``; no-data
    counts as 0). 1 for fringes of any constant rate without noise, about the coherence squared for single-look
    decorrelation noise, 0 for pure noise."""
    u = patches / np.maximum(np.abs(patches), np.float32(1e-30))  # 0 stays 0
    dx = np.abs(np.mean(u[:, :, 1:] * np.conj(u[:, :, :-1]), axis=(1, 2)))
    dy = np.abs(np.mean(u[:, 1:, :] * np.conj(u[:, :-1, :]), axis=(1, 2)))
    return np.sqrt(dx * dy)


def goldstein_rows(z: np.ndarray, row0: int, row1: int, top: int, n_rows_total: int, *, alpha: float,
                   patch: int = 32, step: int = 16, smooth: int = SMOOTH_DEFAULT,
                   smooth_quality: float = SMOOTH_QUALITY_DEFAULT) -> np.ndarray:
    """Goldstein-filtered complex values of rows ``row0:row1`` of the raster.

    Parameters
    ----------
    z : ndarray of complex, shape (rows, cols)
        Rows ``top:top + rows`` of the raster (NaN = no value), every column; they must hold every row the
        patches over ``row0:row1`` read (:func:`filter_halo`).
    row0, row1, top, n_rows_total : int
        Rows to filter, the raster row of ``z[0]`` and the raster's number of rows.
    alpha : float
        Filter strength, 0-1.
    patch, step : int
        Patch side and the step between patches (``step`` divides ``patch``).
    smooth : int
        Width (frequencies, odd) of the boxcar smoothing the magnitude spectrum before it is raised to ``alpha``
        (Goldstein & Werner's ``S{}``); 0 leaves it unsmoothed.
    smooth_quality : float
        The smoothing applies to the patches whose :func:`patch_quality` is at least this (0: every patch).

    Returns
    -------
    ndarray of complex64, shape (row1 - row0, cols)

    Notes
    -----
    Patch ``(k, j)`` covers rows ``k step - (patch - step)`` and columns ``j step - (patch - step)`` onwards, so
    every pixel lies under ``(patch / step)**2`` patches; beyond the raster's edges the values are mirrored about
    the first and last row and column. The weights of each patch ``p`` come from its spectrum estimated through a
    sine window, ``H = S{|FFT(sqrt(w) p)|}**alpha`` with ``S`` the boxcar of ``smooth`` and ``w = t t^T``
    (:func:`taper`, Hann): the window keeps the
    spectrum from leaking across frequencies, so ``H`` picks the fringes' peak more sharply than the spectrum of a
    patch cut square, and a sine window keeps more of the patch's samples (a steadier estimate at low coherence)
    than a Hann window. ``H`` is applied to the spectrum of the patch itself, ``IFFT(H FFT(p))``, tapered by ``w``
    and added to the output; the sum is divided by the taper's sum over the patches of a pixel (the same at every
    pixel). With ``alpha`` 0 the output is the input.
    """
    from scipy import fft as sfft

    rows_z, cols = z.shape
    off = patch - step
    per = patch // step
    # patch rows k cover raster rows k * step - off ... + patch; those touching row0:row1
    k0 = max(0, (row0 + off - patch) // step + 1)
    k1 = (row1 - 1 + off) // step + 1
    nc = (cols - 1 + off) // step + 1  # patch columns covering every column
    width = (nc - 1) * step + patch
    t = taper(patch)
    norm = float(np.sum(t[::step])) ** 2  # the taper's sum over the per**2 patches of any pixel
    window = np.outer(t, t).astype(np.float32)
    analysis = np.sqrt(window)  # the sine window of the spectrum estimate
    # the columns of every patch, mirrored beyond the edges, once for the block
    data = np.where(np.isfinite(z), z, 0).astype(np.complex64)[:, reflect_index(np.arange(width) - off, cols)]
    out = np.zeros((row1 - row0, width), np.complex64)
    acc = np.empty((patch, width), np.complex64)
    for k in range(k0, k1):
        r_start = k * step - off
        rows = reflect_index(np.arange(r_start, r_start + patch), n_rows_total) - top
        if rows.min() < 0 or rows.max() >= rows_z:
            raise GeohazardError(f"goldstein_rows: rows {rows.min() + top}-{rows.max() + top} are not in the block "
                                 f"read ({top}-{top + rows_z}); the halo is too small")
        band = data[rows]
        # the row of patches, (nc, patch, patch): every patch of the row in one batch
        patches = np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(band, patch, axis=1)[:, ::step]
                                       .transpose(1, 0, 2))
        mag = np.abs(sfft.fft2(patches * analysis, axes=(1, 2), overwrite_x=True))
        if smooth > 1 and smooth_quality > 0:
            keep = (patch_quality(patches) < smooth_quality)[:, None, None]
            mag = np.where(keep, mag, smooth_spectra(mag.copy(), smooth))
        else:
            mag = smooth_spectra(mag, smooth)
        weights = _spectral_weights(mag, alpha)
        spec = sfft.fft2(patches, axes=(1, 2), overwrite_x=True)
        spec *= weights
        filt = sfft.ifft2(spec, axes=(1, 2), overwrite_x=True)
        filt *= window
        # overlap-add along the row: column block q of patch j lands on column block j + q
        parts = np.ascontiguousarray(filt.transpose(1, 0, 2)).reshape(patch, nc, per, step)
        acc[:] = 0
        blocks_ = acc.reshape(patch, nc + per - 1, step)  # a view
        for q in range(per):
            blocks_[:, q:q + nc] += parts[:, :, q]
        lo, hi = max(r_start, row0), min(r_start + patch, row1)
        if hi > lo:
            out[lo - row0:hi - row0] += acc[lo - r_start:hi - r_start]
    res = out[:, off:off + cols] / np.float32(norm)
    res[~np.isfinite(z[row0 - top:row1 - top])] = np.nan
    return res


# --------------------------------------------------------------------------- Gaussian
def gaussian_rows(z: np.ndarray, row0: int, row1: int, top: int, *, sigma: float) -> np.ndarray:
    """Complex values of rows ``row0:row1`` smoothed by a Gaussian of ``sigma`` pixels (zeros outside the raster
    and where there is no value), as complex64; ``z`` holds rows ``top:`` with a halo of :func:`filter_halo`."""
    from scipy import ndimage

    data = np.where(np.isfinite(z), z, 0).astype(np.complex128)
    out = np.empty(data.shape, np.complex128)
    for part, dst in ((data.real, "real"), (data.imag, "imag")):
        sm = ndimage.gaussian_filter(np.ascontiguousarray(part), float(sigma), mode="constant", cval=0.0,
                                     truncate=GAUSSIAN_TRUNCATE)
        if dst == "real":
            out.real = sm
        else:
            out.imag = sm
    res = out[row0 - top:row1 - top].astype(np.complex64)
    res[~np.isfinite(z[row0 - top:row1 - top])] = np.nan
    return res


def filter_halo(method: str, *, patch: int = 32, step: int = 16, sigma: float = 1.0) -> int:
    """Rows of context a block needs above and below its own (in the filtered grid): those of the filter plus the
    coherence window's."""
    if method == "goldstein":
        own = patch
    elif method == "gaussian":
        own = int(GAUSSIAN_TRUNCATE * float(sigma) + 0.5) + 1
    else:
        own = 0
    return own + COHERENCE_HALF


def bytes_per_pixel(looks_y: int = 1, looks_x: int = 1) -> float:
    """Memory of one pixel of the filtered grid in a block of :func:`filter_block` (its input pixels as complex,
    the looked values, the filtered rows and the coherence), the model of the engine's planner."""
    return 24.0 * looks_y * looks_x + 96.0


def patch_bytes(patch: int, n_cols: int) -> float:
    """Memory of one row of Goldstein patches (the batch transformed at once), whatever the block's rows."""
    return 48.0 * patch * (n_cols + patch)


def filter_rows(z: np.ndarray, row0: int, row1: int, top: int, n_rows_total: int, method: str, *,
                alpha: float = 0.5, patch: int = 32, step: int = 16, sigma: float = 1.0,
                smooth: int = SMOOTH_DEFAULT, smooth_quality: float = SMOOTH_QUALITY_DEFAULT) -> np.ndarray:
    """Rows ``row0:row1`` of the raster filtered by ``method`` (complex64; NaN where ``z`` has no value)."""
    if method == "goldstein":
        return goldstein_rows(z, row0, row1, top, n_rows_total, alpha=alpha, patch=patch, step=step, smooth=smooth,
                              smooth_quality=smooth_quality)
    if method == "gaussian":
        return gaussian_rows(z, row0, row1, top, sigma=sigma)
    out = z[row0 - top:row1 - top].astype(np.complex64)
    out[~np.isfinite(out)] = np.nan
    return out


def filter_block(block, inputs: dict, *, method: str, alpha: float = 0.5, patch: int = 32, step: int = 16,
                 sigma: float = 1.0, looks_y: int = 1, looks_x: int = 1, name: str = "interferogram",
                 as_phase: bool = False, smooth: int = SMOOTH_DEFAULT,
                 smooth_quality: float = SMOOTH_QUALITY_DEFAULT) -> dict:
    """Block function of the engine: one block of the filtered grid (``block`` in its rows, read with the halo of
    :func:`filter_halo`) from ``inputs["z"]``, the input rows ``read0 * looks_y : read1 * looks_y`` (complex or
    wrapped phase in radians).

    Returns ``{"filtered": complex64 (rows, cols), "coherence": float32 (rows, cols)}``, NaN where no value; with
    ``as_phase`` the filtered values are their phase (float32, radians, -pi..pi)."""
    z = complex_values(inputs["z"], name)
    looked_coh = None
    if looks_y > 1 or looks_x > 1:
        z, looked_coh = multilook(z, looks_y, looks_x)
    z = z[:, :block.n_cols]
    r0, r1 = block.row0, block.row1
    if looked_coh is not None:
        filtered = filter_rows(z, r0, r1, block.read0, block.n_rows_total, method, alpha=alpha, patch=patch,
                               step=step, sigma=sigma, smooth=smooth, smooth_quality=smooth_quality)
        coherence = looked_coh[r0 - block.read0:r1 - block.read0, :block.n_cols]
    else:  # the 3 x 3 window of the output: filter one more row on each side where the raster has one
        e0, e1 = max(r0 - COHERENCE_HALF, 0), min(r1 + COHERENCE_HALF, block.n_rows_total)
        wide = filter_rows(z, e0, e1, block.read0, block.n_rows_total, method, alpha=alpha, patch=patch,
                           step=step, sigma=sigma, smooth=smooth, smooth_quality=smooth_quality)
        coherence = window_coherence(wide)[r0 - e0:r1 - e0]
        filtered = wide[r0 - e0:r1 - e0]
    filtered = np.ascontiguousarray(filtered)
    if as_phase:
        filtered = np.angle(filtered).astype(np.float32)
    return {"filtered": filtered, "coherence": coherence.astype(np.float32)}


def filter_array(data, *, method: str = "goldstein", alpha: float = 0.5, patch: int = 32, step: int = 16,
                 sigma: float = 1.0, looks_y: int = 1, looks_x: int = 1, name: str = "interferogram",
                 smooth: int = SMOOTH_DEFAULT, smooth_quality: float = SMOOTH_QUALITY_DEFAULT) -> tuple:
    """One whole interferogram filtered in memory (a script's entry, the tests' reference): ``(filtered complex64,
    coherence float32)`` on the looked grid. The tool runs :func:`filter_block` on the block engine instead."""
    arr = np.asarray(data)
    check_options(method, alpha=alpha, patch=patch, step=step, sigma=sigma, looks_y=looks_y, looks_x=looks_x,
                  smooth=smooth, smooth_quality=smooth_quality, shape=arr.shape)
    rows, cols = arr.shape[0] // looks_y, arr.shape[1] // looks_x
    out = filter_block(Block(0, 0, rows, 0, rows, rows, cols), {"z": arr}, method=method, alpha=alpha, patch=patch,
                       step=step, sigma=sigma, looks_y=looks_y, looks_x=looks_x, name=name,
                       smooth=smooth, smooth_quality=smooth_quality)
    return out["filtered"], out["coherence"]
