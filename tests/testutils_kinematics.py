"""Synthetic image pairs with known displacements for the offset-tracking tests and benchmark.

Three texture generators (different spectra and statistics) and two ways of moving them
(a band-limited Fourier shift, and a cubic-spline affine warp with rotation), so the checks
do not ride on one generator's quirks.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def texture(shape, kind: str = "smooth", seed: int = 0) -> np.ndarray:
    """A textured image: ``smooth`` (Gaussian-filtered noise, 1.5 px), ``fractal`` (1/f^1.6
    spectrum, like natural terrain) or ``speckle`` (amplitude of a filtered complex field, SAR-like)."""
    rng = np.random.default_rng(seed)
    if kind == "smooth":
        return ndimage.gaussian_filter(rng.normal(size=shape), 1.5) * 10 + 100
    if kind == "fractal":
        fy = np.fft.fftfreq(shape[0])[:, None]
        fx = np.fft.rfftfreq(shape[1])[None, :]
        f = np.hypot(fy, fx)
        f[0, 0] = 1.0
        spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** 1.6
        spec[0, 0] = 0
        img = np.fft.irfft2(spec, s=shape)
        return 100 + 20 * img / img.std()
    if kind == "speckle":
        z = ndimage.gaussian_filter(rng.normal(size=shape), 1.0) + 1j * ndimage.gaussian_filter(
            rng.normal(size=shape), 1.0)
        return np.abs(z) * 100
    raise ValueError(kind)


def fourier_shift(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """``img`` moved by (dy, dx) pixels (features at (r, c) go to (r + dy, c + dx)), band-limited."""
    return np.real(np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(img), (dy, dx))))


def affine_pair(img: np.ndarray, *, rotation_deg: float = 0.0, dy: float = 0.0, dx: float = 0.0):
    """``img`` rotated about its centre by ``rotation_deg`` and moved by (dy, dx), cubic spline.

    Returns ``(secondary, truth)``: ``truth(rows, cols) -> (dy, dx)`` is the displacement of the
    feature at reference position (rows, cols) (pixel-centre indices)."""
    th = np.radians(rotation_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    c = (np.array(img.shape, float) - 1) / 2.0
    t = np.array([dy, dx])
    # forward: p' = rot (p - c) + c + t ; the warp samples the source at p = rot^-1 (p' - c - t) + c
    inv = rot.T
    offset = c - inv @ (c + t)
    sec = ndimage.affine_transform(img, inv, offset=offset, order=3, mode="reflect")

    def truth(rows, cols):
        p = np.stack([np.asarray(rows, float), np.asarray(cols, float)])
        q = np.tensordot(rot, p - c[:, None, None] if p.ndim == 3 else p - c[:, None], axes=1)
        q = q + (c[:, None, None] if p.ndim == 3 else c[:, None]) + (t[:, None, None] if p.ndim == 3 else t[:, None])
        d = q - p
        return d[0], d[1]

    return sec, truth


def cell_centres(n_out_rows: int, n_out_cols: int, *, step: int, shift_px: float):
    """Reference pixel-centre coordinates (rows, cols) of the output cells' window centres."""
    r = np.arange(n_out_rows) * step + step / 2.0 + shift_px - 0.5
    c = np.arange(n_out_cols) * step + step / 2.0 + shift_px - 0.5
    return np.meshgrid(r, c, indexing="ij")


def ustica_cells(folder):
    """EGMS L2b Ustica asc 117 + desc 022 on the EGMS L3 100 m grid: ``(points, grid, observations, dem)`` with
    the points per geometry, the cell-mean LOS observations of :func:`~algorithms.kinematics.motion3d.
    grid_observations` ``(d, e, n, u, sigma, count)`` and a DEM of the cell means of the points' orthometric
    heights."""
    import os

    from insar_geohazards.algorithms.geometry import decomposition as dc
    from insar_geohazards.algorithms.geometry.egms_csv import read_egms_csv
    from insar_geohazards.algorithms.kinematics import motion3d as m3

    pts = []
    for name in ("EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip", "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip"):
        c = read_egms_csv(os.path.join(folder, name), with_series=False)["columns"]
        pts.append(dict(x=c["easting"], y=c["northing"], d=c["mean_velocity"], e=c["los_east"], n=c["los_north"],
                        u=c["los_up"], sigma=c["mean_velocity_std"], h=c["height_ortho"]))
    grid = dc.grid_for_points(np.concatenate([p["x"] for p in pts]), np.concatenate([p["y"] for p in pts]), 100.0)
    obs = m3.grid_observations(pts, grid)
    hsum = 0.0
    for p in pts:
        r, c = grid.cell_index(p["x"], p["y"])
        hsum = hsum + np.bincount(np.where(r >= 0, r * grid.n_cols + c, 0), weights=np.where(r >= 0, p["h"], 0),
                                  minlength=grid.n_rows * grid.n_cols)
    with np.errstate(invalid="ignore"):
        dem = (hsum / obs[5].sum(axis=0)).reshape(grid.n_rows, grid.n_cols)
    return pts, grid, obs, dem


def snow_scene(kind: str = "smooth", shape=(256, 256), *, noise_frac: float = 0.05, patch=None, both: bool = False,
               seed: int = 0):
    """A textured pair with a featureless ("snow") patch and sensor noise, moved by a smooth slide.

    The ground moves by ``0.3 px + up to 2.4 px (rows) / 1.8 px (cols)`` inside an elliptical slide (cubic
    spline warp); ``patch = (r0, r1, c0, c1)`` (reference pixels) is set to the image's median in the secondary
    (and in the reference too with ``both``): it does not move with the ground. Both images then get white
    Gaussian noise of ``noise_frac`` x the reference's robust spread (1.4826 MAD).

    Returns ``(reference, secondary, snow, truth)``: ``snow`` the patch mask, ``truth(rows, cols) -> (dy, dx)``.
    """
    n0, n1 = shape
    img = texture(shape, kind, seed=seed)
    rows, cols = np.mgrid[0:n0, 0:n1].astype(float)

    def field(r, c):
        body = np.exp(-(((r - 0.5 * n0) / (0.18 * n0)) ** 2 + ((c - 0.45 * n1) / (0.28 * n1)) ** 2) ** 2)
        return 2.4 * body + 0.3, 1.8 * body + 0.3

    uy, ux = field(rows, cols)
    sec = ndimage.map_coordinates(img, [rows - uy, cols - ux], order=3, mode="reflect")
    v = img.ravel()
    spread = 1.4826 * np.median(np.abs(v - np.median(v)))
    if patch is None:
        patch = (int(0.4 * n0), int(0.65 * n0), int(0.5 * n1), int(0.75 * n1))
    r0, r1, c0, c1 = patch
    snow = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
    level = np.median(img)
    sec[snow] = level
    if both:
        img = img.copy()
        img[snow] = level
    rng = np.random.default_rng(seed + 1)
    sigma = noise_frac * spread
    return img + rng.normal(0, sigma, shape), sec + rng.normal(0, sigma, shape), snow, field


def landslide_body(n: int = 40, dx: float = 15.0, *, a: float = 250.0, b: float = 150.0, h0: float = 20.0,
                   u0: float = 200.0, flow_deg: float = 90.0, profile: str = "parabolic", stretch: float = 0.3,
                   spread: float = 0.2, f: float = 1.0, over: int = 4):
    """A landslide of known thickness sliding over a slope, for the mass-conservation tests.

    Elliptical body (semi-axes ``a`` along the flow, ``b`` across, metres) of thickness ``h0 (1 - r^2)``
    (``profile="parabolic"``) or ``h0 (1 - r^4)`` (``"flat"``, a plug with steep margins), moving toward
    ``flow_deg`` (clockwise from north) at ``u0 (1 + stretch s/a)`` mm/yr along the flow and ``spread u0 t/b``
    across it (``s``, ``t`` along/across the flow from the centre); the ground dips 10 degrees toward the flow,
    with undulations. The forward model (``dz/dt = -div(f h u)``, ``U = dz/dt + E dz/dx + N dz/dy``) runs on a
    grid ``over`` times finer and is block-averaged onto the ``n x n`` grid of ``dx`` m cells (no inverse crime).

    Returns ``(east, north, up, dem, thickness, r2)`` on the grid (mm/yr, m, m; ``r2 < 1`` is the body).
    """
    fine = dx / over
    c = (np.arange(n * over) + 0.5) * fine - n * dx / 2
    x, yr = np.meshgrid(c, c)
    y = -yr
    th = np.radians(flow_deg)
    de, dn = np.sin(th), np.cos(th)  # flow direction (east, north)
    s, t = x * de + y * dn, -x * dn + y * de
    r2 = (s / a) ** 2 + (t / b) ** 2
    shape = 1 - r2 if profile == "parabolic" else 1 - r2 ** 2
    h = np.where(r2 < 1, h0 * shape, 0.0)
    inside = r2 < 1.2
    us = np.where(inside, u0 * (1 + stretch * s / a), 0.0)
    ut = np.where(inside, spread * u0 * (t / b), 0.0)
    ue, un = us * de - ut * dn, us * dn + ut * de
    z = 1000 - np.tan(np.radians(10)) * s + 5 * np.sin(t / 80)
    dzdx = np.gradient(z, fine, axis=1)
    dzdy = -np.gradient(z, fine, axis=0)
    dzdt = -(np.gradient(f * h * ue, fine, axis=1) - np.gradient(f * h * un, fine, axis=0))
    up = dzdt + ue * dzdx + un * dzdy

    def sub(arr):
        return arr.reshape(n, over, n, over).mean(axis=(1, 3))

    return sub(ue), sub(un), sub(up), sub(z), sub(h), sub(r2)
