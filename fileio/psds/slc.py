"""SLC stacks (one file per date, or dated bands; SNAP i/q pairs) and their block-engine source."""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from osgeo import gdal

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import field_name
from ...algorithms.formats.slc import date_from_description, date_from_name
from ...algorithms.progress import iter_blocks, warn
from ...algorithms.psds.ps import ps_ds_selection
from ..base.raster import DEFAULT_BLOCK_ROWS, check_same_grid, open_raster, raster_info, read_band
from ..base.vector import write_vector

_COMPLEX = (gdal.GDT_CInt16, gdal.GDT_CInt32, gdal.GDT_CFloat32, gdal.GDT_CFloat64)


def _band_type(path: str, band: int) -> int:
    ds = open_raster(path)
    return ds.GetRasterBand(band).DataType  # ds stays referenced until the band is read


class SlcStack:
    """Dated bands of a stack: one file per date, or one multi-band file with dated bands.

    SNAP BEAM-DIMAP products with ``i_*``/``q_*`` band pairs are read as complex.
    """

    def __init__(self, paths, name: str = "INPUT", *, need_complex: bool = True):
        if not paths:
            raise GeohazardError(f"{name}: no raster was given")
        entries = []
        infos = []
        for p in paths:
            info = raster_info(p, name)
            infos.append(info)
            ds = open_raster(p, name)
            descs = info.descriptions
            iq = {}
            for b, d in enumerate(descs):
                low = (d or "").lower()
                if low.startswith(("i_", "q_")):
                    iq.setdefault(d[2:], {})[low[0]] = b + 1
            if iq and all(len(v) == 2 for v in iq.values()):
                for key, v in iq.items():
                    entries.append((date_from_description(key), p, v["i"], v["q"]))
                continue
            if info.count == 1:
                try:
                    d = date_from_name(p)
                except GeohazardError:
                    if not descs[0]:
                        raise
                    d = date_from_description(descs[0])
                entries.append((d, p, 1, None))
            else:
                for b in range(info.count):
                    if not descs[b]:
                        raise GeohazardError(
                            f"{name}: band {b + 1} of {os.path.basename(p)} has no description; a multi-band "
                            "stack needs one date per band description (e.g. 2020-01-13)")
                    entries.append((date_from_description(descs[b]), p, b + 1, None))
            if need_complex and not iq:
                dt = ds.GetRasterBand(1).DataType
                if dt not in _COMPLEX:
                    raise GeohazardError(
                        f"{name}: {os.path.basename(p)} holds real values ({gdal.GetDataTypeName(dt)}); an SLC "
                        "stack must be complex (CInt16 / CFloat32)")
        for info, p in zip(infos[1:], paths[1:]):
            if info.shape != infos[0].shape:
                raise GeohazardError(
                    f"{name}: {os.path.basename(p)} has {info.height} rows x {info.width} columns, expected "
                    f"{infos[0].height} x {infos[0].width} like {os.path.basename(paths[0])}")
        if all(i.has_georef for i in infos):
            check_same_grid(infos, [os.path.basename(p) for p in paths])
        entries.sort(key=lambda e: e[0])
        dates = [e[0] for e in entries]
        dup = sorted({d for d in dates if dates.count(d) > 1})
        if dup:
            raise GeohazardError(f"{name}: date {dup[0].isoformat()} appears more than once in the stack")
        self.paths = [str(p) for p in paths]  # the files given, in their order
        self.dates = dates
        self.entries = entries
        self.info = infos[0]
        self.complex = all(e[3] is not None for e in entries) or all(
            _band_type(e[1], e[2]) in _COMPLEX for e in entries)

    def __len__(self):
        return len(self.entries)

    def source(self) -> "SlcSource":
        """The stack as a block-engine source (read by path where the block runs)."""
        return SlcSource([e[1:] for e in self.entries], self.complex)

    def read_rows(self, r0: int, r1: int) -> np.ndarray:
        return self.source().read(r0, r1, self.info.width)


class SlcSource:
    """Block-engine source of an SLC stack: ``(path, band, q_band or None)`` per date, read as
    ``(n_dates, rows, cols)`` complex64 (float32 for real stacks). Picklable: it holds paths, no dataset."""

    shipped = False  # read where the block runs (a Dask worker re-opens the files by path)

    def __init__(self, entries, is_complex: bool):
        self.entries = [(str(p), int(b), None if q is None else int(q)) for p, b, q in entries]
        self.complex = bool(is_complex)

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        out = None
        for i, (p, b, q) in enumerate(self.entries):
            arr = read_band(p, b, rows=(r0, r1), name=os.path.basename(p))
            if q is not None:
                arr = arr + 1j * read_band(p, q, rows=(r0, r1), name=os.path.basename(p))
            if out is None:
                out = np.empty((len(self.entries),) + arr.shape, np.complex64 if self.complex else np.float32)
            out[i] = arr
        return out


#: Memory budget of one block of the stack (bytes) of the PS/DS selection (:func:`ps_ds_points`); blocks shrink
#: for long stacks / wide images. The engine tools size their blocks with the run's budget (:func:`slc_pixel_bytes`).
BLOCK_BUDGET_BYTES = 256 * 1024 * 1024
#: Memory of one pixel of one date in a block of the SLC engine tools, bytes: the complex64 SLC as read, the block
#: function's float64 work arrays and outputs (tracemalloc: 37.5 for amplitude dispersion, 32 for EMI phase
#: linking) and the writer's conversions.
SLC_BYTES_PER_PIXEL_DATE = 40.0


def slc_pixel_bytes(stack: SlcStack) -> float:
    """Memory of one pixel of a block of the SLC engine tools (amplitude dispersion, phase linking), bytes."""
    return len(stack) * SLC_BYTES_PER_PIXEL_DATE + 64.0


def slc_block_rows(stack: SlcStack, *, cap: int = DEFAULT_BLOCK_ROWS, copies: int = 3) -> int:
    """Rows per block so that ``copies`` complex64 copies of a stack block fit the budget."""
    per_row = max(1, len(stack) * stack.info.width * 8 * copies)
    return int(max(4, min(cap, BLOCK_BUDGET_BYTES // per_row)))


def read_selected_phase(stack: SlcStack, select, block_rows: int, progress=None, no_signal: Optional[list] = None):
    """Phase (radians, relative to the first date for complex stacks) of the pixels ``select`` picks.

    ``select(r0, r1) -> (ps, ds, quality)`` for rows ``r0:r1``. Returns ``rows, cols, kinds ('PS'/'DS'),
    quality, phase (n_dates, n_points)``, or ``None`` when no pixel was selected. A complex pixel whose
    amplitude is zero or not finite on some date has no phase there and is left out; their count is
    appended to ``no_signal``."""
    info = stack.info
    rows, cols, kinds, quality, phases = [], [], [], [], []
    for r0, r1, _, _ in iter_blocks(info.height, block_rows, progress=progress):
        ps, ds, q = select(r0, r1)
        sel = ps | ds
        if not sel.any():
            continue
        rr, cc = np.nonzero(sel)
        block = stack.read_rows(r0, r1)[:, rr, cc]
        if np.iscomplexobj(block):
            has_signal = np.all(np.isfinite(block) & (block != 0), axis=0)
            if no_signal is not None:
                no_signal.append(int((~has_signal).sum()))
            if not has_signal.all():
                block, rr, cc = block[:, has_signal], rr[has_signal], cc[has_signal]
                if not rr.size:
                    continue
            block = np.angle(block * np.conj(block[0]))
        phases.append(block.astype(np.float64))
        rows.append(rr + r0)
        cols.append(cc)
        kinds.append(np.where(ps[rr, cc], "PS", "DS"))
        quality.append(q[rr, cc])
    if not rows:
        return None
    return (np.concatenate(rows), np.concatenate(cols), np.concatenate(kinds), np.concatenate(quality),
            np.concatenate(phases, axis=1))


def point_coordinates(info, rows, cols, lat_path=None, lon_path=None):
    """``(x, y, crs_wkt)`` of the pixels ``rows, cols``: map coordinates of a georeferenced stack; else
    longitude/latitude sampled from the LATITUDE/LONGITUDE rasters (EPSG:4326); else pixel
    coordinates (column + 0.5, -(row + 0.5)) without CRS."""
    if info.has_georef:
        x, y = info.pixel_centres(rows, cols)
        return x, y, info.crs_wkt
    if lat_path:
        from osgeo import osr

        srs = osr.SpatialReference()
        srs.ImportFromEPSG(4326)
        return _sample(lon_path, rows, cols), _sample(lat_path, rows, cols), srs.ExportToWkt()
    return cols + 0.5, -(rows + 0.5), ""


def _sample(path, rows, cols):
    r0, r1 = int(rows.min()), int(rows.max()) + 1
    arr = read_band(path, rows=(r0, r1), dtype=np.float64)
    return arr[rows - r0, cols]


def ps_ds_points(stack: SlcStack, dispersion_path, coherence_path, *, dispersion_threshold: float,
                 coherence_threshold: float, names, progress=None) -> tuple:
    """``(rows, cols, kinds, quality, phase)`` of the PS (amplitude dispersion <= ``dispersion_threshold``) and
    DS (temporal coherence >= ``coherence_threshold``) pixels (:func:`~algorithms.psds.ps.ps_ds_selection`),
    their phase read block by block; refused when there is none."""
    width = stack.info.width

    def select(r0, r1):
        da, tc = (read_band(path, rows=(r0, r1), name=name, dtype=np.float64) if path else None
                  for name, path in zip(names, (dispersion_path, coherence_path)))
        return ps_ds_selection((r1 - r0, width), da, tc, dispersion_threshold=dispersion_threshold,
                               coherence_threshold=coherence_threshold)

    no_signal: list = []
    picked = read_selected_phase(stack, select, slc_block_rows(stack), progress, no_signal=no_signal)
    if sum(no_signal) and picked is None:
        raise GeohazardError(f"INPUT: all {sum(no_signal)} selected pixels have zero amplitude on at least one "
                             "date: their phase is undefined (an empty or zero-filled SLC?); check the stack")
    if sum(no_signal):
        warn(progress, f"INPUT: {sum(no_signal)} selected pixel(s) have zero amplitude on at least one date "
                       "(no phase there) and are left out")
    if picked is None:
        raise GeohazardError(f"no PS (D_A <= {dispersion_threshold:g}) or DS (temporal coherence >= "
                             f"{coherence_threshold:g}) point found; relax the thresholds")
    return picked


def write_ps_points(path: str, info, res, rows, cols, kinds, dates, lat_path=None, lon_path=None, *,
                    has_bperp: bool, progress=None) -> str:
    """The points kept by :func:`~algorithms.psds.psi.ps_time_series` with their row, column, type,
    velocity, its standard deviation, coherence, DEM error (with baselines) and displacement per date."""
    k = res.index
    px, py, crs = point_coordinates(info, rows[k], cols[k], lat_path, lon_path)
    fields = {"ROW": rows[k].astype(np.int64), "COL": cols[k].astype(np.int64), "TYPE": kinds[k].astype(object),
              "VEL": res.velocity_mm_yr, "V_STDEV": res.velocity_std_mm_yr, "COHERENCE": res.coherence,
              "HEIGHT_ERR": res.height_error_m if has_bperp else np.full(k.size, np.nan),
              **{field_name(d): res.displacement_mm[i] for i, d in enumerate(dates)}}
    return write_vector(path, fields, crs_wkt=crs, x=px, y=py, progress=progress)
