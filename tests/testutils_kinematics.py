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
