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
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import gdal, osr

from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date, parse_date_pairs
from ..algorithms.formats.wavelength import wavelength_from_metadata
from ..algorithms.geometry.terrain import slope_aspect
from . import styles
from .blocks import raster_source
from .raster import RasterInfo, RasterWriter, open_raster, raster_info
from .stacks import filter_stack_files, open_stack, stack_source
from .writers import write_csv

#: GDAL resampling of the stacks and rasters that are not on the output grid (the tool's RESAMPLING options).
RESAMPLINGS = ("bilinear", "nearest", "average", "cubic")

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


def _metadata(path: str) -> dict:
    ds = open_raster(path)
    md = dict(ds.GetMetadata() or {})
    band = ds.GetRasterBand(1)
    for k, v in (band.GetMetadata() or {}).items():
        md.setdefault(k, v)
    return md


def _float(md: dict, key: str, name: str) -> Optional[float]:
    if key not in md or str(md[key]).strip() == "":
        return None
    try:
        value = float(md[key])
    except ValueError:
        raise GeohazardError(f"stack {name!r}: metadata {key}={md[key]!r} is not a number") from None
    return value if math.isfinite(value) else None


def _apply_metadata(st: StackFile, md: dict) -> StackFile:
    unit = str(md.get("UNIT", md.get("UNITS", ""))).strip().lower()
    if unit:
        if unit not in _UNITS:
            raise GeohazardError(f"stack {st.name!r}: metadata UNIT={unit!r} is not one of mm, m, rad")
        st.units = _UNITS[unit]
    found = wavelength_from_metadata(md)
    if found is not None:
        st.wavelength_m = float(found[1])
    st.incidence_deg = _float(md, "INCIDENCE_DEG", st.name)
    st.heading_deg = _float(md, "HEADING_DEG", st.name)
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
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += filter_stack_files(sorted(os.path.join(p, f) for f in os.listdir(p)), "ifg")
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
    st = StackFile(name, "interferograms", files, info, pairs=pairs, metadata_source=os.path.basename(files[0]))
    return _apply_metadata(st, _metadata(files[0]))


# ---------------------------------------------------------------------------------------------- the output grid
@dataclass
class Grid:
    """The output grid: size, geotransform (north up), CRS."""

    width: int
    height: int
    geotransform: tuple
    crs_wkt: str

    @property
    def shape(self) -> tuple:
        return (self.height, self.width)

    def info(self) -> RasterInfo:
        return RasterInfo("", self.width, self.height, 1, self.geotransform, self.crs_wkt)

    def bounds(self) -> tuple:
        gt = self.geotransform
        return (gt[0], gt[3] + self.height * gt[5], gt[0] + self.width * gt[1], gt[3])

    def pixel_of(self, x: float, y: float) -> tuple:
        gt = self.geotransform
        return int(math.floor((y - gt[3]) / gt[5])), int(math.floor((x - gt[0]) / gt[1]))


def _srs(wkt: str) -> Optional[osr.SpatialReference]:
    if not wkt:
        return None
    s = osr.SpatialReference()
    s.ImportFromWkt(wkt)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def _extent_in(info: RasterInfo, target_wkt: str) -> tuple:
    """``(xmin, ymin, xmax, ymax)`` of ``info``'s footprint in ``target_wkt`` (edges densified)."""
    gt = info.geotransform
    cols = np.linspace(0, info.width, 21)
    rows = np.linspace(0, info.height, 21)
    edge = [(c, 0) for c in cols] + [(c, info.height) for c in cols] + [(0, r) for r in rows] + \
        [(info.width, r) for r in rows]
    xs = np.array([gt[0] + c * gt[1] + r * gt[2] for c, r in edge])
    ys = np.array([gt[3] + c * gt[4] + r * gt[5] for c, r in edge])
    src, dst = _srs(info.crs_wkt), _srs(target_wkt)
    if src is not None and dst is not None and not src.IsSame(dst):
        tr = osr.CoordinateTransformation(src, dst)
        pts = np.array(tr.TransformPoints(list(zip(xs.tolist(), ys.tolist()))))
        xs, ys = pts[:, 0], pts[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def output_grid(infos: list, names: list, template: Optional[RasterInfo] = None) -> tuple:
    """``(grid, text)``: the template's grid, else the finest input grid over the union of the inputs' extents.

    The finest grid is that of the stack with the smallest pixel area (in its CRS, which the output takes); the
    union is snapped to it, so that stack is read as it is."""
    if template is not None:
        return Grid(template.width, template.height, tuple(template.geotransform), template.crs_wkt), \
            f"the grid of TEMPLATE ({os.path.basename(template.path)}: {template.width} x {template.height} pixels)"
    for info, nm in zip(infos, names):
        gt = info.geotransform
        if gt[2] or gt[4]:
            raise GeohazardError(f"stack {nm!r} has a rotated geotransform; warp it to a north-up grid first")
    crs = [i.crs_wkt for i in infos]
    if any(crs) and not all(crs):
        missing = [n for n, c in zip(names, crs) if not c]
        raise GeohazardError(f"stack(s) {', '.join(repr(m) for m in missing)} have no CRS while others have one; "
                             "give every stack a CRS (or none, all on one radar grid)")
    areas = [abs(i.geotransform[1] * i.geotransform[5]) for i in infos]
    k = int(np.argmin(areas))
    fine = infos[k]
    gt = fine.geotransform
    ext = np.array([_extent_in(i, fine.crs_wkt) for i in infos])
    for a, nm in enumerate(names):
        meets = [b for b in range(len(names)) if b != a and ext[a, 0] < ext[b, 2] and ext[b, 0] < ext[a, 2]
                 and ext[a, 1] < ext[b, 3] and ext[b, 1] < ext[a, 3]]
        if len(names) > 1 and not meets:
            others = ", ".join(repr(m) for m in names if m != nm)
            raise GeohazardError(f"stack {nm!r} and the other stacks ({others}) do not overlap in space; check its "
                                 "extent and CRS")
    xmin, ymin, xmax, ymax = ext[:, 0].min(), ext[:, 1].min(), ext[:, 2].max(), ext[:, 3].max()
    dx, dy = gt[1], gt[5]  # dy < 0 for north-up
    c0 = math.floor((xmin - gt[0]) / dx + 1e-9)
    c1 = math.ceil((xmax - gt[0]) / dx - 1e-9)
    r0 = math.floor((ymax - gt[3]) / dy + 1e-9)
    r1 = math.ceil((ymin - gt[3]) / dy - 1e-9)
    grid = Grid(int(c1 - c0), int(r1 - r0), (gt[0] + c0 * dx, dx, 0.0, gt[3] + r0 * dy, 0.0, dy), fine.crs_wkt)
    if grid.width * grid.height > 400_000_000:
        raise GeohazardError(f"the union of the stacks' extents on the finest grid ({names[k]!r}) is {grid.width} x "
                             f"{grid.height} pixels; give a TEMPLATE raster with the grid wanted")
    return grid, (f"the finest input grid ({names[k]!r}: pixel {abs(dx):g} x {abs(dy):g}) over the union of the "
                  f"stacks' extents: {grid.width} x {grid.height} pixels")


def footprint(info: RasterInfo, grid: Grid) -> np.ndarray:
    """Pixels of ``grid`` inside ``info``'s extent (bool, the grid's shape)."""
    x0, y0, x1, y1 = _extent_in(info, grid.crs_wkt) if info.crs_wkt else \
        (info.geotransform[0], info.geotransform[3] + info.height * info.geotransform[5],
         info.geotransform[0] + info.width * info.geotransform[1], info.geotransform[3])
    gt = grid.geotransform
    xs = gt[0] + (np.arange(grid.width) + 0.5) * gt[1]
    ys = gt[3] + (np.arange(grid.height) + 0.5) * gt[5]
    return (ys[:, None] > y0) & (ys[:, None] < y1) & (xs[None, :] > x0) & (xs[None, :] < x1)


class GridFolder:
    """A temporary folder of VRTs that put rasters on the output grid; removed when closed."""

    def __init__(self, grid: Grid, resampling: str):
        if resampling not in RESAMPLINGS:
            raise GeohazardError(f"RESAMPLING must be one of {RESAMPLINGS}, got {resampling!r}")
        self.grid, self.resampling = grid, resampling
        self.folder = tempfile.mkdtemp(prefix="insar_geohazards_grid_")
        self.warped: list = []
        self.placed: list = []

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def on_grid(self, path: str, name: str) -> str:
        """``path`` itself when it lies on the grid; a VRT window of it when its pixels are the grid's (same CRS,
        pixel size and alignment: values untouched, NaN outside it); else a VRT warping it onto the grid with the
        resampling (same file name + .vrt, so date pairs in names survive)."""
        info = raster_info(path, name)
        g = self.grid
        same_crs = (not info.crs_wkt and not g.crs_wkt) or bool(
            info.crs_wkt and g.crs_wkt and _srs(info.crs_wkt).IsSame(_srs(g.crs_wkt)))
        gi, gg = info.geotransform, g.geotransform
        tol = 1e-6 * abs(gg[1])
        if same_crs and info.shape == g.shape and np.allclose(gi, gg, rtol=0, atol=tol):
            return path
        sub = os.path.join(self.folder, str(len(self.warped) + len(self.placed)))
        os.makedirs(sub, exist_ok=True)
        dst = os.path.join(sub, os.path.basename(path) + ".vrt")
        col = (gg[0] - gi[0]) / gi[1]
        row = (gg[3] - gi[3]) / gi[5]
        aligned = same_crs and abs(gi[1] - gg[1]) < tol and abs(gi[5] - gg[5]) < tol and not (gi[2] or gi[4]) \
            and abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6
        if aligned:
            opts = gdal.TranslateOptions(format="VRT", srcWin=[int(round(col)), int(round(row)), g.width, g.height],
                                         noData="nan", outputType=gdal.GDT_Float32)
            ds = gdal.Translate(dst, path, options=opts)
            self.placed.append((name, os.path.basename(path)))
        else:
            if not info.crs_wkt or not g.crs_wkt:
                raise GeohazardError(f"{name}: {os.path.basename(path)} is not on the output grid and has no CRS to "
                                     "warp it with; give rasters on one grid, or with their CRS")
            xmin, ymin, xmax, ymax = g.bounds()
            opts = gdal.WarpOptions(format="VRT", outputBounds=(xmin, ymin, xmax, ymax), width=g.width,
                                    height=g.height, dstSRS=g.crs_wkt, resampleAlg=self.resampling,
                                    dstNodata=float("nan"), outputType=gdal.GDT_Float32, multithread=False)
            ds = gdal.Warp(dst, path, options=opts)
            self.warped.append((name, os.path.basename(path)))
        if ds is None:
            raise GeohazardError(f"{name}: {os.path.basename(path)} could not be put on the output grid")
        ds = None
        return dst

    def log_text(self) -> str:
        """What was resampled and what was only placed on the grid, for the log."""
        text = f"Resampled onto the output grid with {self.resampling}: " + (
            ", ".join(f"{n} ({f})" for n, f in self.warped) if self.warped else "none")
        if self.placed:
            text += "; on the output grid's pixels already (values kept, NaN around): " + ", ".join(
                f"{n} ({f})" for n, f in self.placed)
        return text


# ---------------------------------------------------------------------------------------------- inputs on the grid
def series_source(path: str, name: str):
    """A per-date series on the grid as a block-engine source (float64 LOS, every band)."""
    return raster_source(path, bands=None, dtype=np.float64, name=name)


def interferogram_source(paths: list, name: str, wavelength_m: Optional[float]):
    """``(pairs, source)``: interferograms on the grid in network order, read as their own units (the core
    converts radians with the stack's wavelength), a later-first pair's sign flipped."""
    stack = open_stack(paths, units=3, wavelength_m=wavelength_m)
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


def raster_on_grid(path: str, name: str):
    """A one-band raster on the grid as a block-engine source (float64)."""
    return raster_source(path, bands=1, dtype=np.float64, name=name)


def pixel_values(source, row: int, col: int, n_cols: int) -> np.ndarray:
    """The values of one pixel in every band of ``source`` (its reference values)."""
    return np.asarray(source.read(row, row + 1, n_cols), np.float64)[..., 0, col].reshape(-1)


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


def series_writers(paths: dict, grid: Grid, dates: list, observed, meta: dict, *, tile_rows=None) -> dict:
    """Writers of the time-series outputs ``{key: (path, extra metadata)}``: one band per model date (ISO date as
    description; band metadata OBSERVED=0 on the dates the temporal model bridges inside a gap)."""
    info = grid.info()
    desc = [d.isoformat() for d in dates]
    out = {}
    for key, (path, extra) in paths.items():
        w = RasterWriter.like(path, info, count=len(dates), descriptions=desc, metadata={**meta, **extra},
                              tile_rows=tile_rows)
        for i, o in enumerate(observed):
            if not o:
                w._ds.GetRasterBand(i + 1).SetMetadataItem("OBSERVED", "0")
        out[key] = w
    return out


class StackReport:
    """Per-stack residual statistics summed block by block, the same whatever the blocks (integer sums of
    values rounded to 1e-6)."""

    SCALE = 1e6
    COLUMNS = ("stack", "kind", "dates", "first_date", "last_date", "wavelength_m", "units", "geometry",
               "pixels_with_data", "pixels_solved", "pixels_network_split", "mean_observations",
               "mean_noise_sigma_mm", "mean_residual_rms_mm", "residual_to_noise")

    def __init__(self, rows: list):
        self.rows = rows  # dicts with the stack's fixed columns
        n = len(rows)
        self.counts = np.zeros((n, 3), np.int64)  # with data, solved, network split
        self.sums = np.zeros((n, 3), np.int64)    # observations, noise sigma, residual rms (solved pixels)

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
                        "residual_to_noise": round(res / noise, 3) if n and noise > 0 else ""})
        return out


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
        self.writers = series_writers({k: (dest[k], extra) for k, (_, extra) in self.SERIES.items()}, grid,
                                      problem.dates, problem.observed, meta)
        info = grid.info()
        base = {k: meta[k] for k in ("REFERENCE_DATE", "NORTH_MODE", GROUP_KEY, "PROCESSING")}
        vel = ["east velocity (mm/yr)", "up velocity (mm/yr)", "sigma east velocity (mm/yr)",
               "sigma up velocity (mm/yr)"] + (["north velocity (mm/yr)", "sigma north velocity (mm/yr)"]
                                               if self.north != "zero" else [])
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
            w[key].write(np.asarray(out[comp], np.float32), row=r)
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
        """Paths of the outputs, the report written, every raster styled, one log line per stack."""
        out = {k: wr.path for k, wr in self.writers.items()}
        table = self.report.table()
        out["OUTPUT_REPORT"] = write_csv(report_path, table, fields=list(StackReport.COLUMNS))
        for row in table:
            if log is not None:
                log.push_info(f"stack {row['stack']!r}: solved on {row['pixels_solved']} pixels, mean noise "
                              f"{row['mean_noise_sigma_mm']} mm, mean residual RMS {row['mean_residual_rms_mm']} mm")
        k = len(self.problem.dates)
        for key in ("OUTPUT_UP", "OUTPUT_EAST"):
            styles.style_raster_diverging(out[key], context=context, band=k)
        for key in ("OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST"):
            styles.style_raster_sequential(out[key], context=context, band=k, ramp_name="Viridis")
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
