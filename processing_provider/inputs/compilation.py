"""A first run's numba compilation as the user sees it: the notice, the progress bar's share and text while the
kernels compile, and Python's garbage collector kept off the compiler's heap meanwhile."""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from qgis.PyQt.QtCore import QCoreApplication

from ...algorithms import _numba, compile_choice, kernel_families
from ...algorithms.errors import OperationCanceled
from .compile_rent import rent_text, rents, settle_rent
from .feedback import CompilationShare, compilation_share

#: ``auto`` (default): a run whose kernels are not compiled takes the soonest at this load of its numpy path,
#: compiling them itself and waiting for another process compiling them now (never for one below its priority:
#: :mod:`algorithms.compile_choice`); numpy where the measured table has numpy as fast
#: (:func:`~algorithms.kernel_families.numpy_as_fast`), such a family compiling in the background only once its
#: numpy form has cost its compile on this machine (:mod:`algorithms.compile_ledger`); ``wait``: it waits for a
#: background compile (one started at its own priority when none runs: a batch of many small runs), never for one
#: below its priority; ``always``: the run compiles what it needs itself (benchmarks of the compile); ``never``:
#: kernels not compiled yet always run as Python
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
    Python while they compile in the background), ``background`` (wait for their compilation in the background),
    ``compile`` (compile them in this run); the families concerned, the table's compile seconds and the estimated
    numpy seconds."""
    mode: str
    families: list = field(default_factory=list)
    compile_s: float = 0.0
    numpy_s: float = 0.0
    todo: list = field(default_factory=list)
    #: the run's row of measured costs per tool (``compile_costs.json``'s ``tools``; "": none) and whether the table
    #: has it (else the estimate is the families' whole warm-ups)
    entry: str = ""
    measured: bool = False
    #: the tool's per-configuration estimate of the compiled run's CPU seconds (:class:`WorkEstimate`; None: none)
    numba_s: Optional[float] = None
    #: the choice at this load (:func:`~algorithms.compile_choice.choose`; None: the policy or the table decided)
    choice: Optional[object] = None
    #: the other processes compiling the run's families when it planned (:class:`~algorithms.compile_choice.Progress`)
    holders: list = field(default_factory=list)
    #: on the numpy path of families whose numpy form is as fast (``auto``): each family's account
    #: (:class:`~.compile_rent.Rent`) that decides when it compiles in the background (:mod:`algorithms.compile_ledger`)
    rent: list = field(default_factory=list)


def pending_families(kernels) -> list:
    """The kernel families of ``kernels`` a run cannot simply load: not recorded as compiled whole (the warm-up's
    ready file, :func:`~algorithms.kernel_families.family_ready`) and either not compiled at all or being
    compiled now by another process (its lock held: a half-filled cache is not ready). Without numba every family
    of ``kernels`` (none can be loaded: a tool's estimate of its run on both paths is then the log's figure)."""

    if not _numba.HAVE_NUMBA:
        return kernel_families.families_of(kernels)
    out = []
    for f in kernel_families.families_of(kernels):
        if kernel_families.family_ready(f):
            continue
        modules = f.modules()
        folder = _numba.family_folder(modules)
        if _numba.first_compilation(f.kernel_modules()) or _numba.lock_busy(_numba.family_lock_path(f.name, modules)) \
                or _numba.lock_busy(_warm_kernels().background_lock_path(folder, f.name)):
            out.append(f)
    return out


def _warm_kernels():
    import importlib

    return importlib.import_module(__package__.rsplit(".", 2)[0] + ".warm_kernels")


class WorkEstimate(int):
    """A run's input bytes (what :func:`plan_compilation` takes as ``work_bytes``) carrying the tool's estimate of
    its CPU seconds on each path from a cost model measured per configuration (phase linking: window, dates,
    pixels): ``numpy_s`` as numpy, ``numba_s`` compiled. With it the run takes the faster of the numpy path and
    compiling then running compiled."""

    def __new__(cls, nbytes: int, numpy_s: float, numba_s: float):
        obj = super().__new__(cls, int(nbytes))
        obj.numpy_s, obj.numba_s = float(numpy_s), float(numba_s)
        return obj


#: A run whose numpy estimate (the table's CPU per MB times its bytes) is at most this fraction of the compile it
#: would wait for runs as numpy while the compile goes on in the background: the per-MB rate can miss a run's window
#: and dates by several times, so only a run clearly shorter than the wait is run as numpy.
NUMPY_MARGIN = 10.0


def compiling_elsewhere(family) -> bool:
    """Whether another process holds ``family``'s compile lock or its background compile's lock right now."""

    wk = _warm_kernels()
    modules = family.modules()
    return _numba.lock_busy(_numba.family_lock_path(family.name, modules)) or \
        _numba.lock_busy(wk.background_lock_path(_numba.family_folder(modules), family.name))


def holders_of(families, costs: dict, previous: Optional[dict] = None) -> list:
    """The :class:`~algorithms.compile_choice.Progress` of each process compiling one of ``families`` now."""
    return [p for p in (compile_choice.family_progress(f, costs, previous) for f in families) if p is not None]


def plan_compilation(kernels, work_bytes=None, costs=None, entry=None) -> CompilePlan:
    """What a run does with kernels not compiled yet (not in this process, not recorded whole in the cache:
    :func:`pending_families`): by default (``auto``) the soonest at the current load of its numpy path, compiling
    them itself, and waiting for another process compiling them now (:func:`~algorithms.compile_choice.choose`:
    never one below this run's priority, stopped or making no progress); the numpy path whenever the measured table
    has a family's numpy form as fast as its compiled one (:func:`~algorithms.kernel_families.numpy_as_fast`), with
    the family's rent-or-buy account (:attr:`CompilePlan.rent`, :func:`~.compile_rent.rents`).
    ``INSAR_GEOHAZARDS_COMPILE=always`` compiles in the run, ``never`` always runs them as Python, ``wait`` waits for
    a background compile (:func:`wait_for_background`).

    The compile estimate (the log's and the progress bar's) is the sum, over the families still to compile, of the
    tool's own measured cost of each (``entry``: its row in the table's ``tools``, what a first run of the tool
    compiles), else of the family's whole warm-up (``families``). The numpy estimate is the tool's per-configuration
    estimate when ``work_bytes`` is a :class:`WorkEstimate`; else the table's numpy CPU per MB times ``work_bytes``,
    counted :data:`NUMPY_MARGIN` times over in the choice (the per-MB rate can miss a run's window and dates by
    several times); no numpy option when the work is unknown."""

    modules = core_modules(kernels)
    if not modules or not _numba.HAVE_NUMBA:
        return CompilePlan("ready")
    families = pending_families(kernels)
    if not families:
        return CompilePlan("ready")
    todo = _numba.kernels_to_compile(modules)
    costs = kernel_families.measured_costs() if costs is None else costs
    table = costs.get("families", {})
    compile_s = sum(family_compile_s(costs, f.name, entry) for f in families)
    mb = (work_bytes or 0) / 2**20

    def rate(name, column):
        return float(table.get(name, {}).get(column, 0.0))

    numpy_s = sum(rate(f.name, "numpy_cpu_s_per_mb") * mb + rate(f.name, "numpy_cpu_s_small") for f in families)
    numba_s = sum(rate(f.name, "numba_cpu_s_per_mb") * mb + rate(f.name, "numba_cpu_s_small") for f in families)
    modelled = isinstance(work_bytes, WorkEstimate)
    if modelled:
        numpy_s, numba_s = work_bytes.numpy_s, work_bytes.numba_s
    plan = CompilePlan("compile", families, compile_s, numpy_s, todo, entry or "",
                       bool(entry) and entry in costs.get("tools", {}), work_bytes.numba_s if modelled else None)
    policy = os.environ.get(POLICY_ENV, "auto").strip().lower()
    if policy == "never":
        plan.mode = "numpy"
    elif policy == "always":
        plan.mode = "compile"
    elif policy == "wait":
        plan.mode = "background"  # the compiled kernels, waited for (never a compile below this run's priority)
    elif all(kernel_families.numpy_as_fast(f.name, costs) for f in families):
        plan.mode = "numpy"
        plan.rent = rents(families, costs, work_bytes)
    else:
        if modelled:
            numpy_option = numpy_s
        elif work_bytes is not None and numpy_s > 0.0:
            numpy_option = numpy_s * NUMPY_MARGIN
        else:
            numpy_option = math.inf
        plan.holders = holders_of(families, costs)
        load, cores = compile_choice.machine_load()
        plan.choice = compile_choice.choose(numpy_cpu_s=numpy_option, compile_cpu_s=compile_s, run_cpu_s=numba_s,
                                            holders=plan.holders, load=load, cores=cores,
                                            own_nice=compile_choice.own_niceness())
        plan.mode = {"wait": "background"}.get(plan.choice.mode, plan.choice.mode)
        if not modelled and not math.isinf(numpy_option):
            plan.choice.reason += (f"; the numpy figure counts {NUMPY_MARGIN:g} times the estimate per MB of input "
                                   f"(~{numpy_s:.1f} CPU-s), which can miss a run's dates or window by several times")
    return plan


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
                      + (f"Compiling, because as numpy this run would cost ~{plan.numpy_s:.1f} CPU-s by the cost "
                         f"measured for its configuration, more than the ~{plan.compile_s:.0f} of compiling plus the "
                         f"~{plan.numba_s:.1f} of a compiled run. " if plan.numba_s is not None else "")
                      + warm_hint())
    return todo


def choice_text(plan: CompilePlan) -> str:
    """The choice's sentence for the log (which path and why, with the three estimates at this load), "" when the
    policy or the table decided."""
    return f"Chosen: {plan.choice.reason}." if plan.choice is not None else ""


def warm_hint() -> str:
    """How to compile every family ahead, as a command that runs as typed (this installation's Python and the
    plugin's own file: no ``PYTHONPATH``), and the shipped page that tells more."""
    wk = _warm_kernels()
    python = wk.find_python() or ("python" if os.name == "nt" else "python3")
    root = os.path.dirname(os.path.abspath(wk.__file__))
    command = " ".join(f'"{a}"' if " " in a else a for a in wk._script_command(python))
    page = os.path.join(root, "docs", "desktop.html")
    return (f"`{command}` compiles every tool's kernels ahead (\"Compiling every kernel ahead\" in {page}).")


def announce_numpy_path(plan: CompilePlan, feedback, started: bool = False) -> None:
    """The log's sentence of a run on the numpy path: which families, why (the policy, the numpy form as fast with
    its rent-or-buy account, or the run's size), the estimate, and whether they compile in the background."""
    if feedback is None:
        return
    names = ", ".join(f.name for f in plan.families)
    policy = os.environ.get(POLICY_ENV, "auto").strip().lower()

    as_fast = all(kernel_families.numpy_as_fast(f.name, kernel_families.measured_costs()) for f in plan.families)
    rent = rent_text(plan.rent)
    why = (f"{POLICY_ENV}=never" if policy == "never" else
           f"their numpy form is measured as fast as the compiled one ({rent})" if as_fast and rent else
           "their numpy form is measured as fast as the compiled one" if as_fast else
           f"by the cost measured for this run's configuration it costs less than the ~{plan.compile_s:.0f} CPU-s "
           f"of compiling plus the ~{plan.numba_s:.1f} of a compiled run" if plan.numba_s is not None else
           f"a small run: as numpy it ends long before the ~{plan.compile_s:.0f} CPU-s of compiling they need")
    feedback.pushInfo(f"Kernels not compiled yet ({names}); this run runs them as numpy ({why}; ~{plan.numpy_s:.1f} "
                      "CPU-s estimated): the same results. "
                      + ("They compile in the background meanwhile, for the later runs. " if started else "")
                      + (choice_text(plan) + " " if plan.choice is not None else "") + warm_hint())


#: seconds between two log lines while a run waits for the background compilation
WAIT_LOG_SECONDS = 10.0


#: seconds between two progress texts while a run waits for the background compilation
TEXT_SECONDS = 5


def _start_background(families, low_priority: bool = False):
    """Start the background compilation of ``families`` (:func:`warm_kernels.start_background`): at normal priority
    for a run that waits for it, below it (``low_priority``) beside a run on the numpy path, which then gets the
    cores first. Returns the launcher process, None when none could start, and the log file it writes."""

    wk = _warm_kernels()
    folders = [_numba.family_folder(f.modules()) for f in families]
    log = wk.background_log_path(folders[0]) if folders else ""
    return wk.start_background([f.name for f in families], folders, log_path=log, low_priority=low_priority), log


def wait_for_background(plan: CompilePlan, feedback, share=None) -> bool:
    """Wait until the families of ``plan`` are compiled whole into the cache by another process: one already
    running (the desktop's warm-up, another run's compile, a background compile) is joined; with
    ``INSAR_GEOHAZARDS_COMPILE=wait`` one is started at this run's priority when none runs
    (:func:`_start_background`). Every :data:`WAIT_LOG_SECONDS` the choice is made again with the holders' speed
    measured meanwhile (:func:`~algorithms.compile_choice.choose`): the wait ends, and the run compiles itself, as
    soon as a holder runs below this run's priority, stops or stalls, or (``auto``) compiling here became sooner;
    also when the holders end without the families whole (another run compiles only its own kernels). The log says
    what the run waits for, how long it has waited and why it stops waiting; the progress text moves every
    :data:`TEXT_SECONDS` and the bar every :data:`TICK_SECONDS` (``share``: :class:`~.feedback.CompilationShare`
    weighed in estimated seconds); a cancel stops the wait (``OperationCanceled``). Returns True when every family is
    ready, False when the run compiles them itself."""

    names = ", ".join(f.name for f in plan.families)
    text = QCoreApplication.translate("GeohazardAlgorithm",
                                      "Waiting for the fast kernels compiling in the background ({0}): {1} s...")
    policy = os.environ.get(POLICY_ENV, "auto").strip().lower()
    costs = kernel_families.measured_costs()
    t0 = last_tick = time.monotonic()
    last_log, next_choice, proc, log, joined, shown = t0, t0, None, "", False, [-1]
    samples: dict = {}

    def say(message):
        if feedback is not None:
            feedback.pushInfo(message)

    while True:
        pending = [f for f in plan.families if not kernel_families.family_ready(f)]
        if not pending:
            break
        busy = [f for f in pending if compiling_elsewhere(f)]
        running = proc is not None and proc.poll() is None
        if not busy and not running:
            if proc is not None:
                say(f"The background compilation ended without compiling {names} (its log: {log}); this run "
                    "compiles them.")
                return False
            if policy != "wait":
                say(f"The other process ended without compiling {names} whole; this run compiles what it needs "
                    f"after {time.monotonic() - t0:.1f} s of waiting.")
                return False
            proc, log = _start_background(pending)
            if proc is None:
                say("No Python of this installation was found to compile the kernels in the background; this run "
                    "compiles them.")
                return False
            say(f"Kernels not compiled yet ({names}): compiling them in the background, once per machine "
                f"(~{max(1, round(plan.compile_s))} CPU-s measured; its log: {log}); this run waits for them, then "
                "loads them from the cache like every later run.")
            continue
        now = time.monotonic()
        if busy and proc is None and not joined:
            joined = True
            say(f"Kernels being compiled by another process ({', '.join(f.name for f in busy)}: the desktop's warm-up "
                "or another run); this run waits for it, then loads them from the cache.")
        if busy and now >= next_choice:
            next_choice = now + WAIT_LOG_SECONDS
            holders = holders_of(busy, costs, samples)
            samples.update({h.family: h.sample for h in holders})
            load, cores = compile_choice.machine_load()
            choice = compile_choice.choose(numpy_cpu_s=math.inf, compile_cpu_s=plan.compile_s,
                                           run_cpu_s=plan.numba_s or 0.0, holders=holders, load=load, cores=cores,
                                           own_nice=compile_choice.own_niceness())
            own = compile_choice.own_niceness()
            give_up = any(h.lower_than(own) or math.isinf(h.wait_s(load, cores)) for h in holders) \
                if policy == "wait" else choice.mode != "wait"
            if give_up:
                say(f"Not waiting any longer ({now - t0:.1f} s waited): this run compiles its kernels itself; "
                    f"{choice.reason}.")
                return False
        if feedback is not None:
            if feedback.isCanceled():
                raise OperationCanceled()
            if int(now - t0) // TEXT_SECONDS != shown[0]:  # qgis_process prints each text: every few seconds
                shown[0] = int(now - t0) // TEXT_SECONDS
                feedback.setProgressText(text.format(", ".join(f.name for f in pending), int(now - t0)))
            if share is not None:
                share.kernel_compiled(now - last_tick) if now - t0 < plan.compile_s else share.compiling_tick()
            last_tick = now
            if now - last_log >= WAIT_LOG_SECONDS:
                last_log = now
                feedback.pushInfo(f"Still compiling in the background ({', '.join(f.name for f in pending)}), "
                                  f"{now - t0:.0f} s so far.")
        time.sleep(TICK_SECONDS)
    say(f"Kernels ready ({names}) after {time.monotonic() - t0:.1f} s of waiting; this run loads them from the cache.")
    if feedback is not None and share is not None:
        share.kernel_compiled(max(plan.compile_s, 1.0))
    return True


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
    """While the block runs: on a run whose kernels are not compiled (:func:`plan_compilation`), the numpy path
    (said in the log; their compilation started in the background for the later runs, or, for families whose numpy
    form is as fast, once their numpy form has cost their compile: :mod:`.compile_rent`), the wait for the
    compilation in the background (:func:`wait_for_background`, with the log, the progress text and the bar
    moving), or the compilation in this run, announced (:func:`announce_compilation`) with the family's lock held
    (:func:`~algorithms._numba.family_lock`: another process compiling the same family is waited for, then the
    cache is read). While compiling here, the progress text counts the kernels compiled so far and the compilation
    gets a share of the progress bar (:class:`~..inputs.feedback.CompilationShare`), so the dialog shows the run
    moving while the first block compiles; the heap is frozen meanwhile (:func:`frozen_heap`). Without numba the
    log says so."""

    if kernels and not _numba.HAVE_NUMBA and feedback is not None:
        if os.environ.get("INSAR_GEOHAZARDS_DISABLE_NUMBA", "") in ("1", "true", "yes"):
            feedback.pushInfo("numba is turned off (INSAR_GEOHAZARDS_DISABLE_NUMBA): the kernels run as plain Python.")
        else:
            feedback.pushInfo(kernel_families.numba_missing_message(kernels=kernels, work=work_bytes))
    plan = plan_compilation(kernels, work_bytes, entry=entry)
    if plan.mode == "numpy":
        started = False
        # a family whose numpy form is as fast compiles only once its account says so (due now, or when this run
        # ends); any other numpy run's families compile behind it at once
        now = [r.family for r in plan.rent if r.due] if plan.rent else plan.families
        if now and os.environ.get(POLICY_ENV, "auto").strip().lower() != "never":
            started = _start_background(now, low_priority=True)[0] is not None
        announce_numpy_path(plan, feedback, started)
        modules = [m for f in plan.families for m in f.modules()]
        cpu0 = time.process_time()
        with _numba.python_kernels(modules):
            yield
        if plan.rent:
            settle_rent(plan.rent, time.process_time() - cpu0, _start_background, feedback)
        return
    with contextlib.ExitStack() as stack:
        if plan.mode == "background":
            share = None
            if feedback is not None and plan.choice is not None:
                feedback.pushInfo(choice_text(plan))
            if feedback is not None:
                share = CompilationShare(feedback, max(plan.compile_s, 1.0))
                stack.callback(compilation_share(feedback, share))
            if not wait_for_background(plan, feedback, share):
                plan.mode = "compile"
        chose = plan.choice is not None and plan.choice.mode == "compile"  # not a wait given up (said there)
        if plan.mode == "compile" and chose and feedback is not None:
            feedback.pushInfo(choice_text(plan))
        if plan.mode == "compile":
            # never waits: a family another process compiles meanwhile is compiled beside it (the plan chose so,
            # or the wait gave up); that process then loads what this run saves
            beside = [f.name for f in sorted(plan.families, key=lambda f: f.name)
                      if not stack.enter_context(_numba.family_lock(f.name, f.modules(), wait=False))]
            if beside and feedback is not None:
                feedback.pushInfo(f"Compiling {', '.join(beside)} beside the process compiling them now, without "
                                  "waiting for it; it loads from the cache what this run compiles.")
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
