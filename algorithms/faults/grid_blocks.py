"""Pure block functions of the elastic grid tools (Okada displacement, Coulomb stress maps) for the block engine.

The grid is given by its north-up geotransform ``(x0, dx, 0, y0, 0, -dy)`` (metres);
each block evaluates the model at the centres of its pixels. No raster is read: on Dask
a task only carries the fault table and the options.
"""

from __future__ import annotations

import numpy as np

from ..ordered import canonical_nan
from .okada import okada_displacement
from .stress import coulomb_at_points

#: Memory of one pixel of an Okada block (bytes): coordinates, the kernel's output and the four float64 bands
#: (80 measured with tracemalloc, whatever the number of sources: the kernel works on chunks of stations).
OKADA_BYTES_PER_PIXEL = 96.0
#: Pixels of one Okada / Coulomb block at most, whatever the memory budget: the work of a pixel grows with the
#: sources (and depths), and the progress moves and a cancel is seen only between blocks.
OKADA_BLOCK_PIXELS = 200_000
COULOMB_BLOCK_PIXELS = 50_000


def coulomb_bytes_per_pixel(n_depths: int) -> float:
    """Memory of one pixel of a Coulomb block (bytes): the stress tensors of one depth and three float64
    bands per depth (measured with tracemalloc: 360 for one depth, 448 for three, 520 for six)."""
    return 384.0 + 48.0 * int(n_depths)


def block_xy(block, geotransform):
    """Map x, y of the pixel centres of ``block`` (2-D, the block's shape)."""
    gt = geotransform
    x = gt[0] + (np.arange(block.n_cols) + 0.5) * gt[1]
    y = gt[3] + (np.arange(block.row0, block.row1) + 0.5) * gt[5]
    return np.meshgrid(x, y)


def okada_grid_block(block, inputs, *, geotransform, table, poisson: float, los_vec) -> dict:
    """East, north, up and LOS displacement (mm) of a block: ``displacement`` ``(4, rows, cols)``.

    ``table``: :meth:`algorithms.faults.faults.Faults.table`; ``los_vec`` the
    ground-to-satellite unit vector (LOS positive toward the satellite).
    """
    xx, yy = block_xy(block, geotransform)
    d = okada_displacement(xx, yy, table, poisson=poisson) * 1000.0
    lv = np.asarray(los_vec, dtype=float).reshape(3)
    los = d[..., 0] * lv[0] + d[..., 1] * lv[1] + d[..., 2] * lv[2]  # no BLAS: the same bits on every CPU
    return {"displacement": canonical_nan(np.concatenate([np.moveaxis(d, -1, 0), los[None]], axis=0))}


def coulomb_grid_block(block, inputs, *, geotransform, table, depths_m, regional, shear_modulus_pa: float,
                       poisson: float, friction: float, receiver: dict, scale_pa: float) -> dict:
    """dCFS, shear and normal stress change at each depth of a block: ``stress`` ``(3 n_depths, rows, cols)``.

    Values in ``Pa / scale_pa`` (1e5: bar); ``receiver`` holds ``strike_deg``/``dip_deg``/``rake_deg``
    or is empty with ``regional`` set (optimally oriented planes), see
    :func:`algorithms.faults.stress.coulomb_at_points`.
    """
    xx, yy = block_xy(block, geotransform)
    out = np.empty((3 * len(depths_m), block.rows, block.n_cols))
    for k, depth in enumerate(depths_m):
        res = coulomb_at_points(xx, yy, depth, table, regional=regional, shear_modulus_pa=shear_modulus_pa,
                                poisson=poisson, friction=friction, **receiver)
        for j, key in enumerate(("dcfs_pa", "shear_pa", "normal_pa")):
            out[3 * k + j] = res[key] / scale_pa
    return {"stress": canonical_nan(out)}  # a singular station: one NaN whatever the path
