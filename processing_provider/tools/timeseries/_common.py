"""Shared helpers of the timeseries tools."""

from __future__ import annotations

import functools

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
)

from ....algorithms import engine
from ....algorithms.errors import GeohazardError
from ....algorithms.timeseries import sbas, sbas_blocks
from ...io import blocks, stacks


def stack_source(stack: stacks.StackInput, coherence: bool, reference_mm=None) -> engine.CallableSource:
    """The stack as a block-engine source ``(ifg_mm [- reference_mm], coherence or None)``: read in this process
    (units, signs, MintPy; the reader thread locally) and shipped to Dask workers with each block."""
    return engine.CallableSource(lambda r0, r1: sbas_blocks.referenced(stack.read(r0, r1, coherence=coherence),
                                                                       reference_mm))


def scan_stack(stack: stacks.StackInput, block_rows: int, progress, *, coherence: bool, run: blocks.RunSettings,
               executor=None) -> tuple:
    """One pass on the block engine: valid count per pixel, mean coherence per pixel and per interferogram."""
    info = stack.info
    scan = sbas_blocks.StackScan(info.height, info.width, stack.network.n_pairs, coherence=coherence)
    blocks.run_blocks(engine.plan_blocks(info.height, info.width, block_rows=block_rows),
                      functools.partial(sbas_blocks.scan_block, coherence=coherence), scan,
                      sources={"stack": stack_source(stack, coherence)}, run=run, executor=executor, progress=progress)
    return scan.result()


def reference_pixel(alg, parameters, context, stack: stacks.StackInput, count, mean_coh) -> tuple[int, int]:
    """Pixel (row, col) of REFERENCE, or the automatic choice; checked valid in every interferogram."""
    info = stack.info
    if parameters.get("REFERENCE"):
        crs = QgsCoordinateReferenceSystem()
        if info.crs_wkt:
            crs = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt)
        pt = alg.parameterAsPoint(parameters, "REFERENCE", context, crs)
        row, col = info.world_to_pixel(pt.x(), pt.y())
        r, c = int(np.floor(row)), int(np.floor(col))
        if not (0 <= r < info.height and 0 <= c < info.width):
            raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) is outside the interferograms "
                                 f"({info.height} rows x {info.width} columns)")
        n_valid = int(np.isfinite(reference_values(stack, r, c)).sum()) if count is None else int(count[r, c])
        if n_valid < stack.network.n_pairs:
            raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) (row {r}, column {c}) has no "
                                 f"data in {stack.network.n_pairs - n_valid} of {stack.network.n_pairs} "
                                 "interferograms; choose a pixel valid in all of them")
        return r, c
    return sbas.choose_reference(count, stack.network.n_pairs, mean_coherence=mean_coh)


def reference_values(stack: stacks.StackInput, r: int, c: int) -> np.ndarray:
    ifg, _ = stack.read(r, r + 1)
    return ifg[:, 0, c].copy()


def block_rows_for(stack: stacks.StackInput, run: blocks.RunSettings, *, factor: float = 6.0) -> int:
    """Rows per block so that ~``factor`` float64 copies of the block stack fit in the run's memory budget."""
    per_row = stack.network.n_pairs * stack.info.width * 8.0 * factor
    return int(max(1, min(stack.info.height, engine.max_memory_bytes(run.max_memory_mb) // max(per_row, 1))))
