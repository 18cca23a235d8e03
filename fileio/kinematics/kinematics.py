"""Layer <-> array helpers of the kinematics tools (landslide3d, validateinsar, triggercorrelation).

Each function reads or writes one thing and raises :class:`GeohazardError` naming the parameter.
"""

from __future__ import annotations

import functools

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.angle_rasters import check_los_vector
from ...algorithms.formats.dates import dated_fields, parse_date
from ...algorithms.geometry import decomposition as _dec
from ...algorithms.geometry.decomposition import velocity_from_series
from ...algorithms.geometry.los import los_unit_vector
from ...algorithms.geometry.terrain import slope_aspect_metric
from ...algorithms.kinematics import motion3d as _m3
from ...algorithms.kinematics import triggers as _tr
from ...algorithms.progress import SubProgress
from ..base.blocks import RunSettings, raster_source, run_blocks
from ..base.raster import RasterInfo, RasterWriter, check_same_grid, raster_info, read_band, read_bands, write_raster
from ..base.vector import as_number, read_points, wkt_of, write_vector
from ..base.writers import all_or_none
from ..display import charts
from ..motion.points import series_file, source_uri

LOS_FIELDS = ("los_east", "los_north", "los_up", "incidence_angle", "track_angle")


def crs_of(info_or_layer) -> QgsCoordinateReferenceSystem:
    if isinstance(info_or_layer, RasterInfo):
        return QgsCoordinateReferenceSystem.fromWkt(info_or_layer.crs_wkt)
    return info_or_layer.crs() if hasattr(info_or_layer, "crs") else info_or_layer.sourceCrs()


def require_projected(crs, name):
    if not crs.isValid() or crs.isGeographic():
        raise GeohazardError(f"{name} must be in a projected CRS in metres, got {crs.authid() or 'no CRS'}")


def metric_size(info: RasterInfo, name: str):
    gt = info.geotransform
    if info.is_geographic:
        raise GeohazardError(f"{name} must be in a projected CRS in metres (slope needs metric pixels)")
    return np.full(info.height, abs(gt[1])), abs(gt[5])


def read_los_points(source, name, *, value_field, std_field, geometry, crs, context, progress, dated, uri=""):
    """One point layer as a dict of arrays (x, y in ``crs``; d; e, n, u; sigma; dates/series). The series come
    from the dated fields, or from the layer's netCDF series file (``uri``, or the layer's own source)."""
    names = [f.name() for f in source.fields()]
    dfields = dated_fields(names) if dated else []
    nc = series_file(uri or source_uri(source)) if dated and len(dfields) < 2 else None
    if dated and len(dfields) < 2 and nc is None:
        raise GeohazardError(f"{name}: TIME_SERIES needs dated fields (YYYYMMDD or DYYYYMMDD); found {len(dfields)}")
    if not dated and value_field not in names:
        raise GeohazardError(f"{name} has no field {value_field!r} (VALUE_FIELD)")
    want = ([] if dated else [value_field]) + [f for f in LOS_FIELDS if f in names]
    want += [std_field] if std_field and std_field in names else []
    pts = read_points(source, want + [f for f, _ in dfields], name=name, dest_crs=crs, context=context,
                      progress=progress)
    a, k = pts.attributes, len(pts)
    if all(f in a for f in LOS_FIELDS[:3]):
        e, n, u = a["los_east"], a["los_north"], a["los_up"]
        check_los_vector(e, n, u, label=f"{name}: fields los_east/los_north/los_up")
    elif "incidence_angle" in a and "track_angle" in a and geometry[4] == "los":
        e, n, u = los_unit_vector(a["incidence_angle"], a["track_angle"])
    else:
        e, n, u = (np.full(k, geometry[j]) for j in range(3))
    # the std field is a velocity std (mm/yr): it weights velocities only; time series use the
    # GEOMETRIES sigma (mm) when given
    sigma = a.get(std_field) if std_field and not dated else None
    if sigma is None and geometry[3] is not None:
        sigma = np.full(k, geometry[3])
    out = dict(x=pts.x, y=pts.y, e=e, n=n, u=u, sigma=sigma)
    if dated and nc is not None:
        out["series"], out["dates"] = nc.read(pts.fids).T, list(nc.dates)
    elif dated:
        out["series"], out["dates"] = np.stack([a[f] for f, _ in dfields]), [d for _, d in dfields]
    else:
        out["d"] = a[value_field]
    return out


def grid_slope(dem: RasterInfo, grid, name: str):
    """Slope and aspect of ``dem`` at the centres of ``grid`` (same CRS), NaN outside.

    Only the DEM rows under the grid (plus one for the slope stencil) are read."""
    dx, dy = metric_size(dem, name)
    xs = grid.x0 + grid.cell_m * (np.arange(grid.n_cols) + 0.5)
    ys = grid.y0 - grid.cell_m * (np.arange(grid.n_rows) + 0.5)
    xx, yy = np.meshgrid(xs, ys)
    r, c = dem.world_to_pixel(xx.ravel(), yy.ravel())
    r, c = np.floor(r).astype(int), np.floor(c).astype(int)
    inside = (r >= 0) & (r < dem.height) & (c >= 0) & (c < dem.width)
    so, ao = np.full(r.size, np.nan), np.full(r.size, np.nan)
    if not inside.any():
        raise GeohazardError(f"{name} does not cover the points")
    r0, r1 = max(0, int(r[inside].min()) - 1), min(dem.height, int(r[inside].max()) + 2)
    z = read_band(dem.path, rows=(r0, r1), name=name, dtype=np.float64)
    s, a = slope_aspect_metric(z, dx[r0:r1], dy)
    so[inside], ao[inside] = s[r[inside] - r0, c[inside]], a[r[inside] - r0, c[inside]]
    return so, ao


def motion3d_points(layers, names, geoms, *, value_field, std_field, dem, cell, opts, context, progress):
    """The points route of landslide3d: grid every layer, solve per cell. Returns (grid, crs, result, dates)."""
    crs = crs_of(dem) if dem is not None else crs_of(layers[0])
    require_projected(crs, names[0] if dem is None else "DEM")
    data = [read_los_points(src, nm, value_field=value_field, std_field=std_field, geometry=g, crs=crs,
                            context=context, progress=SubProgress(progress, 40 * i / len(layers),
                                                                  40 * (i + 1) / len(layers)), dated=opts["ts"])
            for i, (src, nm, g) in enumerate(zip(layers, names, geoms))]
    grid = _dec.grid_for_points(np.concatenate([d["x"] for d in data]), np.concatenate([d["y"] for d in data]), cell)
    dates = []
    if opts["ts"]:
        dates = _m3.common_dates_many([d["dates"] for d in data], spacing_days=opts["spacing"])
        for d in data:
            d["d"] = _dec.interpolate_to_dates(d["series"], d["dates"], dates, max_gap_days=opts["max_gap"])
    d, e, n, u, sig, _ = _m3.grid_observations(data, grid, n_epochs=max(1, len(dates)))
    slope = aspect = None
    if dem is not None:
        slope, aspect = grid_slope(dem, grid, "DEM")
    r = _m3.solve_3d(d, e, n, u, sigma=sig, slope_deg=slope, aspect_deg=aspect, **opts["solver"])
    shp = (grid.n_rows, grid.n_cols)
    res = {"velocity": np.stack([r[k][0].reshape(shp) for k in ("east", "north", "up")])}
    sg = [r["sigma_" + k][0].reshape(shp) for k in ("east", "north", "up")]
    if dates:
        ts = {k: r[k].reshape((len(dates),) + shp) for k in ("east", "north", "up")}
        res["ts"] = np.concatenate([ts[k] for k in ("east", "north", "up")])
        res["velocity"] = np.stack([_dec.velocity_from_series(ts[k], dates) for k in ("east", "north", "up")])
    res["quality"] = np.stack(sg + [r["condition"].reshape(shp), r["flag"].reshape(shp).astype(float)])
    info = RasterInfo(path="", width=grid.n_cols, height=grid.n_rows, count=1, geotransform=grid.geotransform,
                      crs_wkt=crs.toWkt())
    return info, res, dates


def motion3d_rasters(paths, names, geoms, dem, opts, outs, *, run: RunSettings, progress):
    """The raster route of landslide3d on the block engine; ``outs`` maps output key -> path."""
    infos = [raster_info(path, nm) for path, nm in zip(paths, names)]
    check_same_grid(infos + ([dem] if dem is not None else []), names + (["DEM"] if dem is not None else []))
    date_lists, common = None, None
    if opts["ts"]:
        try:
            date_lists = [[parse_date(d) for d in i.descriptions] for i in infos]
        except GeohazardError as exc:
            raise GeohazardError(f"TIME_SERIES needs one date per band description in every input ({exc})") from None
        common = _m3.common_dates_many(date_lists, spacing_days=opts["spacing"])
    sources = {f"obs{g}": raster_source(i.path, bands=None if opts["ts"] else 1, dtype=np.float64, name=nm)
               for g, (i, nm) in enumerate(zip(infos, names))}
    dx = dy = None
    if dem is not None:
        sources["dem"] = raster_source(dem.path, dtype=np.float64, name="DEM")
        dx, dy = metric_size(dem, "DEM")
    func = functools.partial(_m3.motion3d_block, vectors=geoms, dx_rows_m=dx, dy_m=dy or 1.0, date_lists=date_lists,
                             common=common, **opts["solver"])
    info = infos[0]
    meta = {"method": opts["solver"]["method"], "constraint": opts["solver"]["constraint"]}
    spec = {"velocity": ["east mm/yr", "north mm/yr", "up mm/yr"],
            "quality": ["sigma east", "sigma north", "sigma up", "condition number",
                        "flag (0 3-D, 1 surface-parallel, 2 no DEM, 3 ill-conditioned, 4 too few, 5 too gentle)"]}
    if common:
        spec["ts"] = [f"{c} {d.isoformat()}" for c in ("east", "north", "up") for d in common]
    writers = {k: RasterWriter.like(outs[k], info, count=len(v), descriptions=v, metadata=meta)
               for k, v in spec.items() if outs.get(k)}

    def write(block, out):
        for k, w in writers.items():
            w.write(out[k], row=block.row0)

    n_b = sum(i.count for i in infos) + 8 + (3 * len(common) if common else 0)
    plan = run.plan(info.height, info.width, halo=1 if dem is not None else 0, bytes_per_pixel=8.0 * n_b * 3)
    run_blocks(plan, func, write, sources=sources, run=run, progress=progress, writers=writers)
    return {k: w.path for k, w in writers.items()}, common


def write_grid_outputs(info, res, outs, dates):
    """Write the points route's arrays (small grids) through RasterWriter."""
    spec = {"velocity": ["east mm/yr", "north mm/yr", "up mm/yr"],
            "quality": ["sigma east", "sigma north", "sigma up", "condition number", "flag"]}
    if dates:
        spec["ts"] = [f"{c} {d.isoformat()}" for c in ("east", "north", "up") for d in dates]
    return {k: write_raster(outs[k], res[k], info, descriptions=desc) for k, desc in spec.items() if outs.get(k)}


def table_as_csv(source) -> str:
    """A layer or table (long format station,date,east,north,up...) as CSV text for the station reader."""
    import csv
    import io

    if source is None:
        raise GeohazardError("STATIONS_TABLE: the layer or table could not be loaded")
    names = [f.name() for f in source.fields()]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(names)
    for f in source.getFeatures():
        w.writerow(["" if v is None or (hasattr(v, "isNull") and v.isNull()) else
                    (v.toString("yyyy-MM-dd") if hasattr(v, "toString") else v) for v in f.attributes()])
    return buf.getvalue()


#: Rows appended to the validateinsar table for the two ValInSAR network levels.
NETWORK_VELOCITY_ROW, NETWORK_SERIES_ROW = "NETWORK_VELOCITIES", "NETWORK_MEAN_SERIES"


def write_validation(results, crs_wkt, stations, out_layer, out_table, network=None):
    """Station layer and CSV table of validateinsar; returns the paths.

    With ``network`` (:func:`algorithms.kinematics.validation.network_statistics`) the table
    ends with two rows: ``NETWORK_VELOCITIES`` (station velocities, InSAR against in-situ:
    rmse/md in mm/yr, its pass/fail on NRMSE_range and R2) and ``NETWORK_MEAN_SERIES`` (mean of
    the per-station series statistics)."""
    keys = ["n", "bias", "rmse", "std", "r", "r2", "velocity_insar", "velocity_gnss", "velocity_difference",
            "nrmse_range", "nrmse_mean", "md", "nmd_range", "nmd_mean", "slope", "intercept"]
    pos = {s.name: (s.x, s.y) for s in stations}
    cols = {"station": np.array([r.name for r in results], dtype=object),
            "status": np.array([r.status for r in results], dtype=object),
            "n_points": np.array([r.n_points for r in results]),
            "passed": np.array(["" if r.passed is None else ("pass" if r.passed else "fail") for r in results],
                               dtype=object),
            "failed": np.array([",".join(r.failed) for r in results], dtype=object)}
    for k in keys:
        cols[k] = np.array([float(r.stats.get(k, np.nan)) for r in results])
    out = {}
    if out_layer:
        out["layer"] = write_vector(out_layer, cols, crs_wkt=crs_wkt, x=np.array([pos[r.name][0] for r in results]),
                                    y=np.array([pos[r.name][1] for r in results]))
    if out_table:
        import csv

        with open(out_table, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(list(cols))
            for i in range(len(results)):
                w.writerow([cols[k][i] if not isinstance(cols[k][i], float) else f"{cols[k][i]:.4f}" for k in cols])
            if network is not None:
                n_st = len(network["stations"])
                verdict = "" if network["passed"] is None else ("pass" if network["passed"] else "fail")
                for name, status, st, ok, failed in (
                        (NETWORK_VELOCITY_ROW, "network velocities (mm/yr)", network["velocity"], verdict,
                         ",".join(network["failed"])),
                        (NETWORK_SERIES_ROW, "mean over stations", network["series_mean"], "", "")):
                    row = {"station": name, "status": status, "n_points": n_st, "passed": ok, "failed": failed}
                    w.writerow([row[k] if k in row else f"{float(st.get(k, np.nan)):.4f}" for k in cols])
        out["table"] = out_table
    return out


def dated_features(source, name, context, uri=""):
    """Features of any geometry with dated fields: (dict fid/wkb/wkb_type/crs_wkt, dates, series (n_dates, n)).
    A layer without dated fields whose series are in a netCDF series file (``uri``) is read from that file."""
    if source is None:
        raise GeohazardError(f"{name}: the layer could not be loaded")
    dfields = dated_fields([f.name() for f in source.fields()])
    nc = series_file(uri) if len(dfields) < 4 else None
    if nc is not None:
        dfields = [(None, d) for d in nc.dates]
    if len(dfields) < 4:
        raise GeohazardError(f"{name} has {len(dfields)} dated fields (YYYYMMDD or DYYYYMMDD); at least 4 are needed")
    idx = [] if nc is not None else [source.fields().indexOf(f) for f, _ in dfields]
    fids, wkbs, rows = [], [], []
    for f in source.getFeatures():
        attrs = f.attributes()
        rows.append([as_number(attrs[i]) for i in idx])
        fids.append(f.id())
        g = f.geometry()
        wkbs.append(bytes(g.asWkb()) if not g.isNull() else None)
    if not rows:
        raise GeohazardError(f"{name} has no features")
    series = nc.read(np.array(fids, np.int64)).T if nc is not None else np.array(rows, dtype=np.float64).T
    return ({"fid": np.array(fids), "wkb": wkbs, "wkb_type": int(source.wkbType()),
             "crs_wkt": wkt_of(source.sourceCrs())}, [d for _, d in dfields], series)


def write_features(path, fields, feats):
    """Write ``fields`` with the geometries of :func:`dated_features`."""
    from osgeo import ogr

    keep = [i for i, w in enumerate(feats["wkb"]) if w is not None]
    cols = {k: np.asarray(v)[keep] for k, v in fields.items()}
    gtype = ogr.GT_Flatten(feats["wkb_type"]) if feats["wkb_type"] < 1000 else feats["wkb_type"] % 1000
    return write_vector(path, cols, crs_wkt=feats["crs_wkt"], wkb=[feats["wkb"][i] for i in keep],
                        geometry_type=gtype)


def polygon_mask(source, info: RasterInfo, context, name: str):
    """Boolean grid of the cell centres of ``info`` inside the polygons of ``source``."""
    from qgis.core import QgsCoordinateTransform, QgsGeometry, QgsPointXY

    crs = crs_of(info)
    tr = QgsCoordinateTransform(source.sourceCrs(), crs, context.transformContext())
    geoms = []
    for f in source.getFeatures():
        g = QgsGeometry(f.geometry())
        if g.isNull():
            continue
        g.transform(tr)
        geoms.append(g)
    if not geoms:
        raise GeohazardError(f"{name} has no polygon")
    union = QgsGeometry.unaryUnion(geoms)
    engine = QgsGeometry.createGeometryEngine(union.constGet())
    engine.prepareGeometry()
    gt = info.geotransform
    xs = gt[0] + (np.arange(info.width) + 0.5) * gt[1]
    ys = gt[3] + (np.arange(info.height) + 0.5) * gt[5]
    mask = np.zeros((info.height, info.width), bool)
    bb = union.boundingBox()
    cols = np.nonzero((xs >= bb.xMinimum()) & (xs <= bb.xMaximum()))[0]
    for r in np.nonzero((ys >= bb.yMinimum()) & (ys <= bb.yMaximum()))[0]:
        for c in cols:
            pt = QgsGeometry.fromPointXY(QgsPointXY(float(xs[c]), float(ys[r])))  # held: constGet() borrows it
            mask[r, c] = engine.contains(pt.constGet())
    return mask


def speed_halves(path: str, name: str):
    """Horizontal speed (mm/yr) over the two halves of a landslide3d 3-D time series raster."""
    info = raster_info(path, name)
    if info.count < 12 or info.count % 3:
        raise GeohazardError(f"{name} must be a landslide3d OUTPUT_TIMESERIES raster (east, north, up per date), got "
                             f"{info.count} bands")
    k = info.count // 3
    try:
        dates = [parse_date(d.split()[-1]) for d in info.descriptions[:k]]
    except (GeohazardError, IndexError):
        raise GeohazardError(f"{name}: band descriptions must read 'east YYYY-MM-DD' (landslide3d "
                             "OUTPUT_TIMESERIES)") from None
    ts = read_bands(path, name=name, dtype=np.float64)
    half = k // 2
    out = []
    for sl in (slice(0, half), slice(half, k)):
        ve = velocity_from_series(ts[:k][sl], dates[sl], seasonal=False)
        vn = velocity_from_series(ts[k:2 * k][sl], dates[sl], seasonal=False)
        out.append(np.hypot(ve, vn))
    return tuple(out)


def trigger_features(source, name, ddates, dvals, opts, out_path, plot_path, *, context, progress, uri="") -> dict:
    """The feature route of triggercorrelation: one row of correlation and seasonal fields per feature of
    ``source`` written to ``out_path`` (its geometry copied), the mean series' plot to ``plot_path`` when given."""
    feats, dates, series = dated_features(source, name, context, uri)
    kw = dict(step_days=opts["step"], kind=opts["kind"], response=opts["response"], tau_days=opts["tau"],
              max_lag_days=opts["max_lag"])
    warnings: list = []
    res = _tr.correlate_with_driver(dates, series, ddates, dvals, warnings=warnings, **kw)
    for w in warnings:
        progress.push_warning(w)
    if res["driver_gap_bins"]:
        progress.push_warning(f"driver: {res['driver_gap_bins']} of {res['driver'].size} bins have gaps and were "
                              "left out of the correlation")
    for w in _tr.correlation_warnings(res, "features"):
        progress.push_warning(w)
    seas = _tr.seasonal_parameters(dates, series)
    note, warning = _tr.seasonal_notes(dates, seas, "features")
    if note:
        progress.push_info(note)
    if warning:
        progress.push_warning(warning)
    fields = {"source_fid": feats["fid"], **{k: res[k] for k in ("best_lag_days", "best_r")},
              "corr_sign": res["sign"], **{k: res[k] for k in ("p", "p_corrected", "n_eff")}, **seas}
    result = {"OUTPUT": write_features(out_path, fields, feats)}
    if plot_path:
        with np.errstate(invalid="ignore"):
            avg = np.nanmean(series, axis=1)
        mean = _tr.correlate_with_driver(dates, avg, ddates, dvals, **kw)
        drawn = charts.correlation(mean, plot_path, title="mean of all features", series=(dates, avg), log=progress)
        if drawn:
            result["OUTPUT_PLOT"] = drawn
    return result


def trigger_raster(path, name, ddates, dvals, opts, out_path, *, run: RunSettings, progress):
    """The raster route of triggercorrelation on the block engine (one output with 4 bands)."""
    info = raster_info(path, name)
    try:
        dates = [parse_date(d) for d in info.descriptions]
    except GeohazardError as exc:
        raise GeohazardError(f"{name}: every band description must be a date ({exc})") from None
    if len(dates) < 4:
        raise GeohazardError(f"{name} has {len(dates)} dated bands; at least 4 are needed")
    warnings: list = []
    edges, drv, gaps, note = _tr.prepare_driver(dates, ddates, dvals, step_days=opts["step"], kind=opts["kind"],
                                                tau_days=opts["tau"], warnings=warnings)
    for msg in warnings:
        progress.push_warning(msg)
    if gaps:
        progress.push_warning(f"driver: {gaps} of {drv.size} bins have gaps and were left out of the correlation")
    func = functools.partial(_tr.trigger_block, edges=edges, driver=drv, dates=dates, response=opts["response"],
                             max_lag_days=opts["max_lag"])
    desc = ["best lag days", "best r", "p", "p corrected (Bonferroni)"]
    w = RasterWriter.like(out_path, info, count=4, descriptions=desc, metadata={"driver": note})
    counts = {"at_limit": 0, "empty": 0, "cells": 0}

    def write(block, out):
        w.write(out["result"], row=block.row0)
        counts["at_limit"] += int(np.sum(out["at_limit"]))
        counts["empty"] += int(np.sum(~np.isfinite(out["result"][1])))
        counts["cells"] += int(out["result"][1].size)

    plan = run.plan(info.height, info.width, bytes_per_pixel=8.0 * (3 * info.count + 60))
    with all_or_none([w]):  # published when every block is written and some cell has a correlation
        run_blocks(plan, func, write, sources={"stack": raster_source(path, bands=None, dtype=np.float64, name=name)},
                   run=run, progress=progress)
        if counts["at_limit"]:
            largest = min(int(opts["max_lag"] // opts["step"]), drv.size - 8) * opts["step"]
            progress.push_warning(f"{counts['at_limit']} of {counts['cells']} cells have their strongest correlation "
                                  f"at the largest lag tried ({largest:g} days): the true lag may be longer (raise "
                                  "MAX_LAG_DAYS)")
        if counts["empty"] == counts["cells"]:
            raise GeohazardError(f"{name}: no cell has enough values on the common axis for a correlation")
        if counts["empty"]:
            progress.push_warning(f"{counts['empty']} of {counts['cells']} cells have too few values for a "
                                  "correlation (left empty)")
    return w.path


def insar_raster_points(path, name, stations, radius_m, vector):
    """Pixels of a dated multi-band raster within ``radius_m`` of any station, as point arrays.

    Only the rows around each station are read. Returns the dict of :func:`read_los_points`.
    """
    info = raster_info(path, name)
    if info.is_geographic or not info.crs_wkt:
        raise GeohazardError(f"{name} must be in a projected CRS in metres")
    try:
        dates = [parse_date(d) for d in info.descriptions]
    except GeohazardError as exc:
        raise GeohazardError(f"{name}: every band description must be a date ({exc})") from None
    gt = info.geotransform
    xs_all, ys_all, series = [], [], []
    for st in stations:
        r, c = info.world_to_pixel(np.array([st.x]), np.array([st.y]))
        half_r = int(np.ceil(radius_m / abs(gt[5]))) + 1
        r0, r1 = max(0, int(r[0]) - half_r), min(info.height, int(r[0]) + half_r + 1)
        if r0 >= r1:
            continue
        block = read_bands(path, rows=(r0, r1), name=name, dtype=np.float64)
        rr, cc = np.mgrid[r0:r1, 0:info.width]
        x = gt[0] + (cc + 0.5) * gt[1]
        y = gt[3] + (rr + 0.5) * gt[5]
        near = np.hypot(x - st.x, y - st.y) <= radius_m
        if near.any():
            xs_all.append(x[near])
            ys_all.append(y[near])
            series.append(block[:, near])
    n = sum(a.size for a in xs_all)
    out = dict(x=np.concatenate(xs_all) if n else np.zeros(0), y=np.concatenate(ys_all) if n else np.zeros(0),
               e=vector[0], n=vector[1], u=vector[2], sigma=None, dates=dates,
               series=np.concatenate(series, axis=1) if n else np.zeros((len(dates), 0)))
    return out, crs_of(info)
