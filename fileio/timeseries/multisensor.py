"""Files of the multi-sensor east/up time-series tool: what each stack holds, one output grid, the stacks warped
onto it, the outputs (rasters with the time-series dock's metadata, the per-stack residual report).

A stack is a raster of per-date LOS series (band descriptions are dates: the time series of ``sbasinversion`` and
``pstimeseries``) or a set of interferogram rasters (date pairs in their file names). Its metadata gives what it
can (default domain, else band 1): ``UNIT`` (mm, m or rad), a wavelength (``WAVELENGTH_M``, ``WAVELENGTH_METRES``,
``WAVELENGTH``, ``RADAR_WAVELENGTH``; metres), ``INCIDENCE_DEG`` and ``HEADING_DEG`` (a constant geometry),
``LOOK`` (right / left), ``REFERENCE_DATE``. A value given to the tool wins; one that contradicts the metadata is
warned about, naming both.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.dates import parse_date, parse_date_pairs
from ...algorithms.formats.stack_names import RASTER_EXT, is_coherence_file
from ...algorithms.formats.wavelength import wavelength_from_metadata
from ...algorithms.geometry.los import LosVectorCheck
from ...algorithms.geometry.terrain import slope_aspect
from ...algorithms.plausibility import angle_raster_problem
from ..base.blocks import raster_source
from ..base.probe import band_min_max
from ..base.raster import RasterInfo, RasterWriter, open_raster, raster_info
from ..base.series_tiles import series_tile_size
from ..base.writers import write_csv
from ..display import styles
from .multisensor_grid import (  # noqa: F401 - the tool's grid, read through this module
    RESAMPLINGS,
    Grid,
    GridFolder,
    _srs,
    check_footprints,
    footprint,
    grid_size_problem,
    output_grid,
)
from .stacks import MILLIMETRES, filter_stack_files, open_stack, stack_source

#: Default-domain metadata of the time-series outputs, read by the time-series dock.
COMPONENT_KEY, SIGMA_KEY, GROUP_KEY, SOURCES_KEY = ("TIMESERIES_COMPONENT", "TIMESERIES_SIGMA_OF", "TIMESERIES_GROUP",
                                                    "TIMESERIES_SOURCES")

_UNITS = {"mm": "mm", "millimetre": "mm", "millimeter": "mm", "m": "m", "metre": "m", "meter": "m",
          "rad": "rad", "radian": "rad", "radians": "rad"}


@dataclass
class StackFile:
    """One stack as the files give it (before the tool's own values are applied)."""

    name: str
    kind: str                      # "series" | "interferograms"
    paths: list                    # the series raster, or the interferograms
    info: RasterInfo
    dates: list = field(default_factory=list)      # series: one per band
    pairs: list = field(default_factory=list)      # interferograms: one per file (as given)
    units: Optional[str] = None
    wavelength_m: Optional[float] = None
    incidence_deg: Optional[float] = None
    heading_deg: Optional[float] = None
    look: Optional[str] = None
    reference_date: Optional[object] = None
    metadata_source: str = ""
    dropped: list = field(default_factory=list)    # rasters of its folders left out (no date pair in the name)
    product: object = None                         # the product as delivered whose VRTs ``paths`` name (kept alive)
    los_raster: str = ""                           # a three-band LOS raster that comes with the stack (EGMS points)


def _metadata(path: str) -> dict:
    ds = open_raster(path)
    md = dict(ds.GetMetadata() or {})
    band = ds.GetRasterBand(1)
    for k, v in (band.GetMetadata() or {}).items():
        md.setdefault(k, v)
    return md


def _apply_metadata(st: StackFile, md: dict) -> StackFile:
    unit = str(md.get("UNIT", md.get("UNITS", ""))).strip().lower()
    if unit:
        if unit not in _UNITS:
            raise GeohazardError(f"stack {st.name!r}: metadata UNIT={unit!r} is not one of mm, m, rad")
        st.units = _UNITS[unit]
    found = wavelength_from_metadata(md)
    if found is not None:
        st.wavelength_m = float(found[1])
    for q, attr in ((gm.INCIDENCE, "incidence_deg"), (gm.HEADING, "heading_deg")):  # the rule of every tool
        try:
            hit = gm.value_from_metadata(q, md)
        except GeohazardError as exc:
            raise GeohazardError(f"stack {st.name!r}: {exc}") from None
        setattr(st, attr, None if hit is None else hit[1])
    look = str(md.get("LOOK", "")).strip().lower()
    st.look = look if look in ("right", "left") else None
    if str(md.get("REFERENCE_DATE", "")).strip():
        try:
            st.reference_date = parse_date(str(md["REFERENCE_DATE"]).strip())
        except GeohazardError:
            st.reference_date = None
    return st


def series_file(path: str, name: str) -> StackFile:
    """A per-date LOS series raster: its grid, its dates (band descriptions) and what its metadata says."""
    info = raster_info(path, name)
    if info.count < 2:
        raise GeohazardError(f"stack {name!r} ({os.path.basename(path)}) has {info.count} band; a per-date series "
                             "needs one band per date (at least two)")
    dates = []
    for i, desc in enumerate(info.descriptions):
        try:
            dates.append(parse_date(str(desc).strip()))
        except GeohazardError:
            raise GeohazardError(f"stack {name!r}: cannot read a date from the description {desc!r} of band {i + 1} "
                                 f"of {os.path.basename(path)}; expected one band per date described as YYYY-MM-DD "
                                 "(the time series of sbasinversion and pstimeseries)") from None
    st = StackFile(name, "series", [path], info, dates=dates, metadata_source=os.path.basename(path))
    return _apply_metadata(st, _metadata(path))


def interferogram_files(paths: list, name: str) -> StackFile:
    """Interferograms (a folder or a list of rasters): their grid, date pairs (file names) and metadata."""
    files, dropped = [], []
    for p in paths:
        if os.path.isdir(p):
            listed = sorted(os.path.join(p, f) for f in os.listdir(p))
            kept = filter_stack_files(listed, "ifg")
            files += kept
            dropped += [f for f in listed if f.lower().endswith(RASTER_EXT) and not is_coherence_file(f)
                        and f not in kept]
        else:
            files.append(p)
    if len(files) < 2:
        raise GeohazardError(f"stack {name!r}: {len(files)} interferogram(s) found in {paths}; a stack needs at "
                             "least two")
    try:
        pairs = parse_date_pairs(files, name=f"stack {name!r}")
    except GeohazardError as exc:
        raise GeohazardError(f"stack {name!r}: {exc}") from None
    info = raster_info(files[0], name)
    st = StackFile(name, "interferograms", files, info, pairs=pairs, metadata_source=os.path.basename(files[0]),
                   dropped=dropped)
    return _apply_metadata(st, _metadata(files[0]))


# ---------------------------------------------------------------------------------------------- inputs on the grid
def series_source(path: str, name: str):
    """A per-date series on the grid as a block-engine source (float64 LOS, every band)."""
    return raster_source(path, bands=None, dtype=np.float64, name=name)


def interferogram_source(paths: list, name: str, wavelength_m: Optional[float]):
    """``(pairs, source)``: interferograms on the grid in network order, read as their own units (the core
    converts radians with the stack's wavelength), a later-first pair's sign flipped."""
    stack = open_stack(paths, units=MILLIMETRES, wavelength_m=wavelength_m)
    net = stack.network
    pairs = [(net.dates[a], net.dates[b]) for a, b in zip(net.ref_index, net.sec_index)]
    src = stack_source(stack, False)
    return pairs, _FirstOf(src)


class _FirstOf:
    """The first item of what a source returns (``stack_source`` gives (interferograms, coherence))."""

    shipped = True

    def __init__(self, src):
        self.src = src

    def read(self, r0, r1, n_cols):
        return self.src.read(r0, r1, n_cols)[0]


def raster_on_grid(path: str, name: str, band: int = 1):
    """Band ``band`` of a raster on the grid as a block-engine source (float64)."""
    return raster_source(path, bands=band, dtype=np.float64, name=name)


def pixel_values(source, row: int, col: int, n_cols: int) -> np.ndarray:
    """The values of one pixel in every band of ``source`` (its reference values)."""
    return np.asarray(source.read(row, row + 1, n_cols), np.float64)[..., 0, col].reshape(-1)


def sample_values(source, rows, cols, n_cols: int) -> np.ndarray:
    """``(n_bands, len(rows) * len(cols))``: every band of ``source`` at the sampled pixels (rows x cols, row
    major), read one row at a time."""
    out = []
    for r in rows:
        v = np.asarray(source.read(int(r), int(r) + 1, n_cols), np.float64)
        v = v.reshape((-1,) + v.shape[-2:])
        out.append(v[:, 0, cols])
    return np.concatenate(out, axis=1)


def zero_pixel(paths: list, max_candidates: int = 256) -> Optional[tuple]:
    """``(row, col)`` of a pixel where every interferogram of ``paths`` is exactly 0 (the reference pixel a
    referenced stack was tied to: each interferogram's value there subtracted), or None (each interferogram then
    carries its own constant). Candidates are the first zeros of the first file (a file whose nodata is 0 has
    none), checked file by file."""
    ds = open_raster(paths[0], os.path.basename(paths[0]))
    band = ds.GetRasterBand(1)
    if band.GetNoDataValue() == 0:
        return None
    cands: list = []
    for r0 in range(0, ds.RasterYSize, CHECK_ROWS):
        n = min(CHECK_ROWS, ds.RasterYSize - r0)
        rr, cc = np.nonzero(band.ReadAsArray(0, r0, ds.RasterXSize, n) == 0)
        cands += [(int(r) + r0, int(c)) for r, c in zip(rr[:max_candidates], cc[:max_candidates])]
        if len(cands) >= max_candidates:
            break
    for p in paths[1:]:
        if not cands:
            return None
        other = open_raster(p, os.path.basename(p))  # kept while its band is read (GDAL frees the band with it)
        b = other.GetRasterBand(1)
        cands = [(r, c) for r, c in cands if float(b.ReadAsArray(c, r, 1, 1)[0, 0]) == 0.0]
    return cands[0] if cands else None


#: Rows of the grid read at a time when a per-pixel geometry is checked.
CHECK_ROWS = 256


def check_los_rasters(sources: tuple, name: str, grid: Grid) -> None:
    """Refuse LOS-vector rasters (east, north, up sources on the grid) that do not hold the ground-to-satellite unit
    vector on every pixel (:class:`~algorithms.geometry.los.LosVectorCheck`), naming the stack."""
    check = LosVectorCheck()
    for r0 in range(0, grid.height, CHECK_ROWS):
        r1 = min(grid.height, r0 + CHECK_ROWS)
        check.add(*(np.asarray(s.read(r0, r1, grid.width), np.float64) for s in sources))
    problem = check.problem()
    if problem:
        raise GeohazardError(f"stack {name!r}: {problem}")


def check_angle_raster(path: str, kind: str, label: str, band: int = 1) -> None:
    """Refuse an incidence or heading raster (``kind``) whose values are not degrees of that kind (radians, or out of
    range: :func:`~algorithms.plausibility.angle_raster_problem`), naming it with ``label``."""
    mm = band_min_max(path, band)
    if mm is None:
        raise GeohazardError(f"{label}: {os.path.basename(path)} has no valid pixel (every pixel is no-data)")
    problem = angle_raster_problem(kind, *mm)
    if problem:
        raise GeohazardError(f"{label}: {os.path.basename(path)}: {problem}")


def slope_and_aspect(dem_path: str, grid: Grid) -> tuple:
    """Slope and aspect (degrees) of the DEM on the output grid (metres; a geographic grid is refused)."""
    ds = open_raster(dem_path, "DEM")
    band = ds.GetRasterBand(1)
    dem = band.ReadAsArray().astype(np.float64)
    nd = band.GetNoDataValue()
    if nd is not None and not math.isnan(nd):
        dem[dem == nd] = np.nan
    srs = _srs(grid.crs_wkt)
    if srs is not None and srs.IsGeographic():
        raise GeohazardError("DEM: the output grid is geographic (degrees); slopes need a projected grid in metres")
    gt = grid.geotransform
    return slope_aspect(dem, abs(gt[1]), abs(gt[5]))


# ---------------------------------------------------------------------------------------------- outputs
def group_id(paths: list, sources: list) -> str:
    """One identifier for the outputs of a run (shared by them; the same run on the same files gives the same)."""
    h = hashlib.sha1()
    for p in list(paths) + ["|"] + list(sources):
        h.update(os.path.abspath(str(p)).encode("utf-8", "replace") + b"\0")
    return h.hexdigest()[:32]


def series_writers(paths: dict, grid: Grid, dates: list, observed, meta: dict) -> dict:
    """Writers of the time-series outputs ``{key: (path, extra metadata)}``: one band per model date (ISO date as
    description; band metadata OBSERVED=0 on the dates the temporal model bridges inside a gap), in small square
    tiles sized to the number of dates (:func:`~.series_tiles.series_tile_size`), so that the dock's read of one
    pixel on every date decodes a few MB whatever the number of dates, compressed with ZSTD (the SBAS time series'
    codec), whose faster decoding keeps a whole read of the file no slower than before with more, smaller tiles
    (BENCHMARKS.md)."""
    info = grid.info()
    desc = [d.isoformat() for d in dates]
    edge = series_tile_size(grid.width, grid.height, len(dates))
    out = {}
    for key, (path, extra) in paths.items():
        w = RasterWriter.like(path, info, count=len(dates), descriptions=desc, metadata={**meta, **extra},
                              tile_rows=edge, tile_cols=edge, compress="ZSTD")
        for i, o in enumerate(observed):
            if not o:
                w._ds.GetRasterBand(i + 1).SetMetadataItem("OBSERVED", "0")
        out[key] = w
    return out


class StackReport:
    """Per-stack residual statistics summed block by block, the same whatever the blocks (integer sums of
    values rounded to 1e-6, integer histograms)."""

    SCALE = 1e6
    COLUMNS = ("stack", "kind", "dates", "first_date", "last_date", "wavelength_m", "units", "geometry",
               "pixels_with_data", "pixels_solved", "pixels_network_split", "mean_observations",
               "mean_noise_sigma_mm", "mean_residual_rms_mm", "residual_to_noise", "pixels_residual_far_above")
    #: A pixel is counted when its residual RMS exceeds its noise and the stack's median residual RMS this many times
    #: (under the noise model the ratio spreads by about 1 / sqrt(2 n) for n dates, 0.1 for 50; the median guards
    #: interferogram stacks, whose per-date noise leaves out the network's part where the atmosphere is weak).
    HIGH_RATIO = 2.0
    #: A stack with at least this share of its solved pixels counted is warned about in the log ...
    WARN_SHARE = 0.01
    #: ... and so is one whose mean residual RMS exceeds its mean noise this many times (the whole stack off).
    WARN_MEAN_RATIO = 1.5
    #: Histogram bins of the residual RMS (mm): log-spaced, 8 % wide.
    BINS = np.geomspace(1e-3, 1e5, 241)

    def __init__(self, rows: list):
        self.rows = rows  # dicts with the stack's fixed columns
        n = len(rows)
        self.counts = np.zeros((n, 3), np.int64)  # with data, solved, network split
        self.sums = np.zeros((n, 3), np.int64)    # observations, noise sigma, residual rms (solved pixels)
        self.residuals = np.zeros((n, self.BINS.size + 1), np.int64)  # residual RMS of the solved pixels
        self.high = np.zeros((n, self.BINS.size + 1), np.int64)       # ... of those above HIGH_RATIO x their noise

    def add(self, out: dict) -> None:
        solved = np.asarray(out["status"]) == 0
        for s in range(len(self.rows)):
            obs = np.asarray(out["observations"][s])
            noise = np.asarray(out["noise_sigma"][s], np.float64)
            res = np.asarray(out["residual_rms"][s], np.float64)
            used = solved & (obs > 0) & np.isfinite(noise) & np.isfinite(res)
            self.counts[s, 0] += int((obs > 0).sum())
            self.counts[s, 1] += int(used.sum())
            self.counts[s, 2] += int((np.asarray(out["dropped"][s]) > 0).sum())
            self.sums[s, 0] += int(obs[used].astype(np.int64).sum())
            self.sums[s, 1] += int(np.rint(noise[used] * self.SCALE).astype(np.int64).sum())
            self.sums[s, 2] += int(np.rint(res[used] * self.SCALE).astype(np.int64).sum())
            bins = np.searchsorted(self.BINS, res[used])
            self.residuals[s] += np.bincount(bins, minlength=self.BINS.size + 1)
            over = res[used] > self.HIGH_RATIO * noise[used]
            self.high[s] += np.bincount(bins[over], minlength=self.BINS.size + 1)

    def far_above(self, s: int) -> int:
        """Pixels of stack ``s`` whose residual RMS exceeds :data:`HIGH_RATIO` times both their noise and the stack's
        median residual RMS."""
        hist = self.residuals[s]
        n = int(hist.sum())
        if not n:
            return 0
        median_bin = int(np.searchsorted(np.cumsum(hist), (n + 1) // 2))
        edge = self.BINS[min(median_bin, self.BINS.size - 1)]  # the median's bin's upper edge
        return int(self.high[s, int(np.searchsorted(self.BINS, self.HIGH_RATIO * edge)) + 1:].sum())

    def table(self) -> list:
        out = []
        for s, row in enumerate(self.rows):
            n = int(self.counts[s, 1])
            mean = [self.sums[s, k] / n if n else float("nan") for k in range(3)]
            noise, res = mean[1] / self.SCALE, mean[2] / self.SCALE
            out.append({**row, "pixels_with_data": int(self.counts[s, 0]), "pixels_solved": n,
                        "pixels_network_split": int(self.counts[s, 2]),
                        "mean_observations": round(mean[0], 2) if n else "",
                        "mean_noise_sigma_mm": round(noise, 3) if n else "",
                        "mean_residual_rms_mm": round(res, 3) if n else "",
                        "residual_to_noise": round(res / noise, 3) if n and noise > 0 else "",
                        "pixels_residual_far_above": self.far_above(s)})
        return out

    def warnings(self) -> list:
        """One line per stack whose residuals are far above its noise: on the whole stack (mean residual over
        :data:`WARN_MEAN_RATIO` times the mean noise), or on at least :data:`WARN_SHARE` of its solved pixels. Its
        data disagree with the other stacks and the motion model there (an unwrapping error, a reference that moves,
        a wrong unit, wavelength or geometry)."""
        lines = []
        why = ("its data disagree with the other stacks and the motion model there; check it for unwrapping errors, "
               "a reference that moves, or a wrong unit, wavelength or geometry (OUTPUT_REPORT has the numbers, "
               "OUTPUT_QUALITY's residual band the places)")
        for s, row in enumerate(self.rows):
            n, high = int(self.counts[s, 1]), self.far_above(s)
            mean_ratio = self.sums[s, 2] / self.sums[s, 1] if n and self.sums[s, 1] else 0.0
            if n and high >= self.WARN_SHARE * n:
                lines.append(f"stack {row['stack']!r}: its residuals are far above its noise (more than twice, and "
                             f"twice its median residual) on {100.0 * high / n:.1f} % of its pixels ({high} of {n}): "
                             + why)
            elif mean_ratio > self.WARN_MEAN_RATIO:
                lines.append(f"stack {row['stack']!r}: its residuals are {mean_ratio:.1f} times its noise on average "
                             f"over its {n} pixels: " + why)
        return lines


class Outputs:
    """The tool's outputs written block by block: up / east time series and their sigma (the dock's metadata), the
    velocities, the quality and gap rasters when asked for, and the per-stack report.

    ``dest``: ``{output ID: path}`` (``OUTPUT_QUALITY`` / ``OUTPUT_GAPS`` only when wanted); ``rows``: the fixed
    columns of the report, one dict per stack; ``sources``: the input series' paths."""

    SERIES = {"OUTPUT_UP": ("up", {COMPONENT_KEY: "UP", "SIGN": "up positive"}),
              "OUTPUT_EAST": ("east", {COMPONENT_KEY: "EAST", "SIGN": "east positive"}),
              "OUTPUT_SIGMA_UP": ("sigma_up", {SIGMA_KEY: "UP"}),
              "OUTPUT_SIGMA_EAST": ("sigma_east", {SIGMA_KEY: "EAST"})}
    QUALITY = ["status (0 solved, 1 no data, 2 one geometry, 3 singular)", "mean squared normalised residual",
               "east velocity error per mm/yr of north neglected", "up velocity error per mm/yr of north neglected",
               "east random-walk density (mm^2/yr^3)", "up random-walk density (mm^2/yr^3)"]

    def __init__(self, dest: dict, problem, grid: Grid, rows: list, sources: list, resampling: str):
        self.problem, self.north = problem, problem.north.mode
        meta = {"UNIT": "mm", "REFERENCE_DATE": problem.reference_date.isoformat(), "NORTH_MODE": problem.north.label,
                GROUP_KEY: group_id(sorted(dest.values()), sources), SOURCES_KEY: ";".join(sources),
                "RESAMPLING": resampling, "STACKS": ";".join(p.spec.name for p in problem.plans),
                "GAPS": ";".join(f"{g.last_before}/{g.first_after}" for g in problem.gaps),
                "PROCESSING": "geohazard:multisensortimeseries"}
        self.writers = series_writers({k: (dest[k], extra) for k, (_, extra) in self.SERIES.items() if k in dest},
                                      grid, problem.dates, problem.observed, meta)
        info = grid.info()
        base = {k: meta[k] for k in ("REFERENCE_DATE", "NORTH_MODE", GROUP_KEY, "PROCESSING")}
        vel = ["east velocity (mm/yr)", "up velocity (mm/yr)", "sigma east velocity (mm/yr)",
               "sigma up velocity (mm/yr)"] + (["north velocity (mm/yr)", "sigma north velocity (mm/yr)"]
                                               if self.north != "zero" else [])
        if "OUTPUT_VELOCITY" in dest:
            self.writers["OUTPUT_VELOCITY"] = RasterWriter.like(dest["OUTPUT_VELOCITY"], info, count=len(vel),
                                                                descriptions=vel, metadata={**base, "UNIT": "mm/yr"})
        if "OUTPUT_QUALITY" in dest:
            self.writers["OUTPUT_QUALITY"] = RasterWriter.like(dest["OUTPUT_QUALITY"], info, count=len(self.QUALITY),
                                                               descriptions=self.QUALITY, metadata=base)
        gaps = [f"{g.last_before}..{g.first_after} {what}" for g in problem.gaps
                for what in ("east (mm)", "up (mm)", "sigma east (mm)", "sigma up (mm)")]
        if "OUTPUT_GAPS" in dest and gaps:
            self.writers["OUTPUT_GAPS"] = RasterWriter.like(dest["OUTPUT_GAPS"], info, count=len(gaps),
                                                            descriptions=gaps, metadata=base)
        self.report = StackReport(rows)

    def write(self, block, out: dict) -> None:
        r, w = block.row0, self.writers
        for key, (comp, _) in self.SERIES.items():
            if key in w:
                w[key].write(np.asarray(out[comp], np.float32), row=r)
        if "OUTPUT_VELOCITY" in w:
            vel = [out["velocity"][0], out["velocity"][1], out["sigma_velocity"][0], out["sigma_velocity"][1]]
            if "velocity_north" in out:
                vel += [out["velocity_north"], out["sigma_velocity_north"]]
            w["OUTPUT_VELOCITY"].write(np.stack(vel).astype(np.float32), row=r)
        if "OUTPUT_QUALITY" in w:
            leak = out.get("leak_per_north")
            nan = np.full(out["chi2"].shape, np.nan, np.float32)
            q = [out["status"].astype(np.float32), out["chi2"], nan if leak is None else leak[0],
                 nan if leak is None else leak[1], out["process_noise"][0], out["process_noise"][1]]
            w["OUTPUT_QUALITY"].write(np.stack(q).astype(np.float32), row=r)
        if "OUTPUT_GAPS" in w:
            g = []
            for gi in range(len(self.problem.gaps)):
                g += [out["gap_displacement"][gi, 0], out["gap_displacement"][gi, 1], out["gap_sigma"][gi, 0],
                      out["gap_sigma"][gi, 1]]
            w["OUTPUT_GAPS"].write(np.stack(g).astype(np.float32), row=r)
        self.report.add(out)

    def finish(self, report_path: str, context, log=None) -> dict:
        """Paths of the outputs, the report written when asked for, every raster styled, one log line per stack and a
        warning per stack whose residuals are far above its noise."""
        out = {k: wr.path for k, wr in self.writers.items()}
        table = self.report.table()
        if report_path:
            out["OUTPUT_REPORT"] = write_csv(report_path, table, fields=list(StackReport.COLUMNS))
        if log is not None:
            for row in table:
                log.push_info(f"stack {row['stack']!r}: solved on {row['pixels_solved']} pixels, mean noise "
                              f"{row['mean_noise_sigma_mm']} mm, mean residual RMS {row['mean_residual_rms_mm']} mm")
            for line in self.report.warnings():
                log.push_warning(line)
        k = len(self.problem.dates)
        for key in ("OUTPUT_UP", "OUTPUT_EAST"):
            if key in out:
                styles.style_raster_diverging(out[key], context=context, band=k)
        for key in ("OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST"):
            if key in out:
                styles.style_raster_sequential(out[key], context=context, band=k, ramp_name="Viridis")
        if "OUTPUT_VELOCITY" in out:
            styles.style_raster_diverging(out["OUTPUT_VELOCITY"], context=context, band=2)
        if "OUTPUT_QUALITY" in out:
            styles.style_raster_classified(out["OUTPUT_QUALITY"], [
                (0, "solved", "#2c7bb6"), (1, "no data", "#bdbdbd"), (2, "one geometry", "#fdae61"),
                (3, "singular", "#d7191c")], context=context, band=1)
        return out


def report_rows(problem, entries) -> list:
    """The fixed columns of the per-stack report (``entries``: the tool's stacks, in the problem's order)."""
    rows = []
    for p, e in zip(problem.plans, entries):
        f = e.file
        geo = "per-pixel" if p.const_vec is None else "LOS ({:.3f}, {:.3f}, {:.3f})".format(*p.const_vec)
        rows.append({"stack": f.name, "kind": f.kind, "dates": len(p.dates), "first_date": p.dates[0].isoformat(),
                     "last_date": p.dates[-1].isoformat(), "wavelength_m": e.given.get("wavelength_m") or "",
                     "units": e.given["units"], "geometry": geo})
    return rows
