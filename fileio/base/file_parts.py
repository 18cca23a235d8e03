"""Reading the files of one block on several threads: stacks of compressed rasters
(``fileio.timeseries.stacks.StackInput``).

A block of a stack reads the same rows of every file. Compressed files are decoded when a block first reaches a
row of their tiles (every 32 blocks of 8 rows for 256-row tiles), and decoding 300 such files on one thread was
most of the 10-Mpx SBAS run (docs/timeseries.md, Performance notes). Those blocks split the files into
contiguous parts, each file in one part: one dataset is never read by two threads at once, and each file fills
its own slice of the block, so the values are those of one thread. Uncompressed files are copied straight into
the block and rows already decoded come from GDAL's cache: one thread reads those as fast (the 1-Mpx SBAS read on
threads every block: 4.64 -> 4.90 s), so they stay on the caller's thread.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os

from osgeo import gdal

from .probe import c_error_handler, gdal_thread_options
from .raster import open_raster

#: :func:`row_spans`: rows read in one span when at most this many unwanted rows lie between two wanted ones
SPAN_GAP = 3
#: :func:`row_spans`: the most bytes one span's read holds
SPAN_BYTES = 64 * 2 ** 20
#: Threads reading a block's files (every CPU, at most 4) and the fewest files a part of them is worth a thread.
READ_THREADS = max(1, min(4, os.cpu_count() or 1))
FILES_PER_PART = 16


def enough_files(m: int) -> bool:
    """Whether ``m`` files make at least two parts."""
    return READ_THREADS > 1 and m >= 2 * FILES_PER_PART


def compressed(ds) -> bool:
    """Whether the GDAL dataset ``ds`` stores compressed tiles or strips."""
    method = (ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE") or "NONE").upper()
    return method not in ("", "NONE")


def new_tile_row(r0: int, r1: int, tile_rows: int) -> bool:
    """Whether rows ``r0:r1`` start a row of tiles ``tile_rows`` high or reach into the next one."""
    return r0 % tile_rows == 0 or r0 // tile_rows != (r1 - 1) // tile_rows


def each_part(holder: dict, fn, m: int) -> None:
    """``fn(ks)`` over the file indices ``0 .. m-1`` in contiguous parts, the first on this thread, the others on
    ``holder["pool"]`` (made on first use; it goes with the holder). Returns when every part is done; raises the
    first part's error. Each part sends GDAL's messages to GDAL's own quiet handler (``probe.c_error_handler``):
    QGIS's handler, entered from a reading thread inside GDAL, would need the interpreter's lock."""
    parts = min(READ_THREADS, m // FILES_PER_PART)
    if parts <= 1:
        fn(range(m))
        return
    pool = holder.get("pool")
    if pool is None:
        pool = holder["pool"] = concurrent.futures.ThreadPoolExecutor(
            max_workers=READ_THREADS, thread_name_prefix="geohazard-stack-read")
    bounds = [m * p // parts for p in range(parts + 1)]
    # each part in the caller's context (a model run's decoded inputs, .decoded)
    futures = [pool.submit(contextvars.copy_context().run, _quietly, fn, range(bounds[p], bounds[p + 1]))
               for p in range(1, parts)]
    try:
        fn(range(bounds[0], bounds[1]))
    finally:  # no part left writing into the block when this returns or raises
        concurrent.futures.wait(futures)
    for f in futures:
        f.result()


def _quietly(fn, ks):
    with c_error_handler():
        return fn(ks)


def row_spans(rows, row_bytes: int) -> list:
    """``[(r0, r1), ...]``: the sorted distinct ``rows`` joined into top-down spans of consecutive rows, a span
    going on while the next wanted row is at most :data:`SPAN_GAP` rows further and the span stays within
    :data:`SPAN_BYTES` (``row_bytes`` a row). Rows spread thinly (a sample of a large grid) are read one by one."""
    spans: list = []
    for r in sorted({int(r) for r in rows}):
        if spans and r - spans[-1][1] <= SPAN_GAP and (r + 1 - spans[-1][0]) * row_bytes <= SPAN_BYTES:
            spans[-1][1] = r + 1
        else:
            spans.append([r, r + 1])
    return [(a, b) for a, b in spans]


def rows_in_spans(read, wanted: list, row_bytes: int) -> list:
    """``x[:, r, cols]`` of each ``(r, cols)`` of ``wanted``, in that order, from ``read(r0, r1)`` (an array
    ``(n, r1 - r0, width)``) called once per :func:`row_spans` span: a sample of rows spread over a small grid is
    a few reads of each file instead of one per row, with the values of one-row reads."""
    by_row: dict = {}
    for i, (r, _) in enumerate(wanted):
        by_row.setdefault(int(r), []).append(i)
    out: list = [None] * len(wanted)
    for r0, r1 in row_spans(by_row, row_bytes):
        x = read(r0, r1)
        for r in range(r0, r1):
            for i in by_row.get(r, ()):
                out[i] = x[:, r - r0, wanted[i][1]].copy()  # the read's buffer may serve the next span
    return out


def decoded_bytes(bands) -> int:
    """Bytes of every tile (or strip) of ``bands`` (GDAL bands) decoded."""
    total = 0
    for band in bands:
        bw, bh = band.GetBlockSize()
        tiles = -(-band.XSize // max(1, bw)) * -(-band.YSize // max(1, bh))
        total += tiles * bw * bh * max(1, gdal.GetDataTypeSize(band.DataType) // 8)
    return total


def open_raster_direct(path: str, name: str = "raster") -> gdal.Dataset:
    """:func:`open_raster` for reads that go straight to the file: an uncompressed GeoTIFF opened here is read
    into the caller's array without GDAL's block cache (``GTIFF_DIRECT_IO``, read by GDAL when the dataset is
    opened; set thread-locally around the open only).

    For a stack read block by block, the cache costs more than the read itself: every decoded tile is a new
    256 KiB allocation whose pages the kernel maps and zeroes (the 300 x 300 x 404-file stack: ~100k page
    faults, ~0.3 CPU-s of system time a run), then frees when the cache drops it. The values are the same bytes
    (uncompressed tiles or strips, any byte order, interleave and data type); compressed files and other
    drivers ignore the option and read through the cache as before. GDAL virtual files (``/vsi...``: archives,
    object stores, HTTP) keep the cache: direct reads ask for each row of a tile apart, one request each there."""
    if path.startswith("/vsi"):
        return open_raster(path, name)
    with gdal_thread_options(GTIFF_DIRECT_IO="YES"):
        return open_raster(path, name)
