"""ascdescdecomposition."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
)

from ....algorithms.errors import GeohazardError
from ....algorithms.formats.dates import dated_fields, parse_date
from ....algorithms.geometry import decomposition as _dec
from ....algorithms.geometry import los
from ....algorithms.progress import SubProgress, check_canceled, iter_blocks
from ...inputs import declare, ids
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from ...io import geometry, raster, styles, vector
from ...io.writers import all_or_none
from .._base import GeohazardAlgorithm, tool


@tool("ascdescdecomposition", "Ascending + descending decomposition (east-west and vertical)", group="geometry",
      tags="ascending,descending,decomposition,east-west,vertical,velocity,subsidence,uplift", main=("OUTPUT_UP",),
      page="geometry", former=(Alias("STD_FIELD", ids.VELOCITY_STD_FIELD), Alias("CELL_SIZE",
                                                                                 ids.PIXEL_SIZE)))
class AscDescDecomposition(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("ASC_RASTER", "DESC_RASTER")
    OVERLAP = (("ASC_RASTER", "DESC_RASTER"), ("ASC_POINTS", "DESC_POINTS"))
    HELP = (
        "Combines ascending and descending LOS velocities (or displacement time series) into east-west and "
        "vertical motion by least squares per cell: d_i - n_i N = e_i E + u_i U for every observation i of the "
        "cell, (e, n, u) its ground-to-satellite unit vector. North motion N is neglected (0, the default) or "
        "constrained to the value given (mm/yr); SAR is almost blind to it and the output states the "
        "assumption.\n\n"
        "<b>Rasters</b>: ASC_RASTER and DESC_RASTER on the same grid, with their heading and incidence. "
        "<b>Points</b>: ASC_POINTS and DESC_POINTS (e.g. EGMS L2a/L2b), gridded on square cells of PIXEL_SIZE "
        "metres in GRID_CRS whose edges lie on ORIGIN_X/ORIGIN_Y + multiples of the cell size (default origin 0, 0: "
        "edges on multiples of 100 m in EPSG:3035, centres at k*100+50, the cell layout of the official EGMS L3 "
        "tiles and of the INSPIRE ETRS89-LAEA grid). With a TEMPLATE raster the output takes the template's grid "
        "(origin, cell size, extent and CRS; points outside it are left out and counted). Every point "
        "enters the cell's least squares with its own LOS vector (fields los_east/los_north/los_up, else "
        "incidence_angle/track_angle, else the numbers given). A cell needs both geometries.\n"
        "<b>Uncertainty</b>: from the std field of points (mean_velocity_std) or the SIGMA numbers for rasters, "
        "propagated through the least squares (unit weights as EGMS L3, or inverse-variance weights).\n"
        "<b>Time series</b>: with TIME_SERIES, the dated fields (YYYYMMDD / DYYYYMMDD) of points, or the bands of "
        "multi-band rasters whose descriptions are dates, are interpolated linearly onto common dates every "
        "SPACING_DAYS days over the overlap of both series (no value across gaps longer than MAX_GAP_DAYS), "
        "decomposed date by date, and the east/up velocities are fitted to the decomposed series (linear + "
        "annual term, as EGMS mean_velocity). This is the EGMS L3 Ortho route (interpolation to a 6-day cadence, "
        "date-by-date least squares, velocity fitted afterwards) and the default; inputs without dates (velocity "
        "rasters, points without dated fields) are decomposed as velocities, with a warning. With TIME_SERIES "
        "off the velocities themselves are decomposed, which differs from EGMS L3 by the temporal sampling "
        "(EGMS Ustica: median 0.04 mm/yr, 95th percentile 0.16 mm/yr in up).\n\n"
        "Outputs: east (positive east) and up (positive up) rasters in mm/yr; a quality raster (bands: sigma "
        "east, sigma up, condition number of the geometry, observations used); optional east/up time-series "
        "rasters (one band per common date, mm).\n"
        "References: Manzo M. et al. (2006) doi:10.1016/j.jvolgeores.2005.11.010; Copernicus EGMS L3 Ortho "
        "product description."
    )

    ASC_RASTER, DESC_RASTER = "ASC_RASTER", "DESC_RASTER"
    ASC_HEADING, ASC_INCIDENCE = "ASC_HEADING", "ASC_INCIDENCE"
    DESC_HEADING, DESC_INCIDENCE = "DESC_HEADING", "DESC_INCIDENCE"
    ASC_SIGMA, DESC_SIGMA = "ASC_SIGMA", "DESC_SIGMA"
    ASC_POINTS, DESC_POINTS = "ASC_POINTS", "DESC_POINTS"
    VELOCITY_FIELD, VELOCITY_STD_FIELD = ids.VELOCITY_FIELD, ids.VELOCITY_STD_FIELD
    PIXEL_SIZE, GRID_CRS = ids.PIXEL_SIZE, "GRID_CRS"
    TEMPLATE, ORIGIN_X, ORIGIN_Y = "TEMPLATE", "ORIGIN_X", "ORIGIN_Y"
    NORTH_VELOCITY, WEIGHTING, MAX_CONDITION = "NORTH_VELOCITY", "WEIGHTING", "MAX_CONDITION"
    TIME_SERIES, SPACING_DAYS, MAX_GAP_DAYS = "TIME_SERIES", "SPACING_DAYS", "MAX_GAP_DAYS"
    OUTPUT_EAST, OUTPUT_UP, OUTPUT_QUALITY = "OUTPUT_EAST", "OUTPUT_UP", "OUTPUT_QUALITY"
    OUTPUT_EAST_TS, OUTPUT_UP_TS = "OUTPUT_EAST_TS", "OUTPUT_UP_TS"
    WEIGHTINGS = ["unit weights (EGMS L3)", "inverse variance (needs standard deviations)"]

    def initAlgorithm(self, config=None):
        for geo, heading in (("ASC", -12.0), ("DESC", 192.0)):
            label = "Ascending" if geo == "ASC" else "Descending"
            self.addParameter(declare.raster(f"{geo}_RASTER", f"{label} LOS raster (mm/yr, or dated bands in mm)",
                                             optional=True))
            self.addParameter(declare.number(f"{geo}_HEADING", f"{label} heading (degrees)", heading, -360.0, 360.0))
            self.addParameter(declare.number(f"{geo}_INCIDENCE", f"{label} incidence (degrees)", 37.0, 0.001, 89.999))
            self.addParameter(declare.number(f"{geo}_SIGMA", f"{label} raster standard deviation (0 = unknown)", 0.0,
                                             0.0))
            self.addParameter(declare.features(f"{geo}_POINTS", f"{label} points", "point", optional=True))
        self.addParameter(declare.text(self.VELOCITY_FIELD, "Velocity field of the points", "mean_velocity"))
        self.addParameter(declare.text(self.VELOCITY_STD_FIELD,
                                       "Velocity standard-deviation field of the points (empty = none)",
                                       "mean_velocity_std", optional=True))
        self.addParameter(declare.number(self.PIXEL_SIZE, "Pixel size of the point grid (m)", 100.0, 0.01))
        self.addParameter(declare.crs(self.GRID_CRS, "Grid CRS for points (projected; default EPSG:3035 as EGMS L3)",
                                      "EPSG:3035", optional=True))
        self.addParameter(declare.raster(self.TEMPLATE,
            "Template raster to snap the point grid to (its origin, cell size, extent, CRS)", optional=True))
        for key, axis in ((self.ORIGIN_X, "x"), (self.ORIGIN_Y, "y")):
            self.addParameter(declare.number(key, f"Grid origin {axis} for points (a cell corner, GRID_CRS metres)",
                                             0.0))
        self.addParameter(declare.number(self.NORTH_VELOCITY, "North velocity assumed (mm/yr; 0 = neglected)", 0.0))
        self.addParameter(declare.enum(self.WEIGHTING, "Weighting", self.WEIGHTINGS))
        self.addParameter(declare.number(self.MAX_CONDITION, "Maximum condition number of the geometry", 10.0, 1.0))
        self.addParameter(declare.boolean(self.TIME_SERIES,
            "Decompose time series (EGMS L3 route; velocities when inputs carry no dates)", True))
        self.addParameter(declare.integer(self.SPACING_DAYS, "Common date spacing (days)", 6, 1))
        self.addParameter(declare.integer(self.MAX_GAP_DAYS, "Longest gap bridged by interpolation (days)", 90, 1))
        self.addParameter(declare.raster_out(self.OUTPUT_EAST, "East velocity"))
        self.addParameter(declare.raster_out(self.OUTPUT_UP, "Up velocity"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality (sigma east, sigma up, condition, count)",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_EAST_TS, "East time series", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_UP_TS, "Up time series", optional=True, create=False))

    def _mode(self, parameters):
        r = [bool(parameters.get(p)) for p in (self.ASC_RASTER, self.DESC_RASTER)]
        p = [bool(parameters.get(q)) for q in (self.ASC_POINTS, self.DESC_POINTS)]
        if all(r) and not any(p):
            return "raster", ""
        if all(p) and not any(r):
            return "points", ""
        if any(r) and any(p):
            return None, "give either two rasters (ASC_RASTER, DESC_RASTER) or two point layers, not a mix"
        missing = [n for n, v in zip((self.ASC_RASTER, self.DESC_RASTER), r) if not v] if any(r) else \
            [n for n, v in zip((self.ASC_POINTS, self.DESC_POINTS), p) if not v] if any(p) else \
            ["ASC_RASTER/ASC_POINTS", "DESC_RASTER/DESC_POINTS"]
        return None, f"one geometry is missing: {', '.join(missing)}; decomposition needs ascending and descending"

    def check(self, parameters, context):
        mode, msg = self._mode(parameters)
        if mode is None:
            raise GeohazardError(msg)
        if mode == "raster":
            if parameters.get(self.TEMPLATE):
                raise GeohazardError("TEMPLATE snaps the grid of point inputs; ASC_RASTER/DESC_RASTER keep their own "
                                     "grid")
            infos = [self.raster_info(parameters, p, context) for p in (self.ASC_RASTER, self.DESC_RASTER)]
            _check_overlap_same_grid(infos, [self.ASC_RASTER, self.DESC_RASTER])
        else:
            crs = self._grid_crs(parameters, context)
            if not crs.isValid() or crs.isGeographic():
                raise GeohazardError(f"GRID_CRS must be a projected CRS in metres, got {crs.authid() or 'none'}")
            if parameters.get(self.TEMPLATE):
                self._template_grid(parameters, context)
        if (parameters.get(self.OUTPUT_EAST_TS) or parameters.get(self.OUTPUT_UP_TS)) and \
                not self.parameterAsBool(parameters, self.TIME_SERIES, context):
            raise GeohazardError("time-series outputs need TIME_SERIES")

    def _options(self, parameters, context, progress, mode) -> dict:
        """The solver's options; the time-series route falls back to velocities on undated inputs."""
        opts = dict(north=self.parameterAsDouble(parameters, self.NORTH_VELOCITY, context),
                    weighted=self.parameterAsEnum(parameters, self.WEIGHTING, context) == 1,
                    max_condition=self.parameterAsDouble(parameters, self.MAX_CONDITION, context),
                    ts=self.parameterAsBool(parameters, self.TIME_SERIES, context),
                    spacing=self.parameterAsInt(parameters, self.SPACING_DAYS, context),
                    max_gap=self.parameterAsDouble(parameters, self.MAX_GAP_DAYS, context))
        if opts["ts"] and not self._inputs_dated(parameters, context, mode):
            if parameters.get(self.OUTPUT_EAST_TS) or parameters.get(self.OUTPUT_UP_TS):
                raise GeohazardError("time-series outputs need dated inputs: fields YYYYMMDD/DYYYYMMDD of the points "
                                     "or band descriptions that are dates")
            opts["ts"] = False
            progress.push_warning("TIME_SERIES: the inputs carry no dates (fields YYYYMMDD/DYYYYMMDD, or band "
                                  "descriptions that are dates); decomposing the velocities instead")
        progress.push_info("route: " + ("time series (EGMS L3 Ortho: 6-day interpolation, per-date least squares, "
                                        "velocity fitted afterwards)" if opts["ts"] else "velocities"))
        return opts

    def _specs(self, parameters, opts, dates) -> list:
        """``(output, components, band descriptions)`` of the outputs asked for."""
        specs = [(self.OUTPUT_EAST, ["east"], ["east velocity mm/yr (positive east)"]),
                 (self.OUTPUT_UP, ["up"], ["up velocity mm/yr (positive up)"])]
        if parameters.get(self.OUTPUT_QUALITY):  # optional: not written when left out
            specs.append((self.OUTPUT_QUALITY, ["sigma_east", "sigma_up", "condition", "count"],
                          ["sigma east (mm/yr)", "sigma up (mm/yr)", "condition number", "observations"]))
        for key, comp in ((self.OUTPUT_EAST_TS, "east_ts"), (self.OUTPUT_UP_TS, "up_ts")):
            if parameters.get(key) and opts["ts"]:
                specs.append((key, [comp], [d.isoformat() for d in dates]))
        return specs

    def _style(self, out: dict, dates, context) -> None:
        for key in (self.OUTPUT_EAST, self.OUTPUT_UP):
            styles.style_raster_diverging(out[key], context=context)
        if self.OUTPUT_QUALITY in out:
            styles.style_raster_sequential(out[self.OUTPUT_QUALITY], context=context, band=3, vmin=1.0, vmax=3.0,
                                           ramp_name="Viridis")
        for key in (self.OUTPUT_EAST_TS, self.OUTPUT_UP_TS):
            if key in out:
                styles.style_raster_diverging(out[key], context=context, band=len(dates))

    def process(self, parameters, context, feedback):
        mode, msg = self._mode(parameters)
        if mode is None:
            raise GeohazardError(msg)
        progress = FeedbackProgress(feedback)
        opts = self._options(parameters, context, progress, mode)
        if mode == "points":
            grid, crs_wkt, res, dates = self._points(parameters, context, progress, opts)
            info = raster.RasterInfo(path="", width=grid.n_cols, height=grid.n_rows, count=1,
                                     geotransform=grid.geotransform, crs_wkt=crs_wkt)
            blocks = iter([(0, res)])
        else:
            info, blocks, dates = self._rasters(parameters, context, progress, opts)
        meta = {"north_assumption": "neglected" if opts["north"] == 0 else f"{opts['north']:g} mm/yr",
                "weighting": self.WEIGHTINGS[int(opts["weighted"])]}
        specs = self._specs(parameters, opts, dates)
        writers = {key: raster.RasterWriter.like(self.parameterAsOutputLayer(parameters, key, context), info,
                                                 count=len(desc), descriptions=desc, metadata=meta)
                   for key, _, desc in specs}
        n_valid, cond = 0, []
        with all_or_none(writers):
            for r0, res in blocks:
                for key, comps, _ in specs:
                    arrs = [np.asarray(res[c], dtype=np.float64) for c in comps]
                    writers[key].write(arrs[0] if len(arrs) == 1 else np.stack(arrs), row=r0)
                valid = np.isfinite(res["up"])
                n_valid += int(valid.sum())
                cond.append(res["condition"][valid])
            out = {key: w.commit() for key, w in writers.items()}
        progress.push_info("North motion " + ("neglected (N = 0)" if opts["north"] == 0 else
                                              f"constrained to {opts['north']:g} mm/yr"))
        med = float(np.median(np.concatenate(cond))) if n_valid else float("nan")
        progress.push_info(f"{n_valid} cells decomposed; median condition number {med:.3f}")
        self._style(out, dates, context)
        return out

    def _inputs_dated(self, parameters, context, mode) -> bool:
        """True when both inputs carry at least two dates (dated fields, or dated band descriptions)."""
        if mode == "points":
            for key in (self.ASC_POINTS, self.DESC_POINTS):
                src = self.parameterAsSource(parameters, key, context)
                if src is None or len(dated_fields([f.name() for f in src.fields()])) < 2:
                    return False
            return True
        for key in (self.ASC_RASTER, self.DESC_RASTER):
            info = self.raster_info(parameters, key, context)
            if info.count < 2 or not any(_is_date(d) for d in info.descriptions):
                return False  # a velocity raster; partly dated bands are reported by _rasters
        return True

    # ------------------------------------------------------------------ points
    def _grid_crs(self, parameters, context):
        crs = self.parameterAsCrs(parameters, self.GRID_CRS, context)
        return crs if crs.isValid() else QgsCoordinateReferenceSystem("EPSG:3035")

    def _template_grid(self, parameters, context):
        """(grid, crs) of TEMPLATE, or (None, None) without one."""
        if not parameters.get(self.TEMPLATE):
            return None, None
        info = self.raster_info(parameters, self.TEMPLATE, context)
        if not info.crs_wkt or info.is_geographic:
            raise GeohazardError("TEMPLATE must be in a projected CRS in metres (the grid of the points)")
        grid = _dec.grid_from_geotransform(info.geotransform, info.height, info.width, name="TEMPLATE")
        return grid, QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt)

    def _points(self, parameters, context, progress, opts):
        tgrid, tcrs = self._template_grid(parameters, context)
        crs = tcrs if tcrs is not None else self._grid_crs(parameters, context)
        vfield = self.parameterAsString(parameters, self.VELOCITY_FIELD, context)
        sfield = self.parameterAsString(parameters, self.VELOCITY_STD_FIELD, context)
        data = []
        for i, (pp, hp, ip) in enumerate(((self.ASC_POINTS, self.ASC_HEADING, self.ASC_INCIDENCE),
                                          (self.DESC_POINTS, self.DESC_HEADING, self.DESC_INCIDENCE))):
            src = self.parameterAsSource(parameters, pp, context)
            if src is None:
                raise GeohazardError(f"{pp}: the layer could not be loaded")
            names = [f.name() for f in src.fields()]
            if vfield not in names:
                raise GeohazardError(f"{pp} has no field {vfield!r} (VELOCITY_FIELD)")
            fields = [vfield] + ([sfield] if sfield and sfield in names else [])
            fields += geometry.optional_fields(src, ["los_east", "los_north", "los_up", "incidence_angle",
                                                     "track_angle"])
            dated = dated_fields(names) if opts["ts"] else []
            if opts["ts"] and len(dated) < 2:
                raise GeohazardError(f"{pp} has {len(dated)} dated fields (YYYYMMDD or DYYYYMMDD); TIME_SERIES "
                                     "needs at least two")
            pts = vector.read_points(src, fields + [n for n, _ in dated], name=pp, dest_crs=crs, context=context,
                                     progress=SubProgress(progress, 25 * i, 25 * i + 20))
            e, n, u, how = geometry.los_from_fields(pts, len(pts), self.parameterAsDouble(parameters, hp, context),
                                                    self.parameterAsDouble(parameters, ip, context), "right")
            progress.push_info(f"{pp}: {len(pts)} points, LOS vectors from {how}")
            sig = pts.attributes.get(sfield) if sfield else None
            series = np.stack([pts.attributes[nm] for nm, _ in dated]) if dated else None
            data.append(dict(x=pts.x, y=pts.y, v=pts.attributes[vfield], sigma=sig, e=e, n=n, u=u,
                             series=series, dates=[d for _, d in dated]))
        xs, ys = np.concatenate([d["x"] for d in data]), np.concatenate([d["y"] for d in data])
        if tgrid is not None:
            grid = tgrid
            r, _ = grid.cell_index(xs, ys)
            n_out = int((r < 0).sum())
            progress.push_info(f"grid from TEMPLATE: {grid.n_cols} x {grid.n_rows} cells of {grid.cell_m:g} m, "
                               f"top-left corner ({grid.x0:.3f}, {grid.y0:.3f}), {crs.authid() or 'template CRS'}")
            cell = self.parameterAsDouble(parameters, self.PIXEL_SIZE, context)
            if parameters.get(self.PIXEL_SIZE) not in (None, "") and not np.isclose(cell, grid.cell_m):
                progress.push_warning(f"PIXEL_SIZE {cell:g} m is not used: TEMPLATE has {grid.cell_m:g} m cells")
            if n_out == len(xs):
                raise GeohazardError("no point of ASC_POINTS/DESC_POINTS falls inside TEMPLATE")
            if n_out:
                progress.push_warning(f"{n_out} of {len(xs)} points lie outside TEMPLATE and were left out")
        else:
            cell = self.parameterAsDouble(parameters, self.PIXEL_SIZE, context)
            grid = _dec.grid_for_points(xs, ys, cell,
                                        origin_x=self.parameterAsDouble(parameters, self.ORIGIN_X, context),
                                        origin_y=self.parameterAsDouble(parameters, self.ORIGIN_Y, context))
            progress.push_info(f"grid: {grid.n_cols} x {grid.n_rows} cells of {cell:g} m, top-left corner "
                               f"({grid.x0:.3f}, {grid.y0:.3f}) in {crs.authid()}")
        check_canceled(progress)
        res, dates = _dec.decompose_point_sets(data, grid, progress=SubProgress(progress, 50, 100), **opts)
        return grid, crs.toWkt(), res, dates

    # ------------------------------------------------------------------ rasters
    def _rasters(self, parameters, context, progress, opts):
        infos = [self.raster_info(parameters, p, context) for p in (self.ASC_RASTER, self.DESC_RASTER)]
        _check_overlap_same_grid(infos, [self.ASC_RASTER, self.DESC_RASTER])
        vecs, sig = [], []
        for hp, ip, sp in ((self.ASC_HEADING, self.ASC_INCIDENCE, self.ASC_SIGMA),
                           (self.DESC_HEADING, self.DESC_INCIDENCE, self.DESC_SIGMA)):
            vecs.append(los.los_unit_vector(self.parameterAsDouble(parameters, ip, context),
                                            self.parameterAsDouble(parameters, hp, context)))
            sig.append(self.parameterAsDouble(parameters, sp, context))
        sigma = sig if all(s > 0 for s in sig) else None
        if opts["weighted"] and sigma is None:
            raise GeohazardError("inverse-variance WEIGHTING needs ASC_SIGMA and DESC_SIGMA > 0")
        info = infos[0]
        names = (self.ASC_RASTER, self.DESC_RASTER)
        vec = [[v[k] for v in vecs] for k in range(3)]
        common, date_lists = [], []
        if opts["ts"]:
            for i, n in zip(infos, names):
                try:
                    date_lists.append([parse_date(d) for d in i.descriptions])
                except GeohazardError as exc:
                    raise GeohazardError(f"{n}: TIME_SERIES needs one date per band description ({exc})") from None
            common = _dec.common_dates(date_lists[0], date_lists[1], spacing_days=opts["spacing"])

        def blocks():
            for _, _, r0, r1 in iter_blocks(info.height, raster.DEFAULT_BLOCK_ROWS, progress=progress):
                if not opts["ts"]:
                    stacks = [raster.read_band(i.path, 1, rows=(r0, r1), name=n, dtype=np.float64)
                              for i, n in zip(infos, names)]
                    res = _dec.decompose_los(stacks, *vec, sigma=sigma, north_mm=opts["north"],
                                             weighted=opts["weighted"], max_condition=opts["max_condition"])
                    yield r0, res
                    continue
                stacks = [_dec.interpolate_to_dates(raster.read_bands(i.path, rows=(r0, r1), name=n, dtype=np.float64),
                                                    dl, common, max_gap_days=opts["max_gap"])
                          for i, n, dl in zip(infos, names, date_lists)]
                res = _dec.decompose_los(stacks, *vec, north_mm=opts["north"], max_condition=opts["max_condition"])
                east = _dec.velocity_from_series(res["east"], common)
                yield r0, {"east_ts": res["east"], "up_ts": res["up"], "condition": res["condition"],
                           "count": res["count"].max(axis=0), "east": east,
                           "up": _dec.velocity_from_series(res["up"], common),
                           "sigma_east": np.full(east.shape, np.nan), "sigma_up": np.full(east.shape, np.nan)}

        return info, blocks(), common


def _is_date(text) -> bool:
    try:
        parse_date(text)
    except (GeohazardError, TypeError, ValueError):
        return False
    return True


def _check_overlap_same_grid(infos, names):
    a, b = infos
    if a.crs_wkt and b.crs_wkt and a.srs is not None and not a.srs.IsSame(b.srs):
        raise GeohazardError(f"{names[1]} is in another CRS than {names[0]}; warp both to one grid first")
    ga, gb = a.geotransform, b.geotransform
    ax = (ga[0], ga[0] + a.width * ga[1])
    bx = (gb[0], gb[0] + b.width * gb[1])
    ay = (ga[3] + a.height * ga[5], ga[3])
    by = (gb[3] + b.height * gb[5], gb[3])
    if ax[1] <= bx[0] or bx[1] <= ax[0] or ay[1] <= by[0] or by[1] <= ay[0]:
        raise GeohazardError(f"{names[0]} and {names[1]} do not overlap")
    raster.check_same_grid(infos, names)
