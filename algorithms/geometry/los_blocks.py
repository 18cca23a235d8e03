"""Pure block functions of the LOS raster tools, for the block engine (:mod:`algorithms.engine`).

Each takes ``(block, inputs)`` with the raw rasters of the block (values as stored:
incidence in the file's unit, heading as the file's azimuth kind) and returns the
projected bands; the unit conversions happen here, so a Dask worker only needs the files.
Conventions of :mod:`algorithms.geometry.los`: LOS positive toward the satellite.
"""

from __future__ import annotations

import numpy as np

from .los import AZIMUTH_KINDS, check_incidence, heading_from_azimuth, los_to_vertical, los_unit_vector
from .terrain import los_to_downslope, slope_aspect_metric

#: Content of an incidence raster (the tools' INCIDENCE_UNITS options, in this order).
#: What an incidence raster holds (the INCIDENCE_UNITS options; index = kind). GAMMA/HyP3's ``lv_theta`` is the
#: look vector's elevation angle from the horizontal in radians (HyP3 InSAR product guide: "ranging from -pi/2
#: (down) to pi/2 (up)"; MintPy ``objects/stackDict.py`` converts it with 90 - degrees(theta)); LiCSAR's ``U.tif`` is
#: the up component of the ground-to-satellite unit vector, cos(incidence).
INCIDENCE_KINDS = ("incidence angle, degrees", "incidence angle, radians",
                   "look elevation (90 - incidence), degrees",
                   "look elevation lv_theta, radians (GAMMA/HyP3)",
                   "LOS up component, cos(incidence) (LiCSAR U.tif)")


def incidence_to_degrees(values, kind: int):
    """Raster values of ``INCIDENCE_KINDS[kind]`` to incidence in degrees (an up component outside 0..1 becomes
    NaN)."""
    v = np.asarray(values, dtype=np.float64)
    if kind == 4:
        with np.errstate(invalid="ignore"):
            return np.degrees(np.arccos(np.where((v >= 0.0) & (v <= 1.0), v, np.nan)))
    if kind in (1, 3):
        v = np.degrees(v)
    if kind in (2, 3):
        v = 90.0 - v
    return v


def los_projection_block(block, inputs, *, heading_deg: float, incidence_deg: float, look: str = "right",
                         incidence_kind: int = 0, heading_kind: int = 0, min_sensitivity: float = 0.3,
                         dx_rows_m=None, dy_m: float = 1.0, vertical: bool = True, downslope: bool = False,
                         incidence_name: str = "INCIDENCE_RASTER") -> dict:
    """Vertical (``v_los / u``) and downslope (``v_los / C``) projections of every band of a block.

    Parameters
    ----------
    block : algorithms.engine.Block
    inputs : dict
        ``los`` ``(bands, rows, cols)`` float64 over the block's read rows; optional
        ``incidence`` (raw, :data:`INCIDENCE_KINDS` ``[incidence_kind]``), ``heading`` (raw,
        ``AZIMUTH_KINDS[heading_kind]``) and, for ``downslope``, ``dem`` (metres, one halo row).
    heading_deg, incidence_deg : float
        Used where no raster is given.
    dx_rows_m, dy_m : ndarray (n_rows,), float
        Metric pixel size of the whole grid (rows of the DEM).

    Returns
    -------
    dict
        ``vertical`` and/or ``downslope``, ``(bands, rows, cols)`` float64.
    """
    core = block.core
    inc = incidence_deg
    if "incidence" in inputs:
        inc = check_incidence(incidence_to_degrees(inputs["incidence"][core], incidence_kind), name=incidence_name)
    hdg = heading_deg
    if "heading" in inputs:
        hdg = heading_from_azimuth(inputs["heading"][core], AZIMUTH_KINDS[heading_kind], look=look)
    e, n, u = los_unit_vector(inc, hdg, look=look)
    if downslope:
        s, a = slope_aspect_metric(inputs["dem"], dx_rows_m[block.read0:block.read1], dy_m)
    los = inputs["los"]
    out = {}
    if vertical:
        out["vertical"] = np.empty((los.shape[0], block.rows, los.shape[2]))
    if downslope:
        out["downslope"] = np.empty((los.shape[0], block.rows, los.shape[2]))
    for b in range(los.shape[0]):
        v_los = los[b, core]
        if vertical:
            out["vertical"][b] = v_los / u
        if downslope:
            out["downslope"][b], _ = los_to_downslope(v_los, e, n, u, s[core], a[core],
                                                      min_sensitivity=min_sensitivity)
    return out


def heading_sums_block(block, inputs) -> dict:
    """Sums of sin and cos of the finite headings (degrees) of a block, for their circular mean."""
    h = np.radians(inputs["heading"])
    ok = np.isfinite(h)
    return {"sx": float(np.sin(h[ok]).sum()), "sy": float(np.cos(h[ok]).sum())}


def projection_bytes_per_pixel(bands: int, outputs: int) -> float:
    """Bytes per pixel :func:`los_projection_block` holds for ``bands`` LOS bands and ``outputs`` projections: the
    float64 input and outputs (``bands * (1 + outputs)``), the angle rasters, the DEM's slope and aspect and the
    LOS vector's components (12)."""
    return 8.0 * (bands * (1 + outputs) + 12)


def vertical_bytes_per_pixel(bands: int) -> float:
    """Bytes per pixel :func:`los_vertical_block` holds for a block of ``bands`` LOS bands: the float64 input and
    output (``2 * bands``), the incidence raster read and its degrees (2)."""
    return 8.0 * (2 * bands + 2)


def los_vertical_block(block, inputs, *, incidence_deg: float, in_radians: bool = False, incidence_kind: int = 0,
                       incidence_name: str = "INCIDENCE_RASTER") -> dict:
    """``v_los / cos(incidence)`` of every band (:func:`algorithms.geometry.los.los_to_vertical`).

    ``inputs``: ``los`` ``(bands, rows, cols)`` float64, optional ``incidence`` (raw,
    :data:`INCIDENCE_KINDS` ``[incidence_kind]``; ``in_radians``: kind 1). Returns ``vertical``
    ``(bands, rows, cols)`` float64.
    """
    inc = incidence_deg
    if "incidence" in inputs:
        inc = check_incidence(incidence_to_degrees(inputs["incidence"], 1 if in_radians else incidence_kind),
                              name=incidence_name)
    los = inputs["los"]
    out = np.empty(los.shape)
    for b in range(los.shape[0]):
        out[b] = los_to_vertical(los[b], inc)
    return {"vertical": out}
