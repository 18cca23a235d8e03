"""What every HDF5 and netCDF-4 reader shares: h5py imported (or the missing-package message with its install
line), a file opened read-only with a clear refusal when it is missing or not HDF5, attribute values as text, the
2-D and 3-D datasets at a file's root, and :class:`DatedLayer`, the raster layer every producer's HDF5 layer reader
returns (MintPy, LiCSBAS, OPERA: see :mod:`.producers`).

Pure Python over h5py (an optional package, :mod:`..optional`); no GDAL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..optional import require

#: What the missing-h5py message says needs it.
H5PY_PURPOSE = "Reading and writing HDF5 and netCDF-4 products (MintPy, LiCSBAS, OPERA, NISAR, ARIA)"


def h5py_module():
    """The h5py module; :class:`~..optional.MissingPackageError` with the per-platform install line when it is not
    installed (h5py ships with QGIS on most platforms)."""
    return require("h5py", H5PY_PURPOSE)


def open_h5(path: str, label: str):
    """``path`` opened read-only with h5py; a GeohazardError naming ``label`` when it is missing or not HDF5 (a
    download cut short)."""
    h5py = h5py_module()
    if not os.path.isfile(path):
        raise GeohazardError(f"{label}: the file {path!r} does not exist")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise GeohazardError(f"{label} is not an HDF5 file h5py can open ({exc}); a copy or download may be "
                             "incomplete") from None


def attr_text(v) -> str:
    """An HDF5 attribute value as text (bytes decoded, a one-element array unwrapped)."""
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, np.ndarray) and v.size == 1:
        return attr_text(v.reshape(-1)[0])
    return str(v)


def root_attrs(f) -> dict:
    """The attributes at the root of the open file ``f``, as text."""
    return {k: attr_text(v) for k, v in f.attrs.items()}


def root_datasets(f) -> dict:
    """The 2-D and 3-D datasets at the root of the open file ``f``, by name."""
    h5py = h5py_module()
    return {k: v for k, v in f.items() if isinstance(v, h5py.Dataset) and v.ndim in (2, 3)}


@dataclass
class DatedLayer:
    """One dataset of a producer's HDF5 result as a georeferenced raster layer: its grid, dates, unit conversion
    and the metadata it carries in our terms (read block by block with :func:`.mintpy.read_layer_rows`);
    ``producer`` names whose file it is (MintPy, MintPy HDF-EOS5, LiCSBAS, OPERA)."""

    path: str
    dataset: str
    file_type: str
    shape: tuple  # (rows, cols)
    bands: int
    geotransform: tuple
    epsg: int
    factor: float  # multiplies the stored values into ``unit``
    unit: str  # our unit: mm, mm/yr, mm/yr2, deg, m or "" (unit-less)
    source_unit: str
    dates: Optional[list] = None
    ref_yx: Optional[tuple] = None
    nodata: Optional[float] = None
    metadata: dict = None
    descriptions: list = None
    producer: str = "MintPy"
    georeference: str = "X_FIRST/Y_FIRST/X_STEP/Y_STEP"
    sources: list = field(default_factory=list)  # log lines: where a value came from (file, dataset)

    @property
    def label(self) -> str:
        return f"{os.path.basename(self.path)} ({self.dataset})"

    @property
    def name(self) -> str:
        """The dataset's own name (the last part of a path in the file's groups)."""
        return self.dataset.rsplit("/", 1)[-1]

    @property
    def is_mask(self) -> bool:
        return self.name == "mask" or self.name.endswith(("Mask", "_mask"))

    @property
    def is_displacement(self) -> bool:
        """A LOS displacement or velocity (the layer carries its sign)."""
        return "SIGN" in (self.metadata or {})
