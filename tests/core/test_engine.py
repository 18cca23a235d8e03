"""The block engine (algorithms/engine.py): plan, halo, memory bound, order, progress, cancel, Dask.

No QGIS here. The Dask tests start a LocalCluster with 2 workers (worker processes) and
are skipped, with the reason, when dask.distributed is not installed.
"""

import functools
import os
import threading

import numpy as np
import pytest

from insar_geohazards.algorithms import engine as eng
from insar_geohazards.algorithms.errors import GeohazardError, OperationCanceled


# --------------------------------------------------------------------------- block functions (module level: picklable)
def box3(block, inputs):
    """3x3 mean with NaN outside the grid: needs one halo row each side."""
    z = inputs["z"]
    pad = np.full((block.rows + 2, z.shape[1] + 2), np.nan)
    pad[block.read0 - block.row0 + 1: block.read1 - block.row0 + 1, 1:-1] = z
    acc = sum(pad[i:i + block.rows, j:j + z.shape[1]] for i in range(3) for j in range(3))
    return {"mean": acc / 9.0}


def box3_whole(z):
    pad = np.full((z.shape[0] + 2, z.shape[1] + 2), np.nan)
    pad[1:-1, 1:-1] = z
    return sum(pad[i:i + z.shape[0], j:j + z.shape[1]] for i in range(3) for j in range(3)) / 9.0


def stack_stats(block, inputs, *, scale):
    s = inputs["stack"]
    return {"mean": s.mean(axis=0) * scale, "std": s.std(axis=0), "rows": np.full(s.shape[1:], block.row0)}


def npy_opener(request):
    """Opener of a .npy file by path (what the provider's GdalOpener does for GeoTIFFs)."""
    arr = np.load(request.path, mmap_mode="r")
    r0, r1, c0, c1 = request.window
    arr = arr if arr.ndim == 3 else arr[None]
    bands = request.bands or tuple(range(1, arr.shape[0] + 1))
    return np.stack([np.asarray(arr[b - 1, r0:r1, c0:c1], dtype=request.dtype) for b in bands])


class Progress:
    def __init__(self, cancel_after=None):
        self.values = []
        self.cancel_after = cancel_after

    def set_progress(self, p):
        self.values.append(p)

    def is_canceled(self):
        return self.cancel_after is not None and len(self.values) >= self.cancel_after


# --------------------------------------------------------------------------- planning
@pytest.mark.parametrize("n_rows,n_cols,bpp,mb,halo", [(1000, 700, 8, 4, 1), (4097, 300, 24, 16, 3),
                                                       (300, 50, 4, 1, 0), (10, 10, 8, 512, 2)])
def test_plan_covers_the_grid_on_tile_boundaries_within_the_budget(n_rows, n_cols, bpp, mb, halo):
    plan = eng.plan_blocks(n_rows, n_cols, bytes_per_pixel=bpp, halo=halo, tile_rows=256, max_memory_mb=mb)
    rows = np.concatenate([np.arange(b.row0, b.row1) for b in plan])
    np.testing.assert_array_equal(rows, np.arange(n_rows))  # every row once, in order
    for b in plan[:-1]:
        assert b.row1 % 256 == 0  # boundaries on output tiles
    for b in plan:
        assert b.read0 == max(0, b.row0 - halo) and b.read1 == min(n_rows, b.row1 + halo)
        assert eng.block_bytes(b, bpp) <= mb * 2**20
        assert b.core == slice(b.row0 - b.read0, b.row1 - b.read0)


def test_plan_shrinks_below_a_tile_when_one_tile_does_not_fit_and_takes_the_env_budget(monkeypatch):
    plan = eng.plan_blocks(1000, 10_000, bytes_per_pixel=100, halo=2, max_memory_mb=10)
    fit = 10 * 2**20 // (100 * 10_000) - 4
    assert plan[0].rows == fit and all(eng.block_bytes(b, 100) <= 10 * 2**20 for b in plan)
    monkeypatch.setenv(eng.ENV_MAX_MEMORY, "2")
    assert eng.max_memory_bytes() == 2 * 2**20
    monkeypatch.setenv(eng.ENV_MAX_MEMORY, "lots")
    with pytest.raises(GeohazardError, match="INSAR_GEOHAZARDS_MAX_MEMORY_MB"):
        eng.plan_blocks(10, 10)
    with pytest.raises(GeohazardError, match="halo"):
        eng.plan_blocks(10, 10, halo=-1, max_memory_mb=1)


def test_a_smaller_budget_gives_fewer_rows_down_to_min_rows_and_the_cap_holds_whatever_the_budget():
    """Halving the budget halves the rows of a block (tile-aligned when a tile fits); ``fixed_bytes`` comes off the
    budget first, ``min_rows`` is the floor (a method's step), ``max_rows`` the cap of a slow kernel."""
    rows = [eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=mb) for mb in (400, 200, 100, 50, 25)]
    assert rows == [4096, 2048, 1024, 512, 256]  # multiples of the 256-row tiles
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=10) == 10 * 2**20 // (100 * 1000)
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=10, halo=5) == 10 * 2**20 // (100 * 1000) - 10
    # a fixed part: the rows pay for what is left
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=60, fixed_bytes=50 * 2**20) == 104
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=40, fixed_bytes=50 * 2**20, min_rows=16) == 16
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=1, tile_rows=16, min_rows=16) == 16
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=3, tile_rows=16, min_rows=16) == 16
    assert eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=4, tile_rows=16, min_rows=16) == 32
    # the cap: the same rows under any budget above it, fewer below
    assert [eng.budget_rows(1000, bytes_per_pixel=100, max_memory_mb=mb, max_rows=64) for mb in (512, 64, 8, 4)] \
        == [64, 64, 64, 41]
    plan = eng.plan_blocks(300, 1000, bytes_per_pixel=100, max_memory_mb=4, max_rows=64, halo=1)
    assert [b.rows for b in plan] == [39] * 7 + [27]
    assert [b.rows for b in eng.plan_blocks(300, 1000, bytes_per_pixel=100, max_memory_mb=512, max_rows=64)] \
        == [64] * 4 + [44]
    with pytest.raises(GeohazardError, match="at least one column"):
        eng.budget_rows(0)


# --------------------------------------------------------------------------- halo, order, progress, cancel
@pytest.mark.parametrize("block_rows", [1, 2, 7, 64, 200])
def test_halo_blocks_equal_the_whole_array_function(block_rows):
    z = np.random.default_rng(block_rows).normal(size=(83, 41))
    z[5, 7] = np.nan
    got = eng.map_blocks(box3, {"z": z}, n_rows=83, n_cols=41, outputs=["mean"], halo=1, block_rows=block_rows)
    assert got["mean"].tobytes() == box3_whole(z).tobytes()


def test_writer_gets_blocks_in_plan_order_and_progress_is_monotone():
    z = np.arange(50 * 3, dtype=float).reshape(50, 3)
    plan = eng.plan_blocks(50, 3, block_rows=8)[::-1]  # a bottom-up scan order is honoured as given
    seen = []
    for bg in (False, True):
        seen.clear()
        prog = Progress()
        eng.process_blocks(plan, box3, lambda b, out: seen.append(b.index), sources={"z": z}, progress=prog,
                         background_write=bg)
        assert seen == [b.index for b in plan]
        assert prog.values == sorted(prog.values) and len(prog.values) == len(plan) and prog.values[-1] == 100.0


class LoggingProgress(Progress):
    def __init__(self):
        super().__init__()
        self.infos = []

    def push_info(self, message):
        self.infos.append(message)


def test_block_clock_projects_the_pass_from_the_blocks_done_and_logs_at_tenths():
    now = [100.0]
    prog = LoggingProgress()
    clock = eng.BlockClock(20, prog, clock=lambda: now[0], report_after_s=0.0)
    now[0] += 12.0  # the first block carries the pipeline's fill and the kernels' compilation
    clock.read.append(1.0)
    clock.compute.append(11.0)
    clock.block_done()
    assert clock.projected_s() == pytest.approx(12.0 * 20)
    for _ in range(4):
        now[0] += 2.0
        clock.read.append(0.5)
        clock.compute.append(1.5)
        clock.write.append(0.25)
        clock.block_done()
    # 5 blocks in 20 s, 2 s per block after the first: 20 + 2 * 15
    assert clock.projected_s() == pytest.approx(50.0)
    assert [m.split(":")[0] for m in prog.infos] == ["block 1/20", "block 2/20", "block 4/20"]
    assert prog.infos[-1].startswith("block 4/20: 18.0 s so far, projected 50 s")
    assert "read 0.50 s, compute 1.50 s, write 0.25 s" in prog.infos[-1]
    text = clock.summary()
    assert text.startswith("block pass: 20 blocks in 20.0 s")
    assert "totals read 3.0 s, compute 17.0 s, write 1.0 s" in text
    quiet = eng.BlockClock(20, prog, clock=lambda: now[0], report_after_s=60.0)
    quiet.block_done()
    assert quiet.summary() is None and len(prog.infos) == 4


@pytest.mark.parametrize("background", [False, True])
def test_a_long_pass_logs_its_per_block_costs(monkeypatch, background):
    monkeypatch.setattr(eng, "REPORT_AFTER_S", 0.0)
    z = np.arange(50 * 3, dtype=float).reshape(50, 3)
    prog = LoggingProgress()
    eng.process_blocks(eng.plan_blocks(50, 3, block_rows=5), box3, lambda b, out: None, sources={"z": z},
                       progress=prog, background_write=background)
    assert prog.infos[0].startswith("block 1/10: ") and prog.infos[-1].startswith("block pass: 10 blocks in ")
    assert all("per block (median) read " in m for m in prog.infos)


class PublishOnCommit:
    """A file writer like RasterWriter: blocks go to a temporary file, renamed only on commit."""

    def __init__(self, path, n_rows, n_cols):
        self.path, self.tmp = path, str(path) + ".part"
        self.mm = np.lib.format.open_memmap(self.tmp, mode="w+", dtype=np.float64, shape=(n_rows, n_cols))
        self.blocks = 0

    def __call__(self, block, out):
        self.mm[block.row0:block.row1] = out["mean"]
        self.blocks += 1

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.mm.flush()
        del self.mm
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            os.remove(self.tmp)
        return False


@pytest.mark.parametrize("background", [False, True])
def test_cancel_mid_way_stops_between_blocks_and_leaves_nothing(tmp_path, background):
    z = np.random.default_rng(0).normal(size=(100, 20))
    plan = eng.plan_blocks(100, 20, block_rows=10, halo=1)
    prog = Progress(cancel_after=4)
    out = tmp_path / "out.npy"
    with pytest.raises(OperationCanceled):
        with PublishOnCommit(out, 100, 20) as w:
            eng.process_blocks(plan, box3, w, sources={"z": z}, progress=prog, background_write=background)
    assert w.blocks <= 5 and not os.listdir(tmp_path)
    assert prog.values == sorted(prog.values)


def test_errors_of_the_block_function_and_of_the_writer_reach_the_caller():
    z = np.zeros((30, 4))
    plan = eng.plan_blocks(30, 4, block_rows=5)

    def bad(block, inputs):
        raise GeohazardError(f"block {block.index} is bad")

    with pytest.raises(GeohazardError, match="block 0 is bad"):
        eng.process_blocks(plan, bad, None, sources={"z": z})

    def failing(block, out):
        if block.index == 2:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        eng.process_blocks(plan, box3, failing, sources={"z": z}, background_write=True)
    with pytest.raises(GeohazardError, match="dict of arrays"):
        eng.process_blocks(plan, lambda b, i: i["z"], None, sources={"z": z})


def test_prepare_runs_here_in_plan_order_before_each_block():
    order = []
    plan = eng.plan_blocks(40, 2, block_rows=10)

    def prepare(block):
        order.append(("prep", block.index, threading.current_thread() is threading.main_thread()))
        return {"k": np.full((block.rows, 2), block.index)}

    got = eng.map_blocks(lambda b, i: {"k": i["k"]}, {}, n_rows=40, n_cols=2, outputs=["k"], plan=plan,
                       prepare=prepare)
    assert [o[1] for o in order] == [0, 1, 2, 3] and all(o[2] for o in order)
    np.testing.assert_array_equal(got["k"][:, 0], np.repeat(np.arange(4), 10))


def test_read_ahead_reads_the_next_block_in_a_reader_thread_while_this_one_computes():
    """Block k's function waits (bounded) until block k+1's read has started: it can only return
    early if the reads run beside it. Reads stay in order, one at a time; values equal a plain loop."""
    z = np.arange(60 * 4, dtype=float).reshape(60, 4)
    plan = eng.plan_blocks(60, 4, block_rows=10, halo=1)
    started = {i: threading.Event() for i in range(len(plan))}
    reads, busy = [], []

    def read(r0, r1):
        busy.append(1)
        assert len(busy) == 1  # never two reads at once
        i = r0 // 10 + (1 if r0 % 10 else 0)
        reads.append((i, threading.current_thread() is threading.main_thread()))
        started[i].set()
        busy.pop()
        return z[r0:r1]

    overlapped = []

    def func(block, inputs):
        if block.index + 1 < len(plan):
            overlapped.append(started[block.index + 1].wait(timeout=30))
        return box3(block, inputs)

    got = eng.map_blocks(func, {"z": eng.CallableSource(read)}, n_rows=60, n_cols=4, outputs=["mean"], plan=plan)
    assert all(overlapped) and len(overlapped) == len(plan) - 1
    assert [r[0] for r in reads] == list(range(len(plan))) and not any(r[1] for r in reads[1:])
    np.testing.assert_array_equal(got["mean"], box3_whole(z))
    plain = eng.map_blocks(box3, {"z": z}, n_rows=60, n_cols=4, outputs=["mean"], plan=plan, read_ahead=False)
    assert got["mean"].tobytes() == plain["mean"].tobytes()


def test_read_ahead_hands_a_read_error_back_after_the_blocks_before_it_are_written():
    z = np.zeros((50, 3))

    def read(r0, r1):
        if r0 >= 30:
            raise GeohazardError("INTERFEROGRAMS: a.tif is truncated")
        return z[r0:r1]

    written = []
    with pytest.raises(GeohazardError, match="truncated"):
        eng.process_blocks(eng.plan_blocks(50, 3, block_rows=10), box3, lambda b, out: written.append(b.index),
                           sources={"z": eng.CallableSource(read)}, background_write=True)
    assert written == [0, 1, 2]


def test_reader_and_writer_threads_take_the_callers_thread_context():
    """A registered (capture, apply) pair carries thread-local settings (GDAL's, in the provider) from the
    calling thread to the engine's reader and writer threads."""
    local = threading.local()
    local.value = "caller"
    eng.register_thread_context("test", lambda: getattr(local, "value", None),
                                lambda v: setattr(local, "value", v))
    seen = []
    try:
        def read(r0, r1):
            seen.append(("read", threading.current_thread() is threading.main_thread(), local.value))
            return np.zeros((r1 - r0, 2))

        eng.process_blocks(eng.plan_blocks(30, 2, block_rows=10), box3,
                           lambda b, out: seen.append(("write", threading.current_thread() is threading.main_thread(),
                                                       local.value)),
                           sources={"z": eng.CallableSource(read)}, background_write=True)
    finally:
        del eng.THREAD_CONTEXT["test"]
    assert len(seen) == 6 and all(v == "caller" for _, _, v in seen)
    assert any(not main for kind, main, _ in seen if kind == "read")
    assert all(not main for kind, main, _ in seen if kind == "write")


def test_sources_read_by_path_and_stacks(tmp_path):
    rng = np.random.default_rng(3)
    files = []
    for i in range(4):
        p = tmp_path / f"d{i}.npy"
        np.save(p, rng.normal(size=(37, 9)).astype(np.float32))
        files.append(str(p))
    stack = eng.StackSource(files, npy_opener, dtype="float64")
    got = eng.map_blocks(functools.partial(stack_stats, scale=2.0), {"stack": stack}, n_rows=37, n_cols=9,
                       outputs=["mean", "std"], block_rows=6)
    whole = np.stack([np.load(f).astype(np.float64) for f in files])
    assert got["mean"].tobytes() == (whole.mean(axis=0) * 2.0).tobytes()
    single = eng.RasterSource(files[1], npy_opener, bands=1, dtype="float64")
    assert single.read(3, 9, 9).tobytes() == whole[1, 3:9].tobytes()
    assert eng.RasterSource(files[1], npy_opener, bands=[1], dtype="float32").read(0, 2, 9).shape == (1, 2, 9)


def file_sums(block, inputs):
    s = inputs["stack"]
    return {"sums": s.reshape(s.shape[0], -1).sum(axis=1), "first": np.full(s.shape[0], block.files[0])}


@pytest.mark.parametrize("n_files,mb,group_mb", [(10, 1, 0.05), (7, 4, 64), (5, 0.01, 64)])
def test_file_groups_cover_every_file_once_within_the_budget_and_read_only_theirs(tmp_path, n_files, mb, group_mb):
    rng = np.random.default_rng(n_files)
    files = []
    for i in range(n_files):
        p = tmp_path / f"f{i}.npy"
        np.save(p, rng.normal(size=(37, 9)).astype(np.float32))
        files.append(str(p))
    bpf, shared = 32.0, 8.0
    plan = eng.plan_file_groups(n_files, 37, 9, bytes_per_file_pixel=bpf, bytes_per_pixel=shared, max_memory_mb=mb,
                                group_mb=group_mb)
    if 37 * 9 * (bpf + shared) > mb * 2**20:  # not even one whole file fits: row blocks instead
        assert plan is None
    else:
        _check_file_groups(plan, files, n_files, bpf, shared, mb, group_mb)


def _check_file_groups(plan, files, n_files, bpf, shared, mb, group_mb):
    """Every file once, in order, within the budget; the engine's sums over the plan equal the files' sums."""
    got = np.concatenate([np.arange(*b.files) for b in plan])
    np.testing.assert_array_equal(got, np.arange(n_files))  # every file once, in order
    for b in plan:
        assert (b.row0, b.row1, b.read0, b.read1) == (0, 37, 0, 37)
        assert (b.files[1] - b.files[0]) * 37 * 9 * bpf + 37 * 9 * shared <= mb * 2**20
        assert b.files[1] - b.files[0] == 1 or (b.files[1] - b.files[0]) * 37 * 9 * bpf <= group_mb * 2**20
    sums, seen = [], []
    eng.process_blocks(plan, file_sums, lambda b, out: (sums.append(out["sums"]), seen.append(out["first"])),
                       sources={"stack": eng.StackSource(files, npy_opener, dtype="float64")}, background_write=True)
    np.testing.assert_allclose(np.concatenate(sums), [np.load(f).astype(np.float64).sum() for f in files])
    assert np.concatenate(seen).tolist() == [b.files[0] for b in plan for _ in range(*b.files)]


def test_scheduler_setting_is_parsed_and_explained(monkeypatch):
    monkeypatch.delenv(eng.ENV_SCHEDULER, raising=False)
    assert eng.scheduler_from(None) == "" and eng.scheduler_from("  ") == "" and eng.scheduler_from("LOCAL") == "local"
    assert eng.scheduler_from("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    monkeypatch.setenv(eng.ENV_SCHEDULER, "local")
    assert eng.scheduler_from(None) == "local" and eng.scheduler_from("") == ""
    with pytest.raises(GeohazardError, match="DASK_SCHEDULER must be empty"):
        eng.scheduler_from("my-cluster")
    assert isinstance(eng.open_executor(""), eng.LocalExecutor)


# --------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_executor():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    with eng.DaskExecutor("local", n_workers=2, processes=True) as ex:
        yield ex


def test_closing_an_embedded_cluster_leaves_no_thread_behind():
    """Each DASK_SCHEDULER=local run starts a cluster, a client and their event loops: closed, none of their threads
    stays (a QGIS session running the tool again and again would pile them up)."""
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    import threading
    import time

    before = set(threading.enumerate())
    for _ in range(2):
        with eng.DaskExecutor("local", n_workers=2) as ex:
            assert ex.n_slots == 2
    for _ in range(100):  # a stopped loop's thread ends a moment after
        left = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
        if not left:
            break
        time.sleep(0.05)
    assert not left, left


def test_localcluster_two_worker_processes_give_the_local_bytes(dask_executor, tmp_path):
    assert dask_executor.distributed and dask_executor.n_slots == 2
    z = np.random.default_rng(5).normal(size=(301, 57))
    local = eng.map_blocks(box3, {"z": z}, n_rows=301, n_cols=57, outputs=["mean"], halo=1, block_rows=16)
    dist = eng.map_blocks(box3, {"z": z}, n_rows=301, n_cols=57, outputs=["mean"], halo=1, block_rows=16,
                        executor=dask_executor)
    assert local["mean"].tobytes() == dist["mean"].tobytes() == box3_whole(z).tobytes()
    files = []
    for i in range(3):
        p = tmp_path / f"s{i}.npy"
        np.save(p, np.random.default_rng(i).normal(size=(90, 11)))
        files.append(str(p))
    src = {"stack": eng.StackSource(files, npy_opener, dtype="float64")}  # read by path on the workers
    fn = functools.partial(stack_stats, scale=0.5)
    a = eng.map_blocks(fn, src, n_rows=90, n_cols=11, outputs=["mean", "std", "rows"], block_rows=7)
    b = eng.map_blocks(fn, src, n_rows=90, n_cols=11, outputs=["mean", "std", "rows"], block_rows=7,
                     executor=dask_executor, max_in_flight=3)
    assert all(a[k].tobytes() == b[k].tobytes() for k in a)


def block_task_threads(block, inputs):
    return {"threads": np.full(inputs["z"].shape, eng.task_threads(), np.int64)}


def test_library_threads_of_a_task_are_one_on_a_dask_worker_and_every_core_here(dask_executor):
    # a worker process per core that let scipy start a thread per core each would oversubscribe the machine
    assert eng.task_threads() == -1
    out = eng.map_blocks(block_task_threads, {"z": np.zeros((12, 3))}, n_rows=12, n_cols=3, outputs=["threads"],
                         block_rows=4, executor=dask_executor)["threads"]
    assert (out == 1).all()


def slow_square(x):
    import time as _time

    _time.sleep(0.3)
    return x * x


def test_a_task_pinned_to_a_worker_that_leaves_is_run_by_a_live_one(monkeypatch):
    distributed = pytest.importorskip("distributed",
                                      reason="dask.distributed is not installed (apt install python3-distributed)")
    monkeypatch.setattr(eng._Pinned, "recheck_s", 0.0)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") \
            as cluster, eng.DaskExecutor(cluster.scheduler_address) as ex:
        assert len(ex.workers) == 2
        gone = ex.workers[1]
        ex.client.retire_workers([gone], close_workers=True)
        pinned = ex.submit(slow_square, 7, affinity=1)  # still mapped to the retired worker
        assert pinned.worker == gone
        assert not pinned.wait(0.5)  # no live worker may take a strictly pinned task; the wait moves it
        assert eng._wait(pinned, None) == 49
        assert pinned.worker != gone and ex.workers == [w for w in ex.workers if w != gone] and len(ex.workers) == 1


def test_dask_results_are_taken_after_the_task_ended_and_never_with_a_timeout(monkeypatch):
    # distributed 2022.12's timed Future.result can return None when its timeout meets the task's end (seen in CI)
    distributed = pytest.importorskip("distributed",
                                      reason="dask.distributed is not installed (apt install python3-distributed)")
    asked = []
    real = distributed.Future.result

    def result(self, timeout=None):
        asked.append((timeout, self.done()))
        return real(self, timeout=timeout)

    monkeypatch.setattr(distributed.Future, "result", result)
    z = np.random.default_rng(6).normal(size=(97, 13))
    with eng.DaskExecutor("local", n_workers=2, processes=False) as ex:
        dist = eng.map_blocks(box3, {"z": z}, n_rows=97, n_cols=13, outputs=["mean"], halo=1, block_rows=8,
                              executor=ex)
        assert dist["mean"].tobytes() == box3_whole(z).tobytes()
        assert len(asked) == 13 and all(t is None and done for t, done in asked)
        monkeypatch.setattr(distributed.Future, "result", lambda self, timeout=None: None)
        with pytest.raises(GeohazardError, match="block 1 of 13 came back from the Dask cluster without its result"):
            eng.map_blocks(box3, {"z": z}, n_rows=97, n_cols=13, outputs=["mean"], halo=1, block_rows=8, executor=ex)


class GroupedRows:
    """A source read on the workers whose blocks come in groups of ``rows`` rows (as blocks sharing a row of tiles)."""

    shipped = False

    def __init__(self, rows):
        self.rows = rows

    def affinity(self, block):
        return block.read0 // self.rows

    def read(self, r0, r1, n_cols):
        return np.zeros((r1 - r0, n_cols))


def worker_port(block, inputs):
    from distributed import get_worker

    return {"port": np.full(inputs["z"].shape, int(get_worker().address.rsplit(":", 1)[1]), np.int64)}


def test_dask_blocks_of_one_group_run_on_one_worker_and_groups_spread_over_the_workers(dask_executor):
    out = eng.map_blocks(worker_port, {"z": GroupedRows(8)}, n_rows=64, n_cols=3, outputs=["port"], block_rows=2,
                         executor=dask_executor)["port"]
    groups = [set(np.unique(out[g * 8:(g + 1) * 8]).tolist()) for g in range(8)]
    assert all(len(g) == 1 for g in groups)
    assert all(groups[g] != groups[g + 1] for g in range(7))  # two workers: consecutive groups on both
    assert len(set().union(*groups)) == 2


def test_dask_pass_logs_the_workers_per_block_costs(dask_executor, monkeypatch):
    monkeypatch.setattr(eng, "REPORT_AFTER_S", 0.0)
    z = np.random.default_rng(5).normal(size=(60, 7))
    prog = LoggingProgress()
    out = eng.map_blocks(box3, {"z": z}, n_rows=60, n_cols=7, outputs=["mean"], halo=1, block_rows=6,
                         executor=dask_executor, progress=prog)
    assert out["mean"].tobytes() == box3_whole(z).tobytes()
    assert prog.infos[-1].startswith("block pass: 10 blocks in ")


def test_cancel_on_dask_stops_and_leaves_nothing(dask_executor, tmp_path):
    z = np.random.default_rng(1).normal(size=(200, 10))
    plan = eng.plan_blocks(200, 10, block_rows=5, halo=1)
    out = tmp_path / "o.npy"
    with pytest.raises(OperationCanceled):
        with PublishOnCommit(out, 200, 10) as w:
            eng.process_blocks(plan, box3, w, sources={"z": z}, progress=Progress(cancel_after=3),
                             executor=dask_executor)
    assert w.blocks <= 4 and not os.listdir(tmp_path)


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    with pytest.raises(GeohazardError, match="cannot connect to the Dask scheduler"):
        eng.DaskExecutor("tcp://127.0.0.1:1", connect_timeout="2s")


def test_worker_threads_refuse_numba_workqueue_with_a_clear_message(monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    from insar_geohazards.algorithms import _numba

    monkeypatch.setattr(_numba, "parallel_threading_layer", lambda: "workqueue")
    with pytest.raises(GeohazardError, match="workqueue"):
        eng.DaskExecutor("local", processes=False)
    monkeypatch.undo()
    assert _numba.parallel_threading_layer() in ("", "omp", "tbb", "workqueue")


def test_a_named_scheduler_address_runs_the_blocks_there():
    distributed = pytest.importorskip("distributed",
                                      reason="dask.distributed is not installed (apt install python3-distributed)")
    z = np.random.default_rng(9).normal(size=(64, 12))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        with eng.open_executor(address) as ex:
            assert ex.distributed and not ex.in_process and ex.n_slots == 2
            got = eng.map_blocks(box3, {"z": z}, n_rows=64, n_cols=12, outputs=["mean"], halo=1, block_rows=9,
                                 executor=ex)
    assert got["mean"].tobytes() == box3_whole(z).tobytes()
