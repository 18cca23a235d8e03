"""Dated raster layers of the HDF5 results producers deliver: one entry point, the producer told by the file's
layout: the first of :data:`.producers.H5_PRODUCERS` that claims the open file (LiCSBAS ``cum.h5`` /
``cum_filt.h5``, OPERA DISP-S1 ``OPERA_L3_DISP-S1_*.nc``, then MintPy ``timeseries.h5``, ``velocity.h5``,
``geometryGeo.h5``, HDF-EOS5 ``.he5`` ..., which takes every other HDF5 file and names what its layout lacks).

Every reader returns a :class:`~.hdf5.DatedLayer` (grid, dates, unit factor, metadata, the log lines saying
where each value came from), read block by block with :func:`~.mintpy.read_layer_rows`.
"""

from __future__ import annotations

import os
from typing import Optional

from ..errors import GeohazardError
from . import producers
from .hdf5 import DatedLayer, open_h5, root_attrs, root_datasets


def open_layer(path: str, *, dataset: Optional[str] = None, purpose: Optional[str] = None,
               name: Optional[str] = None) -> DatedLayer:
    """A dataset of a producer's HDF5 result as a georeferenced, dated raster layer in our units (mm, mm/yr,
    degrees); see :func:`.mintpy.open_layer` for the parameters.

    Raises
    ------
    GeohazardError
        The file is missing, not HDF5 (a download cut short), damaged, or not of a layout its producer's reader
        knows, naming it.
    """
    label = name or os.path.basename(path)
    with open_h5(path, label) as f:
        try:
            attrs = root_attrs(f)
            found = root_datasets(f)
            producer = producers.h5_producer(f, os.path.basename(path), attrs)
            return producer.read_h5_layer(f, path, label, found, dataset, purpose)
        except (OSError, RuntimeError, KeyError) as exc:
            raise GeohazardError(f"{label}: the file cannot be read ({exc}); it is damaged or incomplete (a copy or "
                                 "download cut short?)") from None
