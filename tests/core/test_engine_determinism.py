"""Same input, same bytes: every block-engine tool under several block layouts, thread counts and schedulers.

Each case runs a tool's core block functions on the engine (:mod:`algorithms.engine`) the way its
Processing tool chains them (passes, reductions, writers), on inputs of odd shapes, and returns every
output. The run is repeated with

* three block layouts or more: one-row blocks, blocks that do not divide the image, the whole image
  (and, for the stack corrections, blocks of whole interferograms);
* one and two numba threads (``numba.set_num_threads``), one and two BLAS threads (threadpoolctl);
* the local executor and an embedded Dask ``LocalCluster`` (two worker threads);

and every output must have the same bytes. No QGIS here (the Processing side is
``tests/processing/test_engine_determinism.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import sys

import numpy as np
import pytest

from insar_geohazards.algorithms import engine as eng

ROWS, COLS = 23, 17
#: A one-column image too: with one-row blocks a block then holds one pixel, and a numpy reduction over the
#: dates of a (dates, 1, 1) block is a pairwise sum where it is a running sum for any other block.
SHAPES = {"wide": (23, 17), "narrow": (29, 1)}
LAYOUTS = (1, 5, 9, None)  # None: one block for the whole image
CASES: dict = {}
NARROW: set = set()


def case(name, layouts=LAYOUTS, xfail=None, narrow=True):
    def deco(fn):
        CASES[name] = (fn, layouts, xfail)
        if narrow:
            NARROW.add(name)
        return fn
    return deco


def plan(block_rows, halo=0, n_rows=None, n_cols=None):
    n_rows, n_cols = n_rows or ROWS, n_cols or COLS
    return eng.plan_blocks(n_rows, n_cols, halo=halo, block_rows=block_rows or n_rows)


def collect_rows(n_rows, n_cols, *keys):
    """A writer storing the outputs ``keys`` of each block at its rows, and the dict it fills."""
    got: dict = {}

    def write(block, out):
        for k in keys:
            a = np.asarray(out[k])
            if k not in got:
                got[k] = np.full(a.shape[:-2] + (n_rows, n_cols), np.nan if a.dtype.kind == "f" else 0, a.dtype)
            got[k][..., block.row0:block.row1, :] = a
    return got, write


def run_map(func, sources, keys, block_rows, executor, halo=0, n_rows=None, n_cols=None):
    n_rows, n_cols = n_rows or ROWS, n_cols or COLS
    got, write = collect_rows(n_rows, n_cols, *keys)
    eng.process_blocks(plan(block_rows, halo, n_rows, n_cols), func, write, sources=sources, executor=executor)
    return got


def dates_every(n, days=12, start=dt.date(2020, 1, 3)):
    return [start + dt.timedelta(days=days * k) for k in range(n)]


def nan_holes(rng, shape, share):
    a = np.zeros(shape)
    a[rng.random(shape) < share] = np.nan
    return a


# --------------------------------------------------------------------------- interferogram stacks
def _network(n_dates=9):
    from insar_geohazards.algorithms.timeseries.network import build_network

    d = dates_every(n_dates)
    pairs = [(d[i], d[j]) for i in range(n_dates) for j in (i + 1, i + 2) if j < n_dates]
    return build_network(pairs)


def _ifg_stack(rng, net, *, disconnect=True):
    """LOS mm ``(M, ROWS, COLS)`` and coherence: a bowl, noise, holes and pixel patterns of missing
    interferograms shared by 10-40 pixels (some of them leave a date disconnected)."""
    m = net.n_pairs
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    bowl = -12.0 * np.exp(-((yy - 11) ** 2 + (xx - 8) ** 2) / 30.0)
    span = net.interval_years[0] * (net.sec_index - net.ref_index)
    ifg = span[:, None, None] * bowl[None] + rng.normal(0, 2.0, (m, ROWS, COLS)) + 7.0 * rng.normal(size=(m, 1, 1))
    coh = rng.uniform(0.15, 0.95, (m, ROWS, COLS))
    pat = rng.integers(0, 14, (ROWS, COLS))
    pat[-1, -1] = 0  # at least one pixel valid in every interferogram (the reference)
    for k in range(1, 14):
        drop = rng.random(m) < 0.15
        if disconnect and k % 4 == 0:  # every pair touching date 4: a disconnected network
            drop |= (net.ref_index == 4) | (net.sec_index == 4)
        ifg[:, pat == k] = np.where(drop[:, None], np.nan, ifg[:, pat == k])
    ifg[:, 0, :3] = np.nan
    return ifg, coh


@case("stackingvelocity")
def _stacking(rng):
    from insar_geohazards.algorithms.timeseries.stack_blocks import stacking_block

    net = _network()
    ifg, coh = _ifg_stack(rng, net)
    src = eng.CallableSource(lambda r0, r1: (ifg[:, r0:r1], coh[:, r0:r1]))
    func = functools.partial(stacking_block, span_years=net.temporal_baseline_days / 365.25,
                             reference_mm=np.full(net.n_pairs, 1.5), weighted=True, coherence_threshold=0.3)
    return lambda rows, ex: run_map(func, {"stack": src}, ("velocity", "velocity_std", "count"), rows, ex)


@case("phasegradientstacking")
def _phase_gradient(rng):
    from insar_geohazards.algorithms.timeseries.stack_blocks import phase_gradient_block

    net = _network()
    ifg, coh = _ifg_stack(rng, net)
    phase = np.angle(np.exp(1j * ifg / 9.0))
    func = functools.partial(phase_gradient_block, span_years=net.temporal_baseline_days / 365.25,
                             wavelength_m=0.0555, signs=np.where(np.arange(net.n_pairs) % 3 == 0, -1.0, 1.0))
    return lambda rows, ex: run_map(func, {"phase": phase, "coherence": coh},
                                    ("magnitude_mm_yr", "col_mm_yr", "row_mm_yr"), rows, ex, halo=1)


@case("sbasinversion")
def _sbas(rng):
    from insar_geohazards.algorithms.timeseries.sbas import SbasSolver, choose_reference
    from insar_geohazards.algorithms.timeseries.sbas_blocks import SbasCollector, StackScan, sbas_block, scan_block

    net = _network()
    ifg, coh = _ifg_stack(rng, net)
    src = eng.CallableSource(lambda r0, r1: (ifg[:, r0:r1], coh[:, r0:r1]))

    def run(rows, ex):
        scan = StackScan(ROWS, COLS, net.n_pairs, coherence=True)
        eng.process_blocks(plan(rows), functools.partial(scan_block, coherence=True), scan, sources={"stack": src},
                           executor=ex)
        count, mean_coh, ifg_coh = scan.result()
        r, c = choose_reference(count, net.n_pairs, mean_coherence=mean_coh)
        ref = ifg[:, r, c].copy()
        out = {"ifg_coherence": ifg_coh, "count": count, "mean_coherence": mean_coh}
        for weighting, thr, min_count in (("none", 0.0, 0), ("none", 0.0, 5), ("variance", 0.2, 5)):
            solver = SbasSolver(net, weighting=weighting, coherence_threshold=thr, min_count=min_count)
            got, write = collect_rows(ROWS, COLS, "timeseries", "velocity", "velocity_std", "temporal_coherence",
                                      "count")
            keep = SbasCollector((ROWS, COLS), geotransform=(0, 1, 0, 0, 0, -1), points=True, style_stats=True)

            def both(block, res, write=write, keep=keep):
                write(block, res)
                keep(block, res)
            eng.process_blocks(plan(rows), functools.partial(sbas_block, solver=solver, reference_mm=ref), both,
                               sources={"stack": src}, executor=ex)
            x, y, fields, ts = keep.point_fields(net.n_dates)
            out.update({f"{weighting}{min_count}_{k}": v for k, v in got.items()})
            out.update({f"{weighting}{min_count}_points_{k}": np.asarray(v) for k, v in fields.items()},
                       **{f"{weighting}{min_count}_disconnected": np.array(keep.n_disconnected),
                          f"{weighting}{min_count}_style": np.array(sorted(keep.style_ranges().items()), object)})
        return out
    return run


# --------------------------------------------------------------------------- PS / DS
def _slc(rng, n_dates=10, rows=None, cols=None):
    rows, cols = rows or ROWS, cols or COLS
    amp = rng.rayleigh(1.0, (n_dates, rows, cols)) * rng.uniform(0.5, 2.0, (n_dates, 1, 1))
    amp[:, 3:6, 4:7] = 8.0 + rng.normal(0, 0.3, amp[:, 3:6, 4:7].shape)  # bright, stable scatterers
    phase = rng.uniform(-np.pi, np.pi, (n_dates, rows, cols)) * 0.3 + np.linspace(0, 2, n_dates)[:, None, None]
    slc = (amp * np.exp(1j * phase)).astype(np.complex64)
    slc[2, 10, :4] = 0
    return slc


@case("amplitudedispersion")
def _amplitude(rng):
    from insar_geohazards.algorithms.psds import ps

    slc = _slc(rng)

    def run(rows, ex):
        acc = ps.DateSums()
        eng.process_blocks(plan(rows), ps.amplitude_sums_block, acc, sources={"slc": slc}, executor=ex)
        sums, counts = acc.result()
        cal = ps.calibration_factors(sums, counts)
        got = run_map(functools.partial(ps.amplitude_dispersion_block, calibration=cal, threshold=0.25),
                      {"slc": slc}, ("mean", "dispersion", "ps"), rows, ex)
        return {"calibration": cal, "sums": sums, "counts": counts, **got}
    return run


@case("phaselinking", layouts=(1, 5, 9, None))
def _phase_linking(rng):
    from insar_geohazards.algorithms.psds.phase_linking import phase_link_block

    slc = _slc(rng, 8)
    psm = np.zeros((ROWS, COLS))
    psm[4, min(5, COLS - 1)] = 1.0
    out = {}

    def run(rows, ex):
        for method, shp in (("emi", "glrt"), ("evd", "ks")):
            func = functools.partial(phase_link_block, window=(5, 7), method=method, shp_method=shp)
            got = run_map(func, {"slc": slc, "ps_mask": psm}, ("phase", "temporal_coherence", "shp_count"), rows, ex,
                          halo=2)
            out.update({f"{method}_{k}": v for k, v in got.items()})
        return dict(out)
    return run


# --------------------------------------------------------------------------- geometry
@case("losprojection")
def _los_projection(rng):
    from insar_geohazards.algorithms.geometry.los_blocks import los_projection_block

    los = rng.normal(0, 10, (2, ROWS, COLS))
    inc = rng.uniform(30, 45, (ROWS, COLS))
    hdg = rng.uniform(-170, -160, (ROWS, COLS))
    dem = 100 + 30 * np.sin(np.arange(ROWS)[:, None] / 4.0) * np.cos(np.arange(COLS)[None] / 3.0) \
        + rng.normal(0, 1, (ROWS, COLS))
    func = functools.partial(los_projection_block, heading_deg=-168.0, incidence_deg=38.0,
                             dx_rows_m=np.full(ROWS, 20.0), dy_m=20.0, downslope=True)
    return lambda rows, ex: run_map(func, {"los": los, "incidence": inc, "heading": hdg, "dem": dem},
                                    ("vertical", "downslope"), rows, ex, halo=1)


@case("losvelocitytovertical")
def _los_vertical(rng):
    from insar_geohazards.algorithms.geometry.los_blocks import los_vertical_block

    los = rng.normal(0, 10, (3, ROWS, COLS))
    inc = rng.uniform(0.5, 0.8, (ROWS, COLS))
    func = functools.partial(los_vertical_block, incidence_deg=35.0, in_radians=True)
    return lambda rows, ex: run_map(func, {"los": los, "incidence": inc}, ("vertical",), rows, ex)


@case("interferogramfilter")
def _interferogram_filter(rng):
    from insar_geohazards.algorithms.interferograms.interferogramfilter import filter_block, filter_halo

    yy, xx = np.mgrid[0:2 * ROWS, 0:2 * COLS]
    z = np.exp(1j * (0.6 * xx + 0.2 * yy)) + 0.8 * (rng.normal(size=yy.shape) + 1j * rng.normal(size=yy.shape))
    z[3, :2] = np.nan
    func = functools.partial(filter_block, method="goldstein", alpha=0.6, patch=8, step=4, looks_y=2, looks_x=2,
                             as_phase=True)
    return lambda rows, ex: run_map(func, {"z": eng.CallableSource(lambda r0, r1: z[2 * r0:2 * r1])},
                                    ("filtered", "coherence"), rows, ex, halo=filter_halo("goldstein", patch=8))


@case("geometricdistortion", layouts=(3, 5, 9, None))
def _distortion(rng):
    from insar_geohazards.algorithms.geometry.distortion import AcquisitionGeometry, distortion_map

    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    dem = 400 * np.exp(-((yy - 11) ** 2 + (xx - 8) ** 2) / 25.0) + rng.normal(0, 2, (ROWS, COLS))
    dem[2, min(2, COLS - 1)] = np.nan
    inc = np.linspace(30, 45, COLS)[None] + np.zeros((ROWS, 1))
    geos = [AcquisitionGeometry(heading_deg=-170.0, read_incidence=lambda r0, r1: inc[r0:r1]),
            AcquisitionGeometry(heading_deg=-10.0, incidence_deg=39.0)]

    def run(rows, ex):
        got: dict = {}

        def write(r0, r1, index, arrays):
            for k, a in arrays.items():
                key = f"{index}_{k}"
                if key not in got:
                    got[key] = np.zeros((ROWS, COLS), np.asarray(a).dtype)
                got[key][r0:r1] = a
        # geographic rows: the pixel width changes with the row (class areas are sums of unequal areas)
        tables = distortion_map(lambda r0, r1: dem[r0:r1], write, n_rows=ROWS, n_cols=COLS, geometries=geos,
                                dx_rows_m=30.87 * np.cos(np.radians(46.1 + 0.001 * np.arange(ROWS))), dy_m=30.9,
                                block_rows=rows or ROWS, executor=ex)
        got["tables"] = np.array(repr(tables))
        return got
    return run


# --------------------------------------------------------------------------- elastic grids
def _faults():
    from insar_geohazards.algorithms.faults.faults import Faults

    return Faults.create(east_m=[0.0, 3000.0], north_m=[0.0, -2000.0], strike_deg=[30.0, 120.0], dip_deg=[60.0, 80.0],
                         length_m=[8000.0, 6000.0], top_m=[1000.0, 3000.0], bottom_m=[6000.0, 8000.0],
                         strike_slip_m=[0.2, 0.8], dip_slip_m=[1.5, 0.0])


GT = (-15000.0, 1500.0, 0.0, 17000.0, 0.0, -1500.0)


@case("okadaforward")
def _okada(rng):
    from insar_geohazards.algorithms.faults.grid_blocks import okada_grid_block
    from insar_geohazards.algorithms.geometry.los import los_unit_vector

    func = functools.partial(okada_grid_block, geotransform=GT, table=_faults().table(), poisson=0.25,
                             los_vec=np.array(los_unit_vector(36.0, -168.0), float).reshape(3))
    return lambda rows, ex: run_map(func, {}, ("displacement",), rows, ex)


@case("coulombstress")
def _coulomb(rng):
    from insar_geohazards.algorithms.faults.grid_blocks import coulomb_grid_block
    from insar_geohazards.algorithms.faults.stress import regional_stress_tensor

    kw = dict(geotransform=GT, table=_faults().table(), depths_m=[0.0, 3000.0, 7000.0], shear_modulus_pa=3.2e10,
              poisson=0.25, friction=0.4, scale_pa=1e5)
    fixed = functools.partial(coulomb_grid_block, regional=None,
                              receiver={"strike_deg": 30.0, "dip_deg": 60.0, "rake_deg": 90.0}, **kw)
    regional = regional_stress_tensor([(10.0, 0.0, 100e5), (100.0, 0.0, 30e5), (0.0, 90.0, 0.0)])
    optimal = functools.partial(coulomb_grid_block, regional=regional, receiver={}, **kw)

    def run(rows, ex):
        return {"fixed": run_map(fixed, {}, ("stress",), rows, ex)["stress"],
                "optimal": run_map(optimal, {}, ("stress",), rows, ex)["stress"]}
    return run


# --------------------------------------------------------------------------- time series rasters
def _series(rng, n_dates=24, rows=None, cols=None):
    rows, cols = rows or ROWS, cols or COLS
    t = np.arange(n_dates) * 12 / 365.25
    yy, xx = np.mgrid[0:rows, 0:cols]
    v = -15 * np.exp(-((yy - 11) ** 2 + (xx - 8) ** 2) / 30.0) - 1.0
    s = v[None] * t[:, None, None] + 3 * np.sin(2 * np.pi * t)[:, None, None] * (xx[None] / cols) \
        + rng.normal(0, 1.5, (n_dates, rows, cols)) + 4.0 * rng.normal(size=(n_dates, 1, 1))
    s[:, 5, 5:8] = np.nan
    s[rng.random((n_dates, rows, cols)) < 0.03] = np.nan
    s -= s[:1]
    return s


@case("timeseriesmodels")
def _models_raster(rng):
    from insar_geohazards.algorithms.models.model_blocks import models_raster_block

    s = _series(rng)
    d = dates_every(s.shape[0])
    func = functools.partial(models_raster_block, dates=d, opts={"models": ("linear", "seasonal", "quadratic",
                                                                            "logarithmic", "afterslip")},
                             breaks=True, min_dbic=10.0)
    return lambda rows, ex: run_map(func, {"series": s}, ("stack",), rows, ex)


@case("timeseriesmodels_points", layouts=(None, 13, 1), narrow=False)  # points: no image shape
def _models_points(rng):
    from insar_geohazards.algorithms.models.model_blocks import models_points_block

    s = _series(rng).reshape(24, -1)[:, ::4]  # 98 points
    d = dates_every(s.shape[0])
    func = functools.partial(models_points_block, dates=d, opts={"models": ("linear", "seasonal", "quadratic",
                                                                            "afterslip")}, breaks=True)

    def run(rows, ex):
        n = s.shape[1]
        size = rows or n
        blocks = [eng.Block(i, p, min(p + size, n), p, min(p + size, n), n, 1) for i, p in enumerate(range(0, n, size))]
        parts = []
        eng.process_blocks(blocks, func, lambda b, out: parts.append(out),
                           sources={"series": eng.CallableSource(lambda p0, p1: s[:, p0:p1])}, executor=ex)
        out = {k: np.concatenate([np.asarray(p["head"][k]) for p in parts]) for k in parts[0]["head"]}
        out.update({k: np.concatenate([np.asarray(p["columns"][k]) for p in parts]) for k in parts[0]["columns"]})
        out.update({f"brk_{k}": np.concatenate([np.asarray(getattr(p["breakpoints"], k)) for p in parts])
                    for k in ("kind", "index", "step_mm", "delta_bic")})
        return out
    return run


@case("demerrorcorrection")
def _dem_error(rng):
    from insar_geohazards.algorithms.corrections.dem_error import dem_error_engine_block, design_matrix

    s = _series(rng)
    d = dates_every(s.shape[0])
    bperp = rng.uniform(-150, 150, len(d))
    s += (bperp[:, None, None] * rng.normal(0, 0.05, (1, ROWS, COLS)))
    g = design_matrix(d, bperp, poly_order=2)
    inc = rng.uniform(30, 45, (ROWS, COLS))
    func = functools.partial(dem_error_engine_block, g=g, slant_range_m=850e3)
    return lambda rows, ex: run_map(func, {"series": s, "incidence": inc},
                                    ("corrected_mm", "dem_error_m", "residual_rms_mm"), rows, ex)


@case("pcaatmosphere")
def _pca(rng):
    from insar_geohazards.algorithms.corrections.pca import pca_engine_block, smooth_model

    s = _series(rng, 30)
    d = dates_every(s.shape[0])
    func = functools.partial(pca_engine_block, g=smooth_model(d), tile=8)
    return lambda rows, ex: run_map(func, {"series": s}, ("corrected_mm", "atmosphere_mm", "n_removed"), rows, ex,
                                    halo=8)


@case("landslide3d")
def _motion3d(rng):
    from insar_geohazards.algorithms.kinematics.motion3d import motion3d_block, parse_geometries

    geoms = parse_geometries("-168,38; -12,34; az,-168", 3)
    obs = {f"obs{g}": rng.normal(0, 10, (ROWS, COLS)) for g in range(3)}
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    dem = 200 + 8.0 * yy + 3.0 * xx + 20 * np.sin(xx / 3.0) + rng.normal(0, 1, (ROWS, COLS))
    func = functools.partial(motion3d_block, vectors=geoms, dx_rows_m=np.full(ROWS, 20.0), dy_m=20.0,
                             constraint="auto")
    return lambda rows, ex: run_map(func, {**obs, "dem": dem}, ("velocity", "quality"), rows, ex, halo=1)


@case("landslide3d_series")
def _motion3d_series(rng):
    from insar_geohazards.algorithms.geometry.decomposition import common_dates
    from insar_geohazards.algorithms.kinematics.motion3d import motion3d_block, parse_geometries

    geoms = parse_geometries("-168,38; -12,34", 2)
    da, db = dates_every(20, 12), dates_every(18, 12, dt.date(2020, 1, 9))
    common = common_dates(da, db)
    obs = {"obs0": _series(rng, 20), "obs1": _series(rng, 18)}
    func = functools.partial(motion3d_block, vectors=geoms, date_lists=[da, db], common=common, method="ls",
                             constraint="never")
    return lambda rows, ex: run_map(func, obs, ("velocity", "quality", "ts"), rows, ex)


@case("triggercorrelation")
def _triggers(rng):
    from insar_geohazards.algorithms.kinematics.triggers import prepare_driver, trigger_block

    s = _series(rng, 40)
    d = dates_every(40)
    days = [d[0] + dt.timedelta(days=k) for k in range((d[-1] - d[0]).days + 1)]
    rain = np.clip(rng.gamma(0.4, 12.0, len(days)) - 2, 0, None)
    edges, drv, _, _ = prepare_driver(d, days, rain, step_days=12.0, kind="flux", tau_days=30.0)
    func = functools.partial(trigger_block, edges=edges, driver=drv, dates=d, response="rate", max_lag_days=120.0)
    return lambda rows, ex: run_map(func, {"stack": s}, ("result",), rows, ex)


@case("offsettimeseries")
def _offset_ts(rng):
    from insar_geohazards.algorithms.kinematics.offset_timeseries import offset_ts_block

    n_dates = 7
    t = np.arange(n_dates) * 0.1
    pi = np.array([i for i in range(n_dates) for j in (1, 2, 3) if i + j < n_dates])
    pj = np.array([i + j for i in range(n_dates) for j in (1, 2, 3) if i + j < n_dates])
    truth = rng.normal(0, 5, (2, 1, ROWS, COLS))
    comps = {f"c{c}": truth[c, 0] * (t[pj] - t[pi])[:, None, None] + rng.normal(0, 0.05, (pi.size, ROWS, COLS))
             for c in range(2)}
    comps["c0"][3, 4, min(4, COLS - 1)] += 6.0  # a blunder
    comps["c1"][2, 8, :5] = np.nan
    rho = rng.uniform(0.3, 0.9, (pi.size, ROWS, COLS))
    func = functools.partial(offset_ts_block, pi=pi, pj=pj, t_years=t, use_weights=True)
    return lambda rows, ex: run_map(func, {**comps, "rho": rho},
                                    ("displacement", "sigma", "labels", "unchecked", "velocity", "stats"), rows, ex)


# --------------------------------------------------------------------------- stack corrections
def _stack_source(arr):
    """An engine source over an in-memory stack ``(M, rows, cols)`` that, like ``StackSource``, reads only the
    files of a block of whole interferograms."""
    class Src:
        by_file = True
        shipped = False

        def read(self, r0, r1, n_cols, files=None):
            f0, f1 = files if files is not None else (0, arr.shape[0])
            return arr[f0:f1, r0:r1]
    return Src()


def row_or_file_plans(m, block_rows, halo=0):
    """Row blocks of ``block_rows`` rows (read with ``halo``), or (``block_rows`` negative) blocks of
    ``-block_rows`` whole files."""
    if block_rows is not None and block_rows < 0:
        k = -block_rows
        return [eng.Block(i, 0, ROWS, 0, ROWS, ROWS, COLS, (f, min(f + k, m))) for i, f in enumerate(range(0, m, k))]
    return plan(block_rows, halo=halo)


def _sum_pass(func, sources, block_rows, ex, m, n_window_rows=1, halo=0):
    """The fitting pass of the stack corrections: each block's row sums, added in row order (files: in file order)."""
    from insar_geohazards.algorithms.corrections.ramps import FitSums

    acc = FitSums(m, n_window_rows)
    eng.process_blocks(row_or_file_plans(m, block_rows, halo), func, acc, sources=sources, executor=ex)
    return acc.result()


def _corrected_pass(func, sources, block_rows, ex, m, collect=()):
    got = {"corrected": np.full((m, ROWS, COLS), np.nan, np.float32)}

    def write(block, out):
        f0, f1 = block.files if block.files is not None else (0, m)
        got["corrected"][f0:f1, block.row0:block.row1] = out["corrected"]
        for k in collect:
            got.setdefault(k, [None] * m)[f0:f1] = list(out[k])
    eng.process_blocks(row_or_file_plans(m, block_rows), func, write, sources=sources, executor=ex)
    return {k: (np.stack(v) if isinstance(v, list) else v) for k, v in got.items()}


CORRECTION_LAYOUTS = (1, 5, None, -1, -4)  # row blocks, then blocks of 1 and of 4 whole interferograms


@case("rampremoval", layouts=CORRECTION_LAYOUTS, narrow=False)  # a column does not constrain a ramp
def _ramps(rng):
    from insar_geohazards.algorithms.corrections import ramps

    net = _network()
    ifg, coh = _ifg_stack(rng, net, disconnect=False)
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    ifg = ifg + (rng.normal(size=(net.n_pairs, 1, 1)) * xx + rng.normal(size=(net.n_pairs, 1, 1)) * yy * 0.5)
    mask = (rng.random((ROWS, COLS)) < 0.8).astype(np.uint8)
    m = net.n_pairs
    names = [str(i) for i in range(m)]
    # the per-date fit outside the deforming areas (a bowl in the stacking rate)
    from insar_geohazards.algorithms.corrections.deforming import deforming_areas

    bowl = -50.0 * np.exp(-((xx - 0.7 * COLS) ** 2 + (yy - 0.5 * ROWS) ** 2) / (2 * (0.15 * COLS) ** 2))
    quiet = deforming_areas(bowl + 0.2 * xx + rng.normal(size=(ROWS, COLS))).quiet.astype(np.uint8)

    def run(rows, ex):
        out = {}
        src = {"stack": _stack_source(ifg), "mask": mask, "quiet": quiet, "coherence": _stack_source(coh)}
        normals = _sum_pass(functools.partial(ramps.ramp_normal_block, kind="linear", coherence_threshold=0.2,
                                              with_all=True), src, rows, ex, m)
        out.update({f"linear_quiet_{k}": v for k, v in normals.items()})
        for kind in ("linear", "quadratic"):
            src = {"stack": _stack_source(ifg), "mask": mask, "coherence": _stack_source(coh)}
            normals = _sum_pass(functools.partial(ramps.ramp_normal_block, kind=kind, coherence_threshold=0.2),
                                src, rows, ex, m)
            coef = ramps.solve_normals(normals, names=names, min_pixels=20)
            out[f"{kind}_coef"] = coef
            out[f"{kind}_rms"] = np.stack(ramps.fit_residual_rms(normals, coef))
            out[f"{kind}"] = _corrected_pass(functools.partial(ramps.ramp_apply_block, kind=kind, coef=coef),
                                             {"stack": _stack_source(ifg)}, rows, ex, m)["corrected"]
            if rows is not None and rows < 0:  # blocks of whole interferograms: the one-read path as well
                one = _corrected_pass(functools.partial(ramps.ramp_fit_apply_block, kind=kind, coherence_threshold=0.2,
                                                        min_pixels=20, names=names), src, rows, ex, m,
                                      collect=("coef",))
            else:
                one = {"corrected": out[f"{kind}"], "coef": coef}
            out[f"{kind}_one_read"], out[f"{kind}_one_read_coef"] = one["corrected"], one["coef"]
        return out
    return run


@case("troposphericcorrection", layouts=CORRECTION_LAYOUTS)
def _troposphere(rng):
    from insar_geohazards.algorithms.corrections import troposphere as tr

    net = _network()
    ifg, coh = _ifg_stack(rng, net, disconnect=False)
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    dem = 300 + 900 * np.exp(-((yy - 5) ** 2 + (xx - 12) ** 2) / 40.0) + rng.normal(0, 5, (ROWS, COLS))
    dem[8, min(3, COLS - 1)] = np.nan
    ifg = ifg + rng.normal(0, 0.01, (net.n_pairs, 1, 1)) * dem
    h0, hs = tr.height_scaling(np.nanmin(dem), np.nanmax(dem))
    zen = rng.normal(2.3, 0.05, (net.n_dates, ROWS, COLS))
    m = net.n_pairs
    names = [str(i) for i in range(m)]

    def run(rows, ex):
        out = {}
        high_pass = ((1, 0, 2.0), (2, 0, 1.0)) if COLS > 1 else ()  # a one-column image has no local mean to remove
        for order, window, fpx in ((1, 0, 0.0), (2, 0, 0.0), (1, 6, 0.0)) + high_pass:
            layout = tr.window_layout((ROWS, COLS), window)
            kw = dict(order=order, h0=h0, hscale=hs, layout=layout)
            src = {"stack": _stack_source(ifg), "dem": dem, "coherence": _stack_source(coh)}
            normals = _sum_pass(functools.partial(tr.elevation_normal_block, coherence_threshold=0.2, filter_px=fpx,
                                                  **kw), src, rows, ex, m, layout[0], halo=tr.filter_radius(fpx))
            coef, corr, fb = tr.solve_elevation(normals, names=names, min_pixels=10)
            key = f"{order}_{window}" + (f"_hp{fpx:g}" if fpx else "")
            out.update({f"{key}_coef": coef, f"{key}_corr": corr, f"{key}_fallback": fb})
            out[key] = _corrected_pass(functools.partial(tr.elevation_apply_block, coef=coef, delay=False, **kw),
                                       {"stack": _stack_source(ifg), "dem": dem}, rows, ex, m)["corrected"]
            if rows is not None and rows < 0:
                one = _corrected_pass(functools.partial(tr.elevation_fit_apply_block, coherence_threshold=0.2,
                                                        min_pixels=10, names=names, filter_px=fpx, **kw),
                                      src, rows, ex, m,
                                      collect=("coef",))
                out[f"{key}_one_read"], out[f"{key}_one_read_coef"] = one["corrected"], one["coef"]
            else:
                out[f"{key}_one_read"], out[f"{key}_one_read_coef"] = out[key], coef
        out["gacos"] = _corrected_pass(functools.partial(tr.delay_apply_block, first_index=net.ref_index,
                                                         second_index=net.sec_index, factor=-1000.0,
                                                         incidence_deg=38.0),
                                       {"stack": _stack_source(ifg), "zenith": zen},
                                       rows if rows is None or rows > 0 else None, ex, m)["corrected"]
        return out
    return run


@case("modifynetwork", layouts=CORRECTION_LAYOUTS[:3])
def _network_sums(rng):
    from insar_geohazards.algorithms.corrections import network_mod
    from insar_geohazards.algorithms.corrections.closure import network_triplets

    net = _network()
    ifg, coh = _ifg_stack(rng, net, disconnect=False)
    tri = network_triplets(net.pairs)
    m = net.n_pairs

    def run(rows, ex):
        clo = _sum_pass(functools.partial(network_mod.closure_sums_block, triplets=tri.index,
                                          signs=np.ones(m), to_radians=0.3), {"stack": _stack_source(ifg)}, rows, ex, m)
        cs = _sum_pass(network_mod.coherence_sums_block, {"coherence": _stack_source(coh)}, rows, ex, m)
        return {"misfit": network_mod.closure_misfit(clo), "coherence": cs["s"] / cs["n"], **clo}
    return run


@case("referencepoint", layouts=CORRECTION_LAYOUTS[:3])
def _reference(rng):
    from insar_geohazards.algorithms.corrections import reference

    net = _network()
    ifg, coh = _ifg_stack(rng, net, disconnect=False)
    func = functools.partial(reference.reference_sums_block, span_years=net.temporal_baseline_days / 365.25,
                             signs=np.where(np.arange(net.n_pairs) % 4 == 0, -1.0, 1.0))

    def run(rows, ex):
        got = run_map(func, {"stack": ifg, "coherence": coh}, ("count", "sdt", "dt2", "coh"), rows, ex)
        rate = reference.stacking_rate(got["sdt"], got["dt2"])
        ch = reference.select_reference(got["count"], net.n_pairs, rate=rate, mean_coherence=got["coh"], window=3)
        return {**got, "choice": np.array(repr(ch))}
    return run


@case("unwrapclosurecorrection")
def _closure(rng):
    from insar_geohazards.algorithms.corrections.closure import (
        HALO_ROWS,
        ClosureStats,
        closure_block,
        closure_offsets,
        network_triplets,
    )
    from insar_geohazards.algorithms.timeseries.network import build_network

    d = dates_every(9)  # 3 neighbours: every pair in 2 loops or more, so that slips can be corrected
    net = build_network([(d[i], d[j]) for i in range(9) for j in (i + 1, i + 2, i + 3) if j < 9])
    ifg, coh = _ifg_stack(rng, net, disconnect=False)
    cycle = 27.75
    jumps = rng.random(ifg.shape) < 0.04
    ifg = ifg + cycle * jumps * rng.choice([-1, 1], ifg.shape)
    ifg[4, 4:15, 3:12] += cycle  # slipped patches across the blocks' edges: the neighbour check reads the halo
    ifg[8, 9:21, 6:16] -= 2 * cycle
    tri = network_triplets(net.pairs)
    off = closure_offsets(ifg[:, ::4], tri, cycle_mm=cycle)
    func = functools.partial(closure_block, triplets=tri, cycle_mm=cycle, closure_offset=off, min_coherence=0.2,
                             mm_per_unit=np.ones(net.n_pairs))

    def run(rows, ex):
        stats = ClosureStats(tri.n)
        got, write = collect_rows(ROWS, COLS, "corrected", "n_cycles", "n_nonclosing", "n_nonclosing_after")

        def both(block, out):
            write(block, out)
            stats.add(out)
        eng.process_blocks(plan(rows, halo=HALO_ROWS), func, both,
                           sources={"stack": eng.CallableSource(lambda r0, r1: ifg[:, r0:r1].copy()),
                                    "coherence": coh}, executor=ex)
        return {**got, **{k: np.asarray(getattr(stats, k)) for k in ("pixels", "sum_sq_rad", "nonclosing",
                                                                     "nonclosing_after", "corrected",
                                                                     "ambiguous_pixels", "corrected_pixels")}}
    return run


# --------------------------------------------------------------------------- unwrapping tiles
@case("unwrap", layouts=(None,), narrow=False)
def _unwrap(rng):
    from insar_geohazards.algorithms.unwrap.unwrap_tiles import unwrap_array_tiled

    rows, cols = 301, 37
    yy, xx = np.mgrid[0:rows, 0:cols]
    truth = 40.0 * np.exp(-((yy - 150) ** 2 + (xx - 18) ** 2) / 3000.0) + 0.05 * xx
    coh = np.clip(rng.normal(0.7, 0.2, (rows, cols)), 0, 1)
    coh[140:146, :] = 0.05  # a decorrelated strip across the image
    wrapped = np.angle(np.exp(1j * (truth + rng.normal(0, 0.3, (rows, cols)))))

    def run(_rows, ex):
        unw, comp, stats = unwrap_array_tiled(wrapped, coh, tile_rows=70, halo=10, executor=ex)
        return {"unwrapped": unw, "components": comp, "stats": np.array(sorted(stats.items()), object)}
    return run


# --------------------------------------------------------------------------- points
def _points(rng, n=6000):
    import testutils_ada_generators as gen

    return gen.landslides(n=n, seed=int(rng.integers(1000)))


@case("adadetection", layouts=(None, 700, 1500), narrow=False)
def _ada(rng):
    from insar_geohazards.algorithms.ada.detection import detect_ada

    f = _points(rng)

    def run(tile_points, ex):
        r = detect_ada(f.x, f.y, f.v, tile_points=tile_points, executor=ex)
        return {"labels": r.labels, "flags": r.flags, "radius": r.radius_per_point_m,
                **{f"attr_{k}": np.asarray(v) for k, v in r.attributes.items()},
                "scalars": np.array([r.threshold_mm_yr, r.spacing_m, r.radius_m])}
    return run


@case("landslideactivity", layouts=(None, 777, 1), narrow=False)
def _activity(rng):
    from insar_geohazards.algorithms.ada.activity import points_in_polygons_blocks

    f = _points(rng)
    polys = [[np.array([[0, 0], [4000, 0], [4000, 3000], [0, 3000]], float)],
             [np.array([[2000, 2000], [6000, 2500], [3000, 6000]], float)]]
    return lambda bp, ex: {"idx": points_in_polygons_blocks(f.x[:3000], f.y[:3000], polys, block_points=bp or 3000,
                                                           executor=ex)}


# --------------------------------------------------------------------------- offset tracking
@case("offsettracking", layouts=(None, 1, 0.6), narrow=False)
def _offsets(rng):
    from scipy.ndimage import fourier_shift, gaussian_filter

    from insar_geohazards.algorithms.kinematics import offsets as off

    img = gaussian_filter(rng.normal(0, 1, (160, 144)), 1.2)
    sec = np.fft.ifft2(fourier_shift(np.fft.fft2(img), (2.2, -1.3))).real

    def run(max_mb, ex):  # the tool's blocks come from the memory budget (1 MB: one output row each)
        r = off.offset_field(img, sec, window=32, search=6, step=16, max_memory_mb=max_mb, executor=ex)
        return {k: np.asarray(r[k]) for k in ("dx", "dy", "ncc", "peak_ratio", "flag")}
    return run


# =========================================================================== the harness
def outputs_equal(a: dict, b: dict) -> list:
    """Names of the outputs whose bytes differ (object arrays compared by their repr)."""
    assert set(a) == set(b), (sorted(a), sorted(b))
    bad = []
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype == object or y.dtype == object:
            if repr(x.tolist()) != repr(y.tolist()):
                bad.append(k)
        elif x.shape != y.shape or x.dtype != y.dtype or x.tobytes() != y.tobytes():
            bad.append(k)
    return bad


def describe(a: dict, b: dict, bad: list) -> str:
    out = []
    for k in bad[:6]:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype != object and x.shape == y.shape and x.dtype.kind in "fc":
            d = ~((x == y) | (np.isnan(x) & np.isnan(y)))
            out.append(f"{k}: {int(d.sum())} of {x.size} values, max |diff| {np.nanmax(np.abs(x - y)[d]):.3g}")
        else:
            out.append(f"{k}: differs")
    return "; ".join(out)


@pytest.fixture(scope="module")
def dask_local():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    with eng.DaskExecutor("local", n_workers=2, threads_per_worker=1) as ex:
        yield ex


def _params(layouts=False):
    """The cases; a known layout defect is a strict xfail of the layout test only (threads and schedulers
    already agree on one layout)."""
    out = []
    for name, (_, _, xfail) in CASES.items():
        marks = [pytest.mark.xfail(reason=xfail, strict=True)] if xfail and layouts else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


def _runner(name, seed=7):
    fn, layouts, _ = CASES[name]
    return fn(np.random.default_rng(seed)), layouts


#: The outputs of the local runs this process made, by case, image shape, rows per block and numba threads: each
#: case builds the same inputs every time (its seed), so the threads and Dask tests compare against the layout
#: test's run of the same layout instead of making it again.
_LOCAL_RUNS: dict = {}


def _local(name, run, rows):
    """``run(rows, LocalExecutor())`` of case ``name``, made once per process for this shape and thread count."""
    try:
        import numba

        threads = numba.get_num_threads()
    except ImportError:
        threads = 1
    key = (name, ROWS, COLS, rows, threads)
    if key not in _LOCAL_RUNS:
        _LOCAL_RUNS[key] = run(rows, eng.LocalExecutor())
    return _LOCAL_RUNS[key]


@pytest.fixture(params=sorted(SHAPES))
def shape(request, monkeypatch):
    """The image shape of the cases (module globals read when a case builds its inputs and plans)."""
    monkeypatch.setattr(sys.modules[__name__], "ROWS", SHAPES[request.param][0])
    monkeypatch.setattr(sys.modules[__name__], "COLS", SHAPES[request.param][1])
    return request.param


@pytest.mark.parametrize("name", _params(layouts=True))
def test_block_layouts_give_the_same_bytes(name, shape):
    if shape == "narrow" and name not in NARROW:
        pytest.skip(f"{name} has no one-column image case")
    run, layouts = _runner(name)
    ref = _local(name, run, layouts[0])
    problems = []
    for rows in layouts[1:]:
        got = _local(name, run, rows)
        bad = outputs_equal(ref, got)
        if bad:
            problems.append(f"layout {rows} vs {layouts[0]}: {describe(ref, got, bad)}")
    assert not problems, f"{name} ({shape}): " + " | ".join(problems)


@pytest.mark.parametrize("name", _params())
def test_one_or_two_numba_threads_give_the_same_bytes(name):
    numba = pytest.importorskip("numba", reason="numba is not installed: the kernels run single-threaded anyway")
    run, layouts = _runner(name)
    rows = layouts[1] if len(layouts) > 1 else layouts[0]
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _local(name, run, rows)
        numba.set_num_threads(1)
        one = run(rows, eng.LocalExecutor())
    finally:
        numba.set_num_threads(before)
    bad = outputs_equal(two, one)
    assert not bad, f"{name}: 1 vs 2 numba threads: {describe(two, one, bad)}"


@pytest.mark.parametrize("name", _params())
def test_one_or_two_blas_threads_give_the_same_bytes(name):
    """OpenBLAS splits even small LAPACK steps among its threads (algorithms/blas.py): a desktop run (every core) and a
    Dask worker (one thread) must still write the same bytes. Checked whatever the thread count the process started
    with (``make test`` starts its workers on one)."""
    tpc = pytest.importorskip("threadpoolctl", reason="threadpoolctl is not installed: BLAS's threads cannot be set")
    run, layouts = _runner(name)
    rows = layouts[1] if len(layouts) > 1 else layouts[0]
    out = {}
    for n in (1, 2):
        with tpc.threadpool_limits(limits=n, user_api="blas"):
            got = [d["num_threads"] for d in tpc.threadpool_info() if d.get("user_api") == "blas"]
            if not got or max(got) != n:
                pytest.skip(f"this BLAS runs {got} threads when asked for {n}: nothing to compare")
            out[n] = run(rows, eng.LocalExecutor())
    bad = outputs_equal(out[1], out[2])
    assert not bad, f"{name}: 1 vs 2 BLAS threads: {describe(out[1], out[2], bad)}"


@pytest.mark.parametrize("name", _params())
def test_a_dask_localcluster_gives_the_local_bytes(name, dask_local):
    run, layouts = _runner(name)
    rows = layouts[1] if len(layouts) > 1 else layouts[0]
    local = _local(name, run, rows)
    dist = run(rows, dask_local)
    bad = outputs_equal(local, dist)
    assert not bad, f"{name}: Dask vs local: {describe(local, dist, bad)}"


def test_sbas_pattern_groups_change_no_bit():
    """SBAS solves the pixels that share a validity pattern together (one factorisation): a speed-up only. Every
    pixel gets the bits it gets alone, connected or not, so a block's mix of patterns cannot change a pixel."""
    from insar_geohazards.algorithms.timeseries.sbas import SbasSolver

    net = _network()
    ifg, _ = _ifg_stack(np.random.default_rng(3), net)
    assert np.isnan(ifg).any(axis=0).mean() > 0.5
    runs = [SbasSolver(net, min_count=5, group_min_pixels=g).solve(ifg) for g in (1, 16, 10 ** 9)]
    for r in runs[1:]:
        for k in ("timeseries_mm", "velocity_mm_yr", "velocity_std_mm_yr", "temporal_coherence", "disconnected"):
            assert getattr(r, k).tobytes() == getattr(runs[0], k).tobytes(), k
    assert runs[0].disconnected.sum() > 20 and np.isfinite(runs[0].velocity_mm_yr).mean() > 0.9
    # each pixel alone, copied contiguous as the engine hands blocks over (a strided view compiles other kernels)
    one_by_one = [SbasSolver(net, min_count=5).solve(np.ascontiguousarray(ifg[:, r:r + 1, c:c + 1]))
                  for r, c in ((0, 5), (4, 9), (22, 16))]
    for (r, c), res in zip(((0, 5), (4, 9), (22, 16)), one_by_one):
        assert res.timeseries_mm[:, 0, 0].tobytes() == runs[0].timeseries_mm[:, r, c].tobytes()
