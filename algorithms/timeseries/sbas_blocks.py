"""SBAS / ISBAS on the block engine (:mod:`algorithms.engine`): pure block functions and their reductions.

Two passes over the interferogram stack, each a :func:`~algorithms.engine.process_blocks` run:

1. **scan** (:func:`scan_block`, summed in plan order by :class:`StackScan`): valid
   interferograms per pixel, mean coherence per pixel and per interferogram, for the
   automatic reference pixel and the coherence filter of the network;
2. **solve** (:func:`sbas_block`): :meth:`~algorithms.timeseries.sbas.SbasSolver.solve` of
   the block; :class:`SbasCollector` keeps, in plan order, what outlives the blocks (the
   points, the full velocity grid of a MintPy ``velocity.h5``, the count of pixels whose
   network is disconnected).

``inputs["stack"]`` is ``(ifg_mm, coherence)``: LOS mm ``(M, rows, cols)`` (positive toward
the satellite, secondary minus reference) and the coherence of the same pairs or ``None``.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..ordered import RowSums, row_sums, sum_first_axis
from .ground_reference import ground_sums_block

#: Names of the rasters :func:`sbas_block` returns, in the order of the tool's outputs.
SBAS_RASTERS = ("timeseries", "velocity", "velocity_std", "temporal_coherence", "count")


def sbas_block(block, inputs, *, solver, reference_mm: Optional[np.ndarray] = None,
               timeseries_float32: bool = False) -> dict:
    """Invert one block: ``timeseries`` (N, rows, cols) mm, ``velocity``/``velocity_std`` mm/yr,
    ``temporal_coherence`` (0..1), ``count`` (interferograms used, int16) and ``disconnected``
    (number of pixels whose network of usable interferograms has several subsets).

    ``timeseries_float32``: the time series rounded to float32 here (half the bytes a Dask worker sends
    back; the same values when every consumer stores float32)."""
    ifg, coh = inputs["stack"]
    res = solver.solve(ifg, coherence=coh, reference_mm=reference_mm)
    ts = res.timeseries_mm.astype(np.float32) if timeseries_float32 else res.timeseries_mm
    return {"timeseries": ts, "velocity": res.velocity_mm_yr,
            "velocity_std": res.velocity_std_mm_yr, "temporal_coherence": res.temporal_coherence,
            "count": res.count.astype(np.int16), "disconnected": np.int64(res.disconnected.sum())}


def referenced(stack_block: tuple, reference_mm: Optional[np.ndarray]) -> tuple:
    """``(ifg_mm - reference_mm, coherence)`` with the subtraction done in place (float64).

    The same IEEE subtraction :meth:`SbasSolver.solve` does with ``reference_mm``, so solving
    the result without a reference gives the same bits; done where the block is read (the
    engine's reader thread), it costs no allocation and leaves the solver thread free.
    """
    ifg, coh = stack_block
    if reference_mm is None:
        return ifg, coh
    if ifg.dtype != np.float64 or not ifg.flags.writeable:
        ifg = np.array(ifg, dtype=np.float64)
    ref = np.asarray(reference_mm, dtype=np.float64)
    np.subtract(ifg, ref.reshape((ref.size,) + (1,) * (ifg.ndim - 1)), out=ifg)
    return ifg, coh


def scan_block(block, inputs, *, coherence: bool, ground: Optional[tuple] = None) -> dict:
    """Valid count per pixel; with ``coherence`` also the per-pixel coherence sum (NaN as 0) and,
    per interferogram, the sum of the finite coherence values of each row of the block
    (``ifg_coh_sum`` ``(rows, M)``, added in row order by :class:`StackScan`) and their number; with ``ground`` =
    ``(span_years, triplets, closure offsets)`` the stacking-rate and loop-closure sums of the automatic reference
    (:func:`.ground_reference.ground_sums_block`)."""
    ifg, coh = inputs["stack"]
    out = {"count": np.isfinite(ifg).sum(axis=0)}
    if ground is not None:
        out.update(ground_sums_block(ifg, span_years=ground[0], triplets=ground[1], offsets=ground[2]))
    if coherence:
        m = coh.shape[0]
        c0 = np.where(np.isfinite(coh), coh, 0.0)
        out["coh_sum"] = sum_first_axis(c0)
        out["ifg_coh_sum"] = row_sums(c0).T
        out["ifg_coh_n"] = np.isfinite(coh.reshape(m, -1)).sum(axis=1)
    return out


class StackScan:
    """Writer of the scan pass: fills the per-pixel grids and adds the per-interferogram row sums in row order
    (the same totals for any block layout, :mod:`algorithms.ordered`)."""

    GROUND = ("sdt", "dt2", "loop_ss", "loop_n")

    def __init__(self, n_rows: int, n_cols: int, n_pairs: int, *, coherence: bool, ground: bool = False):
        self.n_pairs = int(n_pairs)
        self.coherence = bool(coherence)
        self.count = np.zeros((n_rows, n_cols), np.int32)
        #: the per-pixel sums of the automatic reference (:mod:`.ground_reference`), when asked
        self.ground = {k: np.zeros((n_rows, n_cols)) for k in self.GROUND} if ground else None
        self.coh_sum = np.zeros((n_rows, n_cols)) if coherence else None
        self.ifg_coh_sum = np.zeros(n_pairs)
        self.ifg_coh_n = np.zeros(n_pairs)
        self._rows = RowSums()

    def __call__(self, block, out: dict) -> None:
        self.count[block.row0:block.row1] = out["count"]
        if self.ground is not None:
            for k in self.GROUND:
                self.ground[k][block.row0:block.row1] = out[k]
        if self.coherence:
            self.coh_sum[block.row0:block.row1] = out["coh_sum"]
            self._rows.add(block.row0, {"ifg_coh_sum": out["ifg_coh_sum"]})
            self.ifg_coh_sum = self._rows.totals["ifg_coh_sum"]
            self.ifg_coh_n += out["ifg_coh_n"]

    def result(self) -> tuple:
        """``(count, mean coherence per pixel or None, mean coherence per interferogram or None)``."""
        if not self.coherence:
            return self.count, None, None
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.count, self.coh_sum / self.n_pairs, self.ifg_coh_sum / self.ifg_coh_n


def pixel_centres(geotransform, rows, cols) -> tuple:
    """Map x, y of the centres of pixels ``rows``, ``cols`` (GDAL geotransform, corner origin)."""
    gt = geotransform
    r = np.asarray(rows, dtype=np.float64) + 0.5
    c = np.asarray(cols, dtype=np.float64) + 0.5
    return gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]


class SbasCollector:
    """What the solve pass keeps across blocks (called in plan order with each block's outputs).

    ``points``: the solved pixels (finite velocity) with map x, y, ``VEL``, ``V_STDEV``,
    ``COHERENCE``, their time series (float32) and, with ``read_height(r0, r1)``, ``HEIGHT``.
    ``full_velocity``: the velocity and its standard error as whole grids (MintPy velocity.h5).
    """

    def __init__(self, shape: tuple, *, geotransform=None, points: bool = False, full_velocity: bool = False,
                 read_height: Optional[Callable] = None, style_stats: bool = False):
        self.gt = geotransform
        self.points = points
        self.read_height = read_height
        self.n_disconnected = 0
        keep = full_velocity or style_stats
        self.velocity = np.full(shape, np.nan, np.float32) if keep else None
        self.velocity_std = np.full(shape, np.nan, np.float32) if keep else None
        self.last_date = np.full(shape, np.nan, np.float32) if style_stats else None
        self.pts: dict = {"x": [], "y": [], "VEL": [], "V_STDEV": [], "COHERENCE": [], "HEIGHT": [], "ts": []}

    def __call__(self, block, out: dict) -> None:
        r0, r1 = block.row0, block.row1
        self.n_disconnected += int(out["disconnected"])
        vel = out["velocity"]
        if self.velocity is not None:
            self.velocity[r0:r1] = vel
            self.velocity_std[r0:r1] = out["velocity_std"]
        if self.last_date is not None:
            self.last_date[r0:r1] = out["timeseries"][-1]
        if self.points:
            rr, cc = np.nonzero(np.isfinite(vel))
            x, y = pixel_centres(self.gt, rr + r0, cc)
            self.pts["x"].append(x)
            self.pts["y"].append(y)
            self.pts["VEL"].append(vel[rr, cc])
            self.pts["V_STDEV"].append(out["velocity_std"][rr, cc])
            self.pts["COHERENCE"].append(out["temporal_coherence"][rr, cc])
            self.pts["ts"].append(out["timeseries"][:, rr, cc].astype(np.float32))
            if self.read_height is not None:
                self.pts["HEIGHT"].append(self.read_height(r0, r1)[rr, cc])

    def style_ranges(self, percentile: float = 98.0) -> Optional[dict]:
        """Colour-ramp limits of the written (float32) velocity, last date and velocity error, as the styles
        would read them back from the files: the ``percentile`` of ``|value|`` and the min / max."""
        if self.last_date is None:
            return None

        def sym(a):
            finite = np.abs(a[np.isfinite(a)])
            v = float(np.percentile(finite, percentile)) if finite.size else 1.0
            return v if v != 0 else 1.0

        finite = self.velocity_std[np.isfinite(self.velocity_std)]
        std = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        return {"velocity": sym(self.velocity), "last_date": sym(self.last_date), "velocity_std": std}

    def point_fields(self, n_dates: int) -> tuple:
        """``(x, y, fields, ts)``: coordinates, the per-point fields and the time series ``(n_dates, n_points)``."""
        def cat(key):
            return np.concatenate(self.pts[key]) if self.pts[key] else np.zeros(0)

        ts = np.concatenate(self.pts["ts"], axis=1) if self.pts["ts"] else np.zeros((n_dates, 0), np.float32)
        n = ts.shape[1]
        fields = {"PID": np.arange(1, n + 1, dtype=np.int64), "VEL": cat("VEL"), "V_STDEV": cat("V_STDEV"),
                  "COHERENCE": cat("COHERENCE")}
        if self.read_height is not None:
            fields["HEIGHT"] = cat("HEIGHT").astype(np.float64)
        return cat("x"), cat("y"), fields, ts


__all__ = ["sbas_block", "referenced", "scan_block", "StackScan", "SbasCollector", "pixel_centres", "SBAS_RASTERS"]
