"""The Corrected SBAS chain run with the core functions only (no QGIS), on a stack written by chain_stacks.py
or on a real stack: plain SBAS and the chain as the model runs it (world_compare.py and mexico_compare.py drive it).
The Processing tools run the same core functions on the block engine (tests/processing show them equal).
"""

from __future__ import annotations

import glob
import os
import re
import sys
import time

# numba caches kernels next to their source under the importing module's name: a cache written while the core
# is imported as "algorithms" cannot be loaded by the plugin ("insar_geohazards.algorithms"), so these drivers
# keep their own
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "geohazard_bench_numba"))
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from algorithms.conventions import radians_per_mm  # noqa: E402
from algorithms.corrections.velocity_filter import adaptive_velocity_filter  # noqa: E402
from algorithms.formats.dates import parse_date  # noqa: E402
from algorithms.timeseries.network import build_network  # noqa: E402

WAVELENGTH_M = 0.05546576
#: The final velocity's filter window the Corrected SBAS model sets (models/build_models.py).
MODEL_VELOCITY_WINDOW_PX = 3


def read_tif(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray().astype(np.float64)
    nd = band.GetNoDataValue()
    if nd is not None:
        arr[arr == nd] = np.nan
    return arr, ds.GetGeoTransform(), ds.GetProjection()


def load(stack_dir: str, wavelength_m: float = WAVELENGTH_M) -> dict:
    """The stack as arrays: LOS mm (positive toward the satellite), coherence, DEM, geometry, baselines."""
    ifgs = sorted(glob.glob(os.path.join(stack_dir, "ifg", "*.tif")))
    tags = [re.findall(r"\d{8}", os.path.basename(p))[:2] for p in ifgs]
    pairs = [(parse_date(a), parse_date(b)) for a, b in tags]
    net = build_network(pairs, names=[f"{a}_{b}" for a, b in tags])
    to_mm = -1.0 / radians_per_mm(wavelength_m)  # radians growing with range -> LOS mm toward the satellite
    ifg = np.stack([read_tif(p)[0] for p in ifgs]) * to_mm
    coh = np.stack([read_tif(os.path.join(stack_dir, "coh", f"{a}_{b}.cc.tif"))[0] for a, b in tags])
    dem, gt, wkt = read_tif(os.path.join(stack_dir, "dem.tif"))
    out = {"net": net, "ifg_mm": ifg, "coherence": coh, "dem": dem, "gt": gt, "wkt": wkt,
           "wavelength_m": wavelength_m, "pixel_m": (abs(gt[5]), abs(gt[1]))}
    for key, name in (("incidence_deg", "incidence.tif"), ("slant_range_m", "slant_range.tif")):
        p = os.path.join(stack_dir, name)
        out[key] = read_tif(p)[0] if os.path.exists(p) else None
    st = os.path.join(stack_dir, "stable.tif")
    out["stable"] = read_tif(st)[0] > 0 if os.path.exists(st) else None
    bp = {}
    with open(os.path.join(stack_dir, "bperp.csv")) as f:
        next(f)
        for line in f:
            d, b = line.strip().split(",")
            bp[parse_date(d)] = float(b)
    out["bperp_date_m"] = np.array([bp[d] for d in net.dates])
    return out


def load_mexico(wavelength_m: float = WAVELENGTH_M) -> dict:
    """The bundled Mexico City Sentinel-1 stack (tests/data, GAMMA: radians growing with range) as :func:`load`
    gives a synthetic one; ``stable`` = the demo's western strip (columns < 15); pixel size from the
    geographic grid."""
    from algorithms.corrections.dem_error import read_date_baselines
    from algorithms.formats.dates import parse_date_pair

    folder = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
    unw = sorted(glob.glob(os.path.join(folder, "geotiffs", "*_unw.tif")))
    cc = sorted(glob.glob(os.path.join(folder, "geotiffs", "*_cc.tif")))
    pairs = [parse_date_pair(p) for p in unw]
    net = build_network(pairs, names=[f"{a:%Y%m%d}_{b:%Y%m%d}" for a, b in pairs])
    to_mm = -1.0 / radians_per_mm(wavelength_m)
    ifg = np.stack([read_tif(p)[0] for p in unw]) * to_mm
    coh = np.stack([read_tif(p)[0] for p in cc])
    dem, gt, wkt = read_tif(os.path.join(folder, "geotiffs", "cropA_T005A_dem.tif"))
    lat = gt[3] + gt[5] * dem.shape[0] / 2
    pixel_m = (abs(gt[5]) * 111_320.0, abs(gt[1]) * 111_320.0 * np.cos(np.radians(lat)))
    bp = read_date_baselines(sorted(glob.glob(os.path.join(folder, "baselines", "*"))), list(net.dates))
    cols = np.arange(dem.shape[1])[None, :].repeat(dem.shape[0], 0)
    return {"net": net, "ifg_mm": ifg, "coherence": coh, "dem": dem, "gt": gt, "wkt": wkt,
            "wavelength_m": wavelength_m, "pixel_m": pixel_m, "incidence_deg": None, "slant_range_m": None,
            "stable": (cols < 15) & np.isfinite(dem), "bperp_date_m": np.asarray(bp, float)}


def plain(d: dict) -> dict:
    """geohazard:sbasinversion with its defaults (unweighted, temporal coherence >= 0.7, automatic reference)."""
    from algorithms.timeseries.sbas import choose_reference, sbas_inversion

    count = np.isfinite(d["ifg_mm"]).sum(axis=0)
    r, c = choose_reference(count, d["net"].n_pairs, mean_coherence=d["coherence"].mean(axis=0))
    res = sbas_inversion(d["ifg_mm"], d["net"], reference_mm=d["ifg_mm"][:, r, c], wavelength_m=d["wavelength_m"],
                         min_temporal_coherence=0.7)
    return {"velocity": res.velocity_mm_yr, "velocity_std": res.velocity_std_mm_yr, "timeseries": res.timeseries_mm}


def _reference_and_sbas(ifg, net2, coh, mask, wavelength_m, *, reference=None, with_reference=False,
                        **sbas_options):
    """The reference point (as the referencepoint tool: coherent, moving like the scene, inside ``mask``; or the
    ``(row, col)`` given) and the SBAS inversion of the corrected interferograms (mm); with ``with_reference``
    ``(result, (row, col))``."""
    from algorithms.corrections.reference import select_reference, stacking_rate
    from algorithms.timeseries.sbas import sbas_inversion

    if reference is None:
        span = net2.temporal_baseline_days / 365.25
        ok = np.isfinite(ifg)
        sdt = np.tensordot(span, np.where(ok, ifg, 0.0), axes=(0, 0))
        dt2 = np.tensordot(span ** 2, ok.astype(float), axes=(0, 0))
        ref = select_reference(ok.sum(axis=0), net2.n_pairs, rate=stacking_rate(sdt, dt2),
                               mean_coherence=coh.mean(axis=0), allowed=mask)
        reference = (ref.row, ref.col)
    res = sbas_inversion(ifg, net2, reference_mm=ifg[:, reference[0], reference[1]], wavelength_m=wavelength_m,
                         min_temporal_coherence=0.7, **sbas_options)
    return (res, reference) if with_reference else res


def chain(d: dict, *, ramp_kind: str = "linear") -> dict:
    """The model on the stable area: unwrapping errors by closure (every value, the closures each pixel's
    neighbourhood agrees on) -> network (loops still misfitting over coherent pixels,
    culprits one at a time, kept connected) -> phase-elevation (high-passed, per date, the slope's lateral variation
    as far as the data resolve it, trend guarded, outside the deforming areas) -> ramps of ``ramp_kind`` (per date on
    the stable area unless it extrapolates, outside the deforming areas, trend guarded) -> reference point (stable
    area) -> SBAS -> DEM error with the per-pixel geometry -> final velocity with the model's noise-adaptive filter
    (``velocity_unfiltered``: before it). Also the interferograms after the closure and network steps and after the
    troposphere (``stage_ifg``), the kept network (``network``), their coherence and the reference pixel, for the
    per-step scores."""
    from algorithms.corrections.closure import (
        closure_offsets,
        correct_closure_stack,
        network_triplets,
    )
    from algorithms.corrections.deforming import GROW_PX_PHASE_ELEVATION, deforming_areas
    from algorithms.corrections.dem_error import dem_error_block, design_matrix
    from algorithms.corrections.network_mod import closure_misfit, closure_sums_block, closure_triplets, modify_network
    from algorithms.corrections.ramp_limits import RAMP_GUARD_POWER, RAMP_Z_DEFAULT, guarded_ramps
    from algorithms.corrections.ramps import ramp_apply_block, ramp_normal_block, sum_rows
    from algorithms.corrections.reference import reference_sums_block, stacking_rate
    from algorithms.corrections.troposphere import correct_phase_elevation
    from algorithms.engine import Block
    from algorithms.timeseries.sbas import linear_velocity

    net, ifg, coh = d["net"], d["ifg_mm"], d["coherence"]
    times = {}
    t0 = time.process_time()
    cycle = d["wavelength_m"] * 1000 / 2
    trip = network_triplets(net.pairs)
    rows = np.unique(np.linspace(0, ifg.shape[1] - 1, min(ifg.shape[1], 64)).astype(int))
    off = closure_offsets(ifg[:, rows], trip, cycle_mm=cycle)
    ifg = correct_closure_stack(ifg, trip, cycle_mm=cycle, closure_offset=off)["corrected_mm"]
    times["closure"] = time.process_time() - t0
    t0 = time.process_time()
    tri = closure_triplets(net)
    sums = sum_rows(closure_sums_block(None, {"stack": ifg, "coherence": coh}, triplets=tri, signs=np.ones(net.n_pairs),
                                       to_radians=radians_per_mm(d["wavelength_m"]), coherence_threshold=0.3))
    edit = modify_network(net, triplets=tri, loop_misfit_rad=closure_misfit(sums), max_loop_misfit_rad=1.5,
                          keep_connected=True, mean_coherence=np.nanmean(coh.reshape(net.n_pairs, -1), axis=1))
    keep = edit.keep
    net2 = net.subset(keep)
    ifg, coh = ifg[keep], coh[keep]
    times["network"] = time.process_time() - t0
    per_date = (net2.ref_index, net2.sec_index, net2.n_dates, None)
    stage_ifg = {"closure": ifg.copy()}
    t0 = time.process_time()
    h, w = ifg.shape[1:]
    blk = Block(0, 0, h, 0, h, h, w)
    span = net2.temporal_baseline_days / 365.25
    s0 = reference_sums_block(blk, {"stack": ifg, "coherence": coh}, span_years=span)
    a0 = deforming_areas(stacking_rate(s0["sdt"], s0["dt2"]), s0["coh"] >= 0.3, grow_px=GROW_PX_PHASE_ELEVATION)
    ifg, _ = correct_phase_elevation(ifg, d["dem"], order=1, window=0, coherence=coh, coherence_threshold=0.3,
                                     mask=a0.quiet if a0.applied else None, per_date=per_date, filter_px=3.0,
                                     years=net2.years, lateral=True, z=2.0)
    times["troposphere"] = time.process_time() - t0
    stage_ifg["troposphere"] = ifg.copy()
    t0 = time.process_time()
    inputs = {"stack": ifg, "mask": d["stable"], "coherence": coh}
    sums = reference_sums_block(blk, {"stack": ifg, "coherence": coh}, span_years=span)
    areas = deforming_areas(stacking_rate(sums["sdt"], sums["dt2"]), sums["coh"] >= 0.3)
    if areas.applied:
        inputs["quiet"] = areas.quiet
    normals = sum_rows(ramp_normal_block(blk, inputs, kind=ramp_kind, coherence_threshold=0.3, with_all=True))
    coef, report = guarded_ramps(normals, kind=ramp_kind, names=list(net2.names), shape=(h, w),
                                 pixel_km=(d["pixel_m"][0] / 1000, d["pixel_m"][1] / 1000), per_date=per_date,
                                 years=net2.years, z=RAMP_Z_DEFAULT, power=RAMP_GUARD_POWER, max_gradient_per_km=None,
                                 extrapolation="all")
    ifg = ramp_apply_block(blk, {"stack": ifg}, kind=ramp_kind, coef=coef)["corrected"].astype(np.float64)
    times["ramps"] = time.process_time() - t0
    t0 = time.process_time()
    res, ref_px = _reference_and_sbas(ifg, net2, coh, d["stable"], d["wavelength_m"], weighting="variance",
                                      coherence=coh, with_reference=True)
    times["sbas"] = time.process_time() - t0
    stage_ifg["ramps"] = ifg
    t0 = time.process_time()
    g = design_matrix(list(net2.dates), d["bperp_date_m"][[list(net.dates).index(x) for x in net2.dates]],
                      poly_order=2)
    geo = 850e3 * np.sin(np.radians(39.0)) if d["slant_range_m"] is None else \
        d["slant_range_m"] * np.sin(np.radians(d["incidence_deg"]))
    dem = dem_error_block(res.timeseries_mm, g, range_sin_inc_m=geo)
    raw, raw_std = (x.reshape(h, w) for x in linear_velocity(dem["corrected_mm"], net2.years))
    f = adaptive_velocity_filter(raw, raw_std, window_px=MODEL_VELOCITY_WINDOW_PX, weighting="mean")
    times["dem_error"] = time.process_time() - t0
    return {"stage_ifg": stage_ifg, "network": net2, "stage_coherence": coh, "reference_px": ref_px,
            "sbas_timeseries": res.timeseries_mm, "velocity": f["velocity_mm_yr"],
            "velocity_std": f["velocity_std_mm_yr"], "velocity_unfiltered": raw, "velocity_std_unfiltered": raw_std,
            "sbas_velocity": res.velocity_mm_yr, "dem_error_m": dem["dem_error_m"],
            "timeseries": dem["corrected_mm"], "times": times, "kept": int(keep.sum()), "pairs": int(keep.size),
            "ramp_fit": report.fitted_on, "ramp_leverage": round(report.leverage, 1),
            "quiet_share": round(areas.share, 3),
            "ramp_trend_t": None if report.split is None else [round(float(t), 2) for t in report.split.t]}
