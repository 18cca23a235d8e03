"""fileio/base/file_parts.py: a block's files split into contiguous parts, each read once, on threads only when worth
it."""

import threading

import numpy as np
import pytest
from osgeo import gdal

from insar_geohazards.fileio.base import file_parts


def test_enough_files_and_new_tile_rows():
    assert not file_parts.enough_files(2 * file_parts.FILES_PER_PART - 1)
    assert file_parts.enough_files(2 * file_parts.FILES_PER_PART) == (file_parts.READ_THREADS > 1)
    assert file_parts.new_tile_row(0, 8, 256) and file_parts.new_tile_row(250, 258, 256)
    assert not file_parts.new_tile_row(8, 16, 256)


@pytest.mark.parametrize("m", [1, 5, 16, 33, 70])
def test_each_part_reads_every_file_once_in_contiguous_parts(m):
    seen, threads, lock = [], set(), threading.Lock()

    def read(ks):
        ks = list(ks)
        assert ks == list(range(ks[0], ks[-1] + 1)) if ks else True  # contiguous
        with lock:
            seen.extend(ks)
            threads.add(threading.get_ident())

    holder = {}
    file_parts.each_part(holder, read, m)
    assert sorted(seen) == list(range(m))
    parts = min(file_parts.READ_THREADS, m // file_parts.FILES_PER_PART)
    assert ("pool" in holder) == (parts > 1)
    if "pool" in holder:
        holder["pool"].shutdown()


def test_each_part_raises_a_parts_error_after_every_part_is_done():
    m = 4 * file_parts.FILES_PER_PART
    done = []

    def read(ks):
        ks = list(ks)
        done.extend(ks)
        if ks[0] != 0:
            raise ValueError("unreadable file")

    holder = {}
    if min(file_parts.READ_THREADS, m // file_parts.FILES_PER_PART) <= 1:
        pytest.skip("one CPU: every file is read on the caller's thread")
    with pytest.raises(ValueError, match="unreadable file"):
        file_parts.each_part(holder, read, m)
    assert sorted(done) == list(range(m))
    holder["pool"].shutdown()


def test_compressed(tmp_path):
    for opts, expected in (([], False), (["COMPRESS=DEFLATE"], True)):
        path = str(tmp_path / f"c{expected}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(path, 8, 8, 1, gdal.GDT_Float32, options=opts)
        ds.GetRasterBand(1).WriteArray(np.zeros((8, 8), np.float32))
        ds = None
        assert file_parts.compressed(gdal.Open(path)) is expected
