"""Stacks read a row of tiles at a time (uncompressed GeoTIFFs, GDAL's direct I/O) give the bits of windowed reads,
whatever the block height; compressed or mixed inputs are read as windows."""

import numpy as np
import pytest

PAIRS = (("20200101", "20200113"), ("20200113", "20200125"), ("20200101", "20200125"), ("20200113", "20200206"),
         ("20200125", "20200206"))


def _stack_files(tmp_path, *, rows=100, cols=70, tile=32, compress=None, nodata=None, seed=0):
    from osgeo import gdal

    rng = np.random.default_rng(seed)
    paths, coh = [], []
    options = ["TILED=YES", f"BLOCKXSIZE={tile}", f"BLOCKYSIZE={tile}"] + ([f"COMPRESS={compress}"] if compress else [])
    for a, b in PAIRS:
        for kind, lst in (("unw", paths), ("cc", coh)):
            p = str(tmp_path / f"{a}-{b}_{kind}.tif")
            values = rng.normal(0, 0.5, (rows, cols)).astype(np.float32) if kind == "unw" else \
                rng.uniform(0, 1, (rows, cols)).astype(np.float32)
            values[rng.uniform(size=values.shape) < 0.05] = np.nan
            ds = gdal.GetDriverByName("GTiff").Create(p, cols, rows, 1, gdal.GDT_Float32, options)
            ds.SetGeoTransform((500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
            band = ds.GetRasterBand(1)
            if nodata is not None:
                values[rng.uniform(size=values.shape) < 0.05] = nodata
                band.SetNoDataValue(nodata)
            band.WriteArray(values)
            ds = None
            lst.append(p)
    return paths, coh


def _folder(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _read_all(stack, block_rows, whole_rows):
    out_ifg, out_coh = [], []
    for r0 in range(0, stack.info.height, block_rows):
        ifg, coh = stack.read(r0, min(stack.info.height, r0 + block_rows), coherence=True, whole_rows=whole_rows)
        out_ifg.append(ifg.copy())  # the block buffer is reused by the next read
        out_coh.append(coh.copy())
    return np.concatenate(out_ifg, axis=1), np.concatenate(out_coh, axis=1)


@pytest.mark.parametrize("block_rows", [5, 13, 16, 31])
@pytest.mark.parametrize("nodata", [None, -9999.0])
def test_whole_tile_rows_give_the_bits_of_window_reads(qgis_app, tmp_path, block_rows, nodata):
    from insar_geohazards.io.stacks import open_stack

    paths, coh = _stack_files(tmp_path, nodata=nodata)
    windows = open_stack(paths, coh_paths=coh, wavelength_m=0.0555)
    whole = open_stack(paths, coh_paths=coh, wavelength_m=0.0555)
    a_ifg, a_coh = _read_all(windows, block_rows, False)
    b_ifg, b_coh = _read_all(whole, block_rows, True)
    assert a_ifg.tobytes() == b_ifg.tobytes() and a_coh.tobytes() == b_coh.tobytes()
    assert np.isnan(b_ifg).any() and np.isfinite(b_ifg).any()
    assert not whole._whole  # dropped after the last row
    # the whole-row reader was used (blocks shorter than the 32-row tiles); a block crossing two rows of tiles
    # is read as a window
    whole.read(0, block_rows, coherence=True, whole_rows=True)
    assert whole._whole["ifg"] is not None and whole._whole["coh"] is not None


def test_compressed_mixed_or_too_large_inputs_are_read_as_windows(qgis_app, tmp_path):
    from insar_geohazards.io.tile_rows import TileRows

    plain, _ = _stack_files(_folder(tmp_path, "a"))
    deflate, _ = _stack_files(_folder(tmp_path, "b"), compress="DEFLATE")
    tall, _ = _stack_files(_folder(tmp_path, "c"), tile=64)
    kw = dict(height=100, width=70, block_rows=8)
    big = len(plain) * 32 * 70 * 4
    assert TileRows.for_paths(plain, budget_bytes=big, **kw) is not None
    assert TileRows.for_paths(plain, budget_bytes=big - 1, **kw) is None  # over GDAL's cache
    assert TileRows.for_paths(deflate, budget_bytes=big, **kw) is None
    assert TileRows.for_paths(plain[:2] + tall[2:], budget_bytes=4 * big, **kw) is None  # two tile heights
    assert TileRows.for_paths(plain, budget_bytes=big, height=100, width=70, block_rows=32) is None  # blocks as tall


def test_sbas_on_uncompressed_tiles_equals_the_compressed_copy(qgis_app, run_alg, tmp_path, monkeypatch):
    """The tool's outputs (reference picked by the scan pass, then the solve pass) from a stack read a row of
    tiles at a time (uncompressed, 8-row blocks under 32-row tiles) are those from the same values
    DEFLATE-compressed, read as windows through GDAL's cache."""
    from osgeo import gdal

    from insar_geohazards.io import stacks
    from insar_geohazards.io.tile_rows import TileRows

    monkeypatch.setattr(stacks, "block_rows_for", lambda *a, **k: 8)
    used = []
    real = TileRows.for_paths.__func__
    monkeypatch.setattr(TileRows, "for_paths", classmethod(lambda cls, *a, **k: used.append(real(cls, *a, **k))
                                                             or used[-1]))
    outs = {}
    for name, compress in (("plain", None), ("deflate", "DEFLATE")):
        folder = _folder(tmp_path, name)
        _stack_files(folder, rows=120, cols=90, compress=compress, seed=3)
        for p in folder.glob("*_cc.tif"):
            p.unlink()
        out = {k: str(tmp_path / f"{name}_{k.lower()}.tif") for k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY")}
        run_alg("sbasinversion", {"INTERFEROGRAMS": str(folder), "WAVELENGTH_M": 0.0555, "MIN_TEMPORAL_COHERENCE": 0,
                                  **out})
        outs[name] = {k: gdal.Open(v).ReadAsArray() for k, v in out.items()}
    assert any(u is not None for u in used) and used[-1] is None  # plain: whole rows; deflate: windows
    for k in outs["plain"]:
        assert outs["plain"][k].tobytes() == outs["deflate"][k].tobytes()
    assert np.isfinite(outs["plain"]["OUTPUT_VELOCITY"]).mean() > 0.5


def test_whole_row_reads_hold_no_file_open(qgis_app, tmp_path):
    """The stack keeps its own handles; a second set would double the open files of a run (hundreds of
    interferograms and coherences against the process's limit)."""
    import os

    from insar_geohazards.io.tile_rows import TileRows

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("counting open files needs /proc/self/fd (Linux)")
    plain, coh = _stack_files(tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    rows = TileRows.for_paths(plain + coh, height=100, width=70, block_rows=8, budget_bytes=1 << 30)
    assert rows is not None and rows.rows(3, 40, 48).shape == (8, 70)
    assert len(os.listdir("/proc/self/fd")) == before
