"""Stacks of the multi-sensor tool as their producers deliver them.

* A LiCSAR frame or HyP3 products (a folder, zips, or the list a manifest row names), opened on one grid by the
  stack-spec reader every stack tool shares (:class:`~.products.ProductStack`): its interferograms (VRTs, no data
  as the producer marks it), the product's wavelength, and its incidence and heading (the frame's E/N/U rasters,
  HyP3's lv_theta and ``.txt``) as the stack tools take them. Its unwrapped phase is radians growing with the range
  (LiCSBAS and HyP3 convert it so), each pair from its own reference: the tool ties such a stack to the ground every
  stack covers (:mod:`.multisensor_datum`), or to REFERENCE.
* EGMS L2a / L2b points (the zip or CSV as downloaded): each point's LOS series averaged onto the cells of the EGMS
  L3 grid (:data:`EGMS_CELL_M` in the points' EPSG:3035, edges on multiples of the cell), with each cell's mean
  ground-to-satellite vector; written once per version of the file into a scratch folder (never beside the input)
  as a series GeoTIFF (mm, one band per date) and a three-band LOS GeoTIFF. EGMS L2b is referenced to the GNSS
  datum, so the series keeps its own reference.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from ..algorithms.errors import GeohazardError
from ..algorithms.formats import geometry_meta as gm
from .multisensor import StackFile, interferogram_files
from .raster import RasterWriter

#: Cell of the EGMS points' grid (m): the EGMS L3 products' 100 m cells (EPSG:3035).
EGMS_CELL_M = 100.0
#: The CRS of EGMS easting / northing.
EGMS_EPSG = 3035
#: Suffixes of an EGMS point file as downloaded.
EGMS_SUFFIXES = (".zip", ".csv")


def product_file(product, name: str) -> StackFile:
    """A LiCSAR / HyP3 stack opened by the stack-spec reader as a :class:`StackFile` of interferograms: radians
    (growing with the range), the product's wavelength and geometry; ``product`` is kept with it (its VRTs live as
    long as it)."""
    spec = product.spec
    f = interferogram_files(list(product.ifg_paths), name)
    f.units = "rad"
    f.metadata_source = f"the {spec.producer} product"
    if spec.wavelength is not None:
        f.wavelength_m = float(spec.wavelength[1])
    for key, attr in ((gm.INCIDENCE_KEY, "incidence_deg"), (gm.HEADING_KEY, "heading_deg")):
        if key in product.geometry:
            setattr(f, attr, float(product.geometry[key][0]))
    f.product = product
    return f


def is_egms_file(path: str) -> bool:
    """``path`` is a zip or CSV whose name says EGMS (``EGMS_L2a_...``, ``EGMS_L2b_...``), or a CSV with EGMS's
    LOS columns."""
    base = os.path.basename(path).lower()
    if not base.endswith(EGMS_SUFFIXES) or not os.path.isfile(path):
        return False
    if base.startswith("egms_l2"):
        return True
    if base.endswith(".csv"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.readline().lower()
        return all(k in head for k in ("easting", "northing", "los_east", "los_up"))
    return False


def _version_key(path: str) -> str:
    st = os.stat(path)
    return hashlib.sha1(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def egms_file(path: str, name: str, folder: str, cell_m: float = EGMS_CELL_M) -> tuple:
    """``(StackFile, los_path)``: EGMS L2a/L2b points of ``path`` averaged onto the EGMS L3 cells as a series
    GeoTIFF (mm) and the cells' mean ground-to-satellite vector as a three-band GeoTIFF (east, north, up), both in
    ``folder``. Refused, naming the stack: not an EGMS L2 point file (L3 holds no LOS), no dated column."""
    from ..algorithms.geometry.decomposition import grid_for_points
    from ..algorithms.geometry.egms_csv import read_egms_csv
    from ..algorithms.timeseries.multisensor import grid_points_to_stack

    key = _version_key(path)
    series_path = os.path.join(folder, f"egms_{key}_{int(cell_m)}m.tif")
    los_path = os.path.join(folder, f"egms_{key}_{int(cell_m)}m_los.tif")
    if not (os.path.exists(series_path) and os.path.exists(los_path)):
        try:
            read = read_egms_csv(path)
        except GeohazardError as exc:
            raise GeohazardError(f"stack {name!r}: {exc} (an EGMS L2a or L2b point file, zipped or not, as "
                                 "downloaded: L3 products hold no line of sight)") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise GeohazardError(f"stack {name!r}: cannot read {os.path.basename(path)} as an EGMS point file "
                                 f"({exc})") from None
        if len(read["dates"]) < 2:
            raise GeohazardError(f"stack {name!r}: {os.path.basename(path)} has {len(read['dates'])} dated column(s); "
                                 "an EGMS L2 file holds one column per date (YYYYMMDD)")
        c = read["columns"]
        grid = grid_for_points(c["easting"], c["northing"], cell_m)
        g = grid_points_to_stack(c["easting"], c["northing"], read["series"], c["los_east"], c["los_north"],
                                 c["los_up"], grid)
        from osgeo import osr

        srs = osr.SpatialReference()
        srs.ImportFromEPSG(EGMS_EPSG)
        kw = dict(width=grid.n_cols, height=grid.n_rows, geotransform=grid.geotransform, crs_wkt=srs.ExportToWkt())
        meta = {"UNIT": "mm", "SIGN": "LOS positive toward the satellite", "SOURCE": os.path.basename(path),
                "POINTS_PER_CELL_MAX": int(g["count"].max()) if g["count"].size else 0}
        _write(series_path, g["values"], [d.isoformat() for d in read["dates"]], meta, kw)
        _write(los_path, np.stack([g["los_east"], g["los_north"], g["los_up"]]), ["los_east", "los_north", "los_up"],
               {"SOURCE": os.path.basename(path)}, kw)
    from .multisensor import series_file

    f = series_file(series_path, name)
    f.metadata_source = os.path.basename(path)
    f.paths = [series_path]
    return f, los_path


def _write(path: str, arr: np.ndarray, descriptions: list, metadata: dict, kw: dict) -> None:
    w = RasterWriter(path, count=arr.shape[0], descriptions=descriptions, metadata=metadata, **kw)
    w.write(np.asarray(arr, np.float32), row=0)
    w.commit()
