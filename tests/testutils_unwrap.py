"""Synthetic wrapped interferograms with a known unwrapped truth (tests and benchmarks/unwrap)."""

from __future__ import annotations

import numpy as np


def synthetic_interferogram(rows=200, cols=240, *, seed=0, bowls=((0.5, 0.5, 40.0, 30.0),),
                            holes=((0.25, 0.75, 0.08),), water=True, looks=9, coh_range=(0.2, 0.95),
                            ramp=(2.0, -1.5)):
    """A wrapped interferogram and its truth.

    ``bowls``: (row frac, col frac, peak phase in rad (negative = subsidence), radius px),
    Gaussian-shaped (steepest gradient peak / (radius sqrt(e)) rad/px: 40 rad over 30 px is
    0.81 rad/px, 1.3 fringes per 10 px); ``holes``: decorrelated disks (row frac, col frac, radius
    frac) with coherence 0.05; ``water``: a band of pure noise (coherence 0) across the
    left part; coherence elsewhere a smooth random field in ``coh_range``. Phase noise
    is simulated, not drawn from a formula: ``looks`` complex samples of two circular
    Gaussian signals correlated by the coherence, multiplied and averaged.

    Returns dict: wrapped, truth, coherence (the true one), land (not water/holes).
    """
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    truth = ramp[0] * r / rows * np.pi + ramp[1] * c / cols * np.pi
    for fr, fc, peak, rad in bowls:
        truth += peak * np.exp(-((r - fr * rows) ** 2 + (c - fc * cols) ** 2) / (2 * rad ** 2))
    # smooth coherence field
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal((rows, cols)), 12)
    f = (f - f.min()) / (np.ptp(f) + 1e-12)
    coh = coh_range[0] + (coh_range[1] - coh_range[0]) * f
    land = np.ones((rows, cols), bool)
    for fr, fc, fh in holes:
        hole = (r - fr * rows) ** 2 + (c - fc * cols) ** 2 < (fh * min(rows, cols)) ** 2
        coh[hole] = 0.05
        land &= ~hole
    if water:
        w = (c < 0.12 * cols + 0.05 * r) & (r > 0.3 * rows)
        coh[w] = 0.0
        land &= ~w
    s1 = (rng.standard_normal((looks, rows, cols)) + 1j * rng.standard_normal((looks, rows, cols))) / np.sqrt(2)
    n = (rng.standard_normal((looks, rows, cols)) + 1j * rng.standard_normal((looks, rows, cols))) / np.sqrt(2)
    s2 = coh * s1 + np.sqrt(1 - coh ** 2) * n
    ifg = (s1 * np.conj(s2)).mean(axis=0) * np.exp(1j * truth)
    return {"wrapped": np.angle(ifg).astype(np.float32), "complex": ifg.astype(np.complex64),
            "truth": truth.astype(np.float32), "coherence": coh.astype(np.float32), "land": land}


def correct_share(unwrapped, components, truth, region) -> float:
    """Share of ``region`` pixels unwrapped to the right integer cycle relative to the most
    common offset of their component (pixels left out count as wrong)."""
    region = np.asarray(region, bool)
    good = 0
    for lab in np.unique(components[region & (components > 0)]):
        sel = region & (components == lab) & np.isfinite(unwrapped)
        k = np.rint((unwrapped[sel] - truth[sel]) / (2 * np.pi)).astype(np.int64)
        good += np.bincount(k - k.min()).max()
    return good / max(1, int(region.sum()))


# The synthetic cases of the unwrapping benchmarks (benchmarks/unwrap: compare.py and its speed step, tiles.py).
# max gradient of a Gaussian bowl = peak / (radius sqrt(e)) rad/px; 2 pi rad = 1 fringe; beyond pi rad/px
# (5 fringes per 10 px) the steepest ring is aliased: no unwrapper can get it right
BENCH_CASES = {
    "bowl 1.0 rad/px (1.6 fringes/10px)": dict(rows=300, cols=300, bowls=((0.5, 0.5, -60.0, 36.0),)),
    "bowl 2.5 rad/px (4.1 fringes/10px)": dict(rows=300, cols=300, bowls=((0.5, 0.5, -80.0, 19.0),)),
    "2 bowls 3.5 rad/px (5.6 fr/10px) holes": dict(rows=300, cols=400, bowls=((0.4, 0.35, -70.0, 12.0),
                                                                       (0.6, 0.7, 40.0, 8.0)),
                                                holes=((0.2, 0.8, 0.08), (0.75, 0.3, 0.1))),
    "low coherence 0.2-0.6, 4 looks": dict(rows=300, cols=300, bowls=((0.5, 0.5, -50.0, 20.0),),
                                           coh_range=(0.2, 0.6), looks=4),
}
#: a raster where tiling matters: 2000 x 2000, six bowls of 2.4-4.6 fringes per 10 px, holes, water, coherence
#: 0.2-0.95, 4 looks
BENCH_BIG = dict(rows=2000, cols=2000, looks=4, bowls=((0.2, 0.25, -60.0, 24.0), (0.25, 0.7, 80.0, 20.0),
                                                       (0.5, 0.5, -120.0, 40.0), (0.7, 0.2, 50.0, 12.0),
                                                       (0.8, 0.75, -90.0, 19.0), (0.45, 0.85, 70.0, 15.0)),
                 holes=((0.35, 0.4, 0.04), (0.6, 0.65, 0.05), (0.9, 0.4, 0.03)))


#: Sentinel-1 C band wavelength (m) and a descending right-looking geometry for the rupture cases.
C_BAND_M = 0.05546576
#: Fault mechanisms of :func:`rupture_interferogram`: (dip degrees, rake degrees).
MECHANISMS = {"strike-slip": (89.9, 0.0), "thrust": (30.0, 90.0), "normal": (55.0, -90.0)}


def _trace_pixels(shape, rows, cols, partial):
    """Fault traces as polylines of (row, col) pixel positions, each extending past the raster
    unless ``partial`` (the trace then ends inside the raster at 62 % of its length)."""
    if shape == "straight":
        traces = [np.array([[-0.2 * rows, 0.42 * cols], [1.2 * rows, 0.58 * cols]])]
    elif shape == "curved":
        t = np.linspace(-0.2, 1.2, 29)
        traces = [np.stack([t * rows, (0.5 + 0.18 * np.sin(np.pi * t)) * cols - 0.09 * cols], axis=1)]
    elif shape == "en-echelon":  # two parallel segments overlapping along strike, 7 % of the width apart
        traces = [np.array([[-0.2 * rows, 0.43 * cols], [0.58 * rows, 0.45 * cols]]),
                  np.array([[0.42 * rows, 0.50 * cols], [1.2 * rows, 0.52 * cols]])]
    else:
        raise ValueError(f"trace shape {shape!r}")
    if partial:  # cut the last trace at 62 % of the raster's height: the two sides meet around its tip
        tr = traces[-1]
        end = 0.62 * rows
        k = int(np.searchsorted(tr[:, 0], end))
        f = (end - tr[k - 1, 0]) / (tr[k, 0] - tr[k - 1, 0])
        traces[-1] = np.vstack([tr[:k], tr[k - 1] + f * (tr[k] - tr[k - 1])])
    return traces


def _distance_to_polylines(rr, cc, traces):
    """Distance (pixels) of every pixel to the nearest segment of the polylines."""
    d = np.full(rr.shape, np.inf)
    for tr in traces:
        for (r0, c0), (r1, c1) in zip(tr[:-1], tr[1:]):
            dr, dc = r1 - r0, c1 - c0
            t = np.clip(((rr - r0) * dr + (cc - c0) * dc) / (dr * dr + dc * dc), 0.0, 1.0)
            d = np.minimum(d, np.hypot(rr - (r0 + t * dr), cc - (c0 + t * dc)))
    return d


def rupture_interferogram(rows=300, cols=300, *, seed=0, mechanism="strike-slip", slip_m=1.0, pixel_m=90.0,
                          trace="straight", partial=False, strip_px=3.0, drop_px=12.0, edge_coherence=0.22,
                          coh_range=(0.45, 0.95), patch_sigma_px=1.5, patch_std=0.08, looks=9, bottom_m=12000.0,
                          incidence_deg=38.0,
                          heading_deg=-168.0):
    """A co-seismic wrapped interferogram cut by a decorrelated surface rupture, and its truth.

    The truth is the LOS phase of Okada rectangles (:mod:`algorithms.faults.okada`) whose top
    edges are the fault ``trace`` at the surface (``"straight"``, ``"curved"`` or two
    overlapping ``"en-echelon"`` segments; ``partial``: the trace ends inside the raster, so
    the two sides are joined around its tip), from the surface to ``bottom_m``, uniform
    ``slip_m`` with the dip and rake of ``mechanism`` (:data:`MECHANISMS`), C band, a
    descending right-looking geometry. The displacement jumps across the trace, and the
    fringes crowd towards it (the denser the larger the slip).

    Coherence: a smooth random field in ``coh_range``; pixels within ``strip_px / 2`` of the
    trace are decorrelated (0.0-0.1), and within ``drop_px`` of that strip it falls towards
    ``edge_coherence`` (so the ground beside the rupture is patchy around 0.3). Phase
    noise is simulated from ``looks`` correlated complex samples (as
    :func:`synthetic_interferogram`), the same samples also give the multilooked
    ``estimated_coherence`` (biased high where it is low).

    Returns dict: wrapped, truth (radians, phase growing with range), coherence (true),
    estimated_coherence, land (outside the strip), strip (bool).
    """
    from scipy.ndimage import gaussian_filter

    from insar_geohazards.algorithms.faults.faults import faults_from_traces
    from insar_geohazards.algorithms.faults.okada import okada_displacement
    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:rows, 0:cols].astype(np.float64)
    traces = _trace_pixels(trace, rows, cols, partial)
    dip, rake = MECHANISMS[mechanism]
    # pixel (row, col) -> map (east, north) in metres, north up; traces digitised north to south
    # so that a dipping fault dips to the west of the trace (the right of the digitising direction)
    en = [np.stack([tr[:, 1] * pixel_m, -tr[:, 0] * pixel_m], axis=1) for tr in traces]
    faults = faults_from_traces(en, dip_deg=dip, top_m=0.0, bottom_m=bottom_m, slip_m=slip_m, rake_deg=rake)
    disp = okada_displacement(cc * pixel_m, -rr * pixel_m, faults.table())
    e, n, u = los_unit_vector(incidence_deg, heading_deg)
    los_m = disp[..., 0] * e + disp[..., 1] * n + disp[..., 2] * u  # positive toward the satellite
    truth = -4.0 * np.pi / C_BAND_M * los_m  # phase grows with range
    dist = _distance_to_polylines(rr, cc, traces)
    strip = (dist <= strip_px / 2.0) | ~np.isfinite(truth)
    truth = np.where(np.isfinite(truth), truth, 0.0)
    f = gaussian_filter(rng.standard_normal((rows, cols)), 10)
    f = (f - f.min()) / (np.ptp(f) + 1e-12)
    coh = coh_range[0] + (coh_range[1] - coh_range[0]) * f
    # fall towards edge_coherence beside the strip, with small-scale patchiness
    near = np.exp(-np.maximum(dist - strip_px / 2.0, 0.0) / drop_px)
    patch = gaussian_filter(rng.standard_normal((rows, cols)), patch_sigma_px)
    patch *= patch_std / (patch.std() + 1e-12)
    coh = np.clip(coh * (1.0 - near) + (edge_coherence + patch) * near, 0.0, 0.99)
    coh[strip] = rng.uniform(0.0, 0.1, int(strip.sum()))
    s1 = (rng.standard_normal((looks, rows, cols)) + 1j * rng.standard_normal((looks, rows, cols))) / np.sqrt(2)
    nz = (rng.standard_normal((looks, rows, cols)) + 1j * rng.standard_normal((looks, rows, cols))) / np.sqrt(2)
    s2 = coh * s1 + np.sqrt(1 - coh ** 2) * nz
    prod = (s1 * np.conj(s2)).mean(axis=0)
    est = np.abs(prod) / np.sqrt((np.abs(s1) ** 2).mean(axis=0) * (np.abs(s2) ** 2).mean(axis=0))
    ifg = prod * np.exp(1j * truth)
    return {"wrapped": np.angle(ifg).astype(np.float32), "truth": truth.astype(np.float32),
            "coherence": coh.astype(np.float32), "estimated_coherence": est.astype(np.float32),
            "land": ~strip, "strip": strip}
