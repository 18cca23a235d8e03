"""fileio/base/tile_rows.py: the rows of an uncompressed GeoTIFF read from its tiles give GDAL's values for every
window, in every layout it takes (random tiles, strips, types, byte orders, bands), and leave to GDAL what it does
not describe (compressed, pixel-interleaved, sparse, short strips)."""

import numpy as np
import pytest

_TYPES = ["Byte", "UInt16", "Int16", "UInt32", "Int32", "Float32", "Float64", "CFloat32", "CFloat64"]


def _write(path, rng, dtype, shape, bands, options):
    from osgeo import gdal

    ds = gdal.GetDriverByName("GTiff").Create(path, shape[1], shape[0], bands, gdal.GetDataTypeByName(dtype),
                                              options)
    for b in range(bands):
        a = rng.standard_normal(shape) * 100
        if dtype.startswith("C"):
            a = a + 1j * rng.standard_normal(shape)
        if "Float" in dtype:
            a[rng.random(shape) < 0.05] = np.nan
        ds.GetRasterBand(b + 1).WriteArray(a)
    ds = None


def _windows(rng, shape, n=12):
    out = [(0, shape[0], 0, shape[1]), (shape[0] - 1, shape[0], 0, shape[1]), (0, 1, shape[1] - 1, shape[1])]
    for _ in range(n):
        r0 = int(rng.integers(0, shape[0]))
        c0 = int(rng.integers(0, shape[1]))
        out.append((r0, int(rng.integers(r0 + 1, shape[0] + 1)), c0, int(rng.integers(c0 + 1, shape[1] + 1))))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_tile_rows_equal_gdal_reads(qgis_app, tmp_path, monkeypatch, seed):
    """Random files (type, size, tiles or strips, byte order, bands in separate planes) and random windows: the
    values and type of GDAL's read of the same band, also into a float32 / float64 array given; on odd seeds by a
    seek and a read, as on a system without ``os.pread`` (Windows)."""
    from insar_geohazards.fileio.base import tile_rows
    from insar_geohazards.fileio.base.raster import open_raster
    from insar_geohazards.fileio.base.tile_rows import TileRows

    if seed % 2:
        monkeypatch.setattr(tile_rows, "_PREAD", None)

    rng = np.random.default_rng(seed)
    for i in range(4):
        dtype = _TYPES[int(rng.integers(len(_TYPES)))]
        shape = (int(rng.integers(1, 140)), int(rng.integers(1, 140)))
        bands = int(rng.integers(1, 3))
        options = ["ENDIANNESS=" + ("BIG" if rng.random() < 0.4 else "LITTLE")]
        if rng.random() < 0.7:
            options += ["TILED=YES", f"BLOCKXSIZE={16 * int(rng.integers(1, 5))}",
                        f"BLOCKYSIZE={16 * int(rng.integers(1, 5))}"]
        else:  # strips (GDAL may choose their height)
            options.append(f"BLOCKYSIZE={int(rng.integers(1, shape[0] + 1))}")
        if bands > 1:
            options.append("INTERLEAVE=BAND")
        path = str(tmp_path / f"f{seed}_{i}.tif")
        _write(path, rng, dtype, shape, bands, options)
        ds = open_raster(path)
        for b in range(1, bands + 1):
            band = ds.GetRasterBand(b)
            reader = TileRows.of(ds, band, path)
            assert reader is not None, (dtype, options)
            bw, bh = band.GetBlockSize()
            for r0, r1, c0, c1 in _windows(rng, shape):
                want = band.ReadAsArray(c0, r0, c1 - c0, r1 - r0)
                got = reader.read(r0, r1, c0, c1)
                if bw == shape[1] and shape[0] % bh and r1 > shape[0] // bh * bh:  # a short last strip: GDAL's
                    assert got is None
                    continue
                assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (dtype, options, r0, r1, c0, c1)
                if not dtype.startswith("C"):
                    into = np.full((r1 - r0, c1 - c0), -1.0, np.float32 if rng.random() < 0.5 else np.float64)
                    assert reader.read(r0, r1, c0, c1, into) is into
                    assert into.tobytes() == want.astype(into.dtype).tobytes()


@pytest.mark.parametrize("options, bands, sparse", [
    (["TILED=YES", "COMPRESS=DEFLATE"], 1, False),
    (["TILED=YES", "INTERLEAVE=PIXEL"], 2, False),
    (["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "SPARSE_OK=TRUE"], 1, True),
    (["BLOCKYSIZE=7"], 1, False),  # 30 rows: the last strip is short
    (["TILED=YES", "NBITS=12"], 1, False),
])
def test_tile_rows_leave_to_gdal_what_they_do_not_describe(qgis_app, tmp_path, options, bands, sparse):
    """Compressed or pixel-interleaved files and packed samples have no reader; a sparse file's missing tiles and
    a short last strip are read by GDAL (read gives None), the other windows the same values as GDAL's."""
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import open_raster
    from insar_geohazards.fileio.base.tile_rows import TileRows

    path = str(tmp_path / "f.tif")
    dtype = "UInt16" if any(o.startswith("NBITS") for o in options) else "Float32"
    ds = gdal.GetDriverByName("GTiff").Create(path, 40, 30, bands, gdal.GetDataTypeByName(dtype), options)
    for b in range(bands):
        if sparse:  # one tile written, the rest absent from the file
            ds.GetRasterBand(b + 1).WriteArray(np.arange(16 * 16, dtype=np.float32).reshape(16, 16) + 1.0)
        else:
            ds.GetRasterBand(b + 1).WriteArray(np.arange(1200, dtype=np.float64).reshape(30, 40) % 97)
    ds = None
    ds = open_raster(path)
    band = ds.GetRasterBand(1)
    reader = TileRows.of(ds, band, path)
    if any(o.startswith(("COMPRESS", "NBITS")) for o in options) or "INTERLEAVE=PIXEL" in options:
        assert reader is None
    elif sparse:
        assert reader.read(0, 30, 0, 40) is None  # a tile absent: GDAL fills it
        assert reader.read(0, 16, 0, 16).tobytes() == band.ReadAsArray(0, 0, 16, 16).tobytes()
    else:
        assert reader.read(28, 30, 0, 40) is None  # the short last strip
        assert reader.read(0, 21, 3, 40).tobytes() == band.ReadAsArray(3, 0, 37, 21).tobytes()


@pytest.mark.parametrize("radians", [True, False])
def test_a_stack_reads_the_same_blocks_from_tiles(qgis_app, tmp_path, monkeypatch, radians):
    """A stack of uncompressed tiled interferograms with coherence, read block by block (unaligned blocks, rows of
    tiles crossed, a column window) through the tiles' rows, gives the bytes of the same stack read by GDAL; one
    reader a file."""
    from osgeo import gdal

    from insar_geohazards.fileio.base import tile_rows
    from insar_geohazards.fileio.timeseries.stacks import open_stack

    rng = np.random.default_rng(7)
    dates = [f"2020{m:02d}01" for m in range(1, 7)]
    pairs = [(dates[i], dates[j]) for i in range(6) for j in range(i + 1, min(6, i + 3))]
    paths, coh = [], []
    for a, b in pairs:
        for kind, lst in (("unw", paths), ("cc", coh)):
            p = str(tmp_path / f"{a}-{b}_{kind}.tif")
            ds = gdal.GetDriverByName("GTiff").Create(p, 50, 70, 1, gdal.GDT_Float32,
                                                      ["TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"])
            ds.SetGeoTransform((500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
            v = rng.standard_normal((70, 50)).astype(np.float32)
            v[rng.random((70, 50)) < 0.03] = np.nan
            ds.GetRasterBand(1).WriteArray(v)
            if kind == "unw" and not radians:
                ds.GetRasterBand(1).SetUnitType("mm")
            ds = None
            lst.append(p)
    spans = [(0, 70, None), (0, 13, None), (10, 45, None), (60, 70, None), (33, 34, None), (5, 40, (3, 41))]

    def blocks():
        stack = open_stack(paths, coh_paths=coh, wavelength_m=0.0555)
        return stack, [tuple(np.array(x) for x in stack.read(r0, r1, coherence=True, cols=c)) for r0, r1, c in spans]

    stack, got = blocks()
    assert len(stack._rows) == 2 * len(pairs) and all(r is not None for r in stack._rows.values())
    monkeypatch.setattr(tile_rows.TileRows, "of", classmethod(lambda cls, ds, band, path: None))
    gdal_stack, want = blocks()
    assert all(r is None for r in gdal_stack._rows.values())
    for (a_ifg, a_coh), (b_ifg, b_coh) in zip(got, want):
        assert a_ifg.tobytes() == b_ifg.tobytes() and a_coh.tobytes() == b_coh.tobytes()


def test_a_real_products_stack_reads_the_same_through_its_strips(qgis_app, monkeypatch):
    """The Envisat ROI_PAC interferograms of tests/data/envisat_small_test (uncompressed GeoTIFF strips of 43 rows,
    the last one short) read block by block through their strips give the bytes GDAL's reads give; windows in the
    short last strip go to GDAL."""
    import glob
    import os

    from insar_geohazards.fileio.base import tile_rows
    from insar_geohazards.fileio.timeseries.stacks import open_stack

    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "envisat_small_test")
    paths = sorted(glob.glob(os.path.join(here, "tif", "geo_*_unw.tif")))
    assert len(paths) == 17
    spans = [(0, 72, None), (0, 43, None), (40, 44, None), (43, 72, None), (10, 30, (5, 40)), (71, 72, None)]

    def blocks():
        stack = open_stack(paths, wavelength_m=0.0562356)
        return stack, [np.array(stack.read(r0, r1, cols=c)[0]) for r0, r1, c in spans]

    stack, got = blocks()
    assert len(stack._rows) == len(paths) and all(r is not None for r in stack._rows.values())
    monkeypatch.setattr(tile_rows.TileRows, "of", classmethod(lambda cls, ds, band, path: None))
    gdal_stack, want = blocks()
    assert all(r is None for r in gdal_stack._rows.values())
    for a, b in zip(got, want):
        assert a.shape == b.shape and np.isfinite(a).any() and a.tobytes() == b.tobytes()
