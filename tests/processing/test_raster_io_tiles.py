"""RasterWriter / block engine: blocks that do not line up with compressed tiles must not blow up
the output (13-row SBAS blocks and a small GDAL cache gave a > 4 GB time series instead of
429 MB), values must round-trip whatever the write order, and the background reader / writer
helpers must hand errors back to the caller."""

import os

import numpy as np
import pytest
from testutils import read_array as _read
from testutils import write_geotiff
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack


@pytest.fixture
def tiny_gdal_cache():
    """GDAL's block cache at 1 MB for one test (the situation of a machine short of memory)."""
    from osgeo import gdal

    old = gdal.GetCacheMax()
    gdal.SetCacheMax(1 << 20)
    yield
    gdal.SetCacheMax(old)


def _writer(path, shape, count, **kw):
    from insar_geohazards.fileio.base.raster import RasterWriter

    return RasterWriter(str(path), width=shape[1], height=shape[0], geotransform=(0, 1, 0, 0, 0, -1),
                        crs_wkt="", count=count, **kw)


def test_block_rows_line_up_with_tiles(qgis_app):
    from insar_geohazards.fileio.base.raster import aligned_block_rows, output_tile_rows

    assert [aligned_block_rows(r, 256) for r in (13, 52, 100, 255, 256, 300, 700)] == [8, 32, 64, 128, 256, 256, 512]
    assert aligned_block_rows(1, 256) == 1 and aligned_block_rows(5, 48) == 4
    assert output_tile_rows(1000, 60) == 256  # 60 x 256 x 1000 x 4 B = 61 MB: fits the 64 MB budget
    assert output_tile_rows(5000, 60) == 48  # 64 MiB / (5000 x 60 x 4 B) = 55.9 -> 48
    assert output_tile_rows(10 ** 7, 500) == 16  # never below the TIFF minimum


def test_unaligned_blocks_with_tiny_cache_keep_the_file_size(qgis_app, tmp_path, tiny_gdal_cache):
    """13-row blocks into 256-row DEFLATE tiles with a 1 MB cache: plain GDAL writes grow the file
    ~9x (each partial tile is compressed and appended again); ours stays the size of one write."""
    rng = np.random.default_rng(0)
    data = rng.normal(0.0, 10.0, (30, 600, 700)).astype(np.float32)
    data[:, 100:140, 200:260] = np.nan
    with _writer(tmp_path / "once.tif", data.shape[1:], 30) as w:
        w.write(data)
    once = os.path.getsize(tmp_path / "once.tif")
    with _writer(tmp_path / "blocks.tif", data.shape[1:], 30) as w:
        for r0 in range(0, 600, 13):
            w.write(data[:, r0:r0 + 13], row=r0)
    blocks = os.path.getsize(tmp_path / "blocks.tif")
    assert blocks <= 1.02 * once, (blocks, once)
    assert blocks < 1.1 * data.nbytes
    np.testing.assert_array_equal(_read(tmp_path / "blocks.tif"), data)


def test_band_by_band_and_out_of_order_writes_round_trip(qgis_app, tmp_path, tiny_gdal_cache):
    rng = np.random.default_rng(1)
    data = rng.normal(0.0, 1.0, (3, 300, 280)).astype(np.float32)
    # band by band, 7-row blocks (the rows of one band run ahead of the others)
    with _writer(tmp_path / "bands.tif", data.shape[1:], 3) as w:
        for b in range(3):
            for r0 in range(0, 300, 7):
                w.write(data[b, r0:r0 + 7], row=r0, band=b + 1)
    np.testing.assert_array_equal(_read(tmp_path / "bands.tif"), data)
    # blocks in reverse order, int16 with a nodata value
    ints = (data[0] * 100).astype(np.int16)
    with _writer(tmp_path / "rev.tif", ints.shape, 1, dtype=np.int16, nodata=-1) as w:
        for r0 in reversed(range(0, 300, 50)):
            w.write(ints[r0:r0 + 50], row=r0)
    np.testing.assert_array_equal(_read(tmp_path / "rev.tif"), ints)
    # a failed write leaves nothing behind
    with pytest.raises(RuntimeError):
        with _writer(tmp_path / "failed.tif", data.shape[1:], 3) as w:
            w.write(data[:, :10], row=0)
            raise RuntimeError("stop")
    assert not [p for p in os.listdir(tmp_path) if p.startswith("failed")]


def test_finish_closes_a_complete_file_that_commit_publishes_or_abort_removes(qgis_app, tmp_path):
    """RasterWriter.finish (a file written whole, its tiles let go) keeps it under the temporary name: commit
    publishes it with the values, abort (a later file of the run failed) removes it."""
    data = np.random.default_rng(2).normal(0.0, 1.0, (300, 280)).astype(np.float32)
    with _writer(tmp_path / "done.tif", data.shape, 1) as w:
        w.write(data, row=0)
        w.finish()
        assert not os.path.exists(tmp_path / "done.tif")
    np.testing.assert_array_equal(_read(tmp_path / "done.tif"), data)
    with pytest.raises(RuntimeError):
        with _writer(tmp_path / "dropped.tif", data.shape, 1) as w:
            w.write(data, row=0)
            w.finish()
            raise RuntimeError("a later file failed")
    assert not [p for p in os.listdir(tmp_path) if p.startswith("dropped")]


def test_sbas_output_size_sane_with_tiny_gdal_cache(qgis_app, run_alg, tmp_path):
    """SBAS with the smallest block memory and a 1 MB GDAL cache: same values, same file size as
    with the default cache (the time series was > 9x larger before)."""
    from osgeo import gdal

    from insar_geohazards.algorithms.timeseries.network import build_network

    shape = (300, 1300)
    net = build_network(sbas_pairs(sbas_dates(6), max_neighbours=2))
    _, ifg, _ = synthetic_stack(net, shape=shape, noise_mm=0.5, seed=3)
    folder = tmp_path / "ifgs"
    folder.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", ifg[k])
    sizes, values = {}, {}
    for tag, cache in (("default", None), ("tiny", 1 << 20)):
        out = tmp_path / tag
        out.mkdir()
        params = {"INTERFEROGRAMS": str(folder), "INPUT_UNITS": 3, "REFERENCE": None, "MAX_MEMORY_MB": 16,
                  "OUTPUT_TIMESERIES": str(out / "ts.tif"), "OUTPUT_VELOCITY": str(out / "v.tif"),
                  "OUTPUT_VELOCITY_STD": str(out / "vs.tif"), "OUTPUT_TEMPORAL_COHERENCE": str(out / "tc.tif"),
                  "OUTPUT_COHCOUNT": str(out / "n.tif")}
        old = gdal.GetCacheMax()
        if cache:
            gdal.SetCacheMax(cache)
        try:
            res = run_alg("sbasinversion", params)
        finally:
            gdal.SetCacheMax(old)
        sizes[tag] = os.path.getsize(res["OUTPUT_TIMESERIES"])
        values[tag] = _read(res["OUTPUT_TIMESERIES"])
    assert values["tiny"].shape == (6,) + shape
    np.testing.assert_array_equal(values["tiny"], values["default"])
    assert sizes["tiny"] <= 1.02 * sizes["default"], sizes
    assert sizes["tiny"] < 1.1 * values["tiny"].nbytes
    from insar_geohazards.fileio.base.raster import gtiff_has_zstd

    ds = gdal.Open(str(tmp_path / "tiny" / "ts.tif"))  # the time series is ZSTD (tool help), the others DEFLATE
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == ("ZSTD" if gtiff_has_zstd() else "DEFLATE")
    ds = gdal.Open(str(tmp_path / "tiny" / "v.tif"))
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE"
    ds = None


def test_zstd_writer_is_lossless_tiled_and_opens_in_qgis(qgis_app, tmp_path, monkeypatch):
    """``compress="ZSTD"`` (the SBAS time series): same values as written, predictor 3, and a layer QGIS
    opens; without ZSTD in this GDAL the writer falls back to DEFLATE."""
    from osgeo import gdal
    from qgis.core import QgsRasterLayer

    from insar_geohazards.fileio.base import raster as raster_io

    rng = np.random.default_rng(2)
    data = rng.normal(0.0, 10.0, (4, 300, 280)).astype(np.float32)
    data[:, 40:90, 10:60] = np.nan
    with _writer(tmp_path / "z.tif", data.shape[1:], 4, compress="ZSTD") as w:
        for r0 in range(0, 300, 32):
            w.write(data[:, r0:r0 + 32], row=r0)
    ds = gdal.Open(str(tmp_path / "z.tif"))
    want = "ZSTD" if raster_io.gtiff_has_zstd() else "DEFLATE"
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == want
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("PREDICTOR") == "3"
    ds = None
    np.testing.assert_array_equal(_read(tmp_path / "z.tif"), data)
    layer = QgsRasterLayer(str(tmp_path / "z.tif"), "z")
    assert layer.isValid() and layer.bandCount() == 4
    monkeypatch.setattr(raster_io, "gtiff_has_zstd", lambda: False)
    with _writer(tmp_path / "d.tif", data.shape[1:], 4, compress="ZSTD") as w:
        w.write(data)
    ds = gdal.Open(str(tmp_path / "d.tif"))
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE"
    ds = None
    np.testing.assert_array_equal(_read(tmp_path / "d.tif"), data)


def test_tile_rows_as_tall_as_the_blocks(qgis_app, tmp_path, tiny_gdal_cache):
    """tile_rows=32 with 32-row blocks: each block is one row of tiles, written straight through; blocks of
    other heights (and a last partial tile row) still go through the buffer; same values, 256 x 32 tiles,
    same file size as one write; a tile height that is not a multiple of 16 is refused."""
    from osgeo import gdal

    rng = np.random.default_rng(4)
    data = rng.normal(0.0, 10.0, (300, 500)).astype(np.float32)
    data[40:90, 100:180] = np.nan
    for name, steps in (("aligned", [32] * 9 + [12]), ("mixed", [32, 32, 20, 12, 64, 7, 100, 33])):
        with _writer(tmp_path / f"{name}.tif", data.shape, 1, tile_rows=32, compress="ZSTD") as w:
            r0 = 0
            for n in steps:
                w.write(data[r0:r0 + n], row=r0)
                r0 += n
            assert r0 == 300
            w.commit()
        np.testing.assert_array_equal(_read(tmp_path / f"{name}.tif"), data)
        ds = gdal.Open(str(tmp_path / f"{name}.tif"))
        band = ds.GetRasterBand(1)
        assert band.GetBlockSize() == [256, 32]
        ds = None
    with _writer(tmp_path / "once.tif", data.shape, 1, tile_rows=32, compress="ZSTD") as w:
        w.write(data)
        w.commit()
    assert os.path.getsize(tmp_path / "aligned.tif") == os.path.getsize(tmp_path / "once.tif")
    with pytest.raises(ValueError, match="multiple of 16"):
        _writer(tmp_path / "bad.tif", data.shape, 1, tile_rows=40)


def test_gdal_cache_limit_lowers_and_restores(qgis_app):
    """The cap lowers GDAL's cache, never raises it; overlapping runs (entered and left in any order) keep the
    smallest active cap and the last one out restores the original."""
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import gdal_cache_limit

    old = gdal.GetCacheMax()
    try:
        gdal.SetCacheMax(300 << 20)
        with gdal_cache_limit(10_000):
            assert gdal.GetCacheMax() == 300 << 20
        a, b = gdal_cache_limit(200), gdal_cache_limit(100)
        a.__enter__()
        assert gdal.GetCacheMax() == 200 << 20
        b.__enter__()
        assert gdal.GetCacheMax() == 100 << 20
        a.__exit__(None, None, None)
        assert gdal.GetCacheMax() == 100 << 20
        b.__exit__(None, None, None)
        assert gdal.GetCacheMax() == 300 << 20
    finally:
        gdal.SetCacheMax(old)


def test_gdal_cache_at_least_raises_within_a_share_of_the_ram_warns_and_restores(qgis_app):
    """Reading rows of many tiled files in blocks shorter than the tiles needs a row of tiles of every file in
    GDAL's cache: the cache is raised to that for the run (never lowered, never above the RAM share, with a
    warning when the share is too small) and put back afterwards."""
    from osgeo import gdal

    from insar_geohazards.fileio.timeseries.stacks import gdal_cache_at_least

    class Log:
        def __init__(self):
            self.warnings = []

        def push_warning(self, message):
            self.warnings.append(message)

    old = gdal.GetCacheMax()
    ram = gdal.GetUsablePhysicalRAM()
    try:
        gdal.SetCacheMax(16 << 20)
        log = Log()
        with gdal_cache_at_least(64 << 20, log=log):
            assert gdal.GetCacheMax() == 64 << 20
        assert gdal.GetCacheMax() == 16 << 20 and not log.warnings
        with gdal_cache_at_least(1 << 20, log=log):
            assert gdal.GetCacheMax() == 16 << 20
        with gdal_cache_at_least(ram, ram_share=0.01, log=log):
            assert gdal.GetCacheMax() == max(16 << 20, int(ram * 0.01))
        assert gdal.GetCacheMax() == 16 << 20
        assert len(log.warnings) == 1 and "decoded several times" in log.warnings[0]
    finally:
        gdal.SetCacheMax(old)


@pytest.mark.parametrize("rows,tile", [(100, 32), (20, 32)])
def test_stack_tile_row_bytes_counts_a_row_of_tiles_of_every_file_read(qgis_app, tmp_path, rows, tile):
    from osgeo import gdal

    from insar_geohazards.fileio.timeseries.stacks import open_stack

    paths, coh = [], []
    for a, b in (("20200101", "20200113"), ("20200113", "20200125"), ("20200101", "20200125")):
        for kind, lst in (("unw", paths), ("cc", coh)):
            p = str(tmp_path / f"{a}-{b}_{kind}.tif")
            ds = gdal.GetDriverByName("GTiff").Create(p, 70, rows, 1, gdal.GDT_Float32,
                                                      ["TILED=YES", f"BLOCKXSIZE={tile}", f"BLOCKYSIZE={tile}"])
            ds.SetGeoTransform((500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
            ds.GetRasterBand(1).WriteArray(np.full((rows, 70), 0.5, np.float32))
            ds = None
            lst.append(p)
    stack = open_stack(paths, coh_paths=coh, wavelength_m=0.0555)
    one = 3 * 70 * min(rows, tile) * 4
    assert stack.tile_row_bytes() == one and stack.tile_row_bytes(coherence=True) == 2 * one


@pytest.mark.parametrize("dtype,bands,options", [
    ("Float32", 1, ["TILED=YES", "ENDIANNESS=BIG"]),
    ("Float32", 2, ["TILED=YES", "INTERLEAVE=PIXEL", "BLOCKXSIZE=64", "BLOCKYSIZE=32"]),
    ("Float64", 1, []),
    ("Int16", 1, ["ENDIANNESS=BIG"]),
    ("CFloat32", 1, ["TILED=YES"]),
    ("Float32", 1, ["TILED=YES", "COMPRESS=LZW", "PREDICTOR=3"]),
    ("Float32", 3, ["INTERLEAVE=BAND"]),
])
def test_direct_reads_give_the_cached_reads_values(qgis_app, tmp_path, dtype, bands, options):
    """A stack file opened for direct reads (no block cache) reads the same bytes as GDAL's cached reads, for
    every window a block pass or a reference pixel asks for, in any byte order, interleave, type, compression."""
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import open_raster
    from insar_geohazards.fileio.timeseries.stacks import open_raster_direct

    rng = np.random.default_rng(3)
    path = str(tmp_path / "f.tif")
    gdt = gdal.GetDataTypeByName(dtype)
    ds = gdal.GetDriverByName("GTiff").Create(path, 300, 270, bands, gdt, options)
    for b in range(bands):
        a = rng.standard_normal((270, 300)) * 100
        if dtype == "CFloat32":
            a = a + 1j * a[::-1]
        if dtype.startswith("Float"):
            a[5, 7] = np.nan
        ds.GetRasterBand(b + 1).WriteArray(a)
    ds = None
    cached, direct = open_raster(path), open_raster_direct(path)
    assert gdal.GetThreadLocalConfigOption("GTIFF_DIRECT_IO", None) is None  # set around the open only
    for b in range(1, bands + 1):
        for x, y, w, h in [(0, 0, 300, 270), (0, 37, 300, 50), (13, 200, 100, 70), (60, 60, 1, 1), (0, 269, 300, 1)]:
            want = cached.GetRasterBand(b).ReadAsArray(x, y, w, h)
            got = direct.GetRasterBand(b).ReadAsArray(x, y, w, h)
            assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize("units_radians", [True, False])
def test_compressed_stack_read_on_threads_gives_the_one_thread_blocks(qgis_app, tmp_path, monkeypatch,
                                                                      units_radians):
    """Blocks reaching a new row of tiles of compressed inputs are read on several threads (each file in one
    thread): every block, aligned or not, with coherence, equals the one-thread read bit for bit; uncompressed
    inputs and blocks inside a row of tiles already decoded stay on the caller's thread."""
    from osgeo import gdal

    from insar_geohazards.fileio.base import file_parts
    from insar_geohazards.fileio.timeseries.stacks import open_stack

    rng = np.random.default_rng(11)
    dates = [f"2020{m:02d}{d:02d}" for m in range(1, 8) for d in (1, 15)][:12]
    pairs = [(dates[i], dates[j]) for i in range(len(dates)) for j in range(i + 1, min(i + 5, len(dates)))]
    assert len(pairs) >= 2 * file_parts.FILES_PER_PART
    rows, cols = 90, 70
    paths, coh = [], []
    for n, (a, b) in enumerate(pairs):
        for kind, lst in (("unw", paths), ("cc", coh)):
            p = str(tmp_path / f"{a}-{b}_{kind}.tif")
            ds = gdal.GetDriverByName("GTiff").Create(p, cols, rows, 1, gdal.GDT_Float32, [
                "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32", "COMPRESS=ZSTD" if n % 3 else "COMPRESS=DEFLATE"])
            ds.SetGeoTransform((500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
            v = rng.standard_normal((rows, cols)).astype(np.float32) * (3 if kind == "unw" else 0.2)
            v[n % rows, (3 * n) % cols] = np.nan
            ds.GetRasterBand(1).WriteArray(v)
            if kind == "unw" and not units_radians:
                ds.GetRasterBand(1).SetUnitType("mm")
            ds = None
            lst.append(p)
    spans = [(0, 7), (7, 32), (32, 45), (45, 64), (64, 90)]  # unaligned, crossing rows of tiles, the tail

    def blocks(threads):
        monkeypatch.setattr(file_parts, "READ_THREADS", threads)
        stack = open_stack(paths, coh_paths=coh, wavelength_m=0.0555)
        out = [tuple(np.array(x) for x in stack.read(r0, r1, coherence=True)) for r0, r1 in spans]
        out.append(tuple(np.array(x) for x in stack.read(10, 50, coherence=True, cols=(5, 40))))
        return stack, out

    one_stack, one = blocks(1)
    many_stack, many = blocks(4)
    assert many_stack._pool.get("pool") is not None and one_stack._pool.get("pool") is None  # threads used
    for (a_ifg, a_coh), (b_ifg, b_coh) in zip(one, many):
        assert a_ifg.tobytes() == b_ifg.tobytes() and a_coh.tobytes() == b_coh.tobytes()
    assert np.isnan(one[0][0]).any() and np.isfinite(one[0][0]).any()
    # uncompressed copies of the files: read on the caller's thread only
    plain = []
    for p in paths:
        q = p.replace(".tif", "_plain.tif")
        gdal.Translate(q, p, creationOptions=["TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"])
        plain.append(q)
    monkeypatch.setattr(file_parts, "READ_THREADS", 4)
    stack = open_stack(plain, wavelength_m=0.0555)
    got = stack.read(0, 90)[0]
    assert stack._pool.get("pool") is None
    assert got.tobytes() == open_stack(paths, wavelength_m=0.0555).read(0, 90)[0].tobytes()


def test_a_small_compressed_stack_keeps_its_decoded_tiles_between_passes(qgis_app, tmp_path):
    """A stack whose decoded tiles fit in half of GDAL's cache keeps them after a pass (a second pass decodes
    nothing); one that does not drops them when a pass ends a row of tiles, as before."""
    from osgeo import gdal

    from insar_geohazards.fileio.base import file_parts
    from insar_geohazards.fileio.timeseries.stacks import open_stack

    dates = ["20200101", "20200113", "20200125", "20200206"]
    pairs = [(dates[i], dates[j]) for i in range(4) for j in range(i + 1, 4)]
    paths = []
    for a, b in pairs:
        p = str(tmp_path / f"{a}-{b}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(p, 64, 64, 1, gdal.GDT_Float32,
                                                  ["TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32", "COMPRESS=DEFLATE"])
        ds.GetRasterBand(1).WriteArray(np.random.default_rng(len(paths)).standard_normal((64, 64)))
        ds = None
        paths.append(p)
    before = gdal.GetCacheMax()
    try:
        for cache, kept in ((64 * 2 ** 20, True), (64 * 64 * 4 * len(paths) * 2 - 1, False)):
            gdal.SetCacheMax(cache)
            stack = open_stack(paths, wavelength_m=0.0555)
            first = stack.read(0, 64)[0].copy()
            tiles = file_parts.decoded_bytes(band for _ds, band, _n in stack._open.values())
            assert tiles == 64 * 64 * 4 * len(paths)
            assert (gdal.GetCacheUsed() >= tiles) == kept, (cache, gdal.GetCacheUsed())
            assert stack.read(0, 64)[0].tobytes() == first.tobytes()
            stack.close()
    finally:
        gdal.SetCacheMax(before)
