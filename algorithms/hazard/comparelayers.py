"""Comparison of two products of one quantity (InSAR against a model, PS against DS, InSAR against levelling or
GNSS): paired values, their differences and the agreement statistics.

Conventions: a difference is ``INPUT - REFERENCE``, in the products' common unit; the RMSE includes the bias
(``sqrt(mean(d^2))``); the regression is the orthogonal (total-least-squares) line ``INPUT = slope REFERENCE +
intercept``, which treats both products as noisy; NMAD = ``1.4826 median(|d - median(d)|)``, the robust standard
deviation of the differences (Hoehle & Hoehle 2009).

Statistics: ``n``, ``bias`` (mean difference), ``std`` (sample standard deviation of the differences), ``rmse``,
``nmad``, ``median``, ``pearson_r``, ``tls_slope``, ``tls_intercept``, ``t_test_p`` (paired Student t test of a
zero mean difference, two-sided), ``wilcoxon_p`` (Wilcoxon signed-rank test of a zero median difference,
two-sided; zero differences dropped, as Wilcoxon 1945).

References
----------
Bland J.M., Altman D.G. (1986) Statistical methods for assessing agreement between two methods of clinical
measurement. The Lancet 327(8476) 307-310, doi:10.1016/S0140-6736(86)90837-8.
Hoehle J., Hoehle M. (2009) Accuracy assessment of digital elevation models by means of robust statistical
methods. ISPRS J. Photogramm. Remote Sens. 64(4) 398-406, doi:10.1016/j.isprsjprs.2009.02.003.
Wilcoxon F. (1945) Individual comparisons by ranking methods. Biometrics Bulletin 1(6) 80-83, doi:10.2307/3001968.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import GeohazardError
from .swathprofile import bin_statistics

#: The rows of the statistics table, in order, with their unit ("u": the products' unit).
STATISTICS = (("n", ""), ("bias", "u"), ("std", "u"), ("rmse", "u"), ("nmad", "u"), ("median", "u"),
              ("pearson_r", ""), ("tls_slope", ""), ("tls_intercept", "u"), ("t_test_p", ""), ("wilcoxon_p", ""))
#: Fewest pairs the statistics need (a correlation and a t test of 2 pairs say nothing).
MIN_PAIRS = 3


def paired(input_values, reference_values) -> tuple:
    """``(input, reference)`` as float64 arrays of the pairs where both are finite."""
    a = np.asarray(input_values, np.float64).ravel()
    b = np.asarray(reference_values, np.float64).ravel()
    if a.shape != b.shape:
        raise GeohazardError(f"INPUT has {a.size} values and REFERENCE {b.size}: they must be paired")
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def tls_line(x, y) -> tuple:
    """Orthogonal regression ``y = slope x + intercept`` (closed form of the principal axis of the 2 x 2
    covariance); NaN when the cloud is a point or isotropic."""
    xm, ym = float(np.mean(x)), float(np.mean(y))
    dx, dy = x - xm, y - ym
    sxx, syy, sxy = float(np.dot(dx, dx)), float(np.dot(dy, dy)), float(np.dot(dx, dy))
    if sxy == 0.0:
        if sxx > syy:
            return 0.0, ym
        return math.nan, math.nan
    slope = (syy - sxx + math.sqrt((syy - sxx) ** 2 + 4.0 * sxy * sxy)) / (2.0 * sxy)
    return slope, ym - slope * xm


def statistics(input_values, reference_values) -> dict:
    """The agreement statistics (module docstring) of the finite pairs of two products.

    Parameters
    ----------
    input_values, reference_values : array_like
        The paired values, same shape, same unit; NaN pairs are left out.

    Returns
    -------
    dict
        One float per name of :data:`STATISTICS`.
    """
    from scipy import stats as st

    a, b = paired(input_values, reference_values)
    n = a.size
    if n < MIN_PAIRS:
        raise GeohazardError(f"only {n} pairs of valid INPUT and REFERENCE values: at least {MIN_PAIRS} are needed "
                             "(do the layers overlap, and is MAX_DISTANCE_M large enough?)")
    d = a - b
    bias = float(np.mean(d))
    std = float(np.std(d, ddof=1))
    med = float(np.median(d))
    out = {"n": float(n), "bias": bias, "std": std, "rmse": float(np.sqrt(np.mean(d * d))),
           "nmad": 1.4826 * float(np.median(np.abs(d - med))), "median": med}
    da, db = a - a.mean(), b - b.mean()
    den = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    out["pearson_r"] = float(np.dot(da, db)) / den if den > 0 else math.nan
    out["tls_slope"], out["tls_intercept"] = tls_line(b, a)
    if std > 0:
        t = bias / (std / math.sqrt(n))
        out["t_test_p"] = float(2.0 * st.t.sf(abs(t), n - 1))
    else:
        out["t_test_p"] = 0.0 if bias != 0 else 1.0
    nonzero = d[d != 0]
    out["wilcoxon_p"] = float(st.wilcoxon(nonzero).pvalue) if nonzero.size >= 1 else 1.0
    return out


def nearest_pairs(x_in, y_in, x_ref, y_ref, *, max_distance_m: float) -> tuple:
    """For each INPUT point, the nearest REFERENCE point within ``max_distance_m`` (m): ``(index, distance_m)``,
    index -1 and NaN where none is. Ties (duplicated stations, points equidistant to two) go to the lowest reference
    index, whatever order the search visits them in: the same pairs every run."""
    from scipy.spatial import cKDTree

    if not (math.isfinite(max_distance_m) and max_distance_m > 0):
        raise GeohazardError(f"MAX_DISTANCE_M = {max_distance_m!r}: a positive distance (m) is needed to pair points")
    ref = np.column_stack([np.asarray(x_ref, np.float64), np.asarray(y_ref, np.float64)])
    pts = np.column_stack([np.asarray(x_in, np.float64), np.asarray(y_in, np.float64)])
    if not len(ref) or not len(pts):
        return np.full(len(pts), -1, np.int64), np.full(len(pts), np.nan)
    tree = cKDTree(ref)
    k = min(8, len(ref))
    dist, idx = tree.query(pts, k=k, distance_upper_bound=max_distance_m)
    dist, idx = dist.reshape(len(pts), k), idx.reshape(len(pts), k)
    best = dist[:, 0]
    far = ~np.isfinite(best)
    tied = dist == best[:, None]
    chosen = np.where(tied, idx, np.iinfo(np.int64).max).min(axis=1)
    for i in np.flatnonzero(~far & tied[:, -1] & (k < len(ref))):  # more ties than the k neighbours asked
        chosen[i] = min(tree.query_ball_point(pts[i], best[i]))
    chosen = np.where(far, -1, chosen).astype(np.int64)
    return chosen, np.where(far, np.nan, best)


def duplicated(x, y) -> int:
    """How many points share their exact position with an earlier one."""
    xy = np.column_stack([np.asarray(x, np.float64), np.asarray(y, np.float64)])
    ok = np.isfinite(xy).all(axis=1)
    return int(ok.sum() - np.unique(xy[ok], axis=0).shape[0]) if ok.any() else 0


def difference_block(block, inputs, *, scale_input: float = 1.0, scale_reference: float = 1.0) -> dict:
    """Block function of two rasters on one grid, one band or a band per date (``(n, rows, cols)``): ``difference``
    (INPUT - REFERENCE, float32, each side times its unit factor) and the block's valid pairs (``pairs``: per band
    a (2, n) float64, INPUT then REFERENCE, in row-major order)."""
    a = np.asarray(inputs["input"], np.float64)
    b = np.asarray(inputs["reference"], np.float64)
    a = a * scale_input if scale_input != 1.0 else a
    b = b * scale_reference if scale_reference != 1.0 else b
    d = a - b
    ok = np.isfinite(d)
    if d.ndim == 2:
        return {"difference": d.astype(np.float32), "pairs": [np.stack([a[ok], b[ok]])]}
    return {"difference": d.astype(np.float32), "pairs": [np.stack([a[k][ok[k]], b[k][ok[k]]])
                                                          for k in range(d.shape[0])]}


def match_dates(dates_in, dates_ref) -> tuple:
    """``(common, only INPUT, only REFERENCE)``: the dates both series hold (exactly the same day) in order, and
    those left unmatched on each side."""
    a, b = list(dates_in), list(dates_ref)
    both = sorted(set(a) & set(b))
    return both, sorted(set(a) - set(b)), sorted(set(b) - set(a))


def statistics_by_date(pairs) -> list:
    """The :func:`statistics` of each date's pairs (``pairs``: per date ``(input, reference)``); a date with fewer
    than :data:`MIN_PAIRS` pairs gets NaN statistics (its ``n`` the pairs it has)."""
    out = []
    for a, b in pairs:
        try:
            out.append(statistics(a, b))
        except GeohazardError:
            n = int(paired(a, b)[0].size)
            out.append({name: (float(n) if name == "n" else math.nan) for name, _ in STATISTICS})
    return out


#: The fields of a point's paired test over the dates (:func:`paired_over_dates`).
SERIES_FIELDS = ("n_dates", "bias", "rmse", "t_test_p", "wilcoxon_p")


def paired_over_dates(input_series, reference_series) -> dict:
    """Per point, the paired comparison of its two series over the dates where both have a value: ``n_dates``,
    ``bias`` (mean of INPUT - REFERENCE), ``rmse``, ``t_test_p`` (paired Student t test, two-sided) and
    ``wilcoxon_p`` (Wilcoxon signed-rank, zeros dropped), as :func:`statistics` computes them; NaN where a point
    has fewer than :data:`MIN_PAIRS` dates.

    Parameters
    ----------
    input_series, reference_series : array_like, shape (n_points, n_dates)
        The two series at each point, one unit, NaN where missing.
    """
    a = np.atleast_2d(np.asarray(input_series, np.float64))
    b = np.atleast_2d(np.asarray(reference_series, np.float64))
    out = {k: np.full(a.shape[0], np.nan) for k in SERIES_FIELDS}
    for i in range(a.shape[0]):
        x, y = paired(a[i], b[i])
        out["n_dates"][i] = x.size
        if x.size < MIN_PAIRS:
            continue
        s = statistics(x, y)
        for k in SERIES_FIELDS[1:]:
            out[k][i] = s[k]
    return out


#: Ratio of typical magnitudes of two products of one quantity beyond which their units differ (m against mm is
#: 1000, cm against m 100; two products of one quantity in one unit stay within a few times of each other).
UNIT_MISMATCH_RATIO = 200.0


def magnitude_ratio(input_values, reference_values) -> float:
    """median |INPUT| / median |REFERENCE| over the valid pairs (NaN when either is zero or no pair is valid)."""
    a, b = paired(input_values, reference_values)
    if not a.size:
        return math.nan
    ma, mb = float(np.median(np.abs(a))), float(np.median(np.abs(b)))
    return ma / mb if ma > 0 and mb > 0 else math.nan


#: Bytes per pixel of a difference block (per band): two float64 inputs, a side scaled to the other's unit, the
#: difference (float64 and float32), the mask, the selected pairs and their stack (61 measured with tracemalloc,
#: 77 with a side scaled).
DIFFERENCE_BYTES_PER_PIXEL = 8.0 * 11


def binned_differences(along_in, values_in, along_ref, values_ref, *, length_m: float, step_m: float) -> dict:
    """Swath comparison along a line: the bin means of each product (bins of ``step_m`` along ``length_m``) and
    their difference, bins with both products only: ``distance_m``, ``input``, ``reference``, ``difference``,
    ``count_input``, ``count_reference``."""
    si = bin_statistics(along_in, values_in, length_m, step_m)
    sr = bin_statistics(along_ref, values_ref, length_m, step_m)
    mi, mr = si["mean"][:, 0], sr["mean"][:, 0]
    return {"distance_m": si["distance_m"], "input": mi, "reference": mr, "difference": mi - mr,
            "count_input": si["count"][:, 0], "count_reference": sr["count"][:, 0]}


def check_same_quantity(input_kind: dict, reference_kind: dict) -> None:
    """Refuse two products whose declared quantity (``"velocity"`` / ``"displacement"``) or component (``"LOS"``,
    ``"VERTICAL"``, ``"EAST"`` ...) differ; a product that declares nothing is not checked.

    ``*_kind``: ``{"quantity": str, "component": str, "source": str}`` (the source says where it was read)."""
    for key, what in (("quantity", "a {} against a {}"), ("component", "{} against {}")):
        a, b = input_kind.get(key, ""), reference_kind.get(key, "")
        if a and b and a != b:
            hint = ("velocities are mm/yr, displacements mm: compare a velocity map with a velocity map (or "
                    "turn the series into a velocity first)" if key == "quantity" else
                    "project one onto the other first (losvelocitytovertical, losprojection) with the geometry")
            raise GeohazardError(f"INPUT and REFERENCE are not the same quantity: {what.format(a, b)} (INPUT: "
                                 f"{input_kind.get('source', '')}; REFERENCE: {reference_kind.get('source', '')}); "
                                 f"{hint}")
