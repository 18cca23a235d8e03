"""Figures of docs/faults.md: interseismicslip's profile and rupturetrace's trace on simulated worlds.

Left figure (faults_interseismic.png): a world of tests/testutils_fault_worlds.interseismic_world (seed 2024: east
and north velocities across a strike-slip fault, 1 mm/yr of white and correlated noise, a 0.5 mm/yr ramp), its
fault-parallel velocity map with the swath, and the profile the core fits (LENGTH_M 100 km, WIDTH_M 50 km).
Right figure (faults_rupturetrace.png): a rupture of rupture_world (seed 31: Okada strike-slip offsets with speckle
and a decorrelated band along the fault), the trace found with the defaults (SMOOTHING_M 300 m, MIN_OFFSET_M 0.5 m)
over the offsets, and the true trace.
Run: `make link` then /usr/bin/python3 docs/make_faults_interseismic_figure.py
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests")]

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from testutils_fault_worlds import interseismic_world, map_grid, rupture_world, trace_score  # noqa: E402

from insar_geohazards.algorithms.faults import interseismicslip as isl  # noqa: E402
from insar_geohazards.algorithms.faults import rupturetrace as rt  # noqa: E402

LENGTH, WIDTH = 100e3, 50e3


def interseismic(path):
    w = interseismic_world(2024)
    _, east, north = map_grid(w["east"].shape[0], w["pixel_m"])
    frame = isl.FaultFrame.from_vertices(w["trace"])
    vpar = isl.fault_parallel(w["east"], w["north"], frame.strike_deg)
    across, along = frame.coordinates(east.ravel(), north.ravel())
    keep = isl.swath(across, along, length_m=LENGTH, width_m=WIDTH)
    v = vpar.ravel()[keep]
    fit = isl.fit_profile(across[keep], along[keep], v, length_m=LENGTH, width_m=WIDTH)
    tab = isl.profile_table(fit, across[keep], along[keep], v, length_m=LENGTH)
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1, 1.5]})
    ext = [(east.min() - 300) / 1e3, (east.max() + 300) / 1e3, (north.min() - 300) / 1e3, (north.max() + 300) / 1e3]
    lim = np.percentile(np.abs(vpar), 99)
    im = a.imshow(vpar, extent=ext, cmap="RdBu_r", vmin=-lim, vmax=lim)
    a.contour(east / 1e3, north / 1e3, keep.reshape(east.shape).astype(float), [0.5], colors="k", linewidths=0.8)
    a.plot(w["trace"][:, 0] / 1e3, w["trace"][:, 1] / 1e3, "k-", lw=1.5)
    a.annotate("", xy=w["trace"][1] / 1e3, xytext=w["trace"][0] / 1e3, arrowprops=dict(arrowstyle="->", lw=1.5))
    fig.colorbar(im, ax=a, label="fault-parallel velocity (mm/yr)", shrink=0.8)
    a.set_xlabel("easting (km)")
    a.set_ylabel("northing (km)")
    a.set_title("velocity along the strike, swath and trace", fontsize=9)
    km = tab["distance_m"] / 1e3
    b.errorbar(km, tab["deramped"], yerr=tab["std"], fmt=".", ms=3, color="0.35", ecolor="0.8", elinewidth=0.8,
               label="observed less the fitted ramp (bin mean +- std)")
    x = np.linspace(-LENGTH, LENGTH, 400)
    b.plot(x / 1e3, isl.savage_burford(x, w["slip_rate"], w["locking_depth_m"], w["offset_m"],
                                        float(fit.theta[3])), color="k", lw=1, ls=":", label="truth")
    b.plot(km, tab["arctangent"], color="#b2182b", lw=1.6, label="fitted arctangent")
    b.set_xlabel("distance from the fault (km, positive to the right of the trace)")
    b.set_ylabel("mm/yr")
    b.set_title(f"truth s = {w['slip_rate']:.2f} mm/yr, D = {w['locking_depth_m'] / 1e3:.2f} km;  fit s = "
                f"{fit.slip_rate_mm_yr:.2f} +- {fit.slip_rate_sigma:.2f}, D = {fit.locking_depth_m / 1e3:.2f} +- "
                f"{fit.locking_depth_sigma_m / 1e3:.2f} km", fontsize=9)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(path, fit.slip_rate_mm_yr, fit.slip_rate_sigma, fit.locking_depth_m, fit.locking_depth_sigma_m,
          w["slip_rate"], w["locking_depth_m"])


def rupture(path):
    w = rupture_world(31)
    px = w["pixel_m"]
    res = rt.rupture_trace(w["offset"], pixel_x_m=px, pixel_y_m=px, min_offset_m=0.5, smoothing_m=300.0)
    gt = w["gt"]
    n = w["offset"].shape[0]
    ext = [gt[0] / 1e3, (gt[0] + n * px) / 1e3, (gt[3] - n * px) / 1e3, gt[3] / 1e3]
    fig, a = plt.subplots(figsize=(7, 6))
    lim = np.nanpercentile(np.abs(w["offset"]), 99)
    im = a.imshow(w["offset"], extent=ext, cmap="PuOr", vmin=-lim, vmax=lim, interpolation="nearest")
    a.plot(w["trace"][:, 0] / 1e3, w["trace"][:, 1] / 1e3, "k--", lw=1.2, label="true trace")
    pts = []
    for k, s in enumerate(res.segments):
        x, y = gt[0] + s.cols * px, gt[3] - s.rows * px
        pts.append(np.column_stack([x, y]))
        a.plot(x / 1e3, y / 1e3, color="#1a9850", lw=2.2, label="rupturetrace" if k == 0 else None)
    med, cov = trace_score(np.vstack(pts), w["trace"])
    fig.colorbar(im, ax=a, label="along-track offset (m)", shrink=0.8)
    a.set_xlabel("easting (km)")
    a.set_ylabel("northing (km)")
    a.set_title(f"Okada strike-slip rupture, {w['slip_m']:.1f} m: median distance {med:.0f} m, {100 * cov:.0f} % "
                f"of the trace found", fontsize=9)
    a.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(path, med, cov)


if __name__ == "__main__":
    interseismic(os.path.join(HERE, "img", "faults_interseismic.png"))
    rupture(os.path.join(HERE, "img", "faults_rupturetrace.png"))
