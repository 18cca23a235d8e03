"""Synthetic interferogram stacks with a known truth for the whole correction chain (no QGIS import).
docs/corrections.md, "Eight synthetic stacks", describes each stack (``SPECS``, fixed before any tuning; ``HOLDOUT``)
and the score (:func:`score`). :func:`write_stack` writes ``ifg/*.unw.tif`` (radians growing with range, as GAMMA /
ISCE / MintPy), ``coh/*.cc.tif``, the DEM, geometry, ``bperp.csv``, the stable area and ``truth.npz``.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np

WAVELENGTH_M = 0.05546576  # Sentinel-1
MM_PER_RAD = WAVELENGTH_M * 1000.0 / (4.0 * np.pi)
CYCLE_MM = WAVELENGTH_M * 1000.0 / 2.0
PIXEL_M = 80.0
EPSG = 32614


def _spec(about, **options):
    """A stack's generator options: 12-day revisits, 3 neighbours, linear ramps, DEM errors of 10 m unless it says."""
    return {"day_step": 12, "neighbours": 3, "quadratic": False, "dz_m": 10.0, "about": about, **options}


# Fixed before tuning: (name, description) -> generator options
SPECS = {
    "S1_redundant": _spec("redundant network, a bowl, scattered slips", neighbours=4, dz_m=12.0, shape=(160, 200),
        n_dates=30, seed=11, relief_m=900.0, defo=[("bowl", 0.35, 0.55, 0.1, -80.0)], strat_mm_km=8.0, turb_mm=3.0,
        ramp_mm=3.0, slips=("scattered", 0.15), stable=(0.05, 0.75, 0.3, 0.95)),
    "S2_sparse": _spec("sparse network, a landslide and a bowl, strong turbulence", neighbours=2, dz_m=8.0,
        shape=(120, 240), n_dates=40, seed=22, relief_m=1200.0,
        defo=[("bowl", 0.25, 0.5, 0.08, -60.0), ("slope", 0.72, 0.45, 0.05, -40.0)], strat_mm_km=5.0, turb_mm=6.0,
        ramp_mm=2.0, slips=("bowl_long", 0.5), stable=(0.05, 0.05, 0.45, 0.22)),
    "S3_gap_valley": _spec("a gap bridged by long pairs, a valley floor subsiding (follows height)", shape=(200, 150),
        n_dates=36, seed=33, relief_m=1500.0, gap=(18, 8), defo=[("valley", 0.0, 0.0, 0.0, -120.0)], strat_mm_km=20.0,
        strat_season_mm_km=10.0, turb_mm=3.0, ramp_mm=4.0, slips=("island", 0.3), belt=True,
        stable=(0.7, 0.05, 0.95, 0.3)),
    "S4_volcano": _spec("summit uplift (follows height), quadratic ionospheric ramps, slips in the stable area",
        quadratic=True, shape=(220, 220), n_dates=30, seed=44, relief_m=2000.0, volcano=True,
        defo=[("summit", 0.5, 0.5, 0.12, 40.0)], strat_mm_km=15.0, turb_mm=4.0, ramp_mm=8.0, slips=("stable", 0.2),
        stable=(0.04, 0.04, 0.24, 0.3)),
    "S5_small_seasonal": _spec("small, seasonal, large DEM errors, slips in the pairs with the fewest loops",
        day_step=24, dz_m=25.0, shape=(64, 96), n_dates=16, seed=55, relief_m=600.0,
        defo=[("bowl", 0.6, 0.5, 0.15, -30.0)], seasonal_mm=6.0, strat_mm_km=3.0, turb_mm=1.5, ramp_mm=0.0,
        slips=("few_loops", 0.5), stable=(0.05, 0.05, 0.35, 0.3)),
    "S6_dense_noisy": _spec("dense network, two bowls, low-coherence fields, +-2-cycle slips", neighbours=6,
        shape=(100, 100), n_dates=20, seed=66, relief_m=800.0, lowcoh=0.35,
        defo=[("bowl", 0.3, 0.35, 0.09, -50.0), ("bowl", 0.7, 0.65, 0.12, -90.0)], strat_mm_km=10.0, turb_mm=5.0,
        ramp_mm=5.0, slips=("dense", 0.3), stable=(0.03, 0.7, 0.28, 0.97)),
}

# Made after the deforming areas and the ramps' trend guard were tuned on SPECS, and never tuned on: a check of
# the defaults on shapes, seeds and error placements the tuning did not see
HOLDOUT = {
    "S7_edge_bowl": _spec("a bowl cut by the east edge (its flank looks like a tilt)", shape=(150, 180), n_dates=24,
        seed=77, relief_m=700.0, defo=[("bowl", 0.97, 0.45, 0.14, -70.0)], strat_mm_km=6.0, turb_mm=4.0, ramp_mm=4.0,
        slips=("scattered", 0.1), stable=(0.05, 0.03, 0.35, 0.25)),
    "S8_two_slides": _spec("two landslides near the south edge, low-coherence fields", neighbours=4, dz_m=8.0,
        shape=(90, 160), n_dates=32, seed=88, relief_m=1000.0, lowcoh=0.4,
        defo=[("slope", 0.3, 0.8, 0.06, -30.0), ("slope", 0.65, 0.85, 0.07, -50.0)], strat_mm_km=8.0, turb_mm=3.5,
        ramp_mm=3.0, slips=("few_loops", 0.3), stable=(0.05, 0.05, 0.3, 0.3)),
}
ALL_SPECS = {**SPECS, **HOLDOUT}


def _field(rng, shape, scale_px):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), scale_px, mode="reflect")
    return f / (f.std() or 1.0)


def make_stack(name: str) -> dict:
    """The arrays of stack ``name`` (see :data:`SPECS`): interferograms (LOS mm), coherence, DEM, geometry,
    baselines, the truth and the parts."""
    s = ALL_SPECS[name]
    rng = np.random.default_rng(s["seed"])
    h, w = s["shape"]
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    u, v = xx / (w - 1), yy / (h - 1)
    n = s["n_dates"]
    days = np.arange(n) * s["day_step"]
    if s.get("gap"):
        k0, extra = s["gap"]
        days[k0:] += extra * s["day_step"]
    dates = [dt.date(2020, 1, 3) + dt.timedelta(days=int(d)) for d in days]
    t = days / 365.25
    relief = s["relief_m"]
    # DEM: a ridge or a summit, rolling hills and fine texture
    if s.get("volcano"):
        base = np.exp(-((u - 0.5) ** 2 + (v - 0.5) ** 2) / (2 * 0.2 ** 2))
    elif s["defo"][0][0] == "valley":
        base = np.clip(np.abs(u - 0.45) / 0.45, 0, 1) ** 1.3  # a valley floor along the rows
    else:
        base = 0.6 * np.exp(-((u - 0.75) ** 2 / 0.05 + (v - 0.3) ** 2 / 0.08)) + 0.4 * (1 - v) * u
    dem = 300.0 + relief * (0.85 * base + 0.1 * _field(rng, (h, w), 12) * 0.5 + 0.05 * _field(rng, (h, w), 2) * 0.5)
    # deformation rate maps (mm/yr) and the time function
    rate = np.zeros((h, w))
    for kind, cu, cv, sig, r in s["defo"]:
        if kind == "valley":
            rate += r * np.clip(1 - np.abs(u - 0.45) / 0.18, 0, 1) ** 2 * np.exp(-((v - 0.55) / 0.35) ** 2)
        else:
            rate += r * np.exp(-((u - cu) ** 2 + (v - cv) ** 2) / (2 * sig ** 2))
    shape_of_rate = rate / (np.abs(rate).max() or 1.0)
    defo = rate[None] * t[:, None, None] + s.get("seasonal_mm", 0.0) * np.abs(shape_of_rate)[None] \
        * np.sin(2 * np.pi * t)[:, None, None]
    # stable area: no deformation there at all
    r0, c0, r1, c1 = s["stable"]
    stable = (v >= r0) & (v <= r1) & (u >= c0) & (u <= c1)
    defo[:, stable] = 0.0
    # coherence: ground cover, temporal decorrelation, a river belt, low-coherence fields
    g0 = np.clip(0.72 + 0.18 * _field(rng, (h, w), 8), 0.15, 0.97)
    if s.get("lowcoh"):
        g0 = np.where(_field(rng, (h, w), 6) > 0.8, s["lowcoh"] * 0.5, g0)
    belt = np.zeros((h, w), bool)
    if s.get("belt"):
        belt = np.abs(v - 0.35 - 0.05 * np.sin(6 * u)) < 0.025
        g0 = np.where(belt, 0.08, g0)
    g0[stable] = np.maximum(g0[stable], 0.8)
    tau_d = 90.0
    # each date with its next ``neighbours`` (across a gap too: the long pairs that bridge it)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 1 + s["neighbours"]))]
    m = len(pairs)
    coh = np.empty((m, h, w))
    for k, (i, j) in enumerate(pairs):
        dtd = days[j] - days[i]
        gam = g0 * (0.25 + 0.75 * np.exp(-dtd / tau_d))
        coh[k] = np.clip(gam + 0.03 * rng.standard_normal((h, w)), 0.01, 0.99)
    # atmosphere
    hk = (dem - dem.min()) / 1000.0
    k_strat = rng.normal(0.0, s["strat_mm_km"], n) + s.get("strat_season_mm_km", 0.0) * np.cos(2 * np.pi * t)
    strat = k_strat[:, None, None] * hk[None]
    turb = np.stack([s["turb_mm"] * (0.6 * _field(rng, (h, w), 20) + 0.8 * _field(rng, (h, w), 5)) / 1.0
                     for _ in range(n)])
    xs, ys = 2 * u - 1, 2 * v - 1
    ramps = np.zeros((n, h, w))
    if s["ramp_mm"] > 0:
        for d in range(n):
            c = rng.normal(0.0, s["ramp_mm"], 6)
            ramps[d] = c[0] + c[1] * xs + c[2] * ys
            if s["quadratic"]:
                ramps[d] += 0.7 * (c[3] * xs * xs + c[4] * ys * ys + c[5] * xs * ys)
    # geometry and DEM error
    incidence = 30.0 + 15.0 * u  # near range at the west edge
    slant = 800e3 + 120e3 * u
    bperp = np.concatenate([[0.0], rng.normal(0.0, 60.0, n - 1)])
    dz = s["dz_m"] * _field(rng, (h, w), 3) * 0.4
    for _ in range(6):  # buildings / voids
        rr, cc = rng.integers(0, h - 8), rng.integers(0, w - 8)
        dz[rr:rr + rng.integers(3, 8), cc:cc + rng.integers(3, 8)] += rng.choice([-1, 1]) * s["dz_m"] * 2
    dem_err = bperp[:, None, None] * (dz / (slant * np.sin(np.radians(incidence))))[None] * 1000.0  # mm
    series = defo + strat + turb + ramps + dem_err
    series -= series[:1]
    # interferograms with decorrelation noise (Cramer-Rao, 6 looks, capped at the uniform phase's std)
    looks = 6
    ifg = np.empty((m, h, w))
    for k, (i, j) in enumerate(pairs):
        gam = coh[k]
        sig = np.minimum(np.sqrt(1 - gam ** 2) / (gam * np.sqrt(2 * looks)), np.pi / np.sqrt(3))
        ifg[k] = series[j] - series[i] + MM_PER_RAD * sig * rng.standard_normal((h, w))
    cycles = _plant_slips(s, rng, pairs, days, rate, belt, stable, coh)
    ifg += cycles * CYCLE_MM
    years = t
    tt = years - years.mean()
    truth_rate = (tt[:, None, None] * (defo - defo.mean(axis=0))).sum(axis=0) / (tt * tt).sum()
    return {"name": name, "about": s["about"], "dates": dates, "pairs": pairs, "ifg_mm": ifg, "coherence": coh,
            "dem": dem, "incidence_deg": incidence, "slant_range_m": slant, "bperp_m": bperp, "dz_m": dz,
            "truth_rate_mm_yr": truth_rate, "defo_mm": defo, "stable": stable, "cycles": cycles,
            "years": years, "strat_mm": strat, "ramp_mm": ramps, "turb_mm": turb,
            "mean_coherence": coh.mean(axis=0)}


def fewest_loops(pairs) -> np.ndarray:
    """Indices of the pairs in the fewest closure loops (triplets) of the network."""
    loops = np.zeros(len(pairs), int)
    idx = {p: k for k, p in enumerate(pairs)}
    for (i, j), k in idx.items():
        for (a, b), k2 in idx.items():
            if a == j and (i, b) in idx:
                loops[[k, k2, idx[(i, b)]]] += 1
    return np.flatnonzero(loops == loops.min())


def _plant_slips(s, rng, pairs, days, rate, belt, stable, coh):
    """Integer cycles (M, rows, cols) in patches, placed as ``s["slips"] = (where, share)`` says."""
    where, share = s["slips"]
    m = len(pairs)
    h, w = rate.shape
    out = np.zeros((m, h, w), np.int16)
    span = np.array([days[j] - days[i] for i, j in pairs])
    if where == "bowl_long":
        cand = np.flatnonzero(span == span.max())
    elif where == "few_loops":
        cand = fewest_loops(pairs)
    else:
        cand = np.arange(m)
    chosen = rng.choice(cand, max(1, int(round(share * len(cand)))), replace=False)
    big = where == "dense"
    for k in chosen:
        n_cyc = rng.choice([-2, -1, 1, 2]) if big else rng.choice([-1, 1])
        if where == "island":  # everything beyond the belt
            yy = np.arange(h)[:, None] / (h - 1)
            xx = np.arange(w)[None, :] / (w - 1)
            side = yy < 0.35 + 0.05 * np.sin(6 * xx)
            out[k][side & ~belt] = n_cyc
            continue
        if where == "bowl_long":
            r, c = np.unravel_index(np.argmin(rate), rate.shape)
            ph, pw = rng.integers(6, 14, 2)
            r0, c0 = max(0, r - ph // 2 + rng.integers(-4, 5)), max(0, c - pw // 2 + rng.integers(-4, 5))
        elif where == "stable":
            rr, cc = np.nonzero(stable)
            ph, pw = rng.integers(8, 20, 2)
            r0 = rr.min() + rng.integers(0, max(1, rr.ptp() - ph))
            c0 = cc.min() + rng.integers(0, max(1, cc.ptp() - pw))
        else:
            ph, pw = rng.integers(6, 22 if big else 16, 2)
            r0, c0 = rng.integers(0, h - ph), rng.integers(0, w - pw)
        out[k, r0:r0 + ph, c0:c0 + pw] = n_cyc
    return out


def score(velocity_mm_yr, stack: dict, *, common=None) -> dict:
    """RMS (mm/yr) of ``velocity - truth``, both referenced to the stable area, over the pixels of mean
    coherence >= 0.3 (and ``common``, where every compared result has a value)."""
    v = np.asarray(velocity_mm_yr, np.float64)
    truth = stack["truth_rate_mm_yr"]
    sel = stack["mean_coherence"] >= 0.3
    if common is not None:
        sel &= common
    st = stack["stable"] & np.isfinite(v)
    e = (v - np.nanmean(v[st])) - (truth - truth[stack["stable"]].mean())
    ok = sel & np.isfinite(e)
    return {"rms": float(np.sqrt(np.mean(e[ok] ** 2))), "pixels": int(ok.sum()),
            "coverage": float(ok.sum() / max(1, (stack["mean_coherence"] >= 0.3).sum()))}


def write_stack(stack: dict, folder: str) -> dict:
    """GeoTIFFs (radians growing with range; pixel ``stack["pixel_m"]``, default 80 m), coherence, DEM, geometry,
    baselines, stable mask and its polygons, truth."""
    from osgeo import gdal, osr

    os.makedirs(os.path.join(folder, "ifg"), exist_ok=True)
    os.makedirs(os.path.join(folder, "coh"), exist_ok=True)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    h, w = stack["dem"].shape
    px = float(stack.get("pixel_m", PIXEL_M))
    gt = (500000.0, px, 0.0, 2150000.0, 0.0, -px)

    def tif(path, arr):
        ds = gdal.GetDriverByName("GTiff").Create(path, w, h, 1, gdal.GDT_Float32)
        ds.SetGeoTransform(gt)
        ds.SetProjection(srs.ExportToWkt())
        ds.GetRasterBand(1).WriteArray(np.asarray(arr, np.float32))
        ds = None
        return path

    dates = stack["dates"]
    ifgs, cohs = [], []
    for k, (i, j) in enumerate(stack["pairs"]):
        tag = f"{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}"
        ifgs.append(tif(os.path.join(folder, "ifg", f"{tag}.unw.tif"), -stack["ifg_mm"][k] / MM_PER_RAD))
        cohs.append(tif(os.path.join(folder, "coh", f"{tag}.cc.tif"), stack["coherence"][k]))
    out = {"ifg": ifgs, "coh": cohs, "dem": tif(os.path.join(folder, "dem.tif"), stack["dem"]),
           "incidence": tif(os.path.join(folder, "incidence.tif"), stack["incidence_deg"]),
           "slant_range": tif(os.path.join(folder, "slant_range.tif"), stack["slant_range_m"]),
           "stable_tif": tif(os.path.join(folder, "stable.tif"), stack["stable"].astype(np.float32))}
    with open(os.path.join(folder, "bperp.csv"), "w") as f:
        f.write("date,bperp_m\n")
        for d, b in zip(dates, stack["bperp_m"]):
            f.write(f"{d:%Y-%m-%d},{b:.4f}\n")
    out["bperp"] = os.path.join(folder, "bperp.csv")
    try:
        from osgeo import ogr

        # the stable mask's polygons (a rectangle stays one rectangle; a frame or patches become their shapes)
        gpkg = os.path.join(folder, "stable_area.gpkg")
        src = gdal.Open(out["stable_tif"])
        mem = gdal.GetDriverByName("MEM").CreateCopy("", src)
        band = mem.GetRasterBand(1)
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg)
        lyr = ds.CreateLayer("stable_area", srs, ogr.wkbPolygon)
        lyr.CreateField(ogr.FieldDefn("value", ogr.OFTInteger))
        gdal.Polygonize(band, band, lyr, 0)
        ds = None
        out["stable_gpkg"] = gpkg
    except ImportError:
        pass
    np.savez_compressed(os.path.join(folder, "truth.npz"), truth_rate_mm_yr=stack["truth_rate_mm_yr"],
                        stable=stack["stable"], mean_coherence=stack["mean_coherence"], cycles=stack["cycles"])
    return out
