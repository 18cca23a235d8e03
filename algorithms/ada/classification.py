"""Rule-based classification of active deformation areas (ADA) into likely processes.

Classes: ``landslide``, ``subsidence``, ``sinkhole_collapse``, ``settlement``
(settlement of structures), ``thermal_dilation``, ``uplift``, ``unclassified`` and, when a
layover/shadow mask is given, ``distorted`` (visibility gate). Every ADA gets a plain
language ``explanation`` of the rule that fired. The rules follow the decision tree of
ADAclassifier (Navarro et al. 2020) with the slope gate of the SADA seeds (ADA mean slope
> 10 degrees means a possible landslide) and are all tunable.

Rules, in order (the first that fires wins):

1. visibility gate: share of the ADA in layover/shadow >= ``max_distorted_share``
   -> ``distorted``;
2. ADA inside a mapped landslide, or mean slope >= ``slope_gate_deg`` -> ``landslide``;
3. seasonal amplitude >= ``thermal_ratio`` x |trend over one year| and amplitude >=
   ``min_seasonal_mm`` -> ``thermal_dilation``;
4. mean velocity > 0 (toward the satellite) -> ``uplift``;
5. velocity < 0 and area <= ``sinkhole_max_area_m2`` and (geology matches a karst/
   evaporite keyword or |v| >= ``sinkhole_min_speed_mm_yr``) -> ``sinkhole_collapse``;
6. velocity < 0, area <= ``settlement_max_area_m2`` and land use matches an urban
   keyword -> ``settlement``;
7. velocity < 0 with a known slope below the gate -> ``subsidence``;
8. otherwise ``unclassified`` (e.g. no slope information).

References
----------
Navarro J.A. et al. (2020), doi:10.3390/ijgi9100584 (ADAclassifier).
Barra A. et al. (2017), doi:10.3390/rs9101002 (SADA and the 10-degree slope gate).
"""

from __future__ import annotations

import numpy as np

from ..errors import GeohazardError

CLASSES = ("landslide", "subsidence", "sinkhole_collapse", "settlement", "thermal_dilation", "uplift",
           "unclassified", "distorted")

KARST_KEYWORDS = ("karst", "gypsum", "evaporite", "limestone", "salt", "anhydrite", "dolomite", "chalk")
URBAN_KEYWORDS = ("urban", "built", "building", "residential", "industrial", "commercial", "infrastructure")


def seasonal_fit(series_mm, years):
    """Least-squares linear trend plus annual sinusoid of one or several time series.

    ``d(t) = c + v t + a cos(2 pi t) + b sin(2 pi t)``.

    Parameters
    ----------
    series_mm : ndarray, shape (k, n_dates)
        Displacements, mm (NaN ignored per series).
    years : ndarray, shape (n_dates,)
        Time in years.

    Returns
    -------
    trend_mm_yr, amplitude_mm : ndarray, shape (k,)
        Velocity and seasonal amplitude ``sqrt(a^2 + b^2)``; NaN with fewer than 6 dates.
    """
    s = np.atleast_2d(np.asarray(series_mm, dtype=np.float64))
    t = np.asarray(years, dtype=np.float64)
    if s.shape[1] != t.size:
        raise GeohazardError(f"series_mm has {s.shape[1]} dates but years has {t.size}")
    g = np.column_stack([np.ones_like(t), t, np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)])
    trend = np.full(s.shape[0], np.nan)
    amp = np.full(s.shape[0], np.nan)
    for i in range(s.shape[0]):
        ok = np.isfinite(s[i])
        if ok.sum() < 6:
            continue
        coef = np.linalg.lstsq(g[ok], s[i, ok], rcond=None)[0]
        trend[i] = coef[1]
        amp[i] = np.hypot(coef[2], coef[3])
    return trend, amp


def plane_slope_deg(x_m, y_m, z_m, labels, n_groups: int):
    """Slope of the least-squares plane through the heights of each group of points.

    A terrain proxy when no DEM is available: PS/EGMS point heights (metres) fitted with
    ``z = a x + b y + c`` per ADA; slope = atan(hypot(a, b)). NaN for groups with fewer
    than 4 points or a degenerate footprint.
    """
    x = np.asarray(x_m, float)
    y = np.asarray(y_m, float)
    z = np.asarray(z_m, float)
    lab = np.asarray(labels)
    out = np.full(n_groups, np.nan)
    # each group's points in input order, gathered once (one pass over the map, not one per group)
    idx = np.flatnonzero((lab >= 0) & (lab < n_groups) & np.isfinite(z))
    idx = idx[np.argsort(lab[idx], kind="stable")]
    counts = np.bincount(lab[idx], minlength=n_groups)
    ends = np.cumsum(counts)
    for g in np.flatnonzero(counts >= 4):
        m = idx[ends[g] - counts[g]:ends[g]]
        xg, yg = x[m], y[m]
        a = np.column_stack([xg - xg.mean(), yg - yg.mean(), np.ones(m.size)])
        coef, _, rank, _ = np.linalg.lstsq(a, z[m], rcond=None)
        if rank == 3:
            out[g] = np.degrees(np.arctan(np.hypot(coef[0], coef[1])))
    return out


def _matches(values, keywords):
    kws = [k.strip().lower() for k in keywords if k.strip()]
    return np.array([bool(v) and any(k in str(v).lower() for k in kws) for v in values], bool)


def classify_ada(mean_vel_mm_yr, area_m2, *, slope_deg=None, in_landslide=None, trend_mm_yr=None,
                 seasonal_amplitude_mm=None, geology=None, land_use=None, distorted_share=None,
                 slope_gate_deg: float = 10.0, thermal_ratio: float = 1.0, min_seasonal_mm: float = 2.0,
                 sinkhole_max_area_m2: float = 20000.0, sinkhole_min_speed_mm_yr: float = 10.0,
                 settlement_max_area_m2: float = 50000.0, max_distorted_share: float = 0.5,
                 karst_keywords=KARST_KEYWORDS, urban_keywords=URBAN_KEYWORDS):
    """Classify ADAs with the documented rules (see module docstring).

    Parameters
    ----------
    mean_vel_mm_yr : ndarray, shape (k,)
        Mean LOS velocity of each ADA, mm/yr, positive toward the satellite.
    area_m2 : ndarray, shape (k,)
        ADA areas, m^2.
    slope_deg : ndarray, shape (k,), optional
        Mean terrain slope of each ADA, degrees (NaN unknown).
    in_landslide : ndarray of bool, shape (k,), optional
        ADA intersects a mapped landslide.
    trend_mm_yr, seasonal_amplitude_mm : ndarray, shape (k,), optional
        From :func:`seasonal_fit` of the ADA's mean time series.
    geology, land_use : sequence of str, shape (k,), optional
        Majority geology / land-use class under each ADA.
    distorted_share : ndarray, shape (k,), optional
        Share (0..1) of the ADA in layover or shadow.

    Returns
    -------
    classes : ndarray of str (object), shape (k,)
    explanation : ndarray of str (object), shape (k,)
    """
    v = np.asarray(mean_vel_mm_yr, dtype=np.float64)
    k = v.size
    area = np.asarray(area_m2, dtype=np.float64)
    if area.shape != (k,):
        raise GeohazardError(f"area_m2 has shape {area.shape}, expected ({k},)")

    def arr(a, fill, dtype=np.float64):
        if a is None:
            return np.full(k, fill, dtype=dtype)
        out = np.asarray(a, dtype=dtype)
        if out.shape != (k,):
            raise GeohazardError(f"per-ADA input has shape {out.shape}, expected ({k},)")
        return out

    slope = arr(slope_deg, np.nan)
    inls = arr(in_landslide, False, bool)
    trend = arr(trend_mm_yr, np.nan)
    amp = arr(seasonal_amplitude_mm, np.nan)
    dist = arr(distorted_share, np.nan)
    geo = list(geology) if geology is not None else [""] * k
    lu = list(land_use) if land_use is not None else [""] * k
    karst = _matches(geo, karst_keywords)
    urban = _matches(lu, urban_keywords)
    classes = np.empty(k, dtype=object)
    why = np.empty(k, dtype=object)
    for i in range(k):
        if np.isfinite(dist[i]) and dist[i] >= max_distorted_share:
            classes[i], why[i] = "distorted", (f"{100 * dist[i]:.0f}% of the ADA in layover/shadow "
                                               f"(>= {100 * max_distorted_share:.0f}%): not reliable")
        elif inls[i]:
            classes[i], why[i] = "landslide", "intersects a mapped landslide"
        elif np.isfinite(slope[i]) and slope[i] >= slope_gate_deg:
            classes[i], why[i] = "landslide", f"mean slope {slope[i]:.1f} deg >= {slope_gate_deg:g} deg (slope gate)"
        elif (np.isfinite(amp[i]) and amp[i] >= min_seasonal_mm
              and amp[i] >= thermal_ratio * (abs(trend[i]) if np.isfinite(trend[i]) else abs(v[i]))):
            yearly = abs(trend[i] if np.isfinite(trend[i]) else v[i])
            classes[i], why[i] = "thermal_dilation", (f"seasonal amplitude {amp[i]:.1f} mm >= {thermal_ratio:g} x "
                                                      f"yearly trend {yearly:.1f} mm")
        elif v[i] > 0:
            classes[i], why[i] = "uplift", f"moving toward the satellite ({v[i]:+.1f} mm/yr) on gentle ground"
        elif v[i] < 0 and area[i] <= sinkhole_max_area_m2 and (karst[i] or abs(v[i]) >= sinkhole_min_speed_mm_yr):
            reason = f"geology '{geo[i]}'" if karst[i] else f"|v| {abs(v[i]):.1f} >= {sinkhole_min_speed_mm_yr:g} mm/yr"
            classes[i], why[i] = "sinkhole_collapse", f"small ({area[i]:.0f} m2 <= {sinkhole_max_area_m2:g}), {reason}"
        elif v[i] < 0 and area[i] <= settlement_max_area_m2 and urban[i]:
            classes[i], why[i] = "settlement", f"small ({area[i]:.0f} m2) on land use '{lu[i]}'"
        elif v[i] < 0 and np.isfinite(slope[i]):
            classes[i], why[i] = "subsidence", f"moving away ({v[i]:+.1f} mm/yr), slope {slope[i]:.1f} deg < gate"
        else:
            classes[i], why[i] = "unclassified", "no slope information to tell landslide from subsidence"
    return classes, why
