"""Offset tracking: dense displacement fields from two co-registered images by normalised cross-correlation.

Conventions
-----------
* Offsets are the displacement of the ground **from the reference image to the secondary
  image**: a feature at pixel ``(row, col)`` of the reference is found at
  ``(row + dy, col + dx)`` of the secondary. ``dx`` is along columns (range in radar
  geometry, east-ish in map geometry), ``dy`` along rows (azimuth, or south in a north-up
  map). Both are in pixels of the reference grid.
* The output grid samples the reference every ``step`` pixels: output cell ``(i, j)``
  covers reference rows ``i*step .. (i+1)*step`` and columns ``j*step .. (j+1)*step``, and
  its window of ``window x window`` pixels is centred on the cell within half a pixel
  (:func:`output_grid` gives the exact origin shift so the output raster is georeferenced
  on the window centres).

Method
------
1. **Integer search** (normalised cross-correlation, NCC): for every output cell the
   zero-mean reference window ``R`` (``w x w``) is correlated with every ``w x w`` window of
   the secondary inside a search area ``(w + 2s) x (w + 2s)`` (lags ``-s .. s``), computed
   with FFTs of size ``w + 2s`` and normalised with running sums (the NCC of Lewis 1995):
   ``NCC(u, v) = sum(R0 * S_uv) / (|R0| * |S_uv - mean(S_uv)|)``, in ``[-1, 1]``. When the step
   and the window share a divisor ``T >= 2`` the windows are unions of ``T x T`` tiles shared by
   neighbouring cells: ``sum(R * S_uv)`` is the sum of the tiles' correlations, each by FFTs of
   size ``T + 2s`` (:func:`_match_tiled`; same values to single-precision rounding, ~5x fewer
   FFT operations at the defaults).
2. **Quality** of the NCC surface: ``ncc`` = its maximum; ``peak_ratio`` = maximum / second
   highest local maximum (PIV's primary-to-secondary peak ratio, Keane & Adrian 1992; 1 means
   two equal candidates); ``snr`` = maximum / mean absolute NCC over the search area (as
   ampcor/COSI-Corr report it). A maximum on the border of the search area is refused
   (the true peak may lie outside).
3. **Sub-pixel peak**: ``"dft"`` (default) extracts the secondary window at the integer
   peak and locates the residual shift (within +-0.75 px) by the matrix-multiply upsampled
   DFT of the cross-power spectrum (Guizar-Sicairos et al. 2008), upsampling ``upsample``
   times, then a 3-point parabola on the upsampled peak. Both windows are Hann-tapered (the
   circular correlation otherwise sees the windows' edges, where shifted content differs:
   0.08-0.17 px RMS instead of 0.01-0.015 on our textures) and the cross-power spectrum is
   divided by the square root of its modulus (half-way between plain and phase correlation:
   pure phase correlation lets the noisy weak frequencies of smooth textures dominate);
   ``"parabolic"`` and ``"gaussian"`` fit the 3-point NCC neighbourhood of the integer peak
   in each axis (faster, biased towards whole pixels by up to ~0.1 px: "peak locking").
4. **Rejection**: cells whose window or search area leaves the image or holds nodata, whose
   reference or secondary window has no texture in one of its sub-blocks (:func:`_sub_grid`; standard
   deviation within ``1 + 2 / sqrt(2 n)`` times the image's noise, :func:`pair_noise`, or below
   ``min_std`` x the image's robust spread: a partly featureless window is steered by the edge of its
   flat part), whose peak is on the search border, or whose
   ``ncc`` / ``peak_ratio`` fall below ``min_ncc`` / ``min_peak_ratio`` get NaN offsets and a
   flag (:data:`FLAGS`). Featureless or pure-noise areas therefore come out NaN, never as a
   confident offset.
5. **Outliers** (:func:`normalized_median_test`, Westerweel & Scarano 2005): the residual of
   each vector to the median of its 3 x 3 neighbours, normalised by the median residual of
   the neighbours plus ``eps`` (0.1 px), must stay below ``threshold`` (2).
6. **Stable-area bias** (:func:`stable_bias`): the median offset over cells marked stable is
   subtracted (co-registration / mosaicking residuals, e.g. Dehecq et al. 2015).

References
----------
Lewis J.P. (1995) Fast normalized cross-correlation. Vision Interface 95.
Guizar-Sicairos M., Thurman S.T., Fienup J.R. (2008) Efficient subpixel image registration
algorithms. Opt. Lett. 33(2), 156-158. doi:10.1364/OL.33.000156
Keane R.D., Adrian R.J. (1992) Theory of cross-correlation analysis of PIV images. Appl. Sci.
Res. 49, 191-215. doi:10.1007/BF00384623
Westerweel J., Scarano F. (2005) Universal outlier detection for PIV data. Exp. Fluids 39,
1096-1100. doi:10.1007/s00348-005-0016-6
Immerkaer J. (1996) Fast noise variance estimation. Comput. Vis. Image Underst. 64(2), 300-302.
doi:10.1006/cviu.1996.0060
Donoho D.L., Johnstone I.M. (1994) Ideal spatial adaptation by wavelet shrinkage. Biometrika 81(3),
425-455. doi:10.1093/biomet/81.3.425
Debella-Gilo M., Kaab A. (2011) Sub-pixel precision image matching for measuring surface
displacements on mass movements using normalized cross-correlation. Remote Sens. Environ.
115, 130-142. doi:10.1016/j.rse.2010.08.012
"""

from __future__ import annotations

# One module per subject: options and grid, image levels (high-pass, spread, noise), the window matching
# (NCC peaks, DFT refinement), the shared-tile integer search, the block function with its post-processing.
# The public names are the package's; private helpers are reached through the modules (tests, benchmarks).
from . import field, levels, matching, options, search  # noqa: F401
from .field import (
    OFFSET_BANDS_MAP,
    OFFSET_BANDS_RADAR,
    QUALITY_BANDS,
    StableCells,
    finalize_block,
    finalize_field,
    normalized_median_test,
    offset_block,
    offset_field,
    stable_bias,
    to_metric,
)
from .levels import (
    NOISE_Z,
    flat_thresholds,
    highpass,
    image_levels,
    noise_sigma,
    pair_noise,
    robust_spread,
    sampled_noise,
    sampled_rows,
    sampled_spread,
    sub_block_pixels,
)
from .matching import match_patches
from .options import (
    BLOCK_OUTPUTS,
    BYTES_PER_PIXEL,
    FLAG_AMBIGUOUS,
    FLAG_BORDER,
    FLAG_FLAT,
    FLAG_LOW_NCC,
    FLAG_OUTLIER,
    FLAG_OUTSIDE,
    FLAG_VALID,
    FLAGS,
    SUBPIXEL_METHODS,
    batch_cells,
    block_rows_for,
    check_options,
    halo_rows,
    output_grid,
    plan_options,
)

__all__ = ["offset_field", "offset_block", "finalize_block", "OFFSET_BANDS_MAP", "OFFSET_BANDS_RADAR",
           "QUALITY_BANDS", "match_patches", "normalized_median_test", "stable_bias", "to_metric", "output_grid",
           "halo_rows", "robust_spread", "noise_sigma", "pair_noise", "sampled_noise", "flat_thresholds",
           "sub_block_pixels", "NOISE_Z", "image_levels", "sampled_rows", "sampled_spread", "highpass", "check_options",
           "finalize_field", "block_rows_for", "plan_options", "batch_cells", "BYTES_PER_PIXEL", "FLAGS",
           "BLOCK_OUTPUTS", "SUBPIXEL_METHODS", "StableCells", "FLAG_VALID", "FLAG_OUTSIDE", "FLAG_FLAT",
           "FLAG_BORDER", "FLAG_LOW_NCC", "FLAG_AMBIGUOUS", "FLAG_OUTLIER"]
