"""Groups of output writers: published together on success, all removed on error or cancel."""

from __future__ import annotations

import contextlib
import csv

from osgeo import gdal

from .probe import gdal_thread_options
from .raster import RasterWriter


@contextlib.contextmanager
def all_or_none(writers):
    """Enter every writer of ``writers`` (a dict or a sequence of :class:`RasterWriter`-like context
    managers): leaving the block normally commits those not committed yet, an exception aborts all."""
    items = list(writers.values()) if isinstance(writers, dict) else list(writers)
    with contextlib.ExitStack() as stack:
        for w in items:
            stack.enter_context(w)
        yield writers


@contextlib.contextmanager
def compression_threads():
    """GDAL compresses the outputs created in this block in worker threads (thread-local setting:
    nothing leaks to other tools running in the same process)."""
    with gdal_thread_options(GDAL_NUM_THREADS="ALL_CPUS"):
        yield


def exact_float_dtype(path: str, band: int = 1):
    """float32 when it holds every value of the band's type exactly (Byte, (U)Int16, Float32), else
    float64: read heights at the smallest dtype that changes no bit of the maths (float64 anyway)."""
    import numpy as np

    exact32 = (gdal.GDT_Byte, gdal.GDT_UInt16, gdal.GDT_Int16, gdal.GDT_Float32)
    ds = gdal.Open(path)  # keep the dataset referenced while its band is used (GDAL >= 3.8)
    dtype = np.float32 if ds.GetRasterBand(band).DataType in exact32 else np.float64
    ds = None
    return dtype


def write_csv(path: str, rows: list, *, fields=None, digits=None) -> str:
    """``rows`` (dicts with the same keys) as a CSV table: columns ``fields`` (default: the first row's keys;
    a header only when there are no rows), floats with ``digits`` significant digits when given."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields or list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow(r if digits is None else {k: (f"{v:.{digits}g}" if isinstance(v, float) else v)
                                                 for k, v in r.items()})
    return path


class FirstBlockWriter:
    """A :class:`RasterWriter` made when the first block's result arrives, for outputs whose bands are known
    only then: ``write(block, result)`` takes ``result["names"]`` (the band descriptions) and
    ``result["stack"]`` (bands, rows, cols). As a context manager it publishes or removes the file."""

    def __init__(self, path: str, info, **kwargs):
        self.path, self.info, self.kwargs = path, info, kwargs
        self.writer, self.names = None, None

    def write(self, block, result: dict) -> None:
        if self.writer is None:
            self.names = list(result["names"])

            self.writer = RasterWriter.like(self.path, self.info, count=len(self.names), descriptions=self.names,
                                            **self.kwargs).__enter__()
        self.writer.write(result["stack"], row=block.row0)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return self.writer.__exit__(exc_type, exc, tb) if self.writer is not None else False

