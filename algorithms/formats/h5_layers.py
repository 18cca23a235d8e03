"""Dated raster layers of the HDF5 results producers deliver: one entry point, the producer told by the file's
layout.

* MintPy ``timeseries.h5``, ``velocity.h5``, ``geometryGeo.h5`` ... (``FILE_TYPE`` at the root): :mod:`.mintpy`;
* LiCSBAS ``cum.h5`` / ``cum_filt.h5`` (``cum`` and ``imdates`` at the root): :mod:`.licsbas`;
* OPERA DISP-S1 ``OPERA_L3_DISP-S1_*.nc`` (netCDF-4: HDF5 underneath): :mod:`.opera`.

Every reader returns a :class:`~.mintpy.MintpyLayer` (grid, dates, unit factor, metadata, the log lines saying
where each value came from), read block by block with :func:`~.mintpy.read_layer_rows`.
"""

from __future__ import annotations

import os
from typing import Optional

from ..errors import GeohazardError
from . import licsbas, mintpy, opera


def open_layer(path: str, *, dataset: Optional[str] = None, purpose: Optional[str] = None,
               name: Optional[str] = None) -> mintpy.MintpyLayer:
    """A dataset of a producer's HDF5 result as a georeferenced, dated raster layer in our units (mm, mm/yr,
    degrees); see :func:`.mintpy.open_layer` for the parameters.

    Raises
    ------
    GeohazardError
        The file is missing, not HDF5 (a download cut short), or of no producer this reader knows, naming it.
    """
    label = name or os.path.basename(path)
    with mintpy.open_h5(path, label) as f:
        try:
            attrs = {k: mintpy._text(v) for k, v in f.attrs.items()}
            found = mintpy._root_datasets(f)
            if licsbas.is_licsbas(f.keys(), attrs):
                return licsbas.open_layer(f, path, label, found, dataset, purpose)
            if opera.is_opera(f, os.path.basename(path)):
                return opera.open_layer(f, path, label, dataset, purpose)
        except (OSError, RuntimeError, KeyError) as exc:
            raise GeohazardError(f"{label}: the file cannot be read ({exc}); it is damaged or incomplete (a copy or "
                                 "download cut short?)") from None
    return mintpy.open_layer(path, dataset=dataset, purpose=purpose, name=name)
