"""The scene geometry a product given as BASELINES states (slant range, incidence, heading), for the tools that
need it with the baselines (the DEM-error correction, PS time series): the text files' values
(:mod:`...algorithms.formats.baseline_geometry`) and what only the product's rasters say (LiCSAR's E/N/U, HyP3's
lv_theta, ISCE2's ``los.rdr``), as ``(label, metadata)`` pairs for the geometry rule."""

from __future__ import annotations

import os

import numpy as np
from osgeo import gdal

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.baseline_geometry import isce_stack_root, stated_geometry
from ...algorithms.formats.products import read_stack_items
from .products import MEAN_SIDE, open_product


def _stack_geometry(paths: list, have: set) -> list:
    """What a LiCSAR or HyP3 product given as BASELINES says of its geometry through its rasters (LiCSAR's E/N/U,
    HyP3's lv_theta: the incidence), for the keys its text files did not state (``have``)."""
    if not any(os.path.isdir(p) or p.lower().endswith(".zip") for p in paths):
        return []
    try:
        spec = read_stack_items(paths, name="BASELINES")
    except GeohazardError:
        return []  # baseline files without the interferograms: the text files' values are all there is
    if spec is None or spec.producer not in ("LiCSAR", "HyP3"):
        return []
    stack = open_product(spec, name="BASELINES")
    try:
        return [(f"{spec.producer} {src}", {key: f"{value:.10g}", key + gm.SOURCE_SUFFIX: f"{spec.producer} {src}"})
                for key, (value, src) in stack.geometry.items() if key in gm.QUANTITIES and key not in have]
    finally:
        stack.close()


def baselines_geometry(paths) -> list:
    """The scene values the BASELINES items state (:func:`~..algorithms.formats.baseline_geometry.stated_geometry`;
    a LiCSAR or HyP3 product's incidence from its rasters; for an ISCE2 stack's ``baselines/`` folder, the mean
    incidence of its ``merged/geom_reference/los.rdr``, band 1, 0 = no data), as ``(label, metadata)`` pairs for
    the geometry rule."""
    paths = [str(p) for p in paths if p]
    out = stated_geometry(paths)
    out += _stack_geometry(paths, {k for _, md in out for k in md})
    roots = {isce_stack_root(p) for p in paths}
    for root in sorted(r for r in roots if r):
        path = os.path.join(root, "merged", "geom_reference", "los.rdr")
        path = next((p for p in (path + ".vrt", path) if os.path.exists(p)), "")
        try:
            ds = gdal.Open(path) if path else None
        except RuntimeError:
            ds = None
        if ds is None:
            continue
        bx, by = min(ds.RasterXSize, MEAN_SIDE), min(ds.RasterYSize, MEAN_SIDE)
        band = ds.GetRasterBand(1)
        inc = band.ReadAsArray(buf_xsize=bx, buf_ysize=by).astype(np.float64)
        ok = (inc != 0) & np.isfinite(inc)
        if ok.any() and 0.5 <= float(inc[ok].min()) and float(inc[ok].max()) <= 89.5:
            label = "ISCE2 merged/geom_reference/los.rdr"
            out.append((label, {gm.INCIDENCE_KEY: f"{float(inc[ok].mean()):.10g}",
                                gm.INCIDENCE_KEY + gm.SOURCE_SUFFIX: f"{label} band 1 (mean)"}))
    return out
