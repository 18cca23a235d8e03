"""Figures and numbers of docs/kinematics.md (landslide3d, landslidethickness, validateinsar, triggercorrelation).

Run from the repository root:  /usr/bin/python3 docs/make_kinematics_figures.py
Writes docs/img/kinematics_*.png and prints the numbers quoted in the page.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests", "core"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from testutils_kinematics import ustica_cells  # noqa: E402

from insar_geohazards.algorithms.geometry import decomposition as dc  # noqa: E402
from insar_geohazards.algorithms.geometry.terrain import slope_aspect  # noqa: E402
from insar_geohazards.algorithms.kinematics import motion3d as m3  # noqa: E402
from insar_geohazards.algorithms.kinematics import triggers as tr  # noqa: E402
from insar_geohazards.algorithms.kinematics import validation as va  # noqa: E402
from insar_geohazards.fileio.display import charts  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img")
S1 = m3.parse_geometries("-8.94,38.97;-171.5,36.5", 2)


def fig(w, h):
    f = Figure(figsize=(w, h), dpi=100)
    FigureCanvasAgg(f)
    return f


def landslide3d():
    a = np.array([g[:3] for g in S1])
    slopes, aspects = np.arange(2, 46, 1.0), np.arange(0, 361, 2.0)
    cond = np.empty((slopes.size, aspects.size))
    for i, s in enumerate(slopes):
        gx, gy = m3.surface_gradient(s, aspects)
        for k in range(aspects.size):
            a2 = np.stack([a[:, 0] + a[:, 2] * gx[k], a[:, 1] + a[:, 2] * gy[k]], 1)
            cond[i, k] = np.linalg.cond(a2)
    f = fig(12, 4.2)
    ax = f.add_subplot(131)
    im = ax.pcolormesh(aspects, slopes, np.log10(cond), cmap="viridis_r", vmin=0, vmax=2, shading="auto")
    ax.contour(aspects, slopes, cond, [10], colors="r")
    ax.set_xlabel("aspect (deg, downhill azimuth)")
    ax.set_ylabel("slope (deg)")
    ax.set_title("S1 asc+desc + surface-parallel:\nlog10 condition (red: 10, the default limit)", fontsize=9)
    f.colorbar(im, ax=ax)
    share = float(np.mean(cond <= 10))
    # EGMS Ustica: real 3-D run with a DEM from the points' heights
    pts, grid, (d, e, n, u, sig, cnt), dem = ustica_cells(os.path.join(ROOT, "tests", "data", "egms_ustica"))
    sl, asp = slope_aspect(dem, 100.0, 100.0)
    res = m3.solve_3d(d, e, n, u, sigma=sig, slope_deg=sl.ravel(), aspect_deg=asp.ravel(), constraint="always")
    ok = res["flag"] == m3.FLAG_CONSTRAINED
    two = dc.decompose_los([d[0, :1], d[1, :1]], [e[:1], e[1:]], [n[:1], n[1:]], [u[:1], u[1:]])
    shp = (grid.n_rows, grid.n_cols)
    for k, (comp, title) in enumerate((("north", "north (mm/yr), surface-parallel 3-D"),
                                       ("up", "up 3-D minus up of east+up (mm/yr)"))):
        ax = f.add_subplot(132 + k)
        val = res[comp][0].reshape(shp) if comp == "north" else (res["up"][0] - two["up"].ravel()).reshape(shp)
        im = ax.imshow(np.where(ok.reshape(shp), val, np.nan), cmap="RdBu_r", vmin=-4, vmax=4)
        ax.set_title(f"EGMS Ustica: {title}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        f.colorbar(im, ax=ax)
    f.tight_layout()
    f.savefig(os.path.join(IMG, "kinematics_landslide3d.png"))
    du = (res["up"][0] - two["up"].ravel())[ok]
    print(f"landslide3d: share of (slope 2-45, aspect 0-360) with constrained condition <= 10: {share:.2f}")
    print(f"Ustica: {ok.sum()} of {np.isfinite(two['up']).sum()} cells constrained; median |N| "
          f"{np.nanmedian(np.abs(res['north'][0, ok])):.2f} mm/yr; median |U3d - U2d| {np.nanmedian(np.abs(du)):.2f}, "
          f"95th pct {np.nanpercentile(np.abs(du), 95):.2f} mm/yr; "
          f"median sigma_up {np.nanmedian(res['sigma_up'][0, ok]):.2f}")
    # synthetic accuracy
    from test_kinematics_motion3d_validation_triggers import L_ASC, L_DESC, S1_ASC, S1_DESC, _landslide, _observe

    for label, vecs, sigs in (("S1 asc+desc + DEM", [S1_ASC, S1_DESC], [1, 1]),
                              ("S1 asc+desc + azimuth (sigma 15)", [S1_ASC, S1_DESC, m3.azimuth_unit_vector(-8.94)],
                               [1, 1, 15]),
                              ("S1 + ALOS-2 asc/desc + 2 azimuth", [S1_ASC, S1_DESC, L_ASC, L_DESC,
                                                                     m3.azimuth_unit_vector(-8.94),
                                                                     m3.azimuth_unit_vector(-171.5)],
                               [1, 1, 2, 2, 10, 10])):
        truth, slope, aspect, rng = _landslide(3000, 3)
        dd, aa = _observe(vecs, truth, sigs, rng)
        kw = dict(slope_deg=slope, aspect_deg=aspect) if len(vecs) == 2 else {}
        sg_in = np.array(sigs, float)[:, None] * np.ones((1, 3000))
        r = m3.solve_3d(dd, aa[:, 0:1], aa[:, 1:2], aa[:, 2:3], sigma=sg_in, **kw)
        okk = np.isfinite(r["east"][0])
        err = [np.sqrt(np.mean((r[c][0, okk] - truth[k, okk]) ** 2)) for k, c in enumerate(("east", "north", "up"))]
        sg = [np.median(r["sigma_" + c][0, okk]) for c in ("east", "north", "up")]
        print(f"{label}: solved {okk.mean():.2f}; RMS error E/N/U {err[0]:.2f}/{err[1]:.2f}/{err[2]:.2f}; "
              f"median sigma {sg[0]:.2f}/{sg[1]:.2f}/{sg[2]:.2f} mm/yr")


def validation():
    from test_kinematics_motion3d_validation_triggers import _stations_and_insar

    errs = []
    for seed in range(20):
        stations, x, y, (e, n, u), s, dates, bias = _stations_and_insar(seed)
        res, _ = va.validate_insar(stations, x, y, e, n, u, s, dates, radius_m=100, reference="A")
        errs += [r.stats["velocity_difference"] - bias[r.name] for r in res if r.name in ("B", "C", "D")]
    rms = np.sqrt(np.mean(np.square(errs)))
    print(f"validateinsar: velocity-bias recovery over 20 seeds x 3 stations: RMS {rms:.2f},"
          f" max {np.max(np.abs(errs)):.2f} mm/yr")
    stations, x, y, (e, n, u), s, dates, bias = _stations_and_insar(0)
    res, info = va.validate_insar(stations, x, y, e, n, u, s, dates, radius_m=100, reference="A")
    charts.station({r.name: r for r in res}["B"], os.path.join(IMG, "kinematics_validation_station.png"))
    charts.velocity_summary(res, os.path.join(IMG, "kinematics_validation_summary.png"), network=info["network"])
    vel, ser = info["network"]["velocity"], info["network"]["series_mean"]
    print(f"validateinsar network (seed 0, stations B, C, D): velocities RMSE {vel['rmse']:.2f} mm/yr, "
          f"NRMSE_range {vel['nrmse_range']:.3f}, NRMSE_mean {vel['nrmse_mean']:.3f}, R2 {vel['r2']:.3f}, "
          f"slope {vel['slope']:.2f}; mean series RMSE {ser['rmse']:.2f} mm, NRMSE_range {ser['nrmse_range']:.3f}, "
          f"R2 {ser['r2']:.3f}")


def trigger():
    from test_kinematics_motion3d_validation_triggers import _rain_and_response

    got = []
    for lag in (12, 36, 60, 90):
        for seed in range(5):
            days, rain, sdates, series = _rain_and_response(lag, seed)
            r = tr.correlate_with_driver(sdates, series, days, rain, step_days=6, tau_days=30, max_lag_days=180)
            got.append(r["best_lag_days"][0] - lag)
    print(f"triggercorrelation: lag error over 4 lags x 5 seeds (6-day bins): max {np.max(np.abs(got)):.0f} days")
    days, rain, sdates, series = _rain_and_response(36, 3)
    r = tr.correlate_with_driver(sdates, series, days, rain, step_days=6, tau_days=30, max_lag_days=180)
    charts.correlation(r, os.path.join(IMG, "kinematics_trigger.png"), title="synthetic: velocity = 2 + 0.3 x "
                       "antecedent rain (tau 30 d) 36 days earlier", series=(sdates, series[:, 0]))
    # responses of either sign with the defaults (STEP_DAYS 12, TAU_DAYS 0)
    from test_kinematics_motion3d_validation_triggers import _rain_responses

    lags, signs = [0, 24, 48, 72, 120, 156] * 2, [1] * 6 + [-1] * 6
    days, rain, sdates, y = _rain_responses(lags, signs, seed=1)
    r = tr.correlate_with_driver(sdates, y, days, rain)
    print("triggercorrelation, 6 rising + 6 falling series (defaults): lags", r["best_lag_days"].astype(int).tolist(),
          "signs", r["sign"].tolist(), "r", np.round(r["best_r"], 2).tolist(),
          f"largest corrected p {np.max(r['p_corrected']):.1e}")
    charts.correlation(r, os.path.join(IMG, "kinematics_trigger_negative.png"), column=9,
                       title="synthetic: LOS velocity falls with the 12-day rain 72 days earlier (defaults)",
                       series=(sdates, y[:, 9]))


def thickness():
    from test_kinematics_motion3d_validation_triggers import _thick_case

    th, e, nn, u, z, h, r2 = _thick_case(n=48, dx=12.5)
    res = th.invert_thickness(e, nn, u, z, dx_m=12.5, dy_m=12.5, mask=r2 < 1)
    inner = r2 < 0.8
    rms = np.sqrt(np.mean((res["thickness"][inner] - h[inner]) ** 2))
    print(f"landslidethickness: RMS {rms:.2f} m of 20 m (inner 80 %); volume {res['volume_m3']:.4g} vs "
          f"{h[r2 < 1].sum() * 12.5 ** 2:.4g} m3")
    f = fig(11, 3.6)
    for k, (val, title) in enumerate(((np.where(r2 < 1, h, np.nan), "true thickness (m)"),
                                      (res["thickness"], "recovered (m)"),
                                      (res["thickness"] - np.where(r2 < 1, h, np.nan), "recovered - true (m)"))):
        ax = f.add_subplot(131 + k)
        im = ax.imshow(val, cmap="viridis" if k < 2 else "RdBu_r", vmin=0 if k < 2 else -2, vmax=20 if k < 2 else 2)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        f.colorbar(im, ax=ax)
    f.tight_layout()
    f.savefig(os.path.join(IMG, "kinematics_thickness.png"))


if __name__ == "__main__":
    if sys.argv[1:] == ["validation"]:  # only the validateinsar figures
        validation()
        raise SystemExit(0)
    if sys.argv[1:] == ["trigger"]:  # only the triggercorrelation figures
        trigger()
        raise SystemExit(0)
    landslide3d()
    validation()
    trigger()
    thickness()
