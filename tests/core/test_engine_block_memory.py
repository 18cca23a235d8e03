"""The memory models behind MAX_MEMORY_MB: what the tools count per pixel (or point) of a block bounds what a block
really allocates.

Each tool plans its blocks as ``budget / bytes per pixel`` (:func:`algorithms.engine.plan_blocks`), so its model must
not undercount (the budget would be exceeded) nor overcount much (blocks smaller than they need be). The block
functions run here on blocks of two heights under ``tracemalloc``, which counts every numpy and numba allocation
(the block's inputs included, allocated inside the measurement): the growth per pixel between the two heights must
lie between a third of the model and the model. Counts of bytes, not times: the same on a loaded machine.
"""

from __future__ import annotations

import datetime as dt
import functools
import tracemalloc

import numpy as np
import pytest
import registry

from insar_geohazards.algorithms import engine as eng


def _peak(make_inputs, func, block) -> int:
    tracemalloc.start()
    try:
        inputs = make_inputs(block.read1 - block.read0)
        out = func(block, inputs)
        del out, inputs
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bytes_per_pixel(make_inputs, func, *, rows=(8, 32), n_cols=200, halo=0, repeats=3) -> float:
    """Growth of a block's peak allocation per pixel of its own rows (tracemalloc), after one warm-up call
    (numba compiles there): the least of ``repeats`` measures, as tracemalloc also counts what another thread of the
    process allocates meanwhile (a kernel family compiled in the background beside a loaded suite), which only adds."""
    def block(r):
        return eng.Block(0, halo + 50, halo + 50 + r, 50, 50 + r + 2 * halo, 10_000, n_cols)

    func(block(2), make_inputs(2 + 2 * halo))
    best = np.inf
    for _ in range(repeats):
        lo, hi = (_peak(make_inputs, func, block(r)) for r in rows)
        best = min(best, (hi - lo) / ((rows[1] - rows[0]) * n_cols))
    return best


def _dates(n):
    return [dt.date(2020, 1, 3) + dt.timedelta(days=12 * k) for k in range(n)]


def _faults():
    from insar_geohazards.algorithms.faults.faults import Faults

    rng = np.random.default_rng(0)
    n = 20
    return Faults.create(east_m=rng.uniform(-5e3, 5e3, n), north_m=rng.uniform(-5e3, 5e3, n),
                         strike_deg=rng.uniform(0, 360, n), dip_deg=rng.uniform(30, 80, n), length_m=np.full(n, 3e3),
                         top_m=np.full(n, 1e3), bottom_m=np.full(n, 6e3), strike_slip_m=np.full(n, 0.2),
                         dip_slip_m=np.full(n, 1.0))


GT = (-15000.0, 100.0, 0.0, 17000.0, 0.0, -100.0)


def _okada():
    from insar_geohazards.algorithms.faults import grid_blocks as gb

    func = functools.partial(gb.okada_grid_block, geotransform=GT, table=_faults().table(), poisson=0.25,
                             los_vec=np.array([0.1, 0.2, 0.97]))
    return gb.OKADA_BYTES_PER_PIXEL, lambda r: {}, func, {}


def _coulomb(n_depths):
    from insar_geohazards.algorithms.faults import grid_blocks as gb

    func = functools.partial(gb.coulomb_grid_block, geotransform=GT, table=_faults().table(),
                             depths_m=list(np.linspace(0.0, 7000.0, n_depths)), regional=None,
                             shear_modulus_pa=3.2e10, poisson=0.25, friction=0.4,
                             receiver={"strike_deg": 30.0, "dip_deg": 60.0, "rake_deg": 90.0}, scale_pa=1e5)
    return gb.coulomb_bytes_per_pixel(n_depths), lambda r: {}, func, {"rows": (8, 32), "n_cols": 300}


def _models(n_dates, models, breaks):
    from insar_geohazards.algorithms.models import model_blocks as mb

    rng = np.random.default_rng(1)
    func = functools.partial(mb.models_raster_block, dates=_dates(n_dates), opts={"models": models}, breaks=breaks,
                             min_dbic=10.0)
    return (mb.bytes_per_series(n_dates, models, breaks),
            lambda r: {"series": rng.normal(0, 1, (n_dates, r, 200))}, func, {"rows": (4, 16), "n_cols": 200})


def _forecast(n_dates, model, holdout):
    from insar_geohazards.algorithms.hazard import forecast as fc

    rng = np.random.default_rng(4)
    dates = _dates(n_dates)
    fdates = [dates[-1] + dt.timedelta(days=365), dates[-1] + dt.timedelta(days=730)]
    opts = dict(model=model, criterion="bic", origin_date=None, primary_end_days=None, holdout=holdout)
    func = functools.partial(fc.forecast_raster_block, dates=dates, forecast_dates=fdates, opts=opts)
    models = fc.FORECAST_MODELS if model == fc.BEST else (model,)
    series = np.cumsum(rng.normal(0, 1, (n_dates, 16, 200)), axis=0)
    return (fc.bytes_per_series(n_dates, 2, models), lambda r: {"series": series[:, :r].copy()}, func,
            {"rows": (4, 16), "n_cols": 200})


def _slc(rows):
    rng = np.random.default_rng(2)
    n = 12
    return n, lambda r: {"slc": (rng.normal(0, 1, (n, r, 120)) + 1j * rng.normal(0, 1, (n, r, 120)))
                         .astype(np.complex64)}


def _amplitude():
    from insar_geohazards.algorithms.psds import ps
    from insar_geohazards.fileio.psds.slc import SLC_BYTES_PER_PIXEL_DATE

    n, make = _slc(None)
    func = functools.partial(ps.amplitude_dispersion_block, calibration=None, threshold=0.25)
    return n * SLC_BYTES_PER_PIXEL_DATE + 64.0, make, func, {"n_cols": 120}


def _phase_linking():
    from insar_geohazards.algorithms.psds.phase_linking import phase_link_block
    from insar_geohazards.fileio.psds.slc import SLC_BYTES_PER_PIXEL_DATE

    n, make = _slc(None)
    func = functools.partial(phase_link_block, window=(5, 7))
    return n * SLC_BYTES_PER_PIXEL_DATE + 64.0, make, func, {"rows": (16, 48), "n_cols": 120, "halo": 2}


def _pca():
    from insar_geohazards.algorithms.corrections.pca import pca_engine_block, smooth_model

    rng = np.random.default_rng(3)
    n = 30
    func = functools.partial(pca_engine_block, g=smooth_model(_dates(n)), tile=16)
    # the tool's model: len(dates) x 4 bytes x 4 (float32 input, delay, output, the writer's copy)
    return n * 4.0 * 4, lambda r: {"series": rng.normal(0, 1, (n, r, 48)).astype(np.float32)}, func, \
        {"rows": (16, 32), "n_cols": 48, "halo": 16}


def _susceptibility(method):
    from insar_geohazards.algorithms.hazard.susceptibility import models, sampling

    rng = np.random.default_rng(4)
    f = [models.FactorSpec("a"), models.FactorSpec("b"), models.FactorSpec("c", True, (1.0, 2.0, 3.0))]
    pres, absn = (np.column_stack([rng.normal(m, 1, 300), rng.normal(0, 1, 300), rng.integers(1, 4, 300)])
                  for m in (1.0, 0.0))

    def make(r):
        return {"f0": rng.normal(size=(r, 200)), "f1": rng.normal(size=(r, 200)),
                "f2": rng.integers(1, 4, (r, 200)).astype(float),
                "inventory": (rng.random((r, 200)) < 0.1).astype(np.float32),
                "events": rng.integers(0, 50, (r, 200)).astype(np.float64)}

    if method == "scan":  # the sampling pass, every pixel of the block kept (k above its size)
        func = functools.partial(sampling.scan_block, n_factors=3, categorical=(False, False, True), seed=0,
                                 k=100000, max_classes=50)
        return sampling.scan_bytes_per_pixel(3), make, func, {}
    m = models.fit_model(method, f, pres, absn, np.concatenate([pres, absn]), trees=20)
    m.breaks = [0.2, 0.4, 0.6, 0.8]
    return models.bytes_per_pixel(3, method, m.n_columns(), 1), make, \
        functools.partial(models.predict_block, model=m, threads=1), {}


def _interferogram_filter():
    from insar_geohazards.algorithms.interferograms import interferogramfilter as filtering

    rng = np.random.default_rng(4)
    func = functools.partial(filtering.filter_block, method="goldstein", alpha=0.5, looks_y=2, looks_x=2,
                             as_phase=True)
    return filtering.bytes_per_pixel(2, 2), lambda r: {"z": rng.uniform(-3, 3, (2 * r, 400)).astype(np.float32)}, \
        func, {"rows": (16, 64), "n_cols": 200, "halo": filtering.filter_halo("goldstein")}


def _strain():
    from insar_geohazards.algorithms.geometry import strainrate as sr

    rng = np.random.default_rng(5)
    func = functools.partial(sr.strain_block, pixel_x_m=20.0, pixel_y_m=20.0, sigma_m=60.0)
    return sr.BYTES_PER_PIXEL, lambda r: {"east": rng.normal(0, 1, (r, 200)), "north": rng.normal(0, 1, (r, 200))}, \
        func, {"halo": sr.halo_rows(60.0, 20.0)}


def _difference():
    from insar_geohazards.algorithms.hazard import comparelayers as cl

    rng = np.random.default_rng(6)
    return cl.DIFFERENCE_BYTES_PER_PIXEL, lambda r: {"input": rng.normal(0, 1, (r, 200)),
                                                     "reference": rng.normal(0, 1, (r, 200))}, cl.difference_block, {}


def _mining_time(n_dates):
    from insar_geohazards.algorithms.hazard import mining_time as mt
    from insar_geohazards.algorithms.hazard.miningsubsidence import Panel, PimParameters

    panels = [Panel.from_vertices([(0, 0), (600, 0), (600, 240), (0, 240)], 300.0, 3.0, end_date=dt.date(2020, 1, 1)),
              Panel.from_vertices([(900, 0), (1200, 0), (1200, 400)], 400.0, 2.0, end_date=dt.date(2021, 1, 1))]
    func = functools.partial(mt.time_grid_block, geotransform=(-500.0, 10.0, 0.0, 800.0, 0.0, -10.0), panels=panels,
                             params=PimParameters(0.8, 2.0), dates=_dates(n_dates), c_per_year=1.3)
    return mt.time_bytes_per_pixel(n_dates, len(panels)), lambda r: {}, func, {}


def _mining_advance(n_dates):
    from insar_geohazards.algorithms.hazard import mining_advance as ma
    from insar_geohazards.algorithms.hazard.miningsubsidence import Panel, PimParameters

    panels = [Panel.from_vertices([(0, 0), (600, 0), (600, 240), (0, 240)], 300.0, 3.0,
                                  start_date=dt.date(2019, 6, 1), end_date=dt.date(2020, 1, 1),
                                  advance_azimuth_deg=90.0)]
    params = PimParameters(0.8, 2.0)
    func = functools.partial(ma.advance_grid_block, geotransform=(-500.0, 10.0, 0.0, 800.0, 0.0, -10.0),
                             panels=panels, params=params, dates=_dates(n_dates), c_per_year=1.3, tan_beta_2=2.6)
    n_strips = len(ma.advance_strips(panels, params, dt.date(2019, 6, 1), 2.6))
    return ma.advance_bytes_per_pixel(n_dates, n_strips), lambda r: {}, func, {}


def _dem_difference(zones):
    from insar_geohazards.algorithms.hazard import demdifference as dd

    rng = np.random.default_rng(5)
    res = dd.Coregistration(shift_x_m=-13.7, shift_y_m=8.2, shift_z_m=-2.5, tilt_x=1e-4, tilt_y=0.0, centre_x_m=0.0,
                            centre_y_m=0.0, nmad_before_m=1.0, nmad_m=0.3, median_after_m=0.0, iterations=3,
                            n_stable=100, converged=True)
    n_zones = 2 if zones else 0
    func = functools.partial(dd.dem_difference_block, result=res, geotransform=(0.0, 10.0, 0.0, 0.0, 0.0, -10.0),
                             n_zones=n_zones, row_areas_m2=np.full(10_000, 100.0))

    def make(r):
        out = {"ref": rng.normal(size=(r, 200)), "other": rng.normal(size=(r, 200))}
        if zones:
            out["zones"] = rng.integers(0, 3, (r, 200)).astype(np.int32)
        return out

    return dd.bytes_per_pixel(n_zones), make, func, {"halo": dd.halo_rows(res, 10.0)}


def _slope_stability(n_rasters, samples):
    from insar_geohazards.algorithms.hazard import slopestability as ss

    rng = np.random.default_rng(6)
    names = ss.PARAMETERS[::-1][:n_rasters]  # wetness, then depth ...: cohesion stays a number with its range
    const = {k: v for k, v in zip(ss.PARAMETERS, (5.0, 30.0, 19.0, 1.5, 0.5)) if k not in names}
    draws = ss.draw({"cohesion_kpa": (5.0, 9.0)}, samples) if samples and "cohesion_kpa" not in names else None
    func = functools.partial(ss.slope_stability_block, dx_m=10.0, dy_m=10.0, constants=const, draws=draws,
                             names={k: k for k in ss.PARAMETERS})

    def make(r):
        out = {"dem": np.cumsum(rng.uniform(0, 8, (r, 200)), axis=1)}
        out.update({k: np.full((r, 200), v) for k, v in zip(names, (0.5, 1.5, 19.0, 30.0, 5.0))})
        return out

    return ss.bytes_per_pixel(n_rasters, draws is not None), make, func, {"halo": 1}


def _case(tool, builder, *args):
    if builder not in globals():
        raise KeyError(f"tests/registry.py: {tool}'s block_memory case names {builder}, not a builder of {__file__}")
    return functools.partial(globals()[builder], *args)


#: case -> its builder ``() -> (model bytes per pixel, make_inputs(rows), block function, bytes_per_pixel options)``,
#: from the ``block_memory`` cases of tests/registry.py (``(builder of this file, its arguments)``)
CASES = {case: _case(tool, *spec) for case, (tool, spec) in registry.cases("block_memory").items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_block_memory_model_bounds_what_a_block_allocates(case):
    model, make_inputs, func, kw = CASES[case]()
    measured = bytes_per_pixel(make_inputs, func, **kw)
    assert measured > 0, case
    assert measured <= model <= 3.0 * measured, f"{case}: {measured:.0f} bytes a pixel measured, model {model:.0f}"


def test_the_distortion_pass_stays_within_its_model():
    """The whole distortion pass (scans, classification, the engine's read-ahead) per pixel of a block."""
    from insar_geohazards.algorithms.geometry.distortion import AcquisitionGeometry, distortion_map
    from insar_geohazards.fileio.geometry.geometry import DISTORTION_BYTES_PER_PIXEL

    rows, cols = 256, 400
    yy, xx = np.mgrid[0:rows, 0:cols]
    dem = (400 * np.sin(yy / 40.0) * np.cos(xx / 55.0)).astype(np.float32)
    inc = np.linspace(30, 45, cols)[None] + np.zeros((rows, 1))
    geos = [AcquisitionGeometry(heading_deg=-170.0, read_incidence=lambda r0, r1: inc[r0:r1].copy())]

    def peak(block_rows):
        tracemalloc.start()
        try:
            distortion_map(lambda r0, r1: dem[r0:r1].copy(), lambda *a: None, n_rows=rows, n_cols=cols,
                           geometries=geos, dx_rows_m=30.0, dy_m=30.0, block_rows=block_rows, background_write=False,
                           outputs={"classes": None, "rindex": np.float32, "visibility": None})
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(16)
    measured = (peak(128) - peak(32)) / (96 * cols)
    assert measured <= DISTORTION_BYTES_PER_PIXEL <= 3.0 * measured, measured


def test_an_ada_tile_stays_within_its_model():
    """Neighbourhood statistics of one tile per point, with few and with every point active."""
    from insar_geohazards.algorithms.ada import neighbourhood as nb

    rng = np.random.default_rng(4)

    def peak(n, share):
        x, y = rng.uniform(0, 4000, n), rng.uniform(0, 4000, n)
        v = rng.normal(0, 1, n)
        active = rng.random(n) < share
        tracemalloc.start()
        try:
            nb.neighbourhood_stats(x, y, v, active, thr=1.0, tile_points=n)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    for share, n_lo, n_hi in ((0.02, 30_000, 90_000), (1.0, 4_000, 16_000)):  # few: above the spacing sample
        peak(1000, share)
        measured = (peak(n_hi, share) - peak(n_lo, share)) / (n_hi - n_lo)
        model = nb.TILE_BYTES_PER_POINT + nb.TILE_BYTES_PER_ACTIVE_POINT * share
        assert measured <= model <= 3.0 * measured, (share, measured, model)
