"""multisensortimeseries."""

from __future__ import annotations

import numpy as np

from ....algorithms.timeseries.multisensor import MultisensorProblem
from ...inputs import declare, knobs
from ...inputs import multisensor as ms_in
from ...inputs.aliases import given
from ...inputs.feedback import FeedbackProgress
from ...io import multisensor as ms_io
from ...io import raster, styles
from ...io.blocks import run_blocks
from ...io.writers import write_csv
from .._base import GeohazardAlgorithm, tool


@tool("multisensortimeseries", "Multi-sensor east and up time series (every stack, across gaps)", group="timeseries",
      tags=("multi-sensor,multi-geometry,MSBAS,ascending,descending,decomposition,east-west,vertical,time series,"
            "TerraSAR-X,COSMO-SkyMed,Envisat,ERS,ALOS,Sentinel-1,EGMS,gap"),
      main=("OUTPUT_UP", "OUTPUT_EAST"), kernels=("timeseries.multisensor_kernels",), page="multisensor", engine=True)
class MultisensorTimeSeries(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("SERIES",)
    HELP = (
        "One vertical (up) and one east history, with a 1-sigma on every date, from every stack you have: "
        "ERS/Envisat, ALOS, TerraSAR-X/COSMO-SkyMed, Sentinel-1 ascending and descending, each with its own "
        "wavelength, geometry, dates and reference, across the gaps between missions. All stacks are solved "
        "together, pixel by pixel, on the union of their dates (not by combining finished per-stack results): "
        "the motion is piecewise linear between knots at least 12 days apart, with a velocity random walk whose "
        "density comes from each pixel's own data (a cubic smoothing spline; MSBAS's first-order regularisation "
        "with its weight set from the data and stated per pixel), an annual term and an acceleration, an offset "
        "per stack (stacks need no shared reference date) and the drift of each interferogram network. See "
        "docs/multisensor.md for the model, benchmarks and limits.\n\n"
        "<b>Stacks</b>: SERIES takes rasters of per-date LOS series, one per stack (the time series of "
        "sbasinversion and pstimeseries: one band per date, band descriptions YYYY-MM-DD, mm, LOS positive "
        "toward the satellite). A MANIFEST (CSV with a header, or JSON list) adds stacks, one row each, columns "
        "name, path (a series raster; or a folder of interferograms, or interferogram rasters separated by ';' "
        "with date pairs in their names), kind (series / interferograms), units (mm, m, rad), wavelength_m, "
        "incidence_deg and heading_deg (numbers or raster paths), or los_east / los_north / los_up (numbers or "
        "rasters: the ground-to-satellite unit vector, as EGMS), look (right / left), reference_date; relative "
        "paths are relative to the manifest.\n"
        "<b>Metadata</b>: what a stack's GeoTIFF carries is used (UNIT; WAVELENGTH_M or WAVELENGTH_METRES; "
        "INCIDENCE_DEG and HEADING_DEG; LOOK); a value given here wins and a disagreement is warned about. "
        "Interferograms without UNIT are read as unwrapped phase in radians growing with range; series without "
        "UNIT as mm. A stack in radians needs its wavelength (metadata or here): it is never borrowed from "
        "another stack.\n"
        "<b>Geometry of SERIES rasters</b>: INCIDENCES and HEADINGS (degrees; comma-separated, one per SERIES "
        "raster in order, or one for all) or INCIDENCE_RASTERS and HEADING_RASTERS (one per SERIES raster, in "
        "order), else the rasters' metadata. WAVELENGTHS (m) likewise. A stack without geometry is refused.\n"
        "<b>Grid</b>: every stack, geometry, north and DEM raster is resampled (RESAMPLING, named in the log) onto "
        "one output grid: TEMPLATE's grid, else the finest input grid over the union of the stacks' extents "
        "(in that stack's CRS). Stacks that share no area with another stack are refused.\n"
        "<b>Reference</b>: REFERENCE (a point every stack covers) re-references every stack there (its values "
        "there are subtracted); empty: each stack keeps its own reference. REFERENCE_DATE: the outputs' datum "
        "(0 there); empty: the first date.\n"
        "<b>North</b>: neglected (north = 0; the output says how much a north velocity would leak into east and "
        "up), a north velocity (NORTH_VELOCITY or a NORTH_RASTER, mm/yr, e.g. a GNSS velocity model as EGMS uses, "
        "with its sigma NORTH_SIGMA), or along the downslope direction of the DEM (landslides: the horizontal "
        "motion follows the aspect where the slope is 5 degrees or more). The choice is in every output's "
        "metadata (NORTH_MODE).\n"
        "<b>Gaps</b>: consecutive dates more than GAP_DAYS apart form a gap; the temporal model bridges it (model "
        "dates every 30 days inside it, band metadata OBSERVED=0) with an uncertainty that grows across it, and "
        "the displacement across each gap is output with its sigma. Stacks more than MAX_BRIDGE_YEARS apart are "
        "refused.\n\n"
        "<b>Outputs</b> (mm and mm/yr; up positive upward, east positive eastward; 0 on the reference date): "
        "OUTPUT_UP and OUTPUT_EAST (one band per model date, band descriptions = ISO dates), their 1-sigma "
        "OUTPUT_SIGMA_UP / OUTPUT_SIGMA_EAST, OUTPUT_VELOCITY (east, up, sigma east, sigma up; north and its "
        "sigma when north is given or along the slope: linear + annual fit over the observed dates), "
        "OUTPUT_QUALITY (status: 0 solved, 1 no data, 2 one geometry (east and up not separable), 3 singular; "
        "mean squared normalised residual; east and up velocity error per mm/yr of north motion neglected; "
        "velocity random-walk density east and up, mm^2/yr^3), OUTPUT_GAPS (per gap: displacement east, up and "
        "their sigma) and OUTPUT_REPORT (CSV, one row per stack: pixels, mean noise, mean residual RMS). The "
        "time-series rasters carry TIMESERIES_COMPONENT (UP / EAST) or TIMESERIES_SIGMA_OF, TIMESERIES_GROUP "
        "(shared by the outputs of one run) and TIMESERIES_SOURCES (the input series) for the time-series dock, "
        "which draws the up and east curves of a picked pixel with its input LOS series.\n\n"
        "This tool extends ascdescdecomposition, which stays for velocity maps and EGMS points (its time-series "
        "route interpolates two stacks onto 6-day dates and decomposes them date by date, with no sigma per date "
        "and nothing across gaps).\n"
        "References: Samsonov S., d'Oreye N. (2012) doi:10.1111/j.1365-246X.2012.05636.x and (2017) "
        "doi:10.1016/j.cageo.2017.08.008 (MSBAS); Wahba G. (1978) doi:10.1111/j.2517-6161.1978.tb01050.x "
        "(smoothing spline as a Bayesian estimate)."
    )

    IDS = ("SERIES MANIFEST INCIDENCES HEADINGS INCIDENCE_RASTERS HEADING_RASTERS WAVELENGTHS REFERENCE_DATE "
           "NORTH NORTH_VELOCITY NORTH_RASTER NORTH_SIGMA GAP_DAYS MAX_BRIDGE_YEARS TEMPLATE RESAMPLING OUTPUT_UP "
           "OUTPUT_EAST OUTPUT_SIGMA_UP OUTPUT_SIGMA_EAST OUTPUT_VELOCITY OUTPUT_QUALITY OUTPUT_GAPS")
    SERIES_OUTPUTS = {"OUTPUT_UP": ("up", {ms_io.COMPONENT_KEY: "UP", "SIGN": "up positive"}),
                      "OUTPUT_EAST": ("east", {ms_io.COMPONENT_KEY: "EAST", "SIGN": "east positive"}),
                      "OUTPUT_SIGMA_UP": ("sigma_up", {ms_io.SIGMA_KEY: "UP"}),
                      "OUTPUT_SIGMA_EAST": ("sigma_east", {ms_io.SIGMA_KEY: "EAST"})}

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.SERIES, "Per-date LOS series, one raster per stack (band descriptions "
                                                       "are dates)", optional=True))
        self.addParameter(declare.file(self.MANIFEST, "Stack manifest (CSV or JSON: one row per stack)",
                                       file_filter="Manifest (*.csv *.json)", optional=True))
        self.addParameter(declare.text(self.INCIDENCES, "Incidence of each SERIES raster (degrees, comma separated)",
                                       optional=True))
        self.addParameter(declare.text(self.HEADINGS, "Heading of each SERIES raster (degrees, comma separated)",
                                       optional=True))
        self.addParameter(declare.rasters(self.INCIDENCE_RASTERS, "Incidence rasters, one per SERIES raster",
                                          optional=True))
        self.addParameter(declare.rasters(self.HEADING_RASTERS, "Heading rasters, one per SERIES raster",
                                          optional=True))
        self.addParameter(declare.text(self.WAVELENGTHS, "Wavelength of each SERIES raster (m, comma separated)",
                                       optional=True, advanced=True))
        self.addParameter(declare.enum(self.LOOK, "Look side", ["right", "left"], advanced=True))
        self.addParameter(declare.point(self.REFERENCE, "Common reference point", optional=True))
        self.addParameter(declare.text(self.REFERENCE_DATE, "Reference date of the outputs (YYYY-MM-DD)",
                                       optional=True))
        self.addParameter(declare.enum(self.NORTH, "North component", list(ms_in.NORTH_MODES)))
        self.addParameter(declare.number(self.NORTH_VELOCITY, "North velocity (mm/yr)", 0.0))
        self.addParameter(declare.raster(self.NORTH_RASTER, "North velocity raster (mm/yr)", optional=True))
        self.addParameter(declare.number(self.NORTH_SIGMA, "North velocity sigma (mm/yr; 0 = exact)", 0.0, 0.0))
        self.addParameter(declare.raster(self.DEM, "DEM (m; for the downslope constraint)", optional=True))
        self.addParameter(declare.integer(self.GAP_DAYS, "Dates further apart than this form a gap (days)", 90, 1,
                                          advanced=True))
        self.addParameter(declare.number(self.MAX_BRIDGE_YEARS, "Longest gap bridged (years)", 12.0, 0.1,
                                         advanced=True))
        self.addParameter(declare.raster(self.TEMPLATE, "Template raster giving the output grid", optional=True))
        self.addParameter(declare.enum(self.RESAMPLING, "Resampling onto the output grid", list(ms_io.RESAMPLINGS)))
        self.addParameter(declare.raster_out(self.OUTPUT_UP, "Up time series (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_EAST, "East time series (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_SIGMA_UP, "Up 1-sigma (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_SIGMA_EAST, "East 1-sigma (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY, "Velocities (mm/yr)"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality (status, residual, north leak, density)",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_GAPS, "Displacement across each gap (mm)", optional=True,
                                             create=False))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Per-stack residual report (CSV)", "CSV (*.csv)"))

    def check(self, parameters, context):
        ms_in.check(self, parameters, context)

    def process(self, parameters, context, feedback):
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        entries = ms_in.resolve(ms_in.gather(self, parameters, context), progress)
        template = self.raster_info(parameters, self.TEMPLATE, context) if given(parameters, self.TEMPLATE) else None
        grid, grid_text = ms_io.output_grid([e.file.info for e in entries], [e.file.name for e in entries], template)
        resampling = ms_io.RESAMPLINGS[self.parameterAsEnum(parameters, self.RESAMPLING, context)]
        progress.push_info(f"Output grid: {grid_text}")
        with ms_io.GridFolder(grid, resampling) as folder:
            stacks = ms_in.core_stacks(entries, grid, folder, ms_in.reference_rc(self, parameters, context, grid))
            v = self.values(parameters, context, self.GAP_DAYS, self.MAX_BRIDGE_YEARS)
            north = ms_in.north_model(self, parameters, context, grid, folder)
            problem = MultisensorProblem(stacks, shape=grid.shape, north=north, gap_days=float(v.GAP_DAYS),
                                         reference_date=ms_in.reference_date(self, parameters, context),
                                         max_bridge_years=v.MAX_BRIDGE_YEARS)
            progress.push_info(folder.log_text())
            for line in problem.report():
                (progress.push_warning if line.startswith("warning") else progress.push_info)(line)
            writers, report = self._writers(parameters, context, problem, grid, entries, resampling)
            run_blocks(run.plan(grid.height, grid.width, bytes_per_pixel=problem.bytes_per_pixel()), problem,
                       lambda block, out: self._write(block, out, writers, report, problem), sources=problem.sources(),
                       run=run, progress=progress, writers=writers)
        out = {k: w.path for k, w in writers.items()}
        table = report.table()
        out[self.OUTPUT_REPORT] = write_csv(self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context), table,
                                            fields=list(ms_io.StackReport.COLUMNS))
        for row in table:
            progress.push_info(f"stack {row['stack']!r}: solved on {row['pixels_solved']} pixels, mean noise "
                               f"{row['mean_noise_sigma_mm']} mm, mean residual RMS {row['mean_residual_rms_mm']} mm")
        self._style(out, len(problem.dates), context)
        return out

    # ------------------------------------------------------------------ outputs
    def _writers(self, parameters, context, problem, grid, entries, resampling):
        dest = {k: self.parameterAsOutputLayer(parameters, k, context)
                for k in list(self.SERIES_OUTPUTS) + [self.OUTPUT_VELOCITY]}
        for k in (self.OUTPUT_QUALITY, self.OUTPUT_GAPS):
            if parameters.get(k):
                dest[k] = self.parameterAsOutputLayer(parameters, k, context)
        sources = [p for e in entries if e.file.kind == "series" for p in e.file.paths]
        nm = problem.north
        meta = {"UNIT": "mm", "REFERENCE_DATE": problem.reference_date.isoformat(), "NORTH_MODE": nm.label,
                ms_io.GROUP_KEY: ms_io.group_id(sorted(dest.values()), sources),
                ms_io.SOURCES_KEY: ";".join(sources), "RESAMPLING": resampling,
                "STACKS": ";".join(s.spec.name for s in problem.plans),
                "GAPS": ";".join(f"{g.last_before}/{g.first_after}" for g in problem.gaps),
                "PROCESSING": "geohazard:multisensortimeseries"}
        writers = ms_io.series_writers({k: (dest[k], extra) for k, (_, extra) in self.SERIES_OUTPUTS.items()}, grid,
                                       problem.dates, problem.observed, meta)
        info = grid.info()
        vel = ["east velocity (mm/yr)", "up velocity (mm/yr)", "sigma east velocity (mm/yr)",
               "sigma up velocity (mm/yr)"]
        if nm.mode != "zero":
            vel += ["north velocity (mm/yr)", "sigma north velocity (mm/yr)"]
        base = {k: meta[k] for k in ("REFERENCE_DATE", "NORTH_MODE", ms_io.GROUP_KEY, "PROCESSING")}
        writers[self.OUTPUT_VELOCITY] = raster.RasterWriter.like(dest[self.OUTPUT_VELOCITY], info, count=len(vel),
                                                                 descriptions=vel, metadata={**base, "UNIT": "mm/yr"})
        if self.OUTPUT_QUALITY in dest:
            q = ["status (0 solved, 1 no data, 2 one geometry, 3 singular)", "mean squared normalised residual",
                 "east velocity error per mm/yr of north neglected", "up velocity error per mm/yr of north neglected",
                 "east random-walk density (mm^2/yr^3)", "up random-walk density (mm^2/yr^3)"]
            writers[self.OUTPUT_QUALITY] = raster.RasterWriter.like(dest[self.OUTPUT_QUALITY], info, count=len(q),
                                                                    descriptions=q, metadata=base)
        if self.OUTPUT_GAPS in dest:
            g = [f"{gp.last_before}..{gp.first_after} {what}" for gp in problem.gaps
                 for what in ("east (mm)", "up (mm)", "sigma east (mm)", "sigma up (mm)")]
            if g:
                writers[self.OUTPUT_GAPS] = raster.RasterWriter.like(dest[self.OUTPUT_GAPS], info, count=len(g),
                                                                     descriptions=g, metadata=base)
        rows = []
        for p, e in zip(problem.plans, entries):
            f = e.file
            geo = ("per-pixel" if p.const_vec is None else
                   "LOS ({:.3f}, {:.3f}, {:.3f})".format(*p.const_vec))
            rows.append({"stack": f.name, "kind": f.kind, "dates": len(p.dates), "first_date": p.dates[0].isoformat(),
                         "last_date": p.dates[-1].isoformat(), "wavelength_m": e.given.get("wavelength_m") or "",
                         "units": e.given["units"], "geometry": geo})
        return writers, ms_io.StackReport(rows)

    def _write(self, block, out, writers, report, problem) -> None:
        r = block.row0
        for key, (comp, _) in self.SERIES_OUTPUTS.items():
            writers[key].write(np.asarray(out[comp], np.float32), row=r)
        vel = [out["velocity"][0], out["velocity"][1], out["sigma_velocity"][0], out["sigma_velocity"][1]]
        if "velocity_north" in out:
            vel += [out["velocity_north"], out["sigma_velocity_north"]]
        writers[self.OUTPUT_VELOCITY].write(np.stack(vel).astype(np.float32), row=r)
        if self.OUTPUT_QUALITY in writers:
            leak = out.get("leak_per_north")
            nan = np.full(out["chi2"].shape, np.nan, np.float32)
            q = [out["status"].astype(np.float32), out["chi2"], nan if leak is None else leak[0],
                 nan if leak is None else leak[1], out["process_noise"][0], out["process_noise"][1]]
            writers[self.OUTPUT_QUALITY].write(np.stack(q).astype(np.float32), row=r)
        if self.OUTPUT_GAPS in writers:
            g = []
            for gi in range(len(problem.gaps)):
                g += [out["gap_displacement"][gi, 0], out["gap_displacement"][gi, 1], out["gap_sigma"][gi, 0],
                      out["gap_sigma"][gi, 1]]
            writers[self.OUTPUT_GAPS].write(np.stack(g).astype(np.float32), row=r)
        report.add(out)

    def _style(self, out: dict, n_dates: int, context) -> None:
        for key in ("OUTPUT_UP", "OUTPUT_EAST"):
            styles.style_raster_diverging(out[key], context=context, band=n_dates)
        for key in ("OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST"):
            styles.style_raster_sequential(out[key], context=context, band=n_dates, ramp_name="Viridis")
        styles.style_raster_diverging(out[self.OUTPUT_VELOCITY], context=context, band=2)
        if self.OUTPUT_QUALITY in out:
            styles.style_raster_classified(out[self.OUTPUT_QUALITY], [
                (0, "solved", "#2c7bb6"), (1, "no data", "#bdbdbd"), (2, "one geometry", "#fdae61"),
                (3, "singular", "#d7191c")], context=context, band=1)
