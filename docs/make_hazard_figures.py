"""Figures of docs/hazard.md (mining subsidence and damage proxy sections).

1. hazard_mining.png: the forward basin of two longwall panels (an L-shaped one and a rectangle, 300 m and 420 m
   deep, q 0.8, tan(beta) 2, s 20 m, b 0.3) on a 10 m grid: vertical displacement with the panels and their
   computation boundaries, and a west-east profile of the vertical and east components; then the same basin seen
   by Sentinel-1 ascending with 4 mm of noise, the plan shifted by (60, -40) m as a wrong prior, and the fit
   (goaf located) drawn over it.
2. hazard_damage_mexico.png: the damage proxy of the bundled Mexico City coherence (tests/data) with the event
   date 2018-05-10 (no known damaging event: the map shows what coherence noise alone gives) and the classes, pairs
   of at most 48 days on both sides (coherence falls with the span: long co-event pairs against short pre-event
   ones would read as loss everywhere).
Run: `make link` then /usr/bin/python3 docs/make_hazard_figures.py
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins")]

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from osgeo import gdal  # noqa: E402

from insar_geohazards.algorithms.geometry.los import los_unit_vector  # noqa: E402
from insar_geohazards.algorithms.hazard import damageproxy as dpm  # noqa: E402
from insar_geohazards.algorithms.hazard import mining_fit as pimfit  # noqa: E402
from insar_geohazards.algorithms.hazard import miningsubsidence as pim  # noqa: E402

OUT = os.path.join(HERE, "img")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")


def _outline(ax, ring, **kw):
    r = np.vstack([ring, ring[:1]])
    ax.plot(r[:, 0], r[:, 1], **kw)


def mining_figure():
    panels = [pim.Panel.from_vertices([(0, 0), (900, 0), (900, 220), (400, 220), (400, 520), (0, 520)], 300.0, 3.0),
              pim.Panel.from_vertices([(1100, 0), (1400, 0), (1400, 700), (1100, 700)], 420.0, 2.5)]
    params = pim.PimParameters(0.8, 2.0, 20.0, 0.3)
    x, y = np.meshgrid(np.arange(-400, 1800, 10.0) + 5, np.arange(-400, 1100, 10.0) + 5)
    kw = dict(subsidence_factor=params.subsidence_factor, tan_beta=params.tan_beta, offset_m=params.offset_m,
              horizontal_factor=params.horizontal_factor)
    e, n, u = pim.pim_displacement(x, y, panels, **kw)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    im = ax.pcolormesh(x, y, u, cmap="RdBu", vmin=-2400, vmax=2400, shading="auto")
    for p in panels:
        _outline(ax, pim.oriented_rings(p)[0], color="k", lw=1.2)
        _outline(ax, pim.computation_rings(p, params)[0], color="k", lw=0.8, ls="--")
    ax.axhline(100, color="0.3", lw=0.8, ls=":")
    ax.set_aspect("equal")
    ax.set_title("Vertical (mm, up +); s = 20 m dashed", fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax = axes[1]
    row = np.argmin(np.abs(y[:, 0] - 105))
    ax.plot(x[row], u[row], label="vertical (mm)")
    ax.plot(x[row], e[row], label="east (mm)")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xlabel("x (m)")
    ax.legend()
    ax.set_title("Profile at y = 105 m")
    ax = axes[2]
    truth = [pim.moved_panel(p, dx_m=60, dy_m=-40, centre=(700, 350)) for p in panels]
    lv = np.array(los_unit_vector(39.0, -12.0)).ravel()
    xs, ys = x[::4, ::4].ravel(), y[::4, ::4].ravel()
    et, nt, ut = pim.pim_displacement(xs, ys, truth, **kw)
    los = pim.los_from_enu(et, nt, ut, lv) + np.random.default_rng(0).normal(0, 4.0, xs.size)
    fit = pimfit.fit_pim([pimfit.LosSamples(xs, ys, los, tuple(lv))], panels, pim.PimParameters(0.6, 1.7, 5.0, 0.2))
    im = ax.scatter(xs, ys, c=los, s=3, cmap="RdBu", vmin=-2000, vmax=2000)
    for p in panels:
        _outline(ax, pim.oriented_rings(p)[0], color="0.5", lw=1.0, ls=":")
    for p in fit.panels:
        _outline(ax, pim.oriented_rings(p)[0], color="k", lw=1.2)
    got = dict(zip(fit.names, zip(fit.values, fit.std_errors)))
    ax.set_title(f"LOS (asc.) + 4 mm noise: prior plan dotted, fitted solid\nq {got['subsidence_factor'][0]:.3f} "
                 f"(0.8), tan b {got['tan_beta'][0]:.3f} (2.0), shift ({got['shift_east_m'][0]:.1f}, "
                 f"{got['shift_north_m'][0]:.1f}) m", fontsize=9)
    ax.set_aspect("equal")
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "hazard_mining.png"), dpi=90)


def damage_figure():
    files = sorted(f for f in os.listdir(MEXICO) if f.endswith("_cc.tif"))
    import datetime as dt

    def span(f):  # days between the pair's dates: coherence falls with it, so both sets keep short pairs
        return (dt.date.fromisoformat(f"{f[15:19]}-{f[19:21]}-{f[21:23]}")
                - dt.date.fromisoformat(f"{f[6:10]}-{f[10:12]}-{f[12:14]}")).days

    pre = [f for f in files if f[15:23] < "20180510" and span(f) <= 48]
    co = [f for f in files if f[6:14] < "20180510" < f[15:23] and span(f) <= 48]

    def stack(names):
        return np.array([gdal.Open(os.path.join(MEXICO, f)).ReadAsArray().astype(float) for f in names])

    out = dpm.damage_proxy(stack(pre), stack(co), threshold=3.0)
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.9))
    for ax, arr, title, kw in ((axes[0], out["mean_coherence"], f"Mean pre-event coherence ({len(pre)} pairs)",
                                dict(cmap="Greys_r", vmin=0, vmax=1)),
                               (axes[1], out["proxy"], f"Damage proxy ({len(co)} co-event pairs; sd)",
                                dict(cmap="RdBu_r", vmin=-6, vmax=6)),
                               (axes[2], out["classes"].astype(float), "Classes: 1 decorrelated, 2 coherent, 3 loss",
                                dict(cmap="viridis", vmin=0, vmax=3))):
        im = ax.imshow(arr, **kw)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "hazard_damage_mexico.png"), dpi=90)


if __name__ == "__main__":
    mining_figure()
    damage_figure()
