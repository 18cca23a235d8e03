"""SAR geometric distortions: layover, shadow, foreshortening, R-index, visibility classes.

Geometry (conventions in :mod:`algorithms.geometry.los`): ``heading_deg`` clockwise from
north, ``incidence_deg`` from the vertical, right-looking unless ``look="left"``. The
*look azimuth* ``phi = heading +/- 90`` is the horizontal direction from the satellite
to the ground, i.e. the direction in which ground range grows.

Two families of effects are told apart:

* **active** layover / shadow: the pixel's own facet is steeper than the geometry allows.
  With ``alpha`` the terrain slope measured along the ground-range direction, positive
  on slopes facing the sensor, active layover is ``alpha > incidence`` and active shadow
  is ``alpha < -(90 - incidence)``. These are per-pixel formulas.
* **passive** layover / shadow: the pixel itself is fine but another part of the terrain
  along the same range line overlaps its slant range (layover) or hides it from the
  sensor (shadow). These need a scan along ground range (:class:`RangeScanner`).

The scan uses the plane-wave (far-field) approximation: with ground-range coordinate
``s`` (metres, growing away from the satellite) and height ``h``, the slant range of a
point is ``r = s sin(theta) - h cos(theta)`` up to a constant, and the ray from a point
to the satellite rises by ``cot(theta)`` metres per metre toward the sensor. A point P is

* in layover when ``r(P) > min r(Q)`` over points Q farther in ground range, or
  ``r(P) < max r(Q)`` over nearer points Q (its echo is superimposed with another one);
* in shadow when ``max (h(Q) + s_Q cot(theta)) > h(P) + s_P cot(theta)`` over nearer Q.

Both are running maxima along the line, so the scan is a single pass per direction with
constant memory per line (``theta`` may change from pixel to pixel: the recursion uses
the local incidence at each step).

References
----------
Kropatsch W.G., Strobl D. (1990), doi:10.1109/36.58986 (layover/shadow detection along
range lines); Notti D. et al. (2014), doi:10.1080/01431161.2014.894528 (R-index and
visibility of landslides); Cigna F. et al. (2014), doi:10.5194/nhess-14-2373-2014
(R-index, layover and shadow masks for PSI landslide mapping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .._numba import njit, prange
from ..engine import CallableSource, plan_blocks, process_blocks
from ..errors import GeohazardError, OperationCanceled
from ..ordered import add_rows
from ..progress import SubProgress
from .los import check_incidence, los_unit_vector
from .terrain import downslope_sensitivity

#: Distortion classes (uint8 raster values; 0 = no data).
ACTIVE_LAYOVER = 1
PASSIVE_LAYOVER = 2
ACTIVE_SHADOW = 3
PASSIVE_SHADOW = 4
STRONG_FORESHORTENING = 5
MODERATE_FORESHORTENING = 6
GOOD_VISIBILITY = 7
DISTORTION_CLASSES = {
    ACTIVE_LAYOVER: "active layover",
    PASSIVE_LAYOVER: "passive layover",
    ACTIVE_SHADOW: "active shadow",
    PASSIVE_SHADOW: "passive shadow",
    STRONG_FORESHORTENING: "strong foreshortening",
    MODERATE_FORESHORTENING: "moderate foreshortening",
    GOOD_VISIBILITY: "good visibility",
}
#: Quality rank of each distortion class (higher is better) used to pick the best geometry.
DISTORTION_RANK = {ACTIVE_SHADOW: 0, PASSIVE_SHADOW: 1, ACTIVE_LAYOVER: 2, PASSIVE_LAYOVER: 3,
                   STRONG_FORESHORTENING: 4, MODERATE_FORESHORTENING: 5, GOOD_VISIBILITY: 6}

#: Visibility / sensitivity classes for slow downslope motion (uint8; 0 = no data).
VIS_SHADOW = 1
VIS_LAYOVER = 2
VIS_PARALLEL = 3
VIS_LOW_SENSITIVITY = 4
VIS_SENSITIVITY = 5
VIS_FLAT = 6
VISIBILITY_CLASSES = {
    VIS_SHADOW: "shadow",
    VIS_LAYOVER: "layover",
    VIS_PARALLEL: "parallel illumination",
    VIS_LOW_SENSITIVITY: "low sensitivity",
    VIS_SENSITIVITY: "sensitivity",
    VIS_FLAT: "flat",
}

#: Scan flag bits.
FLAG_LAYOVER = 1
FLAG_SHADOW = 2


def look_azimuth_deg(heading_deg, *, look: str = "right"):
    """Horizontal azimuth from the satellite to the ground (ground range grows along it)."""
    if look not in ("right", "left"):
        raise GeohazardError(f"look must be 'right' or 'left', got {look!r}")
    return (np.asarray(heading_deg, dtype=np.float64) + (90.0 if look == "right" else -90.0)) % 360.0


def check_heading(heading_deg, *, name: str = "heading_deg") -> np.ndarray:
    """Return ``heading_deg`` as float64 after checking it is a finite angle in [-360, 360]."""
    h = np.asarray(heading_deg, dtype=np.float64)
    finite = h[np.isfinite(h)]
    if finite.size and (finite.min() < -360.0 or finite.max() > 360.0):
        raise GeohazardError(
            f"{name} must be an azimuth in degrees between -360 and 360; got values from "
            f"{finite.min():.6g} to {finite.max():.6g}")
    return h


def range_slope_deg(slope_deg, aspect_deg, heading_deg, *, look: str = "right", method: str = "exact"):
    """Terrain slope along the ground-range direction, positive on slopes facing the sensor.

    Parameters
    ----------
    slope_deg, aspect_deg : array_like
        Slope (degrees from horizontal) and aspect (downhill azimuth, degrees clockwise
        from north; NaN on flat pixels is accepted and means no range slope).
    heading_deg : float or array_like
        Flight direction, degrees clockwise from north.
    look : {"right", "left"}
    method : {"exact", "notti"}
        ``"exact"``: ``alpha = atan(tan(slope) cos(aspect - az_sat))``, the slope of the
        terrain profile cut along the range direction. ``"notti"``: the linearised form
        ``alpha = slope cos(aspect - az_sat)`` used by Notti et al. (2014) (``beta sin A``
        in their notation, with ``A`` the aspect measured from the orbit direction).

    Returns
    -------
    ndarray
        ``alpha`` in degrees; ``az_sat = phi + 180`` is the azimuth toward the satellite.
    """
    if method not in ("exact", "notti"):
        raise GeohazardError(f"method must be 'exact' or 'notti', got {method!r}")
    s = np.asarray(slope_deg, dtype=np.float64)
    a = np.asarray(aspect_deg, dtype=np.float64)
    az_sat = look_azimuth_deg(check_heading(heading_deg), look=look) + 180.0
    cos_rel = np.cos(np.radians(a - az_sat))
    cos_rel = np.where(np.isnan(a) & (s == 0), 0.0, cos_rel)
    if method == "exact":
        return np.degrees(np.arctan(np.tan(np.radians(s)) * cos_rel))
    return s * cos_rel


def r_index(slope_deg, aspect_deg, incidence_deg, heading_deg, *, look: str = "right", method: str = "exact"):
    """R-index: ground-resolution factor of a slope in the radar geometry.

    ``R = sin(theta - alpha)`` with ``alpha`` from :func:`range_slope_deg`. R is the ratio
    between the slant-range pixel size and the terrain length it covers: ``R <= 0`` is
    active layover, small positive R is foreshortening (many metres of slope squeezed in
    one pixel), R = 1 is a slope perpendicular to the LOS. R is set to NaN in active
    shadow (``alpha < theta - 90``), where no backscatter comes back.

    Parameters
    ----------
    slope_deg, aspect_deg, incidence_deg, heading_deg : array_like (broadcast)
    look, method : see :func:`range_slope_deg`

    Returns
    -------
    ndarray
        R-index in [-1, 1], NaN in active shadow or where an input is NaN.

    References
    ----------
    Notti D. et al. (2014), doi:10.1080/01431161.2014.894528, eq. 1;
    Cigna F. et al. (2014), doi:10.5194/nhess-14-2373-2014.
    """
    theta = check_incidence(incidence_deg)
    alpha = range_slope_deg(slope_deg, aspect_deg, heading_deg, look=look, method=method)
    r = np.sin(np.radians(theta - alpha))
    return np.where(alpha < theta - 90.0, np.nan, r)


def local_incidence_deg(slope_deg, aspect_deg, incidence_deg, heading_deg, *, look: str = "right"):
    """Angle between the LOS and the terrain normal, degrees (> 90 means the facet faces away)."""
    e, n, u = los_unit_vector(incidence_deg, heading_deg, look=look)
    s = np.radians(np.asarray(slope_deg, dtype=np.float64))
    a = np.radians(np.nan_to_num(np.asarray(aspect_deg, dtype=np.float64)))
    cosl = e * np.sin(s) * np.sin(a) + n * np.sin(s) * np.cos(a) + u * np.cos(s)
    return np.degrees(np.arccos(np.clip(cosl, -1.0, 1.0)))


# --------------------------------------------------------------------------- range scan
@njit(cache=True)
def _first_step_in_block(shift, increasing, target):
    """First scan step ``k`` with ``shift[k] >= target`` (increasing) or ``<= target`` (decreasing)."""
    lo, hi = 0, shift.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if (shift[mid] < target) if increasing else (shift[mid] > target):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, parallel=True, nogil=True)
def _scan_block_kernel(dem, inc_deg, dx_rows, dy_m, row0, shift, step_cols, cos_phi, forward,
                       state_prev_h, state_d, state_e, state_valid, line_offset, flags):
    """Advance every range line crossing the row block ``[row0, row0 + rows)``.

    ``shift[k]`` is the row offset of scan step ``k`` (monotone), ``step_cols[k]`` the
    column at step ``k``; a line ``L`` sits at row ``L + shift[k]``. States are indexed
    by ``L + line_offset``. ``dem`` is float32 or float64 (arithmetic in float64);
    ``inc_deg`` has the block's shape or ``(1, 1)`` (one value). Each line starts at its
    first step inside the block (binary search on the monotone ``shift``) and stops at the
    first step past it; the sine, cosine and tangent of the incidence are only recomputed
    when it changes along the line.
    """
    nrow, ncol = dem.shape
    nk = shift.shape[0]
    increasing = shift[nk - 1] >= shift[0]
    l_first = row0 - shift[nk - 1] if increasing else row0 - shift[0]
    l_last = row0 + nrow - 1 - shift[0] if increasing else row0 + nrow - 1 - shift[nk - 1]
    across = math.sqrt(1.0 - cos_phi * cos_phi)
    ir = 1 if inc_deg.shape[0] > 1 else 0  # a (1, 1) incidence is one value for the block
    ic = 1 if inc_deg.shape[1] > 1 else 0
    for li in prange(l_last - l_first + 1):
        line = l_first + li
        idx = line + line_offset
        valid = state_valid[idx]
        h_prev = state_prev_h[idx]
        d = state_d[idx]
        e = state_e[idx]
        th_last = np.nan
        st = 0.0
        ct = 1.0
        tt = 1.0
        entry = row0 - line if increasing else row0 + nrow - 1 - line
        for k in range(_first_step_in_block(shift, increasing, entry), nk):
            r = line + shift[k]
            if r < row0 or r >= row0 + nrow:
                break  # left the block for good: the shift is monotone
            rr = r - row0
            c = step_cols[k]
            h = float(dem[rr, c])
            th = float(inc_deg[rr * ir, c * ic])
            if not (np.isfinite(h) and np.isfinite(th)):
                valid = False
                flags[rr, c] = 0
                continue
            out = 0
            if valid:
                drow = 0 if k == 0 else shift[k] - shift[k - 1]
                # ground-range advance of one step, projected on the look direction
                ds = dx_rows[rr] * across - drow * dy_m * cos_phi
                if ds <= 0.0:
                    ds = 1e-9
                if th != th_last:
                    t = math.radians(th)
                    st, ct, tt = math.sin(t), math.cos(t), math.tan(t)
                    th_last = th
                dh = (h - h_prev) if forward else (h_prev - h)
                dr = ds * st - dh * ct
                d = max(d, 0.0) - dr
                if d > 1e-9:
                    out |= 1
                if forward:
                    dg = dh + ds / tt
                    e = max(e, 0.0) - dg
                    if e > 1e-9:
                        out |= 2
            else:
                d = -np.inf
                e = -np.inf
                valid = True
            h_prev = h
            flags[rr, c] = out
        state_valid[idx] = valid
        state_prev_h[idx] = h_prev
        state_d[idx] = d
        state_e[idx] = e


@dataclass
class ScanPlan:
    """How range lines cross a north-up grid (see :func:`plan_range_scan`)."""

    n_rows: int
    n_cols: int
    look_azimuth_deg: float
    shift: np.ndarray  # row offset at each scan step, monotone
    step_cols: np.ndarray  # column at each scan step
    cos_phi: float
    rows_top_down: bool  # order in which row blocks must be processed

    @property
    def n_lines(self) -> int:
        return self.n_rows + int(self.shift.max() - self.shift.min())


def check_map_options(geometries, strong_ratio: float, moderate_ratio: float, min_sensitivity: float,
                      block_rows: int) -> None:
    """The options of a distortion map that need no data: at least one geometry, ratio thresholds and minimum
    sensitivity in range, blocks of at least 3 rows (the scans' one-row halo)."""
    if not geometries:
        raise GeohazardError("at least one acquisition geometry is needed")
    if not 0.0 < strong_ratio < moderate_ratio <= 1.0:
        raise GeohazardError(f"need 0 < strong_ratio < moderate_ratio <= 1, got strong_ratio={strong_ratio!r}, "
                             f"moderate_ratio={moderate_ratio!r}")
    if not 0.0 < min_sensitivity <= 1.0:
        raise GeohazardError(f"min_sensitivity must be in (0, 1], got {min_sensitivity!r}")
    if block_rows < 3:
        raise GeohazardError(f"block_rows must be >= 3, got {block_rows}")


def plan_range_scan(n_rows: int, n_cols: int, *, heading_deg: float, dx_m: float, dy_m: float,
                    look: str = "right", forward: bool = True) -> ScanPlan:
    """Plan the march of range lines across a north-up grid, one pixel per column.

    The look direction ``phi`` makes lines step one column at a time (toward east when the
    sensor looks east) and drift ``-cos(phi) dx / (|sin(phi)| dy)`` rows per column; line
    ``L`` covers pixel ``(L + shift[k], step_cols[k])`` at step ``k``, so every pixel
    belongs to exactly one line. The drift is monotone, so row blocks processed in the
    drift direction see every line's state coming from the previous block: memory is one
    block plus a few numbers per line (no rotation of the DEM).

    Raises
    ------
    GeohazardError
        When the look direction is within 45 degrees (in pixel units) of north-south:
        range would run along columns (not a polar-orbit SAR geometry).
    """
    heading = float(check_heading(heading_deg, name="heading_deg"))
    phi = float(look_azimuth_deg(heading, look=look))
    sphi, cphi = math.sin(math.radians(phi)), math.cos(math.radians(phi))
    if abs(sphi) / dx_m < abs(cphi) / dy_m:
        raise GeohazardError(
            f"heading_deg={heading:g} gives a look azimuth of {phi:.1f} degrees: range runs closer to "
            "north-south than east-west on this grid, which a polar-orbit SAR never does; check the heading")
    col_dir = 1 if sphi > 0 else -1
    if not forward:
        col_dir = -col_dir
    drift = (-cphi / dy_m) * (dx_m / abs(sphi))  # rows per column step along increasing range
    if not forward:
        drift = -drift
    k = np.arange(n_cols, dtype=np.float64)
    shift = np.floor(drift * k + 0.5).astype(np.int64)
    step_cols = (np.arange(n_cols) if col_dir > 0 else np.arange(n_cols)[::-1]).astype(np.int64)
    cos_along = cphi if forward else -cphi  # the kernel projects steps on the scan direction
    return ScanPlan(n_rows, n_cols, phi, shift, step_cols, cos_along, rows_top_down=bool(drift >= 0))


def _heights(dem_m) -> np.ndarray:
    """C-contiguous heights for the kernels: float32 kept as is (exact in float64), else float64."""
    a = np.asarray(dem_m)
    a = np.ascontiguousarray(a, dtype=np.float32 if a.dtype == np.float32 else np.float64)
    return a if a.flags.writeable else a.copy()  # one array type per dtype: one compilation of each kernel


def _per_pixel(values, shape) -> np.ndarray:
    """A writeable C-contiguous float64 array of ``shape``, or ``(1, 1)`` when ``values`` is a single number.
    Always writeable (numba compiles a kernel again for a read-only array: a broadcast view of a row)."""
    a = np.asarray(values, dtype=np.float64)
    if a.size == 1:
        return _writeable(a.reshape(1, 1))
    return _writeable(np.broadcast_to(a, shape))


def _writeable(a) -> np.ndarray:
    """``a`` as a writeable C-contiguous float64 array (a copy only when it is not one already)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    return a if a.flags.writeable else a.copy()


class RangeScanner:
    """Block-wise layover/shadow scan along ground range with bounded memory.

    Feed row blocks with :meth:`scan_block` in the order given by
    :meth:`block_order`; each call returns flag bits for that block
    (:data:`FLAG_LAYOVER`, :data:`FLAG_SHADOW`). A forward scanner (near to far range)
    finds shadow and the layover of points nearer than a fold; a backward scanner (far
    to near) finds the layover of points farther than a fold. Their union is the full
    layover mask.

    Parameters
    ----------
    n_rows, n_cols : int
        Grid size.
    heading_deg : float
        Flight direction (one value for the scene: heading changes by a fraction of a
        degree along a frame).
    dx_m, dy_m : float
        Nominal metric pixel size (geographic grids: at the scene centre) used to plan
        the line direction; the per-row ``dx_rows_m`` given to :meth:`scan_block` is used
        for the step lengths.
    look : {"right", "left"}
    forward : bool
        True for the near-to-far scan, False for far-to-near.
    """

    def __init__(self, n_rows: int, n_cols: int, *, heading_deg: float, dx_m: float, dy_m: float,
                 look: str = "right", forward: bool = True):
        self.plan = plan_range_scan(n_rows, n_cols, heading_deg=heading_deg, dx_m=dx_m, dy_m=dy_m,
                                    look=look, forward=forward)
        self.forward = forward
        self.dy_m = float(dy_m)
        n = self.plan.n_lines
        self._offset = int(self.plan.shift.max())
        self._prev_h = np.zeros(n)
        self._d = np.full(n, -np.inf)
        self._e = np.full(n, -np.inf)
        self._valid = np.zeros(n, dtype=np.bool_)

    def block_order(self, blocks):
        """Blocks (tuples whose first two items are row start/stop) in processing order."""
        blocks = list(blocks)
        return blocks if self.plan.rows_top_down else blocks[::-1]

    def scan_block(self, dem_m, incidence_deg, dx_rows_m, row0: int, *, kernel=None) -> np.ndarray:
        """Scan rows ``row0 : row0 + len(dem_m)``; returns uint8 flags of the block."""
        dem = _heights(dem_m)
        if dem.ndim != 2 or dem.shape[1] != self.plan.n_cols:
            raise GeohazardError(f"dem block has shape {dem.shape}, expected (rows, {self.plan.n_cols})")
        inc = _per_pixel(incidence_deg, dem.shape)
        dxr = _writeable(np.broadcast_to(np.asarray(dx_rows_m, dtype=np.float64), (dem.shape[0],)))
        flags = np.zeros(dem.shape, dtype=np.uint8)
        fn = kernel or _scan_block_kernel
        fn(dem, inc, dxr, self.dy_m, int(row0), self.plan.shift, self.plan.step_cols, self.plan.cos_phi,
           self.forward, self._prev_h, self._d, self._e, self._valid, self._offset, flags)
        return flags


def scan_layover_shadow(dem_m, incidence_deg, *, heading_deg: float, dx_m, dy_m: float, look: str = "right",
                        block_rows: int = 512, progress=None):
    """Layover and shadow masks of a whole in-memory DEM by forward and backward range scans.

    Parameters
    ----------
    dem_m : ndarray, shape (rows, cols)
        Heights in metres, north-up; NaN = no data (lines restart after a gap).
    incidence_deg : float or ndarray, shape (rows, cols)
        Incidence angle (degrees from vertical).
    heading_deg : float
    dx_m : float or ndarray of shape (rows,)
        Metric pixel size along columns (per row for geographic grids).
    dy_m : float
    look : {"right", "left"}

    Returns
    -------
    layover, shadow : ndarray of bool, shape (rows, cols)
        Points whose slant range is shared with other terrain (active or passive
        layover) and points hidden from the sensor (active or passive shadow).
    """
    dem = np.asarray(dem_m, dtype=np.float64)
    rows, cols = dem.shape
    dx = np.broadcast_to(np.asarray(dx_m, dtype=np.float64), (rows,))
    inc = np.broadcast_to(check_incidence(incidence_deg, name="incidence_deg"), dem.shape)
    blocks = [(r, min(r + block_rows, rows)) for r in range(0, rows, block_rows)]
    flags = np.zeros(dem.shape, dtype=np.uint8)
    for forward in (False, True):
        sc = RangeScanner(rows, cols, heading_deg=heading_deg, dx_m=float(np.nanmean(dx)), dy_m=dy_m,
                          look=look, forward=forward)
        for r0, r1 in sc.block_order(blocks):
            if progress is not None and progress.is_canceled():
                raise OperationCanceled()
            flags[r0:r1] |= sc.scan_block(dem[r0:r1], inc[r0:r1], dx[r0:r1], r0)
    return (flags & FLAG_LAYOVER) > 0, (flags & FLAG_SHADOW) > 0


# --------------------------------------------------------------------------- classes
def classify_distortion(slope_deg, aspect_deg, incidence_deg, heading_deg, *, layover=None, shadow=None,
                        look: str = "right", strong_ratio: float = 0.5, moderate_ratio: float = 0.8,
                        method: str = "exact"):
    """Distortion class of each pixel (see :data:`DISTORTION_CLASSES`) and its R-index.

    Parameters
    ----------
    slope_deg, aspect_deg : ndarray
        Terrain slope and downhill aspect, degrees.
    incidence_deg, heading_deg : float or ndarray (broadcast)
    layover, shadow : ndarray of bool, optional
        Masks from a range scan (:func:`scan_layover_shadow`); pixels flagged there but
        not active are *passive*. Without them only active classes are found.
    strong_ratio, moderate_ratio : float
        Foreshortening is judged on ``R / sin(theta)``, the ground length of a pixel on
        the slope relative to flat ground (1 on flat ground, 0 at the onset of layover):
        strong below ``strong_ratio``, moderate below ``moderate_ratio``
        (0 < strong_ratio < moderate_ratio <= 1).

    Returns
    -------
    classes : ndarray of uint8
        0 where slope or geometry is NaN. Precedence: shadow (active, then passive) >
        layover (active, then passive) > foreshortening > good visibility, since a shadowed
        point sends no echo at all.
    rindex : ndarray of float64
        :func:`r_index` (NaN in active shadow).
    """
    if not 0.0 < strong_ratio < moderate_ratio <= 1.0:
        raise GeohazardError(f"need 0 < strong_ratio < moderate_ratio <= 1, got strong_ratio={strong_ratio!r}, "
                             f"moderate_ratio={moderate_ratio!r}")
    theta = check_incidence(incidence_deg)
    alpha = range_slope_deg(slope_deg, aspect_deg, heading_deg, look=look, method=method)
    theta = np.broadcast_to(theta, alpha.shape)
    r = np.sin(np.radians(theta - alpha))
    valid = np.isfinite(alpha) & np.isfinite(theta)
    out = np.full(alpha.shape, GOOD_VISIBILITY, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        ratio = r / np.sin(np.radians(theta))
    out[ratio < moderate_ratio] = MODERATE_FORESHORTENING
    out[ratio < strong_ratio] = STRONG_FORESHORTENING
    active_layover = alpha > theta
    active_shadow = alpha < theta - 90.0
    if layover is not None:
        out[np.asarray(layover, bool) & ~active_layover] = PASSIVE_LAYOVER
    out[active_layover] = ACTIVE_LAYOVER
    if shadow is not None:
        out[np.asarray(shadow, bool) & ~active_shadow] = PASSIVE_SHADOW
    out[active_shadow] = ACTIVE_SHADOW
    out[~valid] = 0
    rindex = np.where(active_shadow | ~valid, np.nan, r)
    return out, rindex


def classify_visibility(slope_deg, aspect_deg, incidence_deg, heading_deg, *, layover=None, shadow=None,
                        look: str = "right", flat_slope_deg: float = 5.0, min_sensitivity: float = 0.3,
                        grazing_deg: float = 80.0):
    """Visibility / sensitivity classes for slow downslope motion (:data:`VISIBILITY_CLASSES`).

    Parameters
    ----------
    slope_deg, aspect_deg, incidence_deg, heading_deg : array_like (broadcast)
    layover, shadow : ndarray of bool, optional
        Scan masks; active layover/shadow are always found from the slope.
    flat_slope_deg : float
        Slopes gentler than this are *flat*: motion there is assumed vertical and seen
        with sensitivity ``cos(theta)``.
    min_sensitivity : float
        ``|C|`` (cosine between LOS and the downslope direction, see
        :func:`algorithms.geometry.terrain.downslope_sensitivity`) below which a slope is
        *low sensitivity* (a downslope velocity would be amplified by more than 1/|C|).
    grazing_deg : float
        Local incidence (angle LOS / terrain normal) above which the slope is lit at a
        grazing angle (*parallel illumination*: the LOS runs almost parallel to the
        surface, backscatter is weak and the slope is nearly in shadow).

    Returns
    -------
    classes : ndarray of uint8
        0 where an input is NaN. Precedence: shadow > layover > parallel illumination >
        flat > low sensitivity > sensitivity.
    sensitivity : ndarray of float64
        ``C`` (signed) for slopes, ``cos(theta)`` on flat pixels.
    """
    if not 0.0 < min_sensitivity <= 1.0:
        raise GeohazardError(f"min_sensitivity must be in (0, 1], got {min_sensitivity!r}")
    if not 0.0 <= flat_slope_deg < 90.0:
        raise GeohazardError(f"flat_slope_deg must be in [0, 90), got {flat_slope_deg!r}")
    theta = check_incidence(incidence_deg)
    s = np.asarray(slope_deg, dtype=np.float64)
    a = np.asarray(aspect_deg, dtype=np.float64)
    e, n, u = los_unit_vector(theta, heading_deg, look=look)
    c = downslope_sensitivity(e, n, u, s, np.nan_to_num(a))
    alpha = range_slope_deg(s, a, heading_deg, look=look)
    theta_b = np.broadcast_to(theta, alpha.shape)
    loc = local_incidence_deg(s, a, theta, heading_deg, look=look)
    flat = s < flat_slope_deg
    out = np.full(alpha.shape, VIS_SENSITIVITY, dtype=np.uint8)
    out[np.abs(c) < min_sensitivity] = VIS_LOW_SENSITIVITY
    out[flat] = VIS_FLAT
    out[loc >= grazing_deg] = VIS_PARALLEL
    lay = alpha > theta_b
    sha = alpha < theta_b - 90.0
    if layover is not None:
        lay = lay | np.asarray(layover, bool)
    if shadow is not None:
        sha = sha | np.asarray(shadow, bool)
    out[lay] = VIS_LAYOVER
    out[sha] = VIS_SHADOW
    valid = np.isfinite(s) & np.isfinite(theta_b) & (np.isfinite(a) | (s == 0))
    out[~valid] = 0
    sens = np.where(flat, np.broadcast_to(np.cos(np.radians(theta_b)), alpha.shape), c)
    return out, np.where(valid, sens, np.nan)


def class_shares(classes, names: dict, *, pixel_area_m2=None):
    """Count, share (%) and area (km2) of each class; 0 (no data) is left out.

    Parameters
    ----------
    classes : ndarray of int
    names : dict int -> str
    pixel_area_m2 : float or ndarray broadcast to ``classes``, optional

    Returns
    -------
    list of dict
        One row per class of ``names``: ``class``, ``name``, ``pixels``, ``share_pct``,
        ``area_km2`` (NaN when no pixel area is given).
    """
    cls = np.asarray(classes)
    valid = cls > 0
    total = int(valid.sum())
    area = None
    if pixel_area_m2 is not None:
        area = np.broadcast_to(np.asarray(pixel_area_m2, dtype=np.float64), cls.shape)
    rows = []
    for code, name in names.items():
        m = cls == code
        k = int(m.sum())
        rows.append({"class": int(code), "name": name, "pixels": k,
                     "share_pct": 100.0 * k / total if total else float("nan"),
                     "area_km2": float(area[m].sum() / 1e6) if area is not None else float("nan")})
    return rows


def combine_best_geometry(classes_a, classes_b):
    """Best distortion class of two geometries per pixel (e.g. ascending + descending).

    Returns
    -------
    best : ndarray of uint8
        The class with the higher :data:`DISTORTION_RANK`; 0 where both are 0.
    source : ndarray of uint8
        1 = geometry A is better, 2 = B is better, 3 = equal, 0 = no data.
    """
    a = np.asarray(classes_a, dtype=np.uint8)
    b = np.asarray(classes_b, dtype=np.uint8)
    if a.shape != b.shape:
        raise GeohazardError(f"class rasters differ in shape: {a.shape} and {b.shape}")
    lut = np.full(256, -1, dtype=np.int16)
    for k, v in DISTORTION_RANK.items():
        lut[k] = v
    ra, rb = lut[a], lut[b]
    best = np.where(ra >= rb, a, b).astype(np.uint8)
    source = np.where(ra > rb, 1, np.where(rb > ra, 2, 3)).astype(np.uint8)
    source[(a == 0) & (b == 0)] = 0
    source[(a == 0) & (b > 0)] = 2
    source[(b == 0) & (a > 0)] = 1
    return best, source


# --------------------------------------------------------------------------- fused block kernel
@njit(cache=True, parallel=True, nogil=True)
def _classify_block_kernel(dem, dx_rows, dy_m, inc_deg, flags, phi_deg, notti, strong_ratio, moderate_ratio,
                           flat_slope_deg, min_sensitivity, grazing_deg, cls, rindex, vis, sens, with_sens):
    """Horn slope/aspect, distortion class, R-index, visibility and sensitivity in one pass.

    ``rindex`` is float64 or float32 (the float64 value rounded to nearest, as ``astype``);
    ``sens`` is written only when ``with_sens``.

    ``dem`` (float32 or float64, arithmetic in float64) has one halo row above and below
    the ``cls`` rows (NaN where the grid ends); ``inc_deg`` and ``phi_deg`` have the
    block's shape or ``(1, 1)`` (one value);
    the maths is that of :func:`classify_distortion` and :func:`classify_visibility`
    written with the terrain gradient ``g = (dz/dx, dz/dy_north)`` instead of angles:
    ``tan(alpha) = -(g_x sin(az_sat) + g_y cos(az_sat))``, downslope vector
    ``(-g_x, -g_y, -|g|^2) / (|g| sqrt(1 + |g|^2))``, normal ``(-g_x, -g_y, 1) / sqrt(1 + |g|^2)``.
    """
    nrow, ncol = cls.shape
    tan_flat = math.tan(math.radians(flat_slope_deg))
    cos_graze = math.cos(math.radians(grazing_deg))
    ir = 1 if inc_deg.shape[0] > 1 else 0  # (1, 1) geometry arrays hold one value for the block
    ic = 1 if inc_deg.shape[1] > 1 else 0
    pr = 1 if phi_deg.shape[0] > 1 else 0
    pc = 1 if phi_deg.shape[1] > 1 else 0
    for r in prange(nrow):
        dx = dx_rows[r]
        # sines and cosines of the geometry are recomputed only when it changes along the row
        ph_last = np.nan
        th_last = np.nan
        sphi = cphi = st = ct = t = 0.0
        for c in range(ncol):
            cls[r, c] = 0
            vis[r, c] = 0
            rindex[r, c] = np.nan
            if with_sens:
                sens[r, c] = np.nan
            if c == 0 or c == ncol - 1:
                continue
            a = float(dem[r, c - 1])  # float32 or float64 heights, computed in float64
            b = float(dem[r, c])
            cc = float(dem[r, c + 1])
            d = float(dem[r + 1, c - 1])
            f = float(dem[r + 1, c + 1])
            g = float(dem[r + 2, c - 1])
            h = float(dem[r + 2, c])
            i = float(dem[r + 2, c + 1])
            th = float(inc_deg[r * ir, c * ic])
            if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(cc) and np.isfinite(d) and np.isfinite(f)
                    and np.isfinite(g) and np.isfinite(h) and np.isfinite(i) and np.isfinite(th)
                    and np.isfinite(dem[r + 1, c])):
                continue
            ph = phi_deg[r * pr, c * pc]
            if ph != ph_last:
                phi = math.radians(ph)
                sphi, cphi = math.sin(phi), math.cos(phi)
                ph_last = ph
            ssat, csat = -sphi, -cphi  # azimuth toward the satellite: phi + 180
            gx = ((cc + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)
            gy = ((a + 2 * b + cc) - (g + 2 * h + i)) / (8.0 * dy_m)
            g2 = gx * gx + gy * gy
            gm = math.sqrt(g2)
            if th != th_last:
                t = math.radians(th)
                st, ct = math.sin(t), math.cos(t)
                th_last = th
            alpha_exact = math.atan(-(gx * ssat + gy * csat))
            alpha = alpha_exact
            if notti and gm > 0.0:
                alpha = math.atan(gm) * (-(gx * ssat + gy * csat) / gm)
            rr = math.sin(t - alpha)
            ratio = rr / st
            k = 7
            if ratio < moderate_ratio:
                k = 6
            if ratio < strong_ratio:
                k = 5
            act_lay = alpha > t
            act_sha = alpha < t - 0.5 * math.pi
            fl = flags[r, c]
            lay = (fl & 1) != 0
            sha = (fl & 2) != 0
            if lay and not act_lay:
                k = 2
            if act_lay:
                k = 1
            if sha and not act_sha:
                k = 4
            if act_sha:
                k = 3
            cls[r, c] = k
            rindex[r, c] = np.nan if act_sha else rr
            # visibility
            le, ln, lu = -st * sphi, -st * cphi, ct
            norm = math.sqrt(1.0 + g2)
            if gm > 0.0:
                cs = (-(le * gx) - ln * gy - lu * g2) / (gm * norm)
            else:
                cs = ln  # aspect undefined: the flat class takes over below
            cos_loc = (-le * gx - ln * gy + lu) / norm
            v = 5
            if abs(cs) < min_sensitivity:
                v = 4
            is_flat = gm < tan_flat
            if is_flat:
                v = 6
            if cos_loc <= cos_graze:
                v = 3
            if lay or alpha_exact > t:
                v = 2
            if sha or alpha_exact < t - 0.5 * math.pi:
                v = 1
            vis[r, c] = v
            if with_sens:
                sens[r, c] = ct if is_flat else cs


def classify_block(dem_halo, dx_rows_m, dy_m: float, incidence_deg, flags, *, heading_deg: float,
                   look: str = "right", method: str = "exact", strong_ratio: float = 0.5,
                   moderate_ratio: float = 0.8, flat_slope_deg: float = 5.0, min_sensitivity: float = 0.3,
                   grazing_deg: float = 80.0, rindex_dtype=np.float64, sensitivity: bool = True, kernel=None):
    """Fused per-block classification (same results as the numpy functions, one pass, parallel).

    Parameters
    ----------
    dem_halo : ndarray, shape (rows + 2, cols)
        Heights with one row above and below the block (NaN rows at the grid edges).
    dx_rows_m : ndarray (rows,)
        Metric pixel width of the block rows; ``dy_m`` the pixel height.
    incidence_deg : ndarray (rows, cols)
    flags : ndarray of uint8 (rows, cols)
        Scan flags (:data:`FLAG_LAYOVER`, :data:`FLAG_SHADOW`).
    heading_deg : float or ndarray (rows, cols)
        Flight heading, one value or per pixel.
    rindex_dtype : {numpy.float64, numpy.float32}
        float32 gives the bits of the float64 R-index cast with ``astype`` (half the memory).
    sensitivity : bool
        False: the sensitivity is not computed (returned as None).

    Returns
    -------
    classes, rindex, visibility, sensitivity : ndarray, shape (rows, cols)
        As :func:`classify_distortion` and :func:`classify_visibility`.
    """
    z = _heights(dem_halo)
    rows, cols = z.shape[0] - 2, z.shape[1]
    cls = np.zeros((rows, cols), np.uint8)
    vis = np.zeros((rows, cols), np.uint8)
    ri = np.empty((rows, cols), np.dtype(rindex_dtype))
    if ri.dtype not in (np.float64, np.float32):
        raise GeohazardError(f"rindex_dtype must be float64 or float32, got {ri.dtype}")
    sens = np.empty((rows, cols) if sensitivity else (1, 1))
    inc = _per_pixel(incidence_deg, (rows, cols))
    dxr = _writeable(np.broadcast_to(np.asarray(dx_rows_m, np.float64), (rows,)))
    fn = kernel or _classify_block_kernel
    phi = _per_pixel(look_azimuth_deg(check_heading(heading_deg), look=look), (rows, cols))
    fn(z, dxr, float(dy_m), inc, np.ascontiguousarray(flags, dtype=np.uint8), phi, method == "notti",
       float(strong_ratio), float(moderate_ratio), float(flat_slope_deg), float(min_sensitivity),
       float(grazing_deg), cls, ri, vis, sens, bool(sensitivity))
    return cls, ri, vis, (sens if sensitivity else None)


# --------------------------------------------------------------------------- block driver
@dataclass
class AcquisitionGeometry:
    """One acquisition geometry for :func:`distortion_map`.

    ``incidence_deg`` is a number, or ``read_incidence(r0, r1)`` returns the incidence
    (degrees) of rows ``r0:r1`` (a raster on the DEM grid). ``heading_deg`` is the scene
    heading used by the range scan; ``read_heading(r0, r1)``, when given, returns a
    per-pixel heading (degrees) used by the per-pixel classification.
    """

    heading_deg: float
    incidence_deg: float = float("nan")
    read_incidence: object = None
    look: str = "right"
    name: str = "geometry"
    read_heading: object = None

    def heading(self, r0: int, r1: int):
        """Per-pixel heading of rows ``r0:r1`` when ``read_heading`` is given, else the scene heading."""
        if self.read_heading is None:
            return self.heading_deg
        return check_heading(self.read_heading(r0, r1), name=f"{self.name} heading")

    def incidence(self, r0: int, r1: int, n_cols: int):
        """Incidence (degrees) of rows ``r0:r1``, shape ``(r1 - r0, n_cols)``."""
        if self.read_incidence is not None:
            inc = np.asarray(self.read_incidence(r0, r1), dtype=np.float64)
            return check_incidence(inc, name=f"{self.name} incidence")
        return np.full((r1 - r0, n_cols), float(check_incidence(self.incidence_deg, name=f"{self.name} incidence")))

    def block_incidence(self, r0: int, r1: int, n_cols: int):
        """As :meth:`incidence`, but a ``(1, 1)`` array when the incidence is one number."""
        if self.read_incidence is not None:
            return self.incidence(r0, r1, n_cols)
        return np.full((1, 1), float(check_incidence(self.incidence_deg, name=f"{self.name} incidence")))


def distortion_map(read_dem, write, *, n_rows: int, n_cols: int, geometries: Sequence, dx_rows_m, dy_m: float,
                   block_rows: int = 512, strong_ratio: float = 0.5, moderate_ratio: float = 0.8,
                   flat_slope_deg: float = 5.0, min_sensitivity: float = 0.3, grazing_deg: float = 80.0,
                   method: str = "exact", progress=None, workdir: Optional[str] = None,
                   background_write: bool = True, executor=None, dem_source=None, outputs=None):
    """Distortion classes, R-index and visibility of a DEM of any size, block by block.

    Three stages per geometry, driven by the block engine (:mod:`algorithms.engine`):
    the backward range scan (sequential: its state crosses blocks) in this process; the
    forward scan (sequential) as the engine's ``prepare`` step; the per-block
    classification (:func:`classify_task`, pure, one row of halo) wherever the executor
    runs blocks; with two geometries a last pass combines them (:func:`combine_task`).

    Parameters
    ----------
    read_dem : callable ``(r0, r1) -> ndarray (r1 - r0, n_cols)``
        Heights in metres (NaN = no data) of rows ``r0:r1``, float32 or float64 (the
        arithmetic is float64 either way). Each row is read once per geometry here: the
        backward scan keeps a raw copy of the heights for the second pass.
    write : callable ``(r0, r1, index, arrays: dict) -> None``
        Receives, for geometry ``index``, ``classes``, ``rindex``, ``visibility``,
        ``sensitivity`` of rows ``r0:r1``; with two geometries also ``index = -1`` with
        ``best`` and ``source`` (see :func:`combine_best_geometry`).
    geometries : sequence of :class:`AcquisitionGeometry`
    dx_rows_m : float or ndarray (n_rows,)
        Metric pixel width per row; ``dy_m`` the metric pixel height.
    block_rows : int
        Rows per block: memory is a few arrays of ``block_rows x n_cols``; the backward-scan
        flags (and, with two geometries, the classes) take one byte per pixel and the raw
        heights 4 or 8 bytes per pixel in temporary files in ``workdir`` (read back row
        block by row block, never held whole in memory).
    background_write : bool
        Call ``write`` from one background thread, in block order, while the next block
        is computed (GeoTIFF compression overlaps the scans). ``write`` is never called
        concurrently with itself and every call has returned when this function returns;
        an error raised by ``write`` is raised here.
    executor : engine executor, optional
        Where the classification blocks run (:func:`algorithms.engine.open_executor`);
        default this thread.
    dem_source : engine source, optional
        The DEM as a re-openable source (:class:`algorithms.engine.RasterSource`, same
        values and dtype as ``read_dem``) for the classification blocks to read where they
        run; without it the heights kept by the backward scan are shipped with each block.

    outputs : dict name -> dtype, optional
        The per-geometry arrays ``write`` receives and their dtype (``None``: as computed),
        e.g. ``{"classes": None, "rindex": np.float32, "visibility": None}`` for a caller
        that writes float32 and never the sensitivity: blocks computed on Dask then carry
        only those bytes back. Default: all four, classes/visibility uint8, the others float64.

    Returns
    -------
    list of dict
        Per geometry: ``distortion`` and ``visibility`` share tables (:func:`class_shares`).
    """
    import functools
    import tempfile

    check_map_options(geometries, strong_ratio, moderate_ratio, min_sensitivity, block_rows)
    dx_rows = np.broadcast_to(np.asarray(dx_rows_m, dtype=np.float64), (n_rows,)).copy()
    plan = plan_blocks(n_rows, n_cols, halo=1, block_rows=block_rows)
    scan_plan = plan_blocks(n_rows, n_cols, block_rows=block_rows)  # same rows, no halo: the scans read no context
    n_geo = len(geometries)
    n_steps = n_geo * 2 + (1 if n_geo == 2 else 0)
    tables = []
    keep = tuple((k, None if t is None else np.dtype(t).str) for k, t in (outputs or {
        "classes": None, "rindex": None, "visibility": None, "sensitivity": None}).items())
    options = dict(look=None, method=method, keep=keep, strong_ratio=strong_ratio, moderate_ratio=moderate_ratio,
                   flat_slope_deg=flat_slope_deg, min_sensitivity=min_sensitivity, grazing_deg=grazing_deg, dy_m=dy_m)
    engine_kw = dict(executor=executor, background_write=background_write)
    with tempfile.TemporaryDirectory(prefix="geohazard_scan_", dir=workdir) as tmp:
        class_store = []
        for gi, geo in enumerate(geometries):
            kw = dict(heading_deg=geo.heading_deg, dx_m=float(np.nanmean(dx_rows)), dy_m=dy_m, look=geo.look)
            back = RangeScanner(n_rows, n_cols, forward=False, **kw)
            fwd = RangeScanner(n_rows, n_cols, forward=True, **kw)
            # The two scans are independent (their flags are OR-ed): the one that runs up the grid goes
            # first, so the classification rides on the one that runs down and the outputs arrive in row
            # order (each row of tiles is compressed once and leaves GDAL's cache at once).
            first, second = (fwd, back) if back.plan.rows_top_down and not fwd.plan.rows_top_down else (back, fwd)
            flags = _RowStore(f"{tmp}/flags_{gi}.u8", n_rows, n_cols)
            store = {}

            def first_pass(block, inputs, first=first, flags=flags, store=store, geo=geo, gi=gi):
                r0, r1 = block.row0, block.row1
                z = _heights(inputs["dem"])
                if "heights" not in store:
                    store["heights"] = _RowStore(f"{tmp}/dem_{gi}.raw", n_rows, n_cols, dtype=z.dtype)
                store["heights"].write(r0, z)
                flags.write(r0, first.scan_block(z, geo.block_incidence(r0, r1, n_cols), dx_rows[r0:r1], r0))
                return {}

            # the DEM of the next block is decoded in the engine's reader thread while this one is scanned
            process_blocks(first.block_order(scan_plan), first_pass, None, sources={"dem": CallableSource(read_dem)},
                           progress=SubProgress(progress, 100.0 * (2 * gi) / n_steps, 100.0 * (2 * gi + 1) / n_steps))
            heights = store["heights"]
            if n_geo == 2:
                class_store.append(_RowStore(f"{tmp}/classes_{gi}.u8", n_rows, n_cols))
            sums = {"counts_d": np.zeros(256, dtype=np.int64), "counts_v": np.zeros(256, dtype=np.int64)}
            # per-row class areas, summed at the end in the forward scan's row order (the same bits whichever
            # scan carries the classification and whatever the blocks)
            row_area = {"area_d": np.zeros((n_rows, _AREA_BINS)), "area_v": np.zeros((n_rows, _AREA_BINS))}

            def prepare(block, second=second, flags=flags, heights=heights, geo=geo):
                r0, r1 = block.row0, block.row1
                inc = geo.block_incidence(r0, r1, n_cols)
                f = second.scan_block(heights.read(r0, r1), inc, dx_rows[r0:r1], r0) | flags.read(r0, r1)
                return {"flags": f, "incidence": inc, "heading": geo.heading(r0, r1), "dx_rows": dx_rows[r0:r1]}

            def collect(block, out, gi=gi, sums=sums, row_area=row_area):
                write(block.row0, block.row1, gi, {k: out[k] for k, _ in keep})
                for k in ("counts_d", "counts_v"):
                    sums[k] += out[k]
                for k in ("area_d", "area_v"):
                    row_area[k][block.row0:block.row1] = out[k][:, :_AREA_BINS]
                if n_geo == 2:
                    class_store[gi].write(block.row0, out["classes"])

            source = dem_source if dem_source is not None else CallableSource(heights.read)
            func = functools.partial(classify_task, **{**options, "look": geo.look})
            process_blocks(second.block_order(plan), func, collect, sources={"dem": source}, prepare=prepare,
                           progress=SubProgress(progress, 100.0 * (2 * gi + 1) / n_steps,
                                                100.0 * (2 * gi + 2) / n_steps), **engine_kw)
            areas = {k: _sum_rows(v, top_down=fwd.plan.rows_top_down) for k, v in row_area.items()}
            tables.append({"distortion": _table(sums["counts_d"], areas["area_d"], DISTORTION_CLASSES),
                           "visibility": _table(sums["counts_v"], areas["area_v"], VISIBILITY_CLASSES)})
            del flags, heights, store, row_area
        if n_geo == 2:
            process_blocks(plan_blocks(n_rows, n_cols, block_rows=block_rows), combine_task,
                           lambda block, out: write(block.row0, block.row1, -1, out),
                           sources={"a": CallableSource(class_store[0].read), "b": CallableSource(class_store[1].read)},
                           progress=SubProgress(progress, 100.0 * (n_steps - 1) / n_steps, 100.0), **engine_kw)
            class_store.clear()
    if progress is not None:
        progress.set_progress(100.0)
    return tables


#: Class codes are below this (0 = no data, 1-7): per-row areas keep these columns of the 256 bins.
_AREA_BINS = 8


def _sum_rows(row_area, *, top_down: bool) -> np.ndarray:
    """Per-row class areas ``(n_rows, bins)`` added one row at a time (:func:`algorithms.ordered.add_rows`),
    top row first or bottom row first, as 256 bins."""
    total = np.zeros(256)
    total[:row_area.shape[1]] = add_rows(np.zeros(row_area.shape[1]), row_area if top_down else row_area[::-1])
    return total


def classify_task(block, inputs, *, dy_m: float, look: str, method: str, strong_ratio: float,
                  moderate_ratio: float, flat_slope_deg: float, min_sensitivity: float, grazing_deg: float,
                  keep=(("classes", None), ("rindex", None), ("visibility", None), ("sensitivity", None))) -> dict:
    """Pure block function of :func:`distortion_map`: classes, R-index, visibility and their class sums.

    ``inputs``: ``dem`` (rows ``block.read0:block.read1``, one row of halo clipped at the
    grid edges, NaN-padded here), ``flags`` (the scans' bits), ``incidence`` (block rows
    or ``(1, 1)``), ``heading`` (number or block rows) and ``dx_rows`` of the block.
    Returns the rasters named in ``keep`` (``(name, dtype or None)`` pairs; the classes
    always) and the counts per class (``counts_d``, ``counts_v``, 256 bins each) and, per row, the
    areas per class (``area_d``, ``area_v``, ``(rows, 256)``, :func:`class_rows`).
    """
    z = _heights(inputs["dem"])
    rows, n_cols = block.rows, z.shape[1]
    dem = np.empty((rows + 2, n_cols), z.dtype)
    dem[0] = np.nan
    dem[-1] = np.nan
    dem[block.read0 - block.row0 + 1: block.read1 - block.row0 + 1] = z
    dxb = inputs["dx_rows"]
    kept = dict(keep)
    ri_type = np.dtype(kept["rindex"]) if kept.get("rindex") is not None else np.dtype(np.float64)
    cls, ri, vis, sens = classify_block(
        dem, dxb, dy_m, inputs["incidence"], inputs["flags"], heading_deg=inputs["heading"], look=look,
        method=method, strong_ratio=strong_ratio, moderate_ratio=moderate_ratio, flat_slope_deg=flat_slope_deg,
        min_sensitivity=min_sensitivity, grazing_deg=grazing_deg,
        rindex_dtype=ri_type if ri_type in (np.float32, np.float64) else np.float64,
        sensitivity="sensitivity" in kept)
    del dem
    cd, area_d = class_rows(cls, dxb, dy_m)
    cv, area_v = class_rows(vis, dxb, dy_m)
    rasters = {"classes": cls, "rindex": ri, "visibility": vis, "sensitivity": sens}
    out = {k: rasters[k] if t is None else rasters[k].astype(t, copy=False) for k, t in keep}
    out["classes"] = cls
    out.update(counts_d=cd, counts_v=cv, area_d=area_d, area_v=area_v)
    return out


def class_rows(classes, dx_rows_m, dy_m: float):
    """Pixels per class (256 bins) of a block, and per row the area per class (``(rows, 256)``, m^2: the row's
    count times its pixel area), to be added one row at a time in the order the scan visits the rows
    (:func:`algorithms.ordered.add_rows`): the class areas are then the same bits for any block layout."""
    per_row = _row_counts(np.ascontiguousarray(classes, dtype=np.uint8))
    return per_row.sum(axis=0), per_row * (np.asarray(dx_rows_m, np.float64) * dy_m)[:, None]


@njit(cache=True, parallel=True, nogil=True)
def _row_counts(classes):
    """Pixels of each value (256 bins) in each row of a uint8 array: ``(rows, 256)`` int64."""
    rows, cols = classes.shape
    out = np.zeros((rows, 256), np.int64)
    for r in prange(rows):
        for c in range(cols):
            out[r, classes[r, c]] += 1
    return out


def combine_task(block, inputs) -> dict:
    """Pure block function: :func:`combine_best_geometry` of the class blocks ``a`` and ``b``."""
    best, source = combine_best_geometry(inputs["a"], inputs["b"])
    return {"best": best, "source": source}


class _RowStore:
    """Rows of one dtype kept in a plain file (not memory-mapped: nothing stays resident)."""

    def __init__(self, path: str, n_rows: int, n_cols: int, dtype=np.uint8):
        self.path, self.n_cols, self.dtype = path, n_cols, np.dtype(dtype)
        self._row_bytes = n_cols * self.dtype.itemsize
        with open(path, "wb") as fh:
            fh.truncate(n_rows * self._row_bytes)

    def write(self, r0: int, block) -> None:
        with open(self.path, "r+b") as fh:
            fh.seek(r0 * self._row_bytes)
            fh.write(np.ascontiguousarray(block, dtype=self.dtype).data)

    def read(self, r0: int, r1: int) -> np.ndarray:
        n = (r1 - r0) * self.n_cols
        return np.fromfile(self.path, dtype=self.dtype, count=n,
                           offset=r0 * self._row_bytes).reshape(r1 - r0, self.n_cols)


def _table(counts, areas, names):
    total = counts[1:].sum()
    return [{"class": int(k), "name": v, "pixels": int(counts[k]),
             "share_pct": float(100.0 * counts[k] / total) if total else float("nan"),
             "area_km2": float(areas[k] / 1e6)} for k, v in names.items()]
