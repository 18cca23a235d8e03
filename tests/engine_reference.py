"""Frozen copies of the block loops the tools used before the block engine (main 22466ae).

They pin today's outputs: the tests run these loops and the engine-driven tools on the
same inputs in the same session and require identical arrays (bit for bit). They call
the same, unchanged kernels; only the loop around them is frozen here.
"""

from __future__ import annotations

import tempfile
from typing import Optional, Sequence

import numpy as np

from insar_geohazards.algorithms.geometry.distortion import (
    DISTORTION_CLASSES,
    VISIBILITY_CLASSES,
    RangeScanner,
    _heights,
    _RowStore,
    _table,
    check_map_options,
    class_rows,
    classify_block,
    combine_best_geometry,
)
from insar_geohazards.algorithms.ordered import add_rows
from insar_geohazards.algorithms.progress import SubProgress, check_canceled


def distortion_map_frozen(read_dem, write, *, n_rows: int, n_cols: int, geometries: Sequence, dx_rows_m, dy_m: float,
                   block_rows: int = 512, strong_ratio: float = 0.5, moderate_ratio: float = 0.8,
                   flat_slope_deg: float = 5.0, min_sensitivity: float = 0.3, grazing_deg: float = 80.0,
                   method: str = "exact", progress=None, workdir: Optional[str] = None,
                   background_write: bool = True):
    """Distortion classes, R-index and visibility of a DEM of any size, block by block: the parameters and results
    of :func:`insar_geohazards.algorithms.geometry.distortion.distortion_map`, computed without the block engine
    (row blocks in a Python loop, the scans' flags and raw heights in temporary files)."""


    check_map_options(geometries, strong_ratio, moderate_ratio, min_sensitivity, block_rows)
    dx_rows = np.broadcast_to(np.asarray(dx_rows_m, dtype=np.float64), (n_rows,)).copy()
    blocks = [(r, min(r + block_rows, n_rows)) for r in range(0, n_rows, block_rows)]
    n_geo = len(geometries)
    n_steps = n_geo * 2 + (1 if n_geo == 2 else 0)
    tables = []
    tmp = tempfile.TemporaryDirectory(prefix="geohazard_scan_", dir=workdir)
    background_write = False  # frozen loop: writes inline (same values, same order)
    try:
        class_store = []
        for gi, geo in enumerate(geometries):
            kw = dict(heading_deg=geo.heading_deg, dx_m=float(np.nanmean(dx_rows)), dy_m=dy_m, look=geo.look)
            back = RangeScanner(n_rows, n_cols, forward=False, **kw)
            fwd = RangeScanner(n_rows, n_cols, forward=True, **kw)
            flags = _RowStore(f"{tmp.name}/flags_{gi}.u8", n_rows, n_cols)
            heights = None
            sub = SubProgress(progress, 100.0 * (2 * gi) / n_steps, 100.0 * (2 * gi + 1) / n_steps)
            for i, (r0, r1) in enumerate(back.block_order(blocks)):
                check_canceled(progress)
                sub.set_progress(100.0 * i / len(blocks))
                z = _heights(read_dem(r0, r1))
                if heights is None:
                    heights = _RowStore(f"{tmp.name}/dem_{gi}.raw", n_rows, n_cols, dtype=z.dtype)
                heights.write(r0, z)
                flags.write(r0, back.scan_block(z, geo.block_incidence(r0, r1, n_cols), dx_rows[r0:r1], r0))
            if n_geo == 2:
                class_store.append(_RowStore(f"{tmp.name}/classes_{gi}.u8", n_rows, n_cols))
            counts_d = np.zeros(256, dtype=np.int64)
            counts_v = np.zeros(256, dtype=np.int64)
            area_d = np.zeros(256)
            area_v = np.zeros(256)
            sub = SubProgress(progress, 100.0 * (2 * gi + 1) / n_steps, 100.0 * (2 * gi + 2) / n_steps)
            for i, (r0, r1) in enumerate(fwd.block_order(blocks)):
                check_canceled(progress)
                sub.set_progress(100.0 * i / len(blocks))
                q0, q1 = max(0, r0 - 1), min(n_rows, r1 + 1)
                dem = np.empty((r1 - r0 + 2, n_cols), heights.dtype)
                dem[0] = np.nan
                dem[-1] = np.nan
                dem[q0 - r0 + 1: q1 - r0 + 1] = heights.read(q0, q1)
                inc = geo.block_incidence(r0, r1, n_cols)
                f = fwd.scan_block(dem[1:-1], inc, dx_rows[r0:r1], r0) | flags.read(r0, r1)
                cls, ri, vis, sens = classify_block(
                    dem, dx_rows[r0:r1], dy_m, inc, f, heading_deg=geo.heading(r0, r1), look=geo.look, method=method,
                    strong_ratio=strong_ratio, moderate_ratio=moderate_ratio, flat_slope_deg=flat_slope_deg,
                    min_sensitivity=min_sensitivity, grazing_deg=grazing_deg)
                write(r0, r1, gi, {"classes": cls, "rindex": ri, "visibility": vis, "sensitivity": sens})
                # class areas row by row, added in row order (since the determinism rule: the same bits for any
                # block layout)
                cd, ad = class_rows(cls, dx_rows[r0:r1], dy_m)
                cv, av = class_rows(vis, dx_rows[r0:r1], dy_m)
                counts_d += cd
                counts_v += cv
                area_d = add_rows(area_d, ad if fwd.plan.rows_top_down else ad[::-1])
                area_v = add_rows(area_v, av if fwd.plan.rows_top_down else av[::-1])
                if n_geo == 2:
                    class_store[gi].write(r0, cls)
            tables.append({"distortion": _table(counts_d, area_d, DISTORTION_CLASSES),
                           "visibility": _table(counts_v, area_v, VISIBILITY_CLASSES)})
            del flags, heights
        if n_geo == 2:
            sub = SubProgress(progress, 100.0 * (n_steps - 1) / n_steps, 100.0)
            for i, (r0, r1) in enumerate(blocks):
                check_canceled(progress)
                sub.set_progress(100.0 * i / len(blocks))
                best, source = combine_best_geometry(class_store[0].read(r0, r1), class_store[1].read(r0, r1))
                write(r0, r1, -1, {"best": best, "source": source})
            class_store.clear()
        if background_write:
            write.close()  # every block written (a writer error is raised here)
    except BaseException:
        if background_write:
            write.stop()
        raise
    finally:
        tmp.cleanup()
    if progress is not None:
        progress.set_progress(100.0)
    return tables


# --------------------------------------------------------------------------- LOS tools (processing layer)
def los_projection_frozen(info, *, dem=None, inc_path=None, inc_kind=0, read_heading=None, heading=-12.0,
                          incidence=37.0, look="right", cmin=0.3, vertical=True, downslope=True):
    """The raster loop of ``losprojection`` before the engine; returns ``{"vertical", "downslope"}`` arrays."""
    from insar_geohazards.algorithms.geometry.los import check_incidence, los_unit_vector
    from insar_geohazards.algorithms.geometry.terrain import los_to_downslope, slope_aspect_metric
    from insar_geohazards.algorithms.progress import iter_blocks
    from insar_geohazards.fileio.base.raster import DEFAULT_BLOCK_ROWS, read_band
    from insar_geohazards.fileio.geometry.geometry import incidence_to_degrees, metric_pixel_size

    out = {}
    if vertical:
        out["vertical"] = np.empty((info.count, info.height, info.width), np.float32)
    if downslope:
        out["downslope"] = np.empty((info.count, info.height, info.width), np.float32)
        dx_rows, dy = metric_pixel_size(dem, "DEM")
    overlap = 1 if dem is not None else 0
    for q0, q1, r0, r1 in iter_blocks(info.height, DEFAULT_BLOCK_ROWS, overlap=overlap):
        inc = incidence
        if inc_path:
            inc = check_incidence(incidence_to_degrees(read_band(inc_path, rows=(r0, r1), dtype=np.float64),
                                                       inc_kind))
        hdg = read_heading(r0, r1) if read_heading is not None else heading
        e, n, u = los_unit_vector(inc, hdg, look=look)
        if downslope:
            z = read_band(dem.path, rows=(q0, q1), dtype=np.float64)
            s, a = slope_aspect_metric(z, dx_rows[q0:q1], dy)
            core = slice(r0 - q0, r0 - q0 + r1 - r0)
        for b in range(info.count):
            los = read_band(info.path, b + 1, rows=(r0, r1), dtype=np.float64)
            if vertical:
                out["vertical"][b, r0:r1] = los / u
            if downslope:
                v, _ = los_to_downslope(los, e, n, u, s[core], a[core], min_sensitivity=cmin)
                out["downslope"][b, r0:r1] = v
    return out


def los_to_vertical_frozen(info, *, inc_path=None, inc_value=37.0, in_radians=False):
    """The loop of ``losvelocitytovertical`` before the engine; returns ``(bands, rows, cols)`` float32."""
    from insar_geohazards.algorithms.geometry.los import check_incidence, los_to_vertical
    from insar_geohazards.algorithms.progress import iter_blocks
    from insar_geohazards.fileio.base.raster import DEFAULT_BLOCK_ROWS, read_band

    out = np.empty((info.count, info.height, info.width), np.float32)
    for r0, r1, _, _ in iter_blocks(info.height, DEFAULT_BLOCK_ROWS):
        inc = inc_value
        if inc_path:
            inc = read_band(inc_path, rows=(r0, r1), dtype=np.float64)
            inc = np.degrees(inc) if in_radians else inc
            inc = check_incidence(inc)
        for b in range(info.count):
            los = read_band(info.path, b + 1, rows=(r0, r1), dtype=np.float64)
            out[b, r0:r1] = los_to_vertical(los, inc)
    return out


# --------------------------------------------------------------------------- stack tools (processing layer)
def stacking_velocity_frozen(stack, rows, *, ref_mm, span, weighted, thr, looks, min_count):
    """The block loop of ``stackingvelocity`` before the engine; returns (velocity, std, count int16)."""
    from insar_geohazards.algorithms.progress import iter_blocks
    from insar_geohazards.algorithms.timeseries.sbas import coherence_to_weight
    from insar_geohazards.algorithms.timeseries.stacking import stacking_velocity

    info = stack.info
    out = [np.empty((info.height, info.width), np.float32), np.empty((info.height, info.width), np.float32),
           np.empty((info.height, info.width), np.int16)]
    for r0, r1, _, _ in iter_blocks(info.height, rows):
        ifg, coh = stack.read(r0, r1, coherence=stack.has_coherence and (weighted or thr > 0))
        w = None
        if coh is not None:
            w = coherence_to_weight(coh, looks=looks) if weighted else np.ones(coh.shape)
            w[~(coh >= thr)] = 0.0
        v, s, n = stacking_velocity(ifg, span, weights=w, min_count=min_count, reference_mm=ref_mm)
        out[0][r0:r1], out[1][r0:r1], out[2][r0:r1] = v, s, n.astype(np.int16)
    return out


def phase_gradient_frozen(stack, rows, *, sign, span, min_count):
    """The block loop of ``phasegradientstacking`` before the engine; returns the three float32 rasters."""
    import os

    from insar_geohazards.algorithms.progress import iter_blocks
    from insar_geohazards.algorithms.timeseries.phase_gradient import phase_gradient_stack
    from insar_geohazards.fileio.base.raster import read_band

    def read_wrapped(path, rr, sgn):
        a = read_band(path, rows=rr, name=os.path.basename(path), dtype=np.float64)
        if np.iscomplexobj(a):
            return a if sgn > 0 else np.conj(a)
        return sgn * a

    info = stack.info
    keys = ("magnitude_mm_yr", "col_mm_yr", "row_mm_yr")
    out = {k: np.empty((info.height, info.width), np.float32) for k in keys}
    for r0, r1, _, _ in iter_blocks(info.height, rows):
        r_end = min(r1 + 1, info.height)
        phase = np.stack([read_wrapped(stack.paths[i], (r0, r_end), sign * s)
                          for i, s in zip(stack.order, stack.signs)])
        w = None
        if stack.coh_paths is not None:
            w = np.stack([read_band(stack.coh_paths[i], rows=(r0, r_end)) for i in stack.order])
        res = phase_gradient_stack(phase, span, wavelength_m=stack.wavelength_m, weights=w, min_count=min_count)
        for k in keys:
            out[k][r0:r1] = res[k][:r1 - r0]
    return out


# --------------------------------------------------------------------------- elastic grids
def okada_grid_frozen(gt, nrows, ncols, table, poisson, los_vec):
    """The row loop of ``okadaforward`` before the engine; returns (4, rows, cols) float32."""
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    out = np.empty((4, nrows, ncols), np.float32)
    x = gt[0] + (np.arange(ncols) + 0.5) * gt[1]
    block = max(1, 200_000 // max(ncols, 1))
    for r0 in range(0, nrows, block):
        r1 = min(nrows, r0 + block)
        y = gt[3] + (np.arange(r0, r1) + 0.5) * gt[5]
        xx, yy = np.meshgrid(x, y)
        d = okada_displacement(xx, yy, table, poisson=poisson) * 1000.0
        lv = np.asarray(los_vec, float).reshape(3)
        los = d[..., 0] * lv[0] + d[..., 1] * lv[1] + d[..., 2] * lv[2]  # no BLAS (since the determinism rule)
        out[:, r0:r1] = np.concatenate([np.moveaxis(d, -1, 0), los[None]], axis=0)
    return out


def coulomb_grid_frozen(gt, nrows, ncols, table, depths, *, regional, mu, nu, friction, rec, scale):
    """The depth/row loops of ``coulombstress`` before the engine; returns (3 n_depths, rows, cols) float32."""
    from insar_geohazards.algorithms.faults.stress import coulomb_at_points

    out = np.empty((3 * len(depths), nrows, ncols), np.float32)
    x = gt[0] + (np.arange(ncols) + 0.5) * gt[1]
    block = max(1, 50_000 // max(ncols, 1))
    for k, depth in enumerate(depths):
        for r0 in range(0, nrows, block):
            r1 = min(nrows, r0 + block)
            y = gt[3] + (np.arange(r0, r1) + 0.5) * gt[5]
            xx, yy = np.meshgrid(x, y)
            res = coulomb_at_points(xx, yy, depth, table, regional=regional, shear_modulus_pa=mu, poisson=nu,
                                    friction=friction, **rec)
            for j, key in enumerate(("dcfs_pa", "shear_pa", "normal_pa")):
                out[3 * k + j, r0:r1] = res[key] / scale
    return out


# --------------------------------------------------------------------------- time-series models on rasters
def models_raster_frozen(path, dates, opts, breaks, min_dbic):
    """The raster loop of ``timeseriesmodels`` before the engine; returns (names, (bands, rows, cols) float32)."""
    from insar_geohazards.algorithms.models.model_blocks import (  # moved verbatim from the tool
        breakpoint_bands,
        model_columns,
    )
    from insar_geohazards.algorithms.models.timeseriesmodels import fit_models
    from insar_geohazards.algorithms.progress import SubProgress, iter_blocks
    from insar_geohazards.algorithms.timeseries.breakpoints import detect_breakpoints
    from insar_geohazards.fileio.base.raster import DEFAULT_BLOCK_ROWS, raster_info, read_bands

    info = raster_info(path)
    parts, names = [], None
    for r0, r1, _, _ in iter_blocks(info.height, max(1, DEFAULT_BLOCK_ROWS // 4)):
        block = read_bands(path, rows=(r0, r1), dtype=np.float64)
        flat = block.reshape(block.shape[0], -1)
        sel = fit_models(flat, dates, progress=SubProgress(None, 0, 80 if breaks else 100), **opts)
        cols = model_columns(sel)
        bands = {"BEST_MODEL": (sel.best + 1).astype(np.float64), "RMS_MM": sel.best_rms(), **cols}
        if breaks:
            brk = detect_breakpoints(flat, dates, min_delta_bic=min_dbic, progress=SubProgress(None, 80, 100))
            bands.update(breakpoint_bands(brk))
        names = names or list(bands)
        parts.append(np.stack([bands[k] for k in names]).reshape(len(names), r1 - r0, info.width))
    return names, np.concatenate(parts, axis=1).astype(np.float32)


def amplitude_dispersion_frozen(stack, block_rows, outs, *, calibrate, threshold):
    """The AmplitudeDispersion loop of main 787161a: writes ``outs`` (mean, dispersion, ps) like the tool did."""
    from insar_geohazards.algorithms.ordered import add_rows
    from insar_geohazards.algorithms.progress import iter_blocks
    from insar_geohazards.algorithms.psds.ps import (
        amplitude_dispersion,
        amplitude_row_sums,
        calibration_factors,
        ps_candidates,
    )
    from insar_geohazards.fileio.base.raster import RasterWriter

    info = stack.info
    cal = None
    if calibrate:  # the calibration sums added row by row in row order (since the determinism rule)
        sums = counts = None
        for r0, r1, _, _ in iter_blocks(info.height, block_rows):
            s, c = amplitude_row_sums(np.abs(stack.read_rows(r0, r1)))
            sums, counts = add_rows(sums, s), add_rows(counts, c)
        cal = calibration_factors(sums, counts)
    n_ps = 0
    with RasterWriter.like(outs[0], info) as w_mean, RasterWriter.like(outs[1], info) as w_da, \
            RasterWriter.like(outs[2], info, dtype=np.uint8, nodata=255) as w_ps:
        for r0, r1, _, _ in iter_blocks(info.height, block_rows):
            mean, da = amplitude_dispersion(np.abs(stack.read_rows(r0, r1)), calibration=cal)
            mask = ps_candidates(da, threshold=threshold)
            n_ps += int(mask.sum())
            w_mean.write(mean, row=r0)
            w_da.write(da, row=r0)
            w_ps.write(np.where(np.isfinite(da), mask, 255).astype(np.uint8), row=r0)
    return n_ps


def phase_linking_frozen(stack, block_rows, outs, *, window, method, shp, alpha, as_complex, ps_path=None,
                         ifg_dir="", network="nearest"):
    """The PhaseLinking loop of main 787161a (``phase_link_stack``): writes ``outs`` (phase, coherence, count)."""
    import os

    from insar_geohazards.algorithms.psds.phase_linking import interferogram_pairs, phase_link_stack
    from insar_geohazards.fileio.base.raster import RasterWriter, read_band

    info = stack.info
    n = len(stack)
    pairs = interferogram_pairs(n, network, neighbours=3) if ifg_dir else []
    descs = [d.isoformat() for d in stack.dates]
    if ifg_dir:
        os.makedirs(ifg_dir, exist_ok=True)
    w_ph = RasterWriter.like(outs[0], info, count=n, descriptions=descs,
                             dtype=np.complex64 if as_complex else np.float32,
                             metadata={"method": method, "shp_method": shp, "window": f"{window}"})
    w_tc = RasterWriter.like(outs[1], info)
    w_n = RasterWriter.like(outs[2], info, dtype=np.int32, nodata=0)
    ifg_writers = []
    for i, j in pairs:
        name = f"{stack.dates[i]:%Y%m%d}_{stack.dates[j]:%Y%m%d}.wrapped.tif"
        ifg_writers.append(RasterWriter.like(os.path.join(ifg_dir, name), info, descriptions=[name[:17]]))

    def write_rows(res, c0, c1):
        if as_complex:
            w_ph.write(np.exp(1j * res.phase.astype(np.float64)).astype(np.complex64), row=c0)
        else:
            w_ph.write(res.phase, row=c0)
        w_tc.write(res.temporal_coherence, row=c0)
        w_n.write(res.shp_count, row=c0)
        for (i, j), w in zip(pairs, ifg_writers):
            w.write(np.angle(np.exp(1j * (res.phase[j] - res.phase[i]))).astype(np.float32), row=c0)

    def read_ps(a, b):
        m = read_band(ps_path, rows=(a, b), name="PS_MASK")
        return np.isfinite(m) & (m != 0)

    phase_link_stack(stack.read_rows, write_rows, shape=info.shape, n_dates=n, window=window, method=method,
                     shp_method=shp, alpha=alpha, read_ps_rows=read_ps if ps_path else None, block_rows=block_rows)
    for w in (w_ph, w_tc, w_n, *ifg_writers):
        w.commit()


# --------------------------------------------------------------------------- SBAS (processing layer, main 9532ed1)
def sbas_scan_frozen(stack, block_rows, *, coherence):
    """``scan_stack`` before the engine: valid count, mean coherence per pixel and per interferogram."""
    from insar_geohazards.algorithms.progress import iter_blocks

    h, w = stack.info.height, stack.info.width
    m = stack.network.n_pairs
    count = np.zeros((h, w), np.int32)
    coh_sum = np.zeros((h, w)) if coherence else None
    ifg_coh_sum = np.zeros(m)
    ifg_coh_n = np.zeros(m)
    for r0, r1, _, _ in iter_blocks(h, block_rows):
        ifg, coh = stack.read(r0, r1, coherence=coherence)
        count[r0:r1] = np.isfinite(ifg).sum(axis=0)
        if coherence:
            c = np.where(np.isfinite(coh), coh, 0.0)
            coh_sum[r0:r1] = c.sum(axis=0)
            ifg_coh_sum += np.nansum(coh.reshape(m, -1), axis=1)
            ifg_coh_n += np.isfinite(coh.reshape(m, -1)).sum(axis=1)
    mean_coh = coh_sum / m if coherence else None
    with np.errstate(invalid="ignore", divide="ignore"):
        ifg_mean = ifg_coh_sum / ifg_coh_n if coherence else None
    return count, mean_coh, ifg_mean


def sbas_solve_frozen(stack, solver, ref_mm, rows, *, need_coh, heights=None):
    """The SBAS tool's block loop before the engine (``write_sbas_outputs``, prefetch + WriteBehind).

    ``rows`` are the block rows after ``aligned_block_rows``. Returns the five rasters as the
    writers received them (time series, velocity, std, temporal coherence float64, count int16), the points
    (x, y, VEL, V_STDEV, COHERENCE, HEIGHT, time series float32) and the disconnected-pixel count.
    """
    from insar_geohazards.algorithms.progress import iter_blocks

    info, net = stack.info, stack.network
    h, w = info.height, info.width
    ts = np.empty((net.n_dates, h, w))
    vel, std, tcoh = (np.empty((h, w)) for _ in range(3))
    cnt = np.empty((h, w), np.int16)
    pts = {k: [] for k in ("x", "y", "VEL", "V_STDEV", "COHERENCE", "HEIGHT", "ts")}
    n_disc = 0
    gt = info.geotransform
    for r0, r1, _, _ in iter_blocks(h, rows):
        ifg, coh = stack.read(r0, r1, coherence=need_coh)
        res = solver.solve(ifg, coherence=coh, reference_mm=ref_mm)
        n_disc += int(res.disconnected.sum())
        ts[:, r0:r1], vel[r0:r1], std[r0:r1] = res.timeseries_mm, res.velocity_mm_yr, res.velocity_std_mm_yr
        tcoh[r0:r1], cnt[r0:r1] = res.temporal_coherence, res.count.astype(np.int16)
        rr, cc = np.nonzero(np.isfinite(res.velocity_mm_yr))
        r = np.asarray(rr + r0, dtype=np.float64) + 0.5
        c = np.asarray(cc, dtype=np.float64) + 0.5
        pts["x"].append(gt[0] + c * gt[1] + r * gt[2])
        pts["y"].append(gt[3] + c * gt[4] + r * gt[5])
        pts["VEL"].append(res.velocity_mm_yr[rr, cc])
        pts["V_STDEV"].append(res.velocity_std_mm_yr[rr, cc])
        pts["COHERENCE"].append(res.temporal_coherence[rr, cc])
        pts["ts"].append(res.timeseries_mm[:, rr, cc].astype(np.float32))
        if heights is not None:
            pts["HEIGHT"].append(heights[r0:r1][rr, cc])
    points = {k: np.concatenate(v, axis=-1) for k, v in pts.items() if v}
    return (ts, vel, std, tcoh, cnt), points, n_disc
