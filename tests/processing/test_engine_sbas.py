"""SBAS / ISBAS on the block engine: pinned to the block loop it replaced, and equal on a Dask LocalCluster.

The frozen pre-engine loops (tests/engine_reference.py: the scan pass and the solve loop with
its points) run in the same session on the same StackInput as the tool; every output must
match bit for bit: the five rasters, the points, the MintPy timeseries.h5 / velocity.h5 and the
automatic reference pixel (the largest consistent ground, its sums taken over the whole stack at
once). Inputs: a synthetic ISBAS stack (missing values, a no-data corner,
random coherence, a DEM) cut into many blocks, and the real Sentinel-1 Mexico City stack.
"""

import os

import numpy as np
import pytest
from engine_reference import sbas_scan_frozen, sbas_solve_frozen
from testutils import read_raster as _read
from testutils import recording_feedback, write_geotiff
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

OUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT")


def _points(path):
    from osgeo import ogr

    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    rows = [(f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY(), *[f.GetField(i) for i in range(len(names))])
            for f in lyr]
    return names, np.array(rows, dtype=np.float64).reshape(len(rows), len(names) + 2)


def _h5(path, name):
    import h5py

    with h5py.File(path) as f:
        return f[name][()]


def _synthetic(d, *, shape=(53, 37), seed=3):
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(12), max_neighbours=3))
    _, ifg, _ = synthetic_stack(net, shape=shape, noise_mm=1.5, seed=seed, missing_fraction=0.05,
                                nan_block=(0, 3, 0, 4))
    rng = np.random.default_rng(seed + 1)
    d.mkdir()
    for k, (a, b) in enumerate(net.pairs):
        write_geotiff(d / f"{a:%Y%m%d}_{b:%Y%m%d}.unw.tif", np.where(np.isnan(ifg[k]), -9999.0, ifg[k]),
                      nodata=-9999.0)
        write_geotiff(d / f"{a:%Y%m%d}_{b:%Y%m%d}.coh.tif", rng.uniform(0.1, 1.0, shape))
    return str(d)


def _all_outputs(d):
    o = {k: str(d / f"{k.lower()}.tif") for k in OUTS}
    o.update({"OUTPUT_POINTS": str(d / "pts.gpkg"), "OUTPUT_MINTPY_TIMESERIES": str(d / "timeseries.h5"),
              "OUTPUT_MINTPY_VELOCITY": str(d / "velocity.h5"), "OUTPUT_REPORT": str(d / "report.html")})
    return o


def _frozen_run(alg, params, rows, *, weighting, dem=None):
    """The tool's steps with the frozen loops: scan, network filter, reference, solve."""
    from qgis.core import QgsProcessingContext

    from insar_geohazards.algorithms.timeseries.network import filter_network
    from insar_geohazards.algorithms.timeseries.sbas import SbasSolver
    from insar_geohazards.fileio.base.raster import aligned_block_rows, output_tile_rows
    from insar_geohazards.fileio.timeseries.stacks import reference_values
    from insar_geohazards.processing_provider.inputs.stacks import gather_stack, reference_pixel

    a, ctx = alg("sbasinversion"), QgsProcessingContext()
    stack = gather_stack(a, params, ctx)
    coh = stack.has_coherence
    scan = sbas_scan_frozen(stack, rows, coherence=coh) if not params.get("REFERENCE") else (None, None, None)
    flt = filter_network(stack.network, max_temporal_baseline_days=0.0, max_perp_baseline_m=None,
                         mean_coherence=scan[2], min_mean_coherence=float(params.get("MIN_MEAN_COHERENCE", 0.0)),
                         drop_pairs=params.get("DROP_PAIRS", "").split(","))
    if not flt.keep.all():
        stack = stack.subset(flt.keep)
        scan = sbas_scan_frozen(stack, rows, coherence=coh) if scan[0] is not None else scan
    if params.get("REFERENCE"):
        ref = reference_pixel(a, params, ctx, stack, None, None)
    else:  # the largest consistent ground, its sums taken over the whole stack at once
        from insar_geohazards.algorithms.timeseries.ground_reference import choose_ground_reference, ground_sums_block
        from insar_geohazards.fileio.timeseries.stack_reference import ground_terms

        span, triplets, offsets = ground_terms(stack)
        sums = ground_sums_block(stack.read(0, stack.info.height)[0], span_years=span, triplets=triplets,
                                 offsets=offsets)
        ref = choose_ground_reference(scan[0], stack.network.n_pairs, wavelength_mm=stack.wavelength_m * 1000.0,
                                      **sums)
        ref = (ref.row, ref.col)
    thr = float(params.get("COHERENCE_THRESHOLD", 0.0))
    solver = SbasSolver(stack.network, wavelength_m=stack.wavelength_m, weighting=weighting, looks=10,
                        coherence_threshold=thr, min_count=int(params.get("ISBAS_MIN_COUNT", 0)),
                        min_temporal_coherence=float(params.get("MIN_TEMPORAL_COHERENCE", 0.7)))
    tile = output_tile_rows(stack.info.width, stack.network.n_dates, 4)
    out = sbas_solve_frozen(stack, solver, reference_values(stack, *ref), aligned_block_rows(rows, tile),
                            need_coh=coh and (weighting == "variance" or thr > 0), heights=dem)
    return stack, ref, out


def _assert_equal(res, frozen, stack, ref, *, points=True, h5=True):
    rasters, pts, _ = frozen
    for key, want in zip(OUTS, rasters):
        got, ds = _read(res[key])
        assert got.tobytes() == want.astype(got.dtype).tobytes(), key
    ds = _read(res["OUTPUT_TIMESERIES"])[1]
    assert (int(ds.GetMetadataItem("REFERENCE_ROW")), int(ds.GetMetadataItem("REFERENCE_COL"))) == tuple(ref)
    if points:
        names, got = _points(res["OUTPUT_POINTS"])
        cols = {"x": 0, "y": 1, **{n: i + 2 for i, n in enumerate(names)}}
        for k in ("x", "y", "VEL", "V_STDEV", "COHERENCE") + (("HEIGHT",) if "HEIGHT" in pts else ()):
            assert got[:, cols[k]].tobytes() == pts[k].astype(np.float64).tobytes(), k
        dates = [n for n in names if n.startswith("D")]
        assert len(dates) == stack.network.n_dates
        assert got[:, [cols[n] for n in dates]].T.tobytes() == pts["ts"].astype(np.float64).tobytes()
        assert got[:, cols["PID"]].tolist() == list(range(1, len(got) + 1))
    if h5:
        assert _h5(res["OUTPUT_MINTPY_TIMESERIES"], "timeseries").tobytes() == \
            (rasters[0] / 1000.0).astype(np.float32).tobytes()
        assert _h5(res["OUTPUT_MINTPY_VELOCITY"], "velocity").tobytes() == \
            (rasters[1].astype(np.float32) / 1000.0).astype(np.float32).tobytes()
        assert _h5(res["OUTPUT_MINTPY_VELOCITY"], "velocityStd").tobytes() == \
            (rasters[2].astype(np.float32) / 1000.0).astype(np.float32).tobytes()


def test_sbas_on_the_engine_equals_the_frozen_loop_synthetic(alg, run_alg, tmp_path, monkeypatch):
    pytest.importorskip("h5py", reason="h5py is not installed")
    from insar_geohazards.fileio.timeseries import stacks as tt

    folder = _synthetic(tmp_path / "s")
    heights = np.arange(53 * 37.0).reshape(53, 37) + 1000.0
    dem = write_geotiff(tmp_path / "dem.tif", heights)
    monkeypatch.setattr(tt, "block_rows_for", lambda stack, run, factor=6.0: 7)  # scan: 8 blocks, solve: 14
    params = {"INTERFEROGRAMS": folder, "COHERENCE": folder, "INPUT_UNITS": 3, "WEIGHTING": 1,
              "COHERENCE_THRESHOLD": 0.25, "ISBAS_MIN_COUNT": 20, "MIN_TEMPORAL_COHERENCE": 0.3,
              "MIN_MEAN_COHERENCE": 0.1, "DROP_PAIRS": "20200101_20200113", "DEM": dem}
    res = run_alg("sbasinversion", {**params, **_all_outputs(tmp_path)})
    stack, ref, frozen = _frozen_run(alg, params, 7, weighting="variance", dem=heights.astype(np.float32))
    assert stack.network.n_pairs == 29  # one of the 30 pairs dropped: the second scan ran
    _assert_equal(res, frozen, stack, ref)
    assert 0.5 < np.isfinite(frozen[0][1]).mean() < 1.0  # ISBAS: solved pixels and masked ones


def test_sbas_on_the_engine_equals_the_frozen_loop_mexico_city(alg, run_alg, tmp_path, data_dir, monkeypatch):
    from insar_geohazards.fileio.timeseries import stacks as tt

    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    monkeypatch.setattr(tt, "block_rows_for", lambda stack, run, factor=6.0: 9)
    params = {"INTERFEROGRAMS": folder, "COHERENCE": folder, "COHERENCE_THRESHOLD": 0.3, "ISBAS_MIN_COUNT": 15}
    res = run_alg("sbasinversion", {**params, "OUTPUT_POINTS": str(tmp_path / "pts.gpkg"),
                                    **{k: str(tmp_path / f"{k.lower()}.tif") for k in OUTS}})
    stack, ref, frozen = _frozen_run(alg, params, 9, weighting="none")
    _assert_equal(res, frozen, stack, ref, h5=False)
    assert np.isfinite(frozen[0][1]).mean() > 0.5


def test_sbas_on_a_dask_localcluster_with_two_workers_equals_the_local_run(run_alg, tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    pytest.importorskip("h5py", reason="h5py is not installed")

    from insar_geohazards.algorithms import engine
    from insar_geohazards.fileio.timeseries import stacks as tt

    folder = _synthetic(tmp_path / "s", shape=(40, 23), seed=9)
    monkeypatch.setattr(tt, "block_rows_for", lambda stack, run, factor=6.0: 4)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)  # the embedded LocalCluster: 2 workers

    got, logs = [], []
    for sched in ("", "local"):
        d = tmp_path / (sched or "here")
        d.mkdir()
        log = recording_feedback()
        logs.append(log)
        res = run_alg("sbasinversion", {"INTERFEROGRAMS": folder, "COHERENCE": folder, "INPUT_UNITS": 3,
                                        "WEIGHTING": 1, "ISBAS_MIN_COUNT": 20, "DASK_SCHEDULER": sched,
                                        **_all_outputs(d)}, feedback=log)
        got.append([_read(res[k])[0].tobytes() for k in OUTS] + [_points(res["OUTPUT_POINTS"])[1].tobytes(),
                   _h5(res["OUTPUT_MINTPY_TIMESERIES"], "timeseries").tobytes(),
                   _h5(res["OUTPUT_MINTPY_VELOCITY"], "velocity").tobytes()])
    assert any("2 worker thread(s)" in line for log in logs for line in log.info)
    assert got[0] == got[1]


@pytest.mark.parametrize("processes", ["0", "1"], ids=["worker_threads", "worker_processes"])
def test_sbas_dask_workers_read_their_own_rows_and_equal_the_local_run(run_alg, tmp_path, monkeypatch, processes):
    """On Dask the tasks carry the stack's paths, units, signs and the reference pixel's values; each worker reads
    its rows (time series back as float32 when no MintPy file is asked for). VRT inputs stay read in the calling
    process and shipped. Every output is the local run's, byte for byte."""
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    from osgeo import gdal

    from insar_geohazards.algorithms import engine
    from insar_geohazards.fileio.timeseries import stacks as tt

    folder = _synthetic(tmp_path / "s", shape=(41, 29), seed=11)
    vrts = tmp_path / "vrt"
    vrts.mkdir()
    for f in sorted(os.listdir(folder)):
        gdal.Translate(str(vrts / (f[:-4] + ".vrt")), os.path.join(folder, f), format="VRT")
    monkeypatch.setattr(tt, "block_rows_for", lambda stack, run, factor=6.0: 4)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)  # the embedded LocalCluster: 2 workers

    def run(name, inputs, sched):
        d = tmp_path / name
        d.mkdir()
        log = recording_feedback()
        outs = {k: str(d / f"{k.lower()}.tif") for k in OUTS}
        res = run_alg("sbasinversion", {"INTERFEROGRAMS": inputs, "COHERENCE": inputs, "INPUT_UNITS": 3,
                                        "WEIGHTING": 1, "ISBAS_MIN_COUNT": 20, "DASK_SCHEDULER": sched,
                                        "OUTPUT_POINTS": str(d / "pts.gpkg"), **outs}, feedback=log)
        got = [_read(res[k])[0].tobytes() for k in OUTS] + [_points(res["OUTPUT_POINTS"])[1].tobytes()]
        return got, log.info

    local, _ = run("here", folder, "")
    monkeypatch.setenv("INSAR_GEOHAZARDS_DASK_PROCESSES", processes)
    by_path, lines = run("dask", folder, "local")
    assert any("each worker reads its own rows" in line for line in lines)
    assert by_path == local
    shipped, lines = run("dask_vrt", str(vrts), "local")
    assert any("shipped to the workers" in line and "is a VRT" in line for line in lines)
    assert shipped == local


def test_stack_rows_group_blocks_by_row_of_input_tiles_and_read_what_the_stack_reads(qgis_app, tmp_path):
    """The work description read back (pickled, as a worker gets it) gives the caller's values bit for bit, and
    blocks reading one row of the inputs' tiles share one affinity (one worker decodes those tiles)."""
    import pickle

    from insar_geohazards.algorithms.engine import plan_blocks
    from insar_geohazards.fileio.timeseries import stacks as tt

    folder = _synthetic(tmp_path / "s", shape=(41, 29), seed=5)
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if ".unw." in f)
    stack = tt.open_stack(files, units=3)
    ref = tt.reference_values(stack, 7, 9)
    src = pickle.loads(pickle.dumps(tt.StackRows(stack, False, ref)))
    want, _ = stack.read(5, 13)
    want = want - ref[:, None, None]
    got, coh = src.read(5, 13, stack.info.width)
    assert coh is None and got.dtype == np.float64
    assert got.tobytes() == want.tobytes()
    assert tt.worker_readable(stack, False) == ""
    tile = src.tile_rows
    keys = [src.affinity(b) for b in plan_blocks(41, 29, block_rows=1)]
    assert keys == [r // tile for r in range(41)]


@pytest.mark.parametrize("compress", ["DEFLATE", "NONE"])
def test_stack_reads_keep_one_row_of_input_tiles_in_gdals_cache(qgis_app, tmp_path, compress):
    """Moving down to the next row of tiles drops the rows left behind (GDAL's cache would otherwise fill to
    its cap during a pass) when the stack's decoded tiles do not fit in half of the cache; the values read are
    unchanged and the reference pixel is read as one pixel. Uncompressed files are read straight into the block
    (no tile in the cache at all), the same values."""
    from osgeo import gdal

    from insar_geohazards.fileio.timeseries import stacks as tt

    rng = np.random.default_rng(2)
    files = []
    for a, b in (("20200101", "20200113"), ("20200113", "20200125"), ("20200101", "20200125")):
        path = str(tmp_path / f"{a}_{b}.unw.tif")
        ds = gdal.GetDriverByName("GTiff").Create(path, 64, 48, 1, gdal.GDT_Float32,
                                                  options=["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16",
                                                           f"COMPRESS={compress}"])
        ds.SetGeoTransform((500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
        ds.GetRasterBand(1).WriteArray(rng.normal(size=(48, 64)).astype(np.float32))
        ds = None
        files.append(path)
    stack = tt.open_stack(files, units=3)
    whole = np.stack([gdal.Open(f).ReadAsArray().astype(np.float64) for f in np.array(files)[stack.order]])
    ref = tt.reference_values(stack, 20, 33)
    assert ref.tobytes() == whole[:, 20, 33].tobytes()
    row_of_tiles = 3 * 64 * 16 * 4
    got, used = [], []
    before = gdal.GetCacheMax()
    gdal.SetCacheMax(0)  # emptied
    base = gdal.GetCacheUsed()
    gdal.SetCacheMax(2 * 3 * 64 * 48 * 4 - 1)  # the three files' tiles are over half of the cache
    try:
        for r in range(0, 48, 8):
            got.append(stack.read(r, r + 8)[0].copy())
            used.append(gdal.GetCacheUsed() - base)
    finally:
        gdal.SetCacheMax(before)
    if compress == "NONE":
        assert max(used) <= 0  # direct reads: no decoded tile kept
    else:
        assert used[0] >= row_of_tiles  # the first half of a row of tiles decodes the whole row, kept for the second
        assert max(used) <= 1.25 * row_of_tiles  # one row of tiles (+ GDAL's bookkeeping), not the three rows read
    assert np.concatenate(got, axis=1).tobytes() == whole.tobytes()


def test_reference_pixel_read_once_per_stack(qgis_app, tmp_path, monkeypatch):
    """The reference check and the run ask for the same pixel: its tiles are decoded once, the same values
    handed out each time (copies: a caller changing its array changes nothing for the next)."""
    from insar_geohazards.fileio.timeseries import stacks as tt

    folder = _synthetic(tmp_path / "s", shape=(41, 29), seed=5)
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if ".unw." in f)
    stack = tt.open_stack(files, units=3)
    want = tt.reference_values(tt.open_stack(files, units=3), 7, 9)
    reads = []
    real_read = tt.StackInput.read
    monkeypatch.setattr(tt.StackInput, "read", lambda self, *a, **k: reads.append(a) or real_read(self, *a, **k))
    first = tt.reference_values(stack, 7, 9)
    first[:] = 0.0
    second = tt.reference_values(stack, 7, 9)
    assert second.tobytes() == want.tobytes()
    other = tt.reference_values(stack, 8, 9)
    assert len(reads) == 2 and other.tobytes() != want.tobytes()
    assert tt.reference_values(stack.subset(np.arange(len(stack.order)) < 2), 7, 9).tobytes() == want[:2].tobytes()


def test_stack_block_buffers_are_reused_only_when_no_one_holds_them(qgis_app):
    """StackInput.read reuses its float64 block arrays (no new 50 MB array per block), never one that a
    block still in flight (the array, a view of it) holds; the frozen-loop tests above check the values."""
    from insar_geohazards.fileio.timeseries.stacks import StackInput

    stack = StackInput(network=None, info=None, wavelength_m=0.055, units=3, signs=np.ones(2))
    first = stack._block_buffer((2, 3, 4))
    held = first.reshape(2, -1)  # a view: the solver's reshape of a block
    second = stack._block_buffer((2, 3, 4))
    assert second is not first and not np.shares_memory(second, held)
    ids = {id(first), id(second)}
    del first
    third = stack._block_buffer((2, 3, 4))  # the view still holds the first, the name holds the second
    assert id(third) not in ids
    del held
    assert stack._block_buffer((2, 3, 4)) is stack._buffers[0]  # the first, released
    assert len(stack._buffers) == 3
    assert stack._block_buffer((1, 3, 4)).shape == (1, 3, 4)  # another shape: a new array


def test_engine_threads_read_with_the_guards_gdal_settings(qgis_app):
    """Inputs read ahead in the engine's reader thread are read as the guard reads them (PAM off: no .aux.xml
    written next to the user's rasters), like the calling thread inside quiet_gdal_reads."""
    from osgeo import gdal

    from insar_geohazards.algorithms import engine
    from insar_geohazards.fileio.base.probe import quiet_gdal_reads

    seen = []

    def read(r0, r1):
        seen.append(gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None))
        return np.zeros((r1 - r0, 3))

    with quiet_gdal_reads():
        engine.process_blocks(engine.plan_blocks(40, 3, block_rows=10), lambda b, i: {"z": i["z"]},
                              lambda b, out: seen.append(gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)),
                              sources={"z": engine.CallableSource(read)}, background_write=True)
    assert seen == ["NO"] * 8


def test_the_guard_probes_a_stack_side_by_side_and_names_the_first_bad_file(run_alg, tmp_path):
    """More than 8 rasters are probed in threads; the message still names the first broken file in list order."""
    from qgis.core import QgsProcessingException

    folder = _synthetic(tmp_path / "s", shape=(30, 20))
    files = sorted(p for p in os.listdir(folder) if p.endswith(".unw.tif"))
    for name in (files[6], files[11]):
        path = os.path.join(folder, name)
        with open(path, "r+b") as fh:
            fh.truncate(int(os.path.getsize(path) * 0.6))
    with pytest.raises(QgsProcessingException, match=files[6].replace(".", r"\.") + ".*truncated"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": folder, "INPUT_UNITS": 3, **_all_outputs(tmp_path)})
    assert not [p for p in os.listdir(tmp_path) if p.endswith((".tif", ".gpkg", ".h5", ".html"))]
