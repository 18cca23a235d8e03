"""A first run's numba compilation as the user sees it: the notice, the progress bar's share and text while the
kernels compile, and Python's garbage collector kept off the compiler's heap meanwhile."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from typing import Optional

from qgis.PyQt.QtCore import QCoreApplication

from .feedback import CompilationShare, compilation_share

#: ``auto`` (default): a small run whose kernels are not compiled takes the numpy path, a large one compiles;
#: ``always``: every run compiles what it needs (benchmarks, a batch of large runs); ``never``: kernels not
#: compiled yet always run as Python
POLICY_ENV = "INSAR_GEOHAZARDS_COMPILE"

def core_modules(kernels) -> list:
    """The core modules ``kernels`` names (under ``algorithms``), a package standing for its modules: a kernel is
    counted in the module that defines it (its name there is the one numba's compile events give), once."""
    import importlib
    import pkgutil

    out = []
    for name in kernels:
        module = importlib.import_module(f"...algorithms.{name}", __package__)
        if hasattr(module, "__path__"):
            out += [importlib.import_module(f"{module.__name__}.{sub.name}")
                    for sub in pkgutil.iter_modules(module.__path__)]
        else:
            out.append(module)
    return list(dict.fromkeys(out))


@dataclass
class CompilePlan:
    """What a run does about its kernels: ``ready`` (compiled or cached, or no numba), ``numpy`` (run them as
    Python), ``compile``; the families concerned, the table's compile seconds and the estimated numpy seconds."""
    mode: str
    families: list = field(default_factory=list)
    compile_s: float = 0.0
    numpy_s: float = 0.0
    todo: list = field(default_factory=list)
    #: the run's row of measured costs per tool (``compile_costs.json``'s ``tools``; "": none) and whether the table
    #: has it (else the estimate is the families' whole warm-ups)
    entry: str = ""
    measured: bool = False


def plan_compilation(kernels, work_bytes=None, costs=None, entry=None) -> CompilePlan:
    """Compile or run as Python: the numpy path when the run's kernels are not compiled (not in this process, not
    in the on-disk cache), the measured numpy cost of its input size (``work_bytes``; None: unknown, compile) is
    below the measured compile cost of its families (``algorithms/compile_costs.json``) and every family that
    compiles can run as Python for this input (:attr:`~algorithms.kernel_families.Family.by_input_size`, or the
    tool counted its work itself: :class:`~algorithms.kernel_families.OutputWork`).

    The compile cost is the sum, over the families still to compile, of the tool's own measured cost of each
    (``entry``: its row in the table's ``tools``, what a first run of the tool compiles, often a part of a
    family), else of the family's whole warm-up (``families``)."""
    from ...algorithms import _numba, kernel_families

    modules = core_modules(kernels)
    if not modules or not _numba.HAVE_NUMBA:
        return CompilePlan("ready")
    # a family counts as compiled once one of its kernels is (in this process or the cache): the warm-up and a run
    # compile a family's entry points together, and helpers compiled inside them get no cache entry of their own
    families = [f for f in kernel_families.families_of(kernels) if _numba.first_compilation(f.kernel_modules())]
    if not families:
        return CompilePlan("ready")
    todo = _numba.kernels_to_compile(modules)
    costs = kernel_families.measured_costs() if costs is None else costs
    table = costs.get("families", {})
    compile_s = sum(family_compile_s(costs, f.name, entry) for f in families)
    mb = (work_bytes or 0) / 2**20
    numpy_s = sum(float(table.get(f.name, {}).get("numpy_cpu_s_per_mb", 0.0)) * mb
                  + float(table.get(f.name, {}).get("numpy_cpu_s_small", 0.0)) for f in families)
    policy = os.environ.get(POLICY_ENV, "auto").strip().lower()
    known = bool(families) and all(f.name in table for f in families)
    sized = isinstance(work_bytes, kernel_families.OutputWork) or all(f.by_input_size for f in families)
    fits = known and sized and work_bytes is not None and numpy_s < compile_s
    numpy = known and (policy == "never" or (policy != "always" and fits))
    return CompilePlan("numpy" if numpy else "compile", families, compile_s, numpy_s, todo, entry or "",
                       bool(entry) and entry in costs.get("tools", {}))


def family_compile_s(costs: dict, family: str, entry=None) -> float:
    """The compile CPU seconds of ``family`` for a run of the tool row ``entry`` (``costs["tools"][entry]``, the
    part of the family the tool compiles, measured per tool) or, without that row, of the family's whole warm-up."""
    row = costs.get("tools", {}).get(entry or "", {})
    if family in row:
        return float(row[family])
    return float(costs.get("families", {}).get(family, {}).get("compile_cpu_s", 0.0))


def announce_compilation(kernels, feedback, plan: Optional[CompilePlan] = None) -> list:
    """Tell the user when this run compiles the numba kernels of the core modules ``kernels`` (first run on
    a machine: seconds to a minute before the first block's progress, the table's measured estimate); returns the
    kernels it compiles (names ``module.function``), empty when it compiles none."""
    from ...algorithms import _numba

    modules = core_modules(kernels)
    if not modules or not _numba.first_compilation(modules):
        return []
    todo = _numba.kernels_to_compile(modules)
    if feedback is None:
        return todo
    folder = _numba.cache_folder(modules[0])
    plan = plan or plan_compilation(kernels)
    estimate = f", ~{max(1, round(plan.compile_s))} s" if plan.compile_s > 0 else ""
    feedback.setProgressText(QCoreApplication.translate("GeohazardAlgorithm",
                                                        "Compiling fast kernels, first run only..."))
    feedback.pushInfo(f"Compiling kernels (once per machine{estimate}): numba, {len(todo)} functions, first run "
                      "only; later runs load them from the cache" + (f" ({folder})" if folder else "") + ". "
                      + (f"Compile cost row {plan.entry}" + ("" if plan.measured else " (not measured yet)") + ". "
                         if plan.entry else "")
                      + WARM_HINT)
    return todo


#: how to compile every family ahead of the runs (docs/desktop.md)
WARM_HINT = "`python3 -m insar_geohazards.warm_kernels` compiles every tool's kernels ahead (docs/desktop.md)."


def announce_numpy_path(plan: CompilePlan, feedback) -> None:
    if feedback is None:
        return
    names = ", ".join(f.name for f in plan.families)
    feedback.pushInfo(f"Kernels not compiled yet ({names}); this run is small (~{plan.numpy_s:.1f} CPU-s as plain "
                      f"Python against ~{plan.compile_s:.0f} s to compile them once per machine), so it runs them "
                      "as Python: the same results. A larger run compiles them. " + WARM_HINT)


_FROZEN = {"runs": 0, "enabled": True}
_FROZEN_LOCK = threading.Lock()


def collect_young_and_freeze() -> None:
    """Free the garbage made since the last call (it is all young: the automatic collection is off, see
    :func:`frozen_heap`) and move what survives out of the collector's sight. Its cost follows what one kernel's
    compilation made, not the whole heap."""
    import gc

    gc.collect(0)
    gc.freeze()


@contextlib.contextmanager
def frozen_heap():
    """While a first run compiles: Python's cyclic garbage collector kept off the heap numba's compiler builds.

    The compiler creates objects by the million (over a million tracked objects after DS phase linking's and
    SBAS's kernels, 80 % of them garbage in reference cycles); each automatic full collection walked them all
    holding the interpreter lock the desktop's Python waits for: pauses of 0.5-0.75 s each (DS phase linking's
    first run at load 8: 1,590 collections, 5.0 s in all), the longest event-loop stalls of that run; freeing
    that garbage in one collection at the end still took 0.45 s (1.2 s at load 10). Instead the automatic
    collection is off while kernels compile, so nothing ages into the old generations, and after each compiled
    kernel :func:`collect_young_and_freeze` frees its garbage and freezes what is alive (``gc.freeze``); when
    the last compiling run ends, ``gc.unfreeze`` gives those objects back and the collection is on again."""
    import gc

    with _FROZEN_LOCK:
        _FROZEN["runs"] += 1
        if _FROZEN["runs"] == 1:
            _FROZEN["enabled"] = gc.isenabled()
            gc.disable()
            gc.freeze()
    try:
        yield
    finally:
        with _FROZEN_LOCK:
            _FROZEN["runs"] -= 1
            if _FROZEN["runs"] == 0:
                gc.collect(0)
                gc.unfreeze()
                if _FROZEN["enabled"]:
                    gc.enable()


#: while a kernel compiles, the bar also moves every this many seconds (:class:`~..inputs.feedback.CompilationShare`)
TICK_SECONDS = 0.5


def kernel_weights(names) -> dict:
    """Each kernel's share of a first run's compilation (names ``module.function``): the size of its Python
    bytecode, a proxy of what numba compiles for it (DS phase linking's main kernel is 16 % of its family's
    bytecode); the mean of the others where a kernel is not found."""
    import sys

    sizes = {}
    for name in names:
        module, _, func = name.rpartition(".")
        code = getattr(getattr(getattr(sys.modules.get(module), func, None), "py_func", None), "__code__", None)
        if code is not None:
            sizes[name] = float(len(code.co_code))
    mean = sum(sizes.values()) / len(sizes) if sizes else 1.0
    return {name: sizes.get(name, mean) for name in names}


@contextlib.contextmanager
def compilation_progress(kernels, feedback, work_bytes=None, entry=None):
    """While the block runs: on a run whose kernels are not compiled, either the numpy path
    (:func:`plan_compilation`: a small run, its kernels run as Python, said in the log) or the compilation,
    announced (:func:`announce_compilation`) with the family's lock held (:func:`~algorithms._numba.family_lock`:
    the desktop's warm-up or another run compiling the same family is waited for, then the cache is read). While
    compiling, the progress text counts the kernels compiled so far and the compilation gets a share of the
    progress bar (:class:`~..inputs.feedback.CompilationShare`), so the dialog shows the run moving while the
    first block compiles; the heap is frozen meanwhile (:func:`frozen_heap`). Without numba the log says so."""
    from ...algorithms import _numba, kernel_families

    if kernels and not _numba.HAVE_NUMBA and feedback is not None:
        if os.environ.get("INSAR_GEOHAZARDS_DISABLE_NUMBA", "") in ("1", "true", "yes"):
            feedback.pushInfo("numba is turned off (INSAR_GEOHAZARDS_DISABLE_NUMBA): the kernels run as plain Python.")
        else:
            feedback.pushInfo(kernel_families.numba_missing_message(kernels=kernels))
    plan = plan_compilation(kernels, work_bytes, entry=entry)
    if plan.mode == "numpy":
        announce_numpy_path(plan, feedback)
        modules = [m for f in plan.families for m in f.modules()]
        with _numba.python_kernels(modules):
            yield
        return
    with contextlib.ExitStack() as locks:
        for family in sorted(plan.families, key=lambda f: f.name) if plan.mode == "compile" else ():
            locks.enter_context(_numba.family_lock(family.name, family.modules()))
        with _compiling(kernels, feedback, plan if plan.mode == "compile" else None):
            yield


@contextlib.contextmanager
def _compiling(kernels, feedback, plan):
    todo = announce_compilation(kernels, feedback, plan) if plan is not None else []
    if not todo or feedback is None:
        yield
        return
    from numba.core import event as numba_event

    names, done, lock = set(todo), set(), threading.Lock()
    text = QCoreApplication.translate("GeohazardAlgorithm", "Compiling fast kernels, first run only: {0} of {1}...")

    compiling = [0]  # kernels compiling now (nested: a kernel compiles the functions it calls)

    class Counter(numba_event.Listener):  # called in whichever thread compiles
        def on_start(self, event):
            with lock:
                compiling[0] += 1

        def on_end(self, event):
            with lock:
                compiling[0] -= 1
            collect_young_and_freeze()  # this compile's garbage freed, what it left alive frozen
            func = getattr((event.data or {}).get("dispatcher"), "py_func", None)
            name = f"{func.__module__}.{func.__name__}" if func is not None else ""
            with lock:
                if name not in names or name in done:
                    return
                done.add(name)
                count = len(done)
            feedback.setProgressText(text.format(count, len(names)))
            share.kernel_compiled(weights[name])

    weights = kernel_weights(names)
    share = CompilationShare(feedback, sum(weights.values()))
    end = compilation_share(feedback, share)
    stop = threading.Event()

    # The time a kernel takes to compile moves the bar too (LLVM optimises a large kernel for seconds, one event).
    # A feedback living in the desktop's thread is told from the ticker's thread (Qt queues the signal to the
    # dialog); one living in the task's thread (a model's step) only from the compiling thread, at numba's next
    # compiler pass: a signal queued to a task's thread, which runs no event loop, would never arrive.
    app = QCoreApplication.instance()
    direct = app is not None and feedback.thread() == app.thread()
    pending = [0]

    def tick():
        while not stop.wait(TICK_SECONDS):
            if compiling[0] > 0:
                if direct:
                    share.compiling_tick()
                else:
                    with lock:
                        pending[0] += 1

    class Passes(numba_event.Listener):  # in the compiling thread: the ticks counted meanwhile
        def on_start(self, event):
            pass

        def on_end(self, event):
            if pending[0]:
                with lock:
                    due, pending[0] = pending[0], 0
                for _ in range(due):
                    share.compiling_tick()

    ticker = threading.Thread(target=tick, name="compile-progress", daemon=True)
    try:
        with frozen_heap(), numba_event.install_listener("numba:compile", Counter()), \
                numba_event.install_listener("numba:run_pass", Passes()):
            ticker.start()
            yield
    finally:
        stop.set()
        if ticker.is_alive():
            ticker.join()
        end()
