"""One block engine for every raster tool: plan, read, compute, write, locally or on Dask.

A tool's science is a **pure block function** ``func(block, inputs) -> outputs``: numpy
arrays in (``inputs``: name -> array of the block's rows, with its halo), a dict of numpy
arrays out (the block's core rows only). The engine owns everything else:

* **planning** (:func:`plan_blocks`): row blocks aligned with the output tile height,
  ``halo`` extra rows above and below clipped at the grid edges, as many rows per block
  as a memory budget allows (:data:`DEFAULT_MAX_MEMORY_MB`, ``INSAR_GEOHAZARDS_MAX_MEMORY_MB``);
* **reading** through sources (:class:`RasterSource`, :class:`StackSource`,
  :class:`ArraySource`, :class:`CallableSource`). A raster read is described as
  ``(path, bands, window)`` (:class:`ReadRequest`) and executed by a picklable *opener*
  the provider supplies (GDAL lives there, never here), so a Dask worker re-opens the
  file by path instead of receiving an open handle;
* **writing** through one callback ``writer(block, outputs)``, always called in plan
  order from one thread (optionally a background thread, so compression overlaps the
  next block), never concurrently with itself;
* **read-ahead** in this process: a reader thread reads block ``k + 1`` while block ``k``
  is computed (reads in plan order, one at a time); the reader and writer threads take
  the caller's thread-local settings registered with :func:`register_thread_context`;
* **progress and cancel** through the core's protocol (:mod:`algorithms.progress`): the
  percentage is monotone, a cancel request stops between blocks, discards what is
  queued and raises :class:`~algorithms.errors.OperationCanceled` (the writers then
  delete their temporary files: nothing is published);
* **where blocks run** (:func:`open_executor`): in the calling thread (default), or as
  tasks on a ``dask.distributed`` cluster: ``"local"`` starts an embedded
  ``LocalCluster``, ``"tcp://host:8786"`` connects to a running scheduler. Dask is
  imported only then. Results come back to the calling process, which writes them in
  plan order, so local and distributed runs give the same bytes.

Sequential stages (a range scan whose state crosses blocks) stay in the calling process:
``prepare(block)`` runs there in plan order before the block is handed out and returns
extra inputs (small arrays shipped with the task).

Stacks (SBAS, phase linking, amplitude dispersion) plug in with :class:`StackSource`
(one :class:`ReadRequest` per file, stacked to ``(n_files, rows, cols)``) and a block
function returning several outputs (``{"velocity": ..., "coherence": ...}``); their
bytes-per-pixel estimate (``n_files x itemsize x copies``) sizes the blocks.

The shape follows dolphin's ``process_blocks(readers, writer, func)``
(isce-framework/dolphin), written for this project's protocol and Dask.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import numpy as np

from . import _numba
from .errors import GeohazardError, OperationCanceled
from .optional import require
from .progress import check_canceled, ensure, info

#: Memory budget of one block (all inputs, outputs and temporaries), MB.
DEFAULT_MAX_MEMORY_MB = 512
#: Side (pixels) of the compressed tiles of the GeoTIFFs written block by block; planners that keep the writes
#: to whole rows of tiles align their blocks to it.
TILE_SIZE = 256
#: Output tile height of :class:`RasterWriter` (blocks are multiples of it).
DEFAULT_TILE_ROWS = 256
#: Environment variables giving defaults to scripts and ``qgis_process``.
ENV_MAX_MEMORY = "INSAR_GEOHAZARDS_MAX_MEMORY_MB"
ENV_SCHEDULER = "INSAR_GEOHAZARDS_DASK_SCHEDULER"
ENV_PROCESSES = "INSAR_GEOHAZARDS_DASK_PROCESSES"  # "1": the embedded LocalCluster uses worker processes


# --------------------------------------------------------------------------- planning
@dataclass(frozen=True)
class Block:
    """One row block: rows ``row0:row1`` are computed and written, ``read0:read1`` are read.

    ``read0 = max(0, row0 - halo)`` and ``read1 = min(n_rows, row1 + halo)``: the halo is
    clipped at the grid edges (a block function pads there when its kernel needs it).
    """

    index: int
    row0: int
    row1: int
    read0: int
    read1: int
    n_rows_total: int
    n_cols: int
    #: ``(first, stop)``: the files of the stacks this block reads (:func:`plan_file_groups`); None = all.
    files: Optional[tuple] = None

    @property
    def rows(self) -> int:
        return self.row1 - self.row0

    @property
    def core(self) -> slice:
        """The block's own rows inside an array read over ``read0:read1``."""
        return slice(self.row0 - self.read0, self.row1 - self.read0)

    @property
    def pad_top(self) -> int:
        """Halo rows missing above (the block touches the top edge)."""
        return self.row0 - self.read0

    @property
    def window(self) -> tuple[int, int, int, int]:
        """``(read0, read1, 0, n_cols)``: the rows read, all columns."""
        return (self.read0, self.read1, 0, self.n_cols)


def max_memory_bytes(max_memory_mb: Optional[float] = None) -> int:
    """The block memory budget in bytes: argument, else ``INSAR_GEOHAZARDS_MAX_MEMORY_MB``, else the default."""
    if max_memory_mb is None:
        env = os.environ.get(ENV_MAX_MEMORY, "").strip()
        try:
            max_memory_mb = float(env) if env else DEFAULT_MAX_MEMORY_MB
        except ValueError:
            raise GeohazardError(f"{ENV_MAX_MEMORY} must be a number of megabytes, got {env!r}") from None
    if not max_memory_mb > 0:
        raise GeohazardError(f"the memory budget must be > 0 MB, got {max_memory_mb!r}")
    return int(float(max_memory_mb) * 2**20)


def budget_rows(n_cols: int, *, bytes_per_pixel: float = 8.0, halo: int = 0, tile_rows: int = DEFAULT_TILE_ROWS,
                max_memory_mb: Optional[float] = None, fixed_bytes: float = 0.0, min_rows: int = 1,
                max_rows: Optional[int] = None) -> int:
    """Rows of one block of an ``n_cols``-wide grid under the memory budget (the rule of :func:`plan_blocks`).

    ``fixed_bytes + (rows + 2 halo) x n_cols x bytes_per_pixel`` stays within the budget
    (:func:`max_memory_bytes`): a multiple of ``tile_rows`` when a tile of rows fits, else as many rows
    as fit, at least ``min_rows`` and at most ``max_rows`` (a tool's cap on the work of one block).
    """
    n_cols, halo = int(n_cols), int(halo)
    if n_cols < 1:
        raise GeohazardError(f"the grid must have at least one column, got {n_cols}")
    if halo < 0:
        raise GeohazardError(f"halo must be >= 0 rows, got {halo}")
    if tile_rows < 1:
        raise GeohazardError(f"tile_rows must be >= 1, got {tile_rows}")
    if not bytes_per_pixel > 0:
        raise GeohazardError(f"bytes_per_pixel must be > 0, got {bytes_per_pixel!r}")
    room = max_memory_bytes(max_memory_mb) - float(fixed_bytes)
    fit = int(room // (float(bytes_per_pixel) * n_cols)) - 2 * halo if room > 0 else 0
    rows = fit // tile_rows * tile_rows if fit >= tile_rows else fit
    if max_rows is not None:
        rows = min(rows, int(max_rows))
    return max(1, int(min_rows), rows)


def plan_blocks(n_rows: int, n_cols: int, *, bytes_per_pixel: float = 8.0, halo: int = 0,
                tile_rows: int = DEFAULT_TILE_ROWS, max_memory_mb: Optional[float] = None,
                block_rows: Optional[int] = None, fixed_bytes: float = 0.0, min_rows: int = 1,
                max_rows: Optional[int] = None) -> list[Block]:
    """Row blocks covering an ``n_rows x n_cols`` grid, top to bottom.

    Parameters
    ----------
    n_rows, n_cols : int
        Grid size (a list of points is a grid of one column).
    bytes_per_pixel : float
        Memory one pixel of a block costs (every input, output and temporary the block
        function holds, e.g. ``n_dates x 4 x 3`` for a float32 stack copied twice).
    halo : int
        Rows of context read above and below each block (1 for a 3x3 slope kernel).
    tile_rows : int
        Output tile height: block boundaries fall on multiples of it, so each output tile
        is compressed once and whole.
    max_memory_mb : float, optional
        Budget of one block, ``fixed_bytes + (rows + 2 halo) x n_cols x bytes_per_pixel``
        (default :func:`max_memory_bytes`). When even one tile of rows exceeds it, blocks
        shrink below a tile (no longer aligned) down to ``min_rows``.
    block_rows : int, optional
        Rows per block, overriding the budget (tools whose reductions are pinned to a
        partition).
    fixed_bytes : float
        Memory a block takes whatever its rows (a kernel's scratch of fixed size).
    min_rows : int
        Fewest rows of a block, whatever the budget (a method's step).
    max_rows : int, optional
        Most rows of a block, whatever the budget: a cap on the work of one block for slow
        kernels, so the progress moves and a cancel is seen between blocks.

    Returns
    -------
    list of Block
    """
    n_rows, n_cols, halo = int(n_rows), int(n_cols), int(halo)
    if n_rows < 1 or n_cols < 1:
        raise GeohazardError(f"the grid must have at least one row and one column, got {n_rows} x {n_cols}")
    if halo < 0:
        raise GeohazardError(f"halo must be >= 0 rows, got {halo}")
    if block_rows is None:
        block_rows = min(n_rows, budget_rows(n_cols, bytes_per_pixel=bytes_per_pixel, halo=halo,
                                             tile_rows=tile_rows, max_memory_mb=max_memory_mb,
                                             fixed_bytes=fixed_bytes, min_rows=min_rows, max_rows=max_rows))
    elif block_rows < 1:
        raise GeohazardError(f"block_rows must be >= 1, got {block_rows}")
    blocks = []
    for i, r0 in enumerate(range(0, n_rows, int(block_rows))):
        r1 = min(r0 + int(block_rows), n_rows)
        blocks.append(Block(i, r0, r1, max(0, r0 - halo), min(n_rows, r1 + halo), n_rows, n_cols))
    return blocks


def plan_file_groups(n_files: int, n_rows: int, n_cols: int, *, bytes_per_file_pixel: float,
                     bytes_per_pixel: float = 0.0, max_memory_mb: Optional[float] = None,
                     group_mb: float = 16.0) -> Optional[list[Block]]:
    """Blocks of whole images: each covers every row and the files ``block.files = (first, stop)`` of a stack.

    A stack whose per-file work needs the whole image (fit on all its pixels, then correct them)
    is then read once instead of twice (a fitting pass and a correcting pass over row blocks).

    Parameters
    ----------
    n_files : int
        Files of the stack.
    n_rows, n_cols : int
        Grid size.
    bytes_per_file_pixel : float
        Memory one pixel of one file costs in a block (its data, outputs and temporaries).
    bytes_per_pixel : float
        Memory one pixel costs once per block whatever its files (a DEM, a mask, shared designs).
    max_memory_mb : float, optional
        Budget of one block (default :func:`max_memory_bytes`).
    group_mb : float
        Aim for about this many MB of ``bytes_per_file_pixel`` per block (at least one file):
        small groups overlap reading, computing and writing best, and keep each array under the
        size from which the C allocator maps fresh (zeroed) pages for every block.

    Returns
    -------
    list of Block, or None
        ``None`` when one whole file does not fit the budget: use row blocks (:func:`plan_blocks`).
    """
    n_files, n_rows, n_cols = int(n_files), int(n_rows), int(n_cols)
    if n_files < 1 or n_rows < 1 or n_cols < 1:
        raise GeohazardError(f"a stack of files needs at least one file, row and column, got {n_files} files of "
                             f"{n_rows} x {n_cols}")
    if not bytes_per_file_pixel > 0:
        raise GeohazardError(f"bytes_per_file_pixel must be > 0, got {bytes_per_file_pixel!r}")
    npx = float(n_rows) * n_cols
    room = max_memory_bytes(max_memory_mb) - npx * float(bytes_per_pixel)
    per_file = npx * float(bytes_per_file_pixel)
    fit = int(room // per_file) if room > 0 else 0
    if fit < 1:
        return None
    k = max(1, min(fit, int(group_mb * 2**20 // per_file), n_files))
    return [Block(i, 0, n_rows, 0, n_rows, n_rows, n_cols, (f0, min(f0 + k, n_files)))
            for i, f0 in enumerate(range(0, n_files, k))]


def read_block(src, block: Block):
    """The inputs of ``block`` from ``src``: its rows, and only its files where the source is a stack.

    Arrays come out C-contiguous (as a raster read does): a view of an in-memory array would give the
    block function strides that depend on the block's shape, and numpy's SIMD loops take another code
    path (other bits) for some strides (docs/architecture.md, "Determinism")."""
    if block.files is not None and getattr(src, "by_file", False):
        return _contiguous(src.read(block.read0, block.read1, block.n_cols, files=block.files))
    return _contiguous(src.read(block.read0, block.read1, block.n_cols))


def _contiguous(value):
    if isinstance(value, np.ndarray):
        return value if value.flags.c_contiguous else np.ascontiguousarray(value)
    if isinstance(value, tuple):
        return tuple(_contiguous(v) for v in value)
    return value


def block_bytes(block: Block, bytes_per_pixel: float) -> float:
    """Memory of one block under the plan's model, bytes."""
    return (block.read1 - block.read0) * block.n_cols * float(bytes_per_pixel)


# --------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class ReadRequest:
    """One raster read: ``path``, 1-based ``bands`` (``None`` = all), ``window`` = ``(row0, row1, col0, col1)``."""

    path: str
    bands: Optional[tuple]
    window: tuple
    dtype: str = "float32"
    name: str = "raster"


class RasterSource:
    """A raster on disk, read by path: re-openable on any worker that sees the file.

    ``opener(request: ReadRequest) -> ndarray`` must be picklable (a module-level
    function or a small class instance) and return ``(rows, cols)`` for one band,
    ``(n_bands, rows, cols)`` otherwise, with NaN for nodata.
    """

    shipped = False  # read where the block runs

    def __init__(self, path: str, opener: Callable, *, bands=1, dtype="float32", name: str = "raster",
                 transform: Optional[Callable] = None):
        self.path = str(path)
        self.opener = opener
        self.bands = bands if bands is None or isinstance(bands, int) else tuple(int(b) for b in bands)
        self.dtype = np.dtype(dtype).name
        self.name = name
        self.transform = transform

    def request(self, r0: int, r1: int, n_cols: int) -> ReadRequest:
        bands = (self.bands,) if isinstance(self.bands, int) else self.bands
        return ReadRequest(self.path, bands, (int(r0), int(r1), 0, int(n_cols)), self.dtype, self.name)

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        arr = self.opener(self.request(r0, r1, n_cols))
        if isinstance(self.bands, int) and arr.ndim == 3:
            arr = arr[0]
        return self.transform(arr) if self.transform is not None else arr


class StackSource:
    """Band ``band`` of several files on one grid, read as ``(n_files, rows, cols)`` (a stack of dates/pairs).

    In a block of :func:`plan_file_groups` only the block's files are read (``files=(first, stop)``).
    """

    shipped = False
    by_file = True

    def __init__(self, paths: Sequence[str], opener: Callable, *, band: int = 1, dtype="float32",
                 names: Optional[Sequence[str]] = None):
        self.paths = [str(p) for p in paths]
        self.opener = opener
        self.band = int(band)
        self.dtype = np.dtype(dtype).name
        self.names = list(names) if names is not None else [os.path.basename(p) for p in self.paths]

    def read(self, r0: int, r1: int, n_cols: int, files: Optional[tuple] = None) -> np.ndarray:
        f0, f1 = (0, len(self.paths)) if files is None else (int(files[0]), int(files[1]))
        out = None
        for i, (p, nm) in enumerate(zip(self.paths[f0:f1], self.names[f0:f1])):
            arr = self.opener(ReadRequest(p, (self.band,), (int(r0), int(r1), 0, int(n_cols)), self.dtype, nm))
            arr = arr[0] if arr.ndim == 3 else arr
            if out is None:
                out = np.empty((f1 - f0,) + arr.shape, dtype=arr.dtype)
            out[i] = arr
        return out


class ArraySource:
    """An in-memory array ``(..., n_rows, n_cols)``; its blocks are sliced here and shipped to workers."""

    shipped = True

    def __init__(self, array):
        self.array = np.asarray(array)

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        return self.array[..., r0:r1, :]


class CallableSource:
    """``read(r0, r1) -> ndarray``: any closure (temporary stores, derived arrays); read here and shipped."""

    shipped = True

    def __init__(self, read: Callable):
        self._read = read

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        return self._read(r0, r1)


class _Given:
    """An already-read block travelling with its task."""

    shipped = True

    def __init__(self, array):
        self.array = array

    def read(self, r0, r1, n_cols):
        return self.array


def as_source(src):
    """A block input as a source: a source as it is, an array as an :class:`ArraySource`, a ``read(r0, r1)``
    callable as a :class:`CallableSource`."""
    if hasattr(src, "read") and hasattr(src, "shipped"):
        return src
    if isinstance(src, np.ndarray):
        return ArraySource(src)
    if callable(src):
        return CallableSource(src)
    raise GeohazardError(f"a block input must be a source, an array or a read(r0, r1) callable, got {type(src)}")


def run_block(func: Callable, block: Block, sources: Mapping[str, Any], extra: Optional[dict] = None) -> dict:
    """Read every input of ``block`` and apply ``func`` (the body of one task, local or on a worker)."""
    return apply_block(func, block, {k: read_block(src, block) for k, src in sources.items()}, extra)


def run_block_timed(func: Callable, block: Block, sources: Mapping[str, Any], extra: Optional[dict] = None) -> tuple:
    """:func:`run_block` on a Dask worker, with the worker's read and compute seconds and the CPU seconds of its
    thread (read and compute): ``(out, read_s, compute_s, cpu_s)``."""
    c0 = time.thread_time()
    t0 = time.perf_counter()
    inputs = {k: read_block(src, block) for k, src in sources.items()}
    t1 = time.perf_counter()
    out = apply_block(func, block, inputs, extra)
    return out, t1 - t0, time.perf_counter() - t1, time.thread_time() - c0


def apply_block(func: Callable, block: Block, inputs: dict, extra: Optional[dict] = None) -> dict:
    """``func(block, inputs)`` with ``extra`` added to the inputs; its result must be a dict of arrays."""
    if extra:
        inputs.update(extra)
    out = func(block, inputs)
    if not isinstance(out, dict):
        raise GeohazardError(f"a block function must return a dict of arrays, got {type(out).__name__}")
    return out


# --------------------------------------------------------------------------- executors
class ClosedOnExit:
    """``with x:`` calls ``x.close()`` on leaving the block, whatever happened there."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class LocalExecutor(ClosedOnExit):
    """Blocks run one after the other in the calling thread (kernels parallelise inside)."""

    distributed = False
    in_process = True
    n_slots = 1

    def submit(self, fn, *args, affinity: Optional[int] = None):
        return _Done(fn(*args))

    def close(self):
        pass


class _Done:
    def __init__(self, value):
        self._value = value

    def done(self):
        return True

    def wait(self, timeout=None):
        return True

    def result(self):
        return self._value

    def cancel(self):
        pass


class _DaskTask:
    """A Dask future that is waited on without ``Future.result(timeout)``.

    A timed ``result`` runs its wait as ``asyncio.wait_for`` in the client's event loop. When that
    timeout and the end of the task meet, the loop's side can end cancelled, and distributed's
    ``sync`` (2022.12, Debian 12: it catches ``Exception``, which a cancellation is not) then returns
    ``None`` as if it were the task's result. It happened once in CI on a loaded machine. Here the
    wait is on a thread event that the future's done-callback sets; ``result()`` is called only once
    the task has ended, and without a timeout.
    """

    def __init__(self, executor: "DaskExecutor", fn, args, worker: Optional[str] = None):
        self._executor, self._fn, self._args = executor, fn, args
        self._start(worker)

    def _start(self, worker: Optional[str]) -> None:
        self.worker = worker
        self._ended = ended = threading.Event()
        self._fut = self._executor._submit(self._fn, self._args, worker)
        self._fut.add_done_callback(lambda _fut: ended.set())

    def done(self) -> bool:
        return self._fut.done()

    def cancel(self) -> None:
        self._fut.cancel()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """True once the task has ended (finished, failed or cancelled), waiting at most ``timeout`` s."""
        return self._ended.wait(timeout) or self._fut.done()

    def result(self):
        """The task's result (its error raised here); waits for the end of the task first."""
        self.wait()
        return self._fut.result()


class _Pinned(_DaskTask):
    """A Dask task restricted to one worker, resubmitted elsewhere if that worker leaves.

    Each ``wait(timeout)`` that times out checks (at most every ``recheck_s``) that the task's
    worker is still in the cluster, and if not, cancels the task and submits it again to the worker
    its affinity now maps to. The task is a pure function of its arguments, so where it runs never
    changes its result.
    """

    recheck_s = 2.0

    def __init__(self, executor: "DaskExecutor", fn, args, affinity: int):
        self._affinity = affinity
        self._checked = time.monotonic()
        workers = executor.workers
        super().__init__(executor, fn, args, workers[affinity % len(workers)])

    def wait(self, timeout: Optional[float] = None) -> bool:
        if super().wait(timeout):
            return True
        now = time.monotonic()
        if now - self._checked >= self.recheck_s:
            self._checked = now
            live = self._executor.live_workers()
            if live and self.worker not in live:
                self._fut.cancel()
                self._start(live[self._affinity % len(live)])
        return False

    def result(self):
        while not self.wait(self.recheck_s):
            pass
        return self._fut.result()


class DaskExecutor(ClosedOnExit):
    """Blocks as tasks on a ``dask.distributed`` cluster (``scheduler``: ``"local"`` or an address).

    ``"local"`` starts an embedded ``LocalCluster`` whose workers are threads of this
    process (the kernels release the GIL; nothing is serialised; it starts in a fraction
    of a second and works inside QGIS Desktop, whose executable is not a Python that could
    spawn workers). ``processes=True`` (or ``INSAR_GEOHAZARDS_DASK_PROCESSES=1``) gives
    worker processes instead; they need a ``__main__`` importable from a file (a script,
    pytest), not stdin or the QGIS Python console. Any other value is a scheduler address
    such as ``tcp://host:8786``. Workers must import this plugin (same version, GDAL for
    the raster readers) and see the input files under the same paths.
    """

    distributed = True
    in_process = False

    def __init__(self, scheduler: str = "local", *, n_workers: Optional[int] = None, processes: Optional[bool] = None,
                 threads_per_worker: int = 1, connect_timeout: str = "20s"):
        require("dask", "A Dask scheduler (DASK_SCHEDULER)")
        require("distributed", "A Dask scheduler (DASK_SCHEDULER)")
        from distributed import Client, LocalCluster
        self.cluster = None
        if scheduler == "local":
            if processes is None:
                env = os.environ.get(ENV_PROCESSES, "").strip().lower()
                processes = env in ("1", "true", "yes") and _can_spawn_python()
            self.in_process = not processes
            if self.in_process:
                _require_threadsafe_kernels()
            n = n_workers or max(1, min(os.cpu_count() or 1, 8))
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=threads_per_worker, processes=processes,
                                        dashboard_address=":0")
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise GeohazardError(f"DASK_SCHEDULER: cannot connect to the Dask scheduler {scheduler!r} ({exc})") \
                    from None
        threads = self.client.nthreads()
        self.n_slots = max(1, sum(threads.values()))
        self.workers = sorted(threads)

    def submit(self, fn, *args, affinity: Optional[int] = None):
        """Submit ``fn(*args)``; tasks of equal ``affinity`` run on the same worker (``affinity`` modulo
        the workers, sorted by address), so what one task leaves in the worker's caches (GDAL's decoded
        tiles) serves the next ones.

        The restriction is strict: Dask's work stealing would move such a task to an idle worker, which
        then decodes the whole row of tiles again (measured: two workers slower than one). A task whose
        worker has left the cluster is resubmitted to a live one when it is waited on (:class:`_Pinned`),
        so a lost worker cannot hang the run.
        """
        if affinity is not None and len(self.workers) > 1:
            return _Pinned(self, fn, args, int(affinity))
        return _DaskTask(self, fn, args)

    def _submit(self, fn, args, worker: Optional[str]):
        import warnings

        where = {"workers": [worker], "allow_other_workers": False} if worker is not None else {}
        with warnings.catch_warnings():  # per-block arrays travel with their task by design
            warnings.filterwarnings("ignore", message="Large object of size")
            return self.client.submit(fn, *args, pure=False, **where)

    def live_workers(self) -> list:
        """The cluster's workers now, sorted by address (the pinning of later tasks follows them)."""
        live = sorted(self.client.nthreads())
        if live:
            self.workers = live
        return live

    def close(self):
        """Close the client and the embedded cluster, then stop the event-loop threads each started for itself
        (distributed leaves them running after ``close``: an IO loop, a profiler and the loop's executor threads,
        four threads per run that a QGIS session would pile up)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        for owner in (self.client, self.cluster):
            runner = getattr(owner, "_loop_runner", None)
            if runner is not None:
                runner.stop()


def task_threads() -> int:
    """Threads a block function may start for a library call (scipy's ``workers``): 1 inside a Dask
    worker, whose thread slots are the parallel unit (a worker per core would otherwise start a thread
    per core each), else -1 (every core). The answer never changes the results, only the threads."""
    try:
        from distributed import get_worker
    except ImportError:
        return -1
    try:
        get_worker()
    except ValueError:
        return -1
    return 1


def _require_threadsafe_kernels() -> None:
    """Worker threads run numba kernels concurrently: refuse numba's ``workqueue`` layer (it aborts the process)."""
    if _numba.parallel_threading_layer() == "workqueue":
        raise GeohazardError(
            "DASK_SCHEDULER=local runs blocks in worker threads, but numba's threading layer here is 'workqueue', "
            "which aborts when kernels run in several threads at once; install TBB or OpenMP support for numba "
            "(NUMBA_THREADING_LAYER=omp), set INSAR_GEOHAZARDS_DASK_PROCESSES=1 for worker processes, or leave "
            "DASK_SCHEDULER empty")


def _can_spawn_python() -> bool:
    """True when worker processes can be spawned: ``sys.executable`` is a Python and ``__main__`` re-importable.

    Spawned workers run ``sys.executable`` and re-import the parent's ``__main__`` from its
    file: inside QGIS Desktop the executable is QGIS, and a script read from stdin has no
    file; either way the workers would die and restart forever.
    """
    base = os.path.basename(sys.executable or "").lower()
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return base.startswith("python") and (main_file is None or os.path.exists(main_file))


def scheduler_from(value: Optional[str]) -> str:
    """Normalise a scheduler setting: ``""`` (this process), ``"local"`` or an address; env var as default."""
    v = (value if value is not None else os.environ.get(ENV_SCHEDULER, "")).strip()
    if v.lower() in ("", "none", "threads", "off"):
        return ""
    if v.lower() in ("local", "localcluster"):
        return "local"
    if "://" not in v:
        raise GeohazardError(
            f"DASK_SCHEDULER must be empty (this process), 'local' (an embedded LocalCluster) or a scheduler address "
            f"such as tcp://host:8786; got {v!r}")
    return v


def open_executor(scheduler: Optional[str] = None, **kwargs):
    """An executor for ``scheduler`` (see :func:`scheduler_from`); use it as a context manager."""
    s = scheduler_from(scheduler)
    return LocalExecutor() if not s else DaskExecutor(s, **kwargs)


# --------------------------------------------------------------------------- engine threads
#: ``(capture, apply)`` pairs: ``capture()`` runs in the thread that calls :func:`process_blocks`,
#: ``apply(state)`` first thing in the engine's reader and writer threads, so they work under
#: the caller's thread-local settings (the provider registers GDAL's thread-local configuration:
#: no ``.aux.xml`` written next to inputs read ahead).
THREAD_CONTEXT: dict = {}


def register_thread_context(name: str, capture: Callable, apply: Callable) -> None:
    """Register (or replace) the thread context ``name``; see :data:`THREAD_CONTEXT`."""
    THREAD_CONTEXT[name] = (capture, apply)


def _capture_context() -> list:
    return [(apply, capture()) for capture, apply in list(THREAD_CONTEXT.values())]


def _apply_context(states) -> None:
    for apply, state in states or ():
        apply(state)


# --------------------------------------------------------------------------- writing
class BackgroundWriter:
    """Run ``write(*args)`` calls in one worker thread, in order, with at most ``depth`` waiting."""

    def __init__(self, write: Callable, depth: int = 1, name: str = "geohazard-writer", context=None):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: Optional[BaseException] = None
        self._discard = False
        self._context = _capture_context() if context is None else context
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            _apply_context(self._context)
        except BaseException as exc:  # handed to the caller's thread
            self._error = exc
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None and not self._discard:
                try:
                    self._write(*item)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def __call__(self, *args):
        if self._error is not None:
            raise self._error
        self._queue.put(args)

    def stop(self, *, discard: bool = False) -> None:
        """Wait for the thread to end; ``discard`` drops the calls still queued (cancel, error)."""
        self._discard = self._discard or discard
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def close(self) -> None:
        """Write everything queued, end the thread and raise the first error of ``write``, if any."""
        self.stop()
        if self._error is not None:
            raise self._error


# --------------------------------------------------------------------------- block costs
#: A block pass reports its per-block costs and projected end only once it has run this long
#: (seconds): small runs stay quiet.
REPORT_AFTER_S = 5.0


class BlockClock:
    """Seconds per block of each stage of a block pass, and the projected end of the pass.

    ``read``, ``compute`` and ``write`` hold one duration per block, appended by the thread that
    runs the stage (the reader thread or this one, the block function here or the Dask worker's
    own read and compute, the writer thread). :meth:`block_done` is called in plan order when a
    block's result is handed to the writer: after the first block it logs that block's costs, and
    at the second block and every tenth of the plan the stage costs so far (medians) and the
    pass's projected wall time (the
    wall time per block since the first block was done, which carries the pipeline's fill and
    any kernel compilation, times the blocks left). :meth:`summary` logs the whole pass.
    """

    def __init__(self, n_blocks: int, progress=None, *, clock: Callable[[], float] = time.perf_counter,
                 report_after_s: Optional[float] = None):
        self.n = int(n_blocks)
        self.progress = progress
        self.clock = clock
        self.report_after_s = REPORT_AFTER_S if report_after_s is None else float(report_after_s)
        self.read: list = []
        self.compute: list = []
        self.write: list = []
        self.cpu: list = []  # CPU seconds of each block on a Dask worker (its read and compute)
        self.start = clock()
        self.marks: list = []
        self._checkpoints = {1, 2} | {max(1, -(-self.n * k // 10)) for k in range(1, 10)}

    def timed_writer(self, writer: Optional[Callable]) -> Optional[Callable]:
        """``writer`` with its duration per call appended to :attr:`write`."""
        if writer is None:
            return None

        def write(block, out):
            t0 = self.clock()
            writer(block, out)
            self.write.append(self.clock() - t0)
        return write

    def projected_s(self) -> float:
        """Projected wall time of the whole pass, seconds, from the blocks done so far."""
        done = len(self.marks)
        if done == 0:
            return float("nan")
        if done == 1:
            return (self.marks[0] - self.start) * self.n
        per_block = (self.marks[-1] - self.marks[0]) / (done - 1)
        return self.marks[-1] - self.start + per_block * (self.n - done)

    def stage_text(self) -> str:
        med = {k: (float(np.median(v)) if v else 0.0) for k, v in
               (("read", self.read), ("compute", self.compute), ("write", self.write))}
        text = (f"per block (median) read {med['read']:.2f} s, compute {med['compute']:.2f} s, "
                f"write {med['write']:.2f} s")
        if self.cpu:
            text += f", worker CPU {float(np.median(self.cpu)):.2f} s"
        return text

    def block_done(self) -> None:
        self.marks.append(self.clock())
        done = len(self.marks)
        elapsed = self.marks[-1] - self.start
        if self.n < 3 or done >= self.n or done not in self._checkpoints or elapsed < self.report_after_s:
            return
        if done == 1:  # no projection yet: the first block carries the pipeline's fill (first tiles, compilation)
            info(self.progress, f"block 1/{self.n}: {elapsed:.1f} s; {self.stage_text()}")
            return
        info(self.progress, f"block {done}/{self.n}: {elapsed:.1f} s so far, projected {self.projected_s():.0f} s "
                            f"for the {self.n} blocks; {self.stage_text()}")

    def summary(self) -> Optional[str]:
        """Log and return the pass's costs (``None`` when the pass was shorter than ``report_after_s``)."""
        wall = self.clock() - self.start
        if wall < self.report_after_s or not self.marks:
            return None
        text = (f"block pass: {self.n} blocks in {wall:.1f} s; {self.stage_text()}; "
                f"totals read {sum(self.read):.1f} s, "
                f"compute {sum(self.compute):.1f} s, write {sum(self.write):.1f} s")
        if self.cpu:
            text += f", worker CPU {sum(self.cpu):.1f} s"
        info(self.progress, text)
        return text


# --------------------------------------------------------------------------- the loop
def process_blocks(plan: Sequence[Block], func: Callable, writer: Optional[Callable], *,
                   sources: Optional[Mapping[str, Any]] = None, prepare: Optional[Callable] = None,
                   executor=None, progress=None, background_write: bool = False,
                   max_in_flight: Optional[int] = None, read_ahead: bool = True) -> None:
    """Run ``func`` on every block of ``plan`` and hand the results to ``writer`` in plan order.

    Parameters
    ----------
    plan : sequence of Block
        Blocks in processing order (:func:`plan_blocks`, possibly reversed).
    func : callable ``(block, inputs: dict) -> dict``
        The pure block function. On Dask it must be picklable (a module-level function
        or a ``functools.partial`` of one).
    writer : callable ``(block, outputs: dict) -> None``, optional
        Called in plan order in the calling process (or its background thread).
    sources : mapping name -> source
        :class:`RasterSource` / :class:`StackSource` are read where the block runs;
        arrays, :class:`ArraySource` and ``read(r0, r1)`` callables are read here and
        shipped with the task.
    prepare : callable ``(block) -> dict``, optional
        Sequential stage run here in plan order before the block is handed out; its
        arrays join ``inputs``.
    executor : LocalExecutor or DaskExecutor, optional
        Where blocks run (default: this thread).
    progress : object with ``set_progress``/``is_canceled``, optional
        0..100 over the plan, monotone; canceled between blocks.
    background_write : bool
        Call ``writer`` from one background thread so writing overlaps computing.
    max_in_flight : int, optional
        Blocks computed but not yet written at any time (memory bound on Dask: default
        twice the cluster's threads). When a source groups blocks by worker
        (``affinity(block) -> int``, e.g. the blocks reading one row of the inputs' tiles), up to
        one group per worker is in flight instead, at most ``max_in_flight`` when given.
    read_ahead : bool
        In this process (no Dask): read block ``k + 1`` in a background thread while
        block ``k`` is computed (GDAL releases the GIL while it reads). Reads stay in plan
        order and never overlap each other or ``prepare``, which runs here; the inputs of
        two blocks are then in memory at once. Sources must not launch parallel numba
        kernels (they run beside the block function).
    """
    progress = ensure(progress)
    executor = executor or LocalExecutor()
    sources = {k: as_source(v) for k, v in (sources or {}).items()}
    n = len(plan)
    window = max(1, int(max_in_flight or 2 * executor.n_slots))
    grouped = [src for src in sources.values() if hasattr(src, "affinity")] if executor.distributed else []
    if grouped:
        window = _grouped_window(plan, grouped[0].affinity, executor, max_in_flight)
    clock = BlockClock(n, progress)
    write = clock.timed_writer(writer)
    bg = None
    if writer is not None and background_write:
        bg = write = BackgroundWriter(write)
    if not executor.distributed:
        try:
            _local_loop(plan, func, write, sources, prepare, progress, read_ahead=read_ahead and bool(sources),
                        clock=clock)
            if bg is not None:
                bg.close()  # every block written; a writer error is raised here
        except BaseException as exc:
            if bg is not None:
                bg.stop(discard=_discard_on(exc))
            raise
        clock.summary()
        return
    pending: dict = {}
    next_submit = 0
    done = 0
    try:
        while done < n:
            while next_submit < n and next_submit - done < window:
                check_canceled(progress)
                block = plan[next_submit]
                extra = dict(prepare(block)) if prepare is not None else {}
                t0 = clock.clock()
                task_sources = {k: _Given(read_block(src, block)) if src.shipped else src for k, src in sources.items()}
                shipped_read = clock.clock() - t0
                affinity = grouped[0].affinity(block) if grouped else None
                fut = executor.submit(run_block_timed, func, block, task_sources, extra, affinity=affinity)
                pending[next_submit] = (fut, shipped_read)
                next_submit += 1
            fut, shipped_read = pending.pop(done)
            timed = _wait(fut, progress)
            if not (isinstance(timed, tuple) and len(timed) == 4):  # run_block_timed's (out, read, compute, cpu)
                raise GeohazardError(f"block {done + 1} of {n} came back from the Dask cluster without its result "
                                     f"({type(timed).__name__}); run again, or leave DASK_SCHEDULER empty")
            out, worker_read, compute, cpu = timed
            clock.read.append(shipped_read + worker_read)
            clock.compute.append(compute)
            clock.cpu.append(cpu)
            clock.block_done()
            if write is not None:
                write(plan[done], out)
            done += 1
            progress.set_progress(100.0 * done / n)
        if bg is not None:
            bg.close()  # every block written; a writer error is raised here
        clock.summary()
    except BaseException as exc:
        for fut, _ in pending.values():
            fut.cancel()
        if bg is not None:
            bg.stop(discard=_discard_on(exc))
        raise


def _grouped_window(plan, affinity: Callable, executor, max_in_flight: Optional[int]) -> int:
    """Blocks in flight when blocks are grouped by worker: the longest run of one group times the workers
    (every worker busy while the results wait to be written in plan order), at least twice the threads."""
    longest, run, last = 1, 0, object()
    for block in plan:
        key = affinity(block)
        run = run + 1 if key == last else 1
        last = key
        longest = max(longest, run)
    want = max(2 * executor.n_slots, longest * max(1, len(getattr(executor, "workers", ())) or executor.n_slots))
    return max(1, min(want, int(max_in_flight)) if max_in_flight else want)


def _discard_on(exc: BaseException) -> bool:
    """Queued writes are dropped on cancel (the user wants to stop now); on an error (a bad block
    further on) the blocks before it are still written, so what is on disk is a deterministic
    prefix of the plan whatever the threads' timing (the caller's transaction removes it)."""
    return isinstance(exc, (OperationCanceled, KeyboardInterrupt))


def _local_loop(plan, func, write, sources, prepare, progress, *, read_ahead: bool,
                clock: Optional[BlockClock] = None) -> None:
    """Blocks in this thread, in plan order; with ``read_ahead`` the next block is read in a reader thread.

    Per block ``k``: its inputs are taken (waiting for the reader), ``prepare(k + 1)`` runs
    here and the reader starts on block ``k + 1``, then ``func`` computes block ``k`` and
    ``write`` receives it. Values and call order of ``func``/``write`` are those of a plain
    loop; only the reads move to the reader thread.
    """
    n = len(plan)
    clock = clock or BlockClock(n)

    def read(block):
        t0 = clock.clock()
        inputs = {k: read_block(src, block) for k, src in sources.items()}
        clock.read.append(clock.clock() - t0)
        return inputs

    pool = None
    if read_ahead and n > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix="geohazard-reader", initializer=_apply_context,
                                  initargs=(_capture_context(),))

    def start(i):
        check_canceled(progress)
        block = plan[i]
        extra = dict(prepare(block)) if prepare is not None else {}
        return block, extra, (pool.submit(read, block) if pool is not None else None)

    nxt = None
    try:
        nxt = start(0)
        for i in range(n):
            block, extra, fut = nxt
            nxt = None
            inputs = fut.result() if fut is not None else read(block)
            if i + 1 < n:
                nxt = start(i + 1)
            t0 = clock.clock()
            out = apply_block(func, block, inputs, extra)
            clock.compute.append(clock.clock() - t0)
            clock.block_done()
            del inputs
            if write is not None:
                write(block, out)
            del out
            progress.set_progress(100.0 * (i + 1) / n)
    finally:
        if pool is not None:
            if nxt is not None and nxt[2] is not None:
                nxt[2].cancel()
            pool.shutdown(wait=True)


def _wait(fut, progress):
    """The task's result, checking for a cancel request while it runs."""
    while not fut.wait(0.2):
        check_canceled(progress)
    return fut.result()


def map_blocks(func: Callable, sources: Mapping[str, Any], *, n_rows: int, n_cols: int,
               outputs: Iterable[str], halo: int = 0, dtype=None, **kwargs) -> dict:
    """Run ``func`` over the whole grid and return the assembled outputs (small grids, tests)."""
    plan = kwargs.pop("plan", None) or plan_blocks(n_rows, n_cols, halo=halo,
                                                   **{k: kwargs.pop(k) for k in ("bytes_per_pixel", "block_rows",
                                                                                 "max_memory_mb", "tile_rows")
                                                      if k in kwargs})
    result: dict = {}

    def collect(block, out):
        for k in outputs:
            a = np.asarray(out[k])
            if k not in result:
                result[k] = np.empty(a.shape[:-2] + (n_rows, n_cols), dtype=a.dtype if dtype is None else dtype)
            result[k][..., block.row0:block.row1, :] = a

    process_blocks(plan, func, collect, sources=sources, **kwargs)
    return result


__all__ = ["Block", "plan_blocks", "plan_file_groups", "read_block", "block_bytes", "max_memory_bytes", "ReadRequest",
           "RasterSource", "StackSource",
           "ArraySource", "CallableSource", "run_block", "process_blocks", "map_blocks", "LocalExecutor",
           "DaskExecutor", "open_executor", "scheduler_from", "BackgroundWriter", "OperationCanceled",
           "register_thread_context",
           "BlockClock", "run_block_timed", "DEFAULT_MAX_MEMORY_MB", "DEFAULT_TILE_ROWS", "ENV_MAX_MEMORY",
           "ENV_SCHEDULER"]
