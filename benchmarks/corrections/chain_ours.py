"""The Corrected SBAS chain run with the core functions only (no QGIS), on a stack written by chain_stacks.py
or on a real stack: plain SBAS and the chain as the model runs it ("chain"; "unfiltered": before the final
velocity's filter).

    /usr/bin/python3 benchmarks/corrections/chain_ours.py STACK_DIR [--stable] [--variant chain|unfiltered|plain]

The Processing tools run the same core functions on the block engine (tests/processing show them equal).
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
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


def chain(d: dict, stable: bool, *, closure_coherence: float = 0.3, loop_misfit_rad: float = 1.5,
          filter_px: float = 3.0, z: float = 2.0, extrapolation: str = "all", weighting: str = "variance",
          tropo_z=None, ramp_z=None, ramp_power=None, quiet: bool = True, dem_error: bool = True,
          tropo: bool = True, ramp: bool = True, tropo_quiet: bool = True, areas_fn=None,
          velocity_window_px: int = None, velocity_weighting: str = "mean", stages: bool = False,
          ramp_kind: str = "linear", ramp_cap_mm_km=None, joint=None, tropo_window: int = 0,
          tropo_order: int = 1, lateral: bool = True, closure_regions: bool = True) -> dict:
    """The model now: unwrapping errors by closure (coherent values; with ``closure_regions`` the decision of each
    connected coherent region where a pixel's own loops cannot see it) -> network (loops still misfitting over
    coherent pixels, culprits one at a time, kept connected) -> phase-elevation (high-passed, per date, the slope's
    lateral variation as far as the data resolve it, trend guarded, outside the deforming areas) -> ramps of
    ``ramp_kind`` (per date on the stable area unless it extrapolates, outside the deforming areas, trend guarded;
    no per-date limit unless ``ramp_cap_mm_km``) -> reference point (stable area) -> SBAS -> DEM error with
    the per-pixel geometry -> final velocity, noise-adaptive filter of ``velocity_window_px`` (default: the
    model's; 0 = off; ``velocity_unfiltered`` is the velocity before it). ``z`` is the phase-elevation's guard;
    ``ramp_z`` / ``ramp_power`` (default the ramp removal's) the ramps'. ``stages``: also the interferograms
    after the closure and network steps and after the troposphere (``stage_ifg``), the kept network
    (``network``), their coherence and the reference pixel, for the per-step scores. ``tropo_window``,
    ``tropo_order``, ``lateral`` are the phase-elevation's WINDOW, order and LATERAL_VARIATION; ``joint``: the
    keyword arguments of :func:`joint_correction` instead of the two steps (an experiment)."""
    from algorithms.corrections.closure import (
        closure_offsets,
        correct_closure_block,
        network_triplets,
        region_cycles_of_stack,
    )
    from algorithms.corrections.deforming import GROW_PX_PHASE_ELEVATION, deforming_areas
    from algorithms.corrections.dem_error import dem_error_block, design_matrix
    from algorithms.corrections.network_mod import closure_misfit, closure_sums_block, closure_triplets, modify_network
    from algorithms.corrections.ramp_limits import (
        RAMP_GUARD_POWER,
        RAMP_Z_DEFAULT,
        guarded_ramps,
    )
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
    labels = region_cycles = None
    if closure_regions and closure_coherence > 0:
        labels, region_cycles = region_cycles_of_stack(ifg, coh, trip, cycle_mm=cycle, min_coherence=closure_coherence,
                                                       closure_offset=off)
    ifg = correct_closure_block(ifg, trip, cycle_mm=cycle, closure_offset=off, coherence=coh,
                                min_coherence=closure_coherence, labels=labels,
                                region_cycles=region_cycles)["corrected_mm"]
    times["closure"] = time.process_time() - t0
    t0 = time.process_time()
    tri = closure_triplets(net)
    sums = sum_rows(closure_sums_block(None, {"stack": ifg, "coherence": coh}, triplets=tri, signs=np.ones(net.n_pairs),
                                       to_radians=radians_per_mm(d["wavelength_m"]), coherence_threshold=0.3))
    edit = modify_network(net, triplets=tri, loop_misfit_rad=closure_misfit(sums), max_loop_misfit_rad=loop_misfit_rad,
                          keep_connected=True, mean_coherence=np.nanmean(coh.reshape(net.n_pairs, -1), axis=1))
    keep = edit.keep
    net2 = net.subset(keep)
    ifg, coh = ifg[keep], coh[keep]
    times["network"] = time.process_time() - t0
    per_date = (net2.ref_index, net2.sec_index, net2.n_dates, None)
    stage_ifg = {"closure": ifg.copy()} if stages else None
    t0 = time.process_time()
    tmask = None
    if tropo_quiet:
        h0_, w0_ = ifg.shape[1:]
        s0 = reference_sums_block(Block(0, 0, h0_, 0, h0_, h0_, w0_), {"stack": ifg, "coherence": coh},
                                  span_years=net2.temporal_baseline_days / 365.25)
        a0 = (areas_fn or functools.partial(deforming_areas, grow_px=GROW_PX_PHASE_ELEVATION))(
            stacking_rate(s0["sdt"], s0["dt2"]), s0["coh"] >= 0.3)
        tmask = a0.quiet if a0.applied else None
    if joint is not None:  # experiment: troposphere and ramps estimated together (joint_correction)
        ifg = joint_correction(ifg, coh, net2, d, tmask, **joint)
        tropo = ramp = False
    if tropo:
        ifg, _ = correct_phase_elevation(ifg, d["dem"], order=tropo_order, window=tropo_window, coherence=coh,
                                         coherence_threshold=0.3, mask=tmask,
                                         per_date=per_date, filter_px=filter_px, years=net2.years, lateral=lateral,
                                         z=z if tropo_z is None else tropo_z)
    times["troposphere"] = time.process_time() - t0
    if stages:
        stage_ifg["troposphere"] = ifg.copy()
    t0 = time.process_time()
    h, w = ifg.shape[1:]
    blk = Block(0, 0, h, 0, h, h, w)
    mask = d["stable"] if stable else None
    inputs = {"stack": ifg, "mask": mask, "coherence": coh}
    areas = None
    if quiet:
        sums = reference_sums_block(blk, {"stack": ifg, "coherence": coh}, span_years=net2.temporal_baseline_days
                                    / 365.25)
        areas = (areas_fn or deforming_areas)(stacking_rate(sums["sdt"], sums["dt2"]), sums["coh"] >= 0.3)
        if areas.applied:
            inputs["quiet"] = areas.quiet
    normals = sum_rows(ramp_normal_block(blk, inputs, kind=ramp_kind, coherence_threshold=0.3, with_all=True))
    coef, report = guarded_ramps(normals, kind=ramp_kind, names=list(net2.names), shape=(h, w),
                                 pixel_km=(d["pixel_m"][0] / 1000, d["pixel_m"][1] / 1000), per_date=per_date,
                                 years=net2.years, z=RAMP_Z_DEFAULT if ramp_z is None else ramp_z,
                                 power=RAMP_GUARD_POWER if ramp_power is None else ramp_power,
                                 max_gradient_per_km=ramp_cap_mm_km or None, extrapolation=extrapolation)
    if ramp:
        ifg = ramp_apply_block(blk, {"stack": ifg}, kind=ramp_kind, coef=coef)["corrected"].astype(np.float64)
    times["ramps"] = time.process_time() - t0
    t0 = time.process_time()
    res, ref_px = _reference_and_sbas(ifg, net2, coh, mask, d["wavelength_m"], weighting=weighting,
                                      coherence=coh if weighting != "none" else None, with_reference=True)
    times["sbas"] = time.process_time() - t0
    if stages:
        stage_ifg["ramps"] = ifg
    t0 = time.process_time()
    g = design_matrix(list(net2.dates), d["bperp_date_m"][[list(net.dates).index(x) for x in net2.dates]],
                      poly_order=2)
    geo = 850e3 * np.sin(np.radians(39.0)) if d["slant_range_m"] is None else \
        d["slant_range_m"] * np.sin(np.radians(d["incidence_deg"]))
    dem = dem_error_block(res.timeseries_mm, g, range_sin_inc_m=geo)
    if not dem_error:
        dem["corrected_mm"] = res.timeseries_mm
    vel, vstd = linear_velocity(dem["corrected_mm"], net2.years)
    vel, vstd = vel.reshape(h, w), vstd.reshape(h, w)
    raw, raw_std = vel, vstd
    window = MODEL_VELOCITY_WINDOW_PX if velocity_window_px is None else velocity_window_px
    if window > 1:
        f = adaptive_velocity_filter(vel, vstd, window_px=window, weighting=velocity_weighting)
        vel, vstd = f["velocity_mm_yr"], f["velocity_std_mm_yr"]
    times["dem_error"] = time.process_time() - t0
    extra = {"stage_ifg": stage_ifg, "network": net2, "stage_coherence": coh, "reference_px": ref_px,
             "sbas_timeseries": res.timeseries_mm} if stages else {}
    return {**extra, "velocity": vel, "velocity_std": vstd, "velocity_unfiltered": raw,
            "velocity_std_unfiltered": raw_std, "sbas_velocity": res.velocity_mm_yr,
            "dem_error_m": dem["dem_error_m"], "timeseries": dem["corrected_mm"], "times": times,
            "kept": int(keep.sum()), "pairs": int(keep.size),
            "ramp_fit": report.fitted_on, "ramp_leverage": round(report.leverage, 1),
            "quiet_share": None if areas is None else round(areas.share, 3),
            "ramp_trend_t": None if report.split is None else [round(float(t), 2) for t in report.split.t]}


def joint_correction(ifg, coh, net, d, quiet, *, ramp="linear", height=("h",), z_ramp=3.0, power_ramp=6.0,
                     z_height=2.0):
    """Experiment (world_compare.py variants "joint"): per interferogram, ramp terms and height terms (``h`` =
    scaled height + 1, ``hh``, ``xh``, ``yh``) fitted together by least squares, without a high-pass, on the coherent
    pixels outside the deforming areas, inverted per date, each term's trend guarded (the ramps' as the ramp
    removal's, the heights' as the phase-elevation's), removed. Measured against the sequential chain in
    docs/corrections.md; not what the model does."""
    from algorithms.corrections.ramps import per_date_coefficients
    from algorithms.corrections.trend import split_trend
    from algorithms.corrections.troposphere import height_scaling

    m, h, w = ifg.shape
    x = np.broadcast_to(np.linspace(-1, 1, w)[None, :], (h, w))
    y = np.broadcast_to(np.linspace(-1, 1, h)[:, None], (h, w))
    h0, hs_ = height_scaling(np.nanmin(d["dem"]), np.nanmax(d["dem"]))
    hs = (d["dem"] - h0) / hs_
    cols = {"1": np.ones((h, w)), "x": x, "y": y, "xx": x * x, "yy": y * y, "xy": x * y,
            "h": hs + 1.0, "hh": hs * hs - 1.0, "xh": x * (hs + 1.0), "yh": y * (hs + 1.0)}
    rterms = ["1"] if ramp == "none" else ["1", "x", "y"] + (["xx", "yy", "xy"] if ramp == "quadratic" else [])
    names = rterms + list(height)
    g = np.stack([cols[k] for k in names], axis=-1)
    base = np.isfinite(hs) if quiet is None else np.isfinite(hs) & quiet
    coef = np.zeros((m, len(names)))
    for i in range(m):
        use = base & np.isfinite(ifg[i]) & (coh[i] >= 0.3)
        coef[i] = np.linalg.lstsq(g[use], ifg[i][use], rcond=None)[0]
    pd = per_date_coefficients(coef, net.ref_index, net.sec_index, net.n_dates)[0]
    nr = len(rterms)
    pd_r = split_trend(pd[:, 1:nr], net.years, z=z_ramp, power=power_ramp)[0] if nr > 1 else pd[:, 1:nr]
    pd_h, _ = split_trend(pd[:, nr:], net.years, z=z_height)
    pd = np.concatenate([np.zeros((net.n_dates, 1)), pd_r, pd_h], axis=1)
    surf = np.einsum("hwk,nk->nhw", np.nan_to_num(g), pd)
    return ifg - np.stack([surf[j] - surf[i] for i, j in zip(net.ref_index, net.sec_index)])


VARIANTS = {"plain": lambda d, stable: plain(d), "chain": chain,
            "unfiltered": functools.partial(chain, velocity_window_px=0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("stack")
    ap.add_argument("--stable", action="store_true")
    ap.add_argument("--variant", default="chain", choices=sorted(VARIANTS))
    args = ap.parse_args()
    d = load(args.stack)
    t0, c0 = time.perf_counter(), time.process_time()
    out = VARIANTS[args.variant](d, args.stable)
    print(json.dumps({"variant": args.variant, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                      **{k: v for k, v in out.items() if not isinstance(v, np.ndarray)}}))


if __name__ == "__main__":
    main()
