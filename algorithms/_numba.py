"""numba behind a small shim: kernels written once, compiled where numba is there, numba imported at their first use.

Kernel modules use ``from ..._numba import njit, prange``. ``njit`` returns a :class:`Kernel`: the Python function
the decorator saw, made into numba's dispatcher the first time something needs it (its first call, a kernel calling it
compiling, a question only numba answers: is it compiled, where is its cache). Importing a kernel module therefore
imports no numba and builds no dispatcher: the plugin's start imports every tool's modules, a tool's route to its
kernels is plain imports, and a run imports numba when its first kernel runs compiled (or its thread started it
earlier, :mod:`processing_provider.early_kernels`).

A kernel runs as plain Python (the numpy path: the same functions, the same bytes) when numba cannot be imported,
when ``INSAR_GEOHAZARDS_DISABLE_NUMBA=1`` is set (the test suite runs the kernels both ways), and on a numba machine
while a run takes the numpy path for its family (:func:`python_kernels`). As Python, a kernel runs its registered
numpy form (:func:`python_equivalent`: a whole-array form of a loop) or its own function bound to the other kernels'
Python forms (:func:`python_twin`). The kernel object decides at each call; the code calling it never asks.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time as _time
from typing import Optional

#: CPU models LLVM does not know yet, by the name it gives them and a feature the real model has -> the model
#: whose tuning our kernels are compiled with (the CPU's own features, AVX-512 included, are kept).
#: LLVM before 16 (Debian 12's numba 0.56 has LLVM 14) names AMD Zen 4 "znver3", a model without AVX-512, and its znver3
#: tuning slowed DS phase linking's kernel by half again against znver2's (3.6-4.3 vs 2.2-2.9 CPU-s on the
#: benchmark stack, same bytes; SBAS's kernels the same speed): docs/architecture.md, Determinism.
_UNKNOWN_CPUS = {("znver3", "avx512f"): "znver2"}


def cpu_tuning() -> str:
    """The CPU model numba should tune for when LLVM misnames this machine's CPU (see ``_UNKNOWN_CPUS``), ""
    otherwise or when the user chose one (``NUMBA_CPU_NAME``). The generated code's arithmetic does not depend
    on the model (the same output bytes on every target: ``tests/core/test_numba_targets.py``), only its speed."""
    if os.environ.get("NUMBA_CPU_NAME") or os.environ.get("NUMBA_CPU_FEATURES"):
        return ""
    try:
        import llvmlite.binding as ll

        init = getattr(ll, "initialize", None)  # gone or raising in newer llvmlite, which initialises itself
        if init is not None:
            try:
                init()
            except Exception:  # that newer llvmlite's deprecation error
                pass
        ll.initialize_native_target()
        name, features = ll.get_host_cpu_name(), ll.get_host_cpu_features()
    except Exception:  # another llvmlite: leave numba's own choice
        return ""
    for (llvm_name, feature), model in _UNKNOWN_CPUS.items():
        if name == llvm_name and features.get(feature):
            return model
    return ""


def numba_disabled() -> bool:
    """Whether the user (or the test suite) turned numba off: ``INSAR_GEOHAZARDS_DISABLE_NUMBA=1``."""
    return os.environ.get("INSAR_GEOHAZARDS_DISABLE_NUMBA", "") in ("1", "true", "yes")


def _import_numba():
    """numba imported with the settings our kernels need (read by numba or its OpenMP layer when they load), or
    None when it is turned off or cannot be imported."""
    if numba_disabled():
        return None
    # numba's OpenMP layer (libgomp, loaded when the first parallel kernel runs) lets idle worker threads spin
    # 300,000 iterations (milliseconds) after each parallel region and at its barriers: CPU taken from the
    # engine's reader and GDAL's compression threads while the solver thread runs numpy code between kernels
    # (~1 CPU-s of the 1-Mpx SBAS run). 10,000 iterations (~0.1 ms here) keep back-to-back kernel calls as fast
    # (2.6 vs 1.5 us per call of a tiny kernel; sleeping at once, OMP_WAIT_POLICY=PASSIVE, costs 50 us per call).
    # A wait policy or spin count the user set is kept. Read once, when libgomp loads.
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = "10000"
    # Intel's SVML (installed with numba by some distributions, e.g. conda's icc_rt) would vectorise math.sin,
    # exp ... in our loops: other bits than the scalar libm calls of a loop's remainder, so a pixel's value would
    # depend on its position in a block and on the CPU's vector width. Off unless the user asks for it.
    os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")
    try:
        import sys
        import warnings

        # llvmlite (numba's LLVM binding) calls a deprecated importlib.resources function when it loads; QGIS
        # shows DeprecationWarnings, so every run printed its two lines: nothing the user can act on. A filter for
        # llvmlite's own modules, kept: ``catch_warnings`` would restore the whole filter list when it ends,
        # undoing what another thread changed meanwhile (numba is imported in a background thread while a run
        # checks its inputs).
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"llvmlite(\.|$)")
        tuning = cpu_tuning()
        if tuning:  # read by numba's configuration at its import; set there too if numba is already loaded
            os.environ["NUMBA_CPU_NAME"] = tuning
            loaded = sys.modules.get("numba")
            if loaded is not None and getattr(loaded.config, "CPU_NAME", "") is None:
                loaded.config.CPU_NAME = tuning
        import numba
    except ImportError:  # numba is optional: the kernels run as Python
        return None
    _fork_only_start_lock(numba)
    return numba


_LOAD_LOCK = threading.Lock()
#: whether :func:`_load` ran (its result is the module attribute ``_numba``, and ``HAVE_NUMBA``)
_LOADED = False


def _load():
    """numba, imported once per process (None without it): the module attribute ``_numba``."""
    global _LOADED
    if not _LOADED:
        with _LOAD_LOCK:
            if not _LOADED:
                module = _import_numba()
                globals()["_numba"] = module
                globals().setdefault("HAVE_NUMBA", module is not None)  # a value a test set first is kept
                _LOADED = True
    return globals()["_numba"]


def have_numba() -> bool:
    """Whether kernels run compiled in this process: numba imports and is not turned off. Imports numba (once)."""
    value = globals().get("HAVE_NUMBA")
    if value is None:
        _load()
        value = globals()["HAVE_NUMBA"]
    return bool(value)


def numba_module():
    """The numba module where kernels run compiled (imported once), None without numba."""
    return _load() if have_numba() else None


def numba_loaded() -> bool:
    """Whether this process imported numba already (never imports it)."""
    return _LOADED and globals().get("_numba") is not None


def __getattr__(name: str):
    # ``HAVE_NUMBA`` and ``_numba`` (the numba module or None) are known once numba was imported: asked before, they
    # import it (module attributes, PEP 562); the plugin's own modules call have_numba() where they run
    if name == "HAVE_NUMBA":
        return have_numba()
    if name == "_numba":
        return _load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class NumbaOnly:
    """A name kernels use whose numba form exists only once numba is imported (numba's ``prange``, an LLVM
    intrinsic, an option that depends on numba's version): Python sees ``python`` (calls go to it); the module of a
    kernel gets ``build(numba)`` in its place when its first kernel is made (:meth:`Kernel.dispatcher`), and a
    kernel's option of this kind becomes that value. The built value runs as ``python`` in kernels run as Python
    (:func:`python_equivalent`)."""

    def __init__(self, build, python, name: str = ""):
        self.build, self.python, self.name = build, python, name
        self._built = None

    def __call__(self, *args, **kwargs):
        return self.python(*args, **kwargs)

    def numba_form(self):
        """The numba form, built once (numba imported)."""
        if self._built is None:
            value = self.build(_load())
            if callable(self.python):
                python_equivalent(value, self.python)
            self._built = (value,)
        return self._built[0]

    def __repr__(self) -> str:
        return f"<numba-only {self.name or self.build!r}>"


#: numba's parallel range in kernels (``range`` as Python)
prange = NumbaOnly(lambda numba: numba.prange, range, "prange")


def _helper_inline(numba) -> str:
    """How small loop helpers are inlined (``njit(inline=HELPER_INLINE)``). A loop over arrays vectorises only
    when the compiler knows they do not overlap and the loop is not nested in the caller's loops: numba < 0.57
    (LLVM 11 to 14 here) manages it in a separate function (kept through LLVM's own inlining), newer releases
    check at run time and pay for a call they do not inline."""
    major, minor = (int(p) for p in numba.__version__.split(".")[:2])
    return "never" if (major, minor) < (0, 57) else "always"


#: ``inline`` option of the small vectorisable loop helpers (see :func:`_helper_inline`), decided when a kernel
#: using it is made
HELPER_INLINE = NumbaOnly(_helper_inline, "never", "HELPER_INLINE")


def _fork_only_start_lock(numba) -> bool:
    """Give numba the no-op lock it takes itself when processes do not start by fork.

    numba guards the start of its thread pool with a multiprocessing lock when processes start by fork (a
    forked child could inherit a half-started pool), testing ``"fork" in multiprocessing.get_start_method()``,
    which also matches "forkserver", Python 3.14's default on Linux. That lock is then a named semaphore
    registered with the resource tracker and never released: every run that used a parallel kernel ended with
    "There appear to be 1 leaked semaphore objects to clean up at shutdown". A forkserver or spawned process
    inherits no pool, so no lock is needed. Reads the start method without fixing it (the first of
    ``get_all_start_methods()`` is the default). Returns True when the no-op lock was set."""
    if numba is None or os.name == "nt":  # numba wants its lock on Windows
        return False
    try:
        import multiprocessing

        from numba.np.ufunc import parallel

        method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
        if method == "fork" or parallel._backend_init_process_lock is not None:
            return False
        parallel._backend_init_process_lock = parallel._nop()
        return True
    except (ImportError, AttributeError):  # another numba layout: leave it as it is
        return False


_THREADSAFE_LAYER = None


def threadsafe_layer() -> bool:
    """True when numba's threading layer is, or will be, one that accepts parallel kernels launched from several
    threads at once (``tbb``, ``omp``); False for ``workqueue``, which aborts the process when that happens.

    Decided without starting numba's thread pool (kernel modules decorate their kernels at import): the pool's
    own choice when it runs, else the same choice numba makes when it starts it (``NUMBA_THREADING_LAYER`` and
    ``NUMBA_THREADING_LAYER_PRIORITY``, the first layer whose library loads). Loading a layer's library starts
    no thread. Read once per process."""
    global _THREADSAFE_LAYER
    if _THREADSAFE_LAYER is None:
        _THREADSAFE_LAYER = _expected_layer() in ("tbb", "omp")
    return _THREADSAFE_LAYER


def _expected_layer() -> str:
    """The threading layer numba uses or will use in this process ("" when unknown or none loads)."""
    try:
        from numba.core import config
        from numba.np.ufunc import parallel

        if parallel._is_initialized:
            return str(parallel._threading_layer or "")
        wanted = str(config.THREADING_LAYER).lower()
        priority = [str(name) for name in config.THREADING_LAYER_PRIORITY]
        candidates = {"default": priority, "safe": ["tbb"], "threadsafe": ["tbb", "omp"],
                      "forksafe": ["tbb", "workqueue"]}.get(wanted, [wanted])
        for name in candidates:
            try:
                if name == "tbb":
                    parallel._check_tbb_version_compatible()
                    from numba.np.ufunc import tbbpool  # noqa: F401
                elif name == "omp":
                    from numba.np.ufunc import omppool  # noqa: F401
                elif name != "workqueue":
                    return ""
                return name
            except ImportError:
                continue
    except Exception:  # another numba layout: unknown, so the GIL stays held around parallel kernels
        return ""
    return ""


_LAUNCH_LOCK = None


def _serialized(dispatcher):
    """``dispatcher`` with its calls from Python taken one at a time process-wide (a lock held while it runs).

    For a parallel kernel on a threading layer that aborts when two threads launch parallel regions at once
    (``workqueue``): numba releases the GIL around every parallel region whatever ``nogil`` says, so two
    threads (two background tasks) could otherwise meet there. The dispatcher's class becomes a subclass that
    only adds the lock, so kernels calling it and numba's cache see the same kernel."""
    global _LAUNCH_LOCK
    import threading

    if _LAUNCH_LOCK is None:
        _LAUNCH_LOCK = threading.RLock()
    base = type(dispatcher)
    cls = _SERIALIZED_CLASSES.get(base)
    if cls is None:
        def locked_call(self, *args, **kwargs):
            with _LAUNCH_LOCK:
                return base.__call__(self, *args, **kwargs)

        cls = _SERIALIZED_CLASSES[base] = type("Serialized" + base.__name__, (base,), {"__call__": locked_call})
    dispatcher.__class__ = cls
    return dispatcher


_SERIALIZED_CLASSES: dict = {}


def _with_slp(dispatcher):
    """``dispatcher`` compiled with LLVM's SLP vectoriser on, also where numba's default is off.

    Kernels written as groups of independent scalar statements (one per vector lane, all loads before the stores:
    :mod:`algorithms.lane_passes`) are vectorised by SLP only. numba 0.57 turned it off by default (numba PR 8852, after
    miscompilations elsewhere); Debian 12's numba 0.56 has it on, and our kernels were measured and their bytes
    fixed with it: on pip's numba 0.68 without it DS phase linking's batched EMI took 2.5 times longer. The
    switch is numba's own (``config.SLP_VECTORIZE``, read when a compilation builds its LLVM passes), set only
    while this dispatcher compiles, under numba's compiler lock (no other compilation runs meanwhile), and put
    back after: other numba code in the process keeps numba's default. Vectorising changes no bit (no fast-math:
    each lane's operations are the scalar ones, in order); the kernels' tests compare bytes with and without
    numba. A user's ``NUMBA_SLP_VECTORIZE`` is kept as it is."""
    from numba.core import config

    if "NUMBA_SLP_VECTORIZE" in os.environ or getattr(config, "SLP_VECTORIZE", 1):
        return dispatcher
    base = type(dispatcher)
    cls = _SLP_CLASSES.get(base)
    if cls is None:
        from numba.core.compiler_lock import global_compiler_lock

        def compile(self, sig):
            with global_compiler_lock:
                before = config.SLP_VECTORIZE
                config.SLP_VECTORIZE = 1
                try:
                    return base.compile(self, sig)
                finally:
                    config.SLP_VECTORIZE = before

        cls = _SLP_CLASSES[base] = type("Slp" + base.__name__, (base,), {"compile": compile})
    dispatcher.__class__ = cls
    return dispatcher


_SLP_CLASSES: dict = {}



def _jit(fn, kwargs, kernel):
    """``numba.njit(**kwargs)(fn)`` with the GIL released around the call (see :func:`njit`); without the
    on-disk cache when numba finds no writable cache folder (a read-only plugin folder falls back to
    NUMBA_CACHE_DIR or the user's cache folder; when neither is writable the kernel still compiles, only
    not cached)."""
    numba = _load()
    kwargs = dict(kwargs, nogil=True)
    slp = kwargs.pop("slp_vectorize", False)
    try:
        dispatcher = numba.njit(**kwargs)(fn)
    except RuntimeError as exc:
        if not kwargs.get("cache") or "cannot cache" not in str(exc):
            raise
        dispatcher = numba.njit(**{**kwargs, "cache": False})(fn)
    _save_in_order(dispatcher, kernel)
    _plain_typed_calls(dispatcher)
    if slp:
        dispatcher = _with_slp(dispatcher)
    if kwargs.get("parallel") and not threadsafe_layer():
        dispatcher = _serialized(dispatcher)
    return dispatcher


_PLAIN_TYPED_CLASSES: dict = {}
#: id(kernel) -> runs on the numpy path now using it (:func:`python_kernels`)
_PYTHON_MODE: dict = {}
_PYTHON_LOCK = threading.Lock()
#: id(object) -> what a kernel run as Python uses instead (:func:`python_equivalent`)
_EQUIVALENTS: dict = {}
_TWINS: dict = {}
_TWIN_GLOBALS: dict = {}


def _plain_typed_calls(dispatcher):
    """``dispatcher`` whose calls from other kernels are typed with plain types before constants'
    (``get_call_template``). The class only adds this, so kernels calling it and numba's cache see the same kernel."""
    if not hasattr(dispatcher, "py_func"):  # not a numba dispatcher (a stand-in): nothing to change
        return dispatcher
    base = type(dispatcher)
    cls = _PLAIN_TYPED_CLASSES.get(base)
    if cls is None:
        def get_call_template(self, args, kws):
            # A kernel called from another kernel with a constant (``True``, ``0``) is typed with the constant's
            # plain type first, as numba types overloads: one compiled version serves every caller, instead of one
            # per constant (Okada's 49 compiled functions were 29 this way, about 40 % of its compile). Where the
            # plain type cannot be typed (a tuple indexed by that argument), the constant's own type, as before.
            from numba.core import errors, types

            plain = tuple(types.unliteral(a) for a in args)
            plain_kws = {k: types.unliteral(v) for k, v in kws.items()}
            if plain != tuple(args) or plain_kws != dict(kws):
                try:
                    return base.get_call_template(self, plain, plain_kws)
                except errors.TypingError:
                    pass
            return base.get_call_template(self, args, kws)

        cls = _PLAIN_TYPED_CLASSES[base] = type("PlainTyped" + base.__name__, (base,),
                                                {"get_call_template": get_call_template})
    dispatcher.__class__ = cls
    return dispatcher


def _numba_forms(fn) -> None:
    """The names of ``fn``'s module (and its closure) that have a numba form (:class:`NumbaOnly`) set to it: done
    before the module's first kernel is made, numba imported."""
    g = fn.__globals__
    for name, value in list(g.items()):
        if isinstance(value, NumbaOnly):
            g[name] = value.numba_form()
    for cell in fn.__closure__ or ():
        if isinstance(cell.cell_contents, NumbaOnly):
            cell.cell_contents = cell.cell_contents.numba_form()


_BUILD_LOCK = threading.Lock()


class Kernel:
    """A kernel: its Python function (``py_func``) and numba's dispatcher of it, made at first need.

    Called from Python, it runs compiled, or as Python where numba is missing or turned off or a run takes the
    numpy path for it (:func:`python_kernels`): then its registered numpy form (:func:`python_equivalent`) or its
    Python function with the other kernels it calls as Python (:func:`python_twin`). Called from another kernel,
    numba types it as its dispatcher (``_numba_type_``) and calls the compiled code. Other attributes (``inspect_asm``,
    ``stats`` ...) are the dispatcher's; ``signatures`` is empty until it is made."""

    def __init__(self, fn, options: dict, build=None):
        functools.update_wrapper(self, fn)
        self.options = options
        self._build = build
        self._py_func = fn if build is None else None
        self._dispatcher = None

    @property
    def py_func(self):
        """The function numba compiles and Python runs: the decorated one, or what ``build`` makes of it (an AST pass
        over its source, :mod:`algorithms.lane_passes`), made at the first need, never at import."""
        fn = self._py_func
        if fn is None:
            with _BUILD_LOCK:
                if self._py_func is None:
                    self._py_func = self._build(self.__wrapped__)
            fn = self._py_func
        return fn

    def __call__(self, *args, **kwargs):
        if _PYTHON_MODE and id(self) in _PYTHON_MODE:
            return _twin_value(self)(*args, **kwargs)
        d = self._dispatcher
        if d is None:
            d = self.dispatcher()
            if d is None:
                return _twin_value(self)(*args, **kwargs)
        return d(*args, **kwargs)

    def dispatcher(self):
        """numba's dispatcher of this kernel, made once (numba imported); None without numba."""
        d = self._dispatcher
        if d is not None:
            return d
        if not have_numba():
            return None
        from numba.core.compiler_lock import global_compiler_lock

        # numba's own lock: a kernel made while another compiles (and calls it) waits for it, never the other way
        with global_compiler_lock:
            if self._dispatcher is None:
                _numba_forms(self.py_func)
                options = {k: v.numba_form() if isinstance(v, NumbaOnly) else v for k, v in self.options.items()}
                self._dispatcher = _jit(self.py_func, options, self)
        return self._dispatcher

    @property
    def _numba_type_(self):
        d = self.dispatcher()
        if d is None:
            raise AttributeError("numba is not available")
        return d._numba_type_

    @property
    def signatures(self) -> list:
        """The signatures compiled (or loaded from the cache) in this process; [] before the kernel is made."""
        return [] if self._dispatcher is None else self._dispatcher.signatures

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("_dispatcher", "py_func", "_py_func", "_build", "options"):
            raise AttributeError(name)
        d = self.dispatcher()
        if d is None:
            raise AttributeError(f"{name}: numba is not available, the kernel {self.__qualname__} runs as Python")
        return getattr(d, name)

    def __reduce__(self):
        # by name, as a function is pickled (a Dask worker imports the module and finds the same kernel)
        return _kernel_by_name, (self.__module__, self.__qualname__)

    def __repr__(self) -> str:
        state = "made" if self._dispatcher is not None else "not made yet"
        return f"<kernel {self.__module__}.{self.__qualname__} ({state})>"


def _kernel_by_name(module: str, qualname: str):
    import importlib

    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def python_equivalent(obj, replacement) -> None:
    """Where ``obj`` (a kernel, or a numba-only name) runs as Python (no numba, or a run on the numpy path:
    :func:`python_kernels`), ``replacement`` runs instead: a kernel's numpy form over whole arrays (the same IEEE
    operations on each element, the same bytes), or the Python definition of an LLVM intrinsic."""
    _EQUIVALENTS[id(obj)] = replacement


def _is_kernel(obj) -> bool:
    return isinstance(obj, Kernel)


def _twin_value(value):
    replacement = _EQUIVALENTS.get(id(value))
    if replacement is not None:
        return replacement
    if isinstance(value, Kernel):
        return python_twin(value)
    if isinstance(value, NumbaOnly):
        return value.python
    return value


def _twin_globals(module_globals: dict) -> dict:
    """A copy of a kernel module's globals as Python sees them: every kernel its plain Python twin, ``HAVE_NUMBA``
    False, registered equivalents and numba-only names' Python forms in place (made once per module)."""
    key = id(module_globals)
    g = _TWIN_GLOBALS.get(key)
    if g is None:
        g = _TWIN_GLOBALS[key] = dict(module_globals)  # registered first: kernels calling each other find it
        for name, value in module_globals.items():
            g[name] = False if name == "HAVE_NUMBA" else _twin_value(value)
    return g


def python_twin(kernel):
    """The kernel's Python function bound to :func:`_twin_globals` (made once): nested kernel calls run as Python
    too, never compiled."""
    import types

    twin = _TWINS.get(id(kernel))
    if twin is None:
        fn = kernel.py_func
        closure = fn.__closure__
        if closure:
            closure = tuple(types.CellType(_twin_value(c.cell_contents)) for c in closure)
        twin = types.FunctionType(fn.__code__, _twin_globals(fn.__globals__), fn.__name__, fn.__defaults__, closure)
        twin.__kwdefaults__ = fn.__kwdefaults__
        _TWINS[id(kernel)] = twin
    return twin


def family_kernels(modules) -> list:
    """Every kernel of ``modules`` and every kernel they reach (called by name, through another module's
    attribute, or from a closure), transitively."""
    return reached_kernels([obj for m in modules for obj in vars(m).values() if _is_kernel(obj)])


def reached_kernels(kernels) -> list:
    """``kernels`` and every kernel they reach (called by name, through another module's attribute, or from a
    closure), transitively."""
    todo = list(kernels)
    seen: dict = {}
    while todo:
        d = todo.pop()
        if id(d) in seen:
            continue
        seen[id(d)] = d
        fn = d.py_func
        codes, names = [fn.__code__], set()
        while codes:
            code = codes.pop()
            names.update(code.co_names)
            codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
        values = [fn.__globals__.get(n) for n in names]
        values += [getattr(v, n, None) for v in list(values) if type(v).__name__ == "module" for n in names]
        values += [c.cell_contents for c in (fn.__closure__ or ())]
        todo.extend(v for v in values if _is_kernel(v) and id(v) not in seen)
    return list(seen.values())


def uses_numba(kernel) -> bool:
    """True when ``kernel`` runs compiled when called now: numba is there and no run on the numpy path runs it as
    Python (:func:`python_kernels`). For the one place of a family that runs a kernel differently compiled and as
    Python (how its work is split over threads); a call site choosing between two forms registers the numpy one
    instead (:func:`python_equivalent`)."""
    if _PYTHON_MODE and id(kernel) in _PYTHON_MODE:
        return False
    return kernel.dispatcher() is not None if isinstance(kernel, Kernel) else have_numba()


@contextlib.contextmanager
def python_kernels(modules):
    """While the block runs, the kernels of ``modules`` and every kernel they call run as plain Python (the
    numpy path: the functions the kernels are made of, the same bytes), compiling nothing: a small run whose
    kernels are not compiled yet. Other kernels of the process keep numba."""
    kernels = family_kernels(modules)
    with _PYTHON_LOCK:
        for d in kernels:
            python_twin(d)
            _PYTHON_MODE[id(d)] = _PYTHON_MODE.get(id(d), 0) + 1
    try:
        yield
    finally:
        with _PYTHON_LOCK:
            for d in kernels:
                left = _PYTHON_MODE.pop(id(d)) - 1
                if left:
                    _PYTHON_MODE[id(d)] = left


@contextlib.contextmanager
def _file_lock(path: str, holder: Optional[dict] = None, wait: bool = True):
    """An exclusive lock on the file ``path`` (created if missing) across processes, released when the block ends;
    yields whether this process holds it. ``holder``: what to record in the file while it is held (JSON: who
    compiles, :func:`lock_holder`). ``wait=False``: never waits; a lock another process holds yields False and the
    block runs without it. Best effort: where the file cannot be opened or locked the block runs unlocked (yields
    True: nobody else can be told apart)."""
    try:
        handle = open(path, "a+b")
    except OSError:
        yield True
        return
    with handle:
        locked, busy = False, False
        try:
            if os.name == "nt":
                import msvcrt

                handle.seek(0)
                # LK_LOCK retries for ~10 s, then OSError
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            locked = True
        except ImportError:
            pass
        except OSError:
            busy = not wait
        if locked and holder is not None:
            write_holder(path, holder)
        try:
            yield not busy
        finally:
            if locked and os.name == "nt":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            # fcntl's lock goes with the file's closing


def holder_record(**extra) -> dict:
    """What a process records in a lock file it holds: its process id, niceness (None where processes have none),
    the time it took the lock and its CPU seconds then, with ``extra`` (a background compile's queue of families,
    its priority)."""
    return {"pid": os.getpid(), "nice": os.nice(0) if hasattr(os, "nice") else None, "since": _time.time(),
            "cpu_s": _time.process_time(), **extra}


def holder_path(lock_path: str) -> str:
    """The file beside a lock file where its holder records itself (:func:`write_holder`)."""
    return lock_path + ".holder"


def write_holder(lock_path: str, record: dict) -> None:
    """``record`` as the holder of the lock file ``lock_path`` (a JSON file beside it, replaced whole; read only
    while the lock is held: :func:`lock_holder`). Best effort."""
    import json

    path = holder_path(lock_path)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)


def lock_holder(path: str) -> dict:
    """The record of the process holding the lock file ``path`` (:func:`holder_record`), {} when the lock is free,
    its holder recorded nothing readable, or it cannot be probed."""
    import json

    if not lock_busy(path):
        return {}
    try:
        with open(holder_path(path), encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else {}


def lock_busy(path: str) -> bool:
    """True when another process holds the lock file ``path`` (:func:`_file_lock`); False when it is free, missing
    or cannot be probed. Takes and gives back the lock at once, never waits."""
    try:
        handle = open(path, "a+b")
    except OSError:
        return False
    with handle:
        try:
            if os.name == "nt":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            return False
        except OSError:
            return True
    return False


def family_folder(modules) -> str:
    """The folder of a kernel family's lock and ready files: its kernels' cache folder (the temporary folder where
    none is writable)."""
    import tempfile

    folder = next((f for f in (cache_folder(m) for m in modules) if f), "") or tempfile.gettempdir()
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        folder = tempfile.gettempdir()
    return folder


def family_lock_path(name: str, modules) -> str:
    return os.path.join(family_folder(modules), f".geohazard-compile-{name}.lock")


def background_lock_path(folder: str, name: str) -> str:
    """The lock a background compile holds for its whole life, one per family (``warm_kernels.start_background``)."""
    return os.path.join(folder, f".geohazard-background-{name}.lock")


def family_lock(name: str, modules, wait: bool = True, **record):
    """The cross-process lock of a kernel family (a lock file beside its kernels' cache, one per family and cache
    folder), recording its holder (:func:`holder_record` with ``record``): held while the family compiles, by the
    warm-up and by a run that compiles it, so that another process needing the family can see who compiles it and
    how far it got (:mod:`algorithms.compile_choice`) and choose to wait for it, compile beside it, or run as numpy.
    ``wait=False`` never waits (yields whether the lock was taken); numba's cache saves stay whole when two
    processes compile one family all the same (:func:`_ordered_cache_file_class`)."""
    return _file_lock(family_lock_path(name, modules), holder_record(**record), wait=wait)


_ORDERED_CACHE_FILE = None


def _ordered_cache_file_class():
    """numba's on-disk cache index with saves that cannot mix two kernels' code (the class, made once).

    numba saves a compiled signature by reading the kernel's index file (signature -> data file), choosing the
    first data-file number the index does not use, writing the index, then the data. Two processes compiling two
    signatures of one kernel at the same moment (a batch of ``qgis_process`` runs, Dask worker processes, on a
    fresh install) can both choose number 1: the index then names one signature and the file holds the other's
    machine code, which every later run would load for the wrong argument types. And after an upgrade, a run
    reading the new index between its writing and the data's would load the old version's file of that number.
    Here a save holds a lock file beside the index (``<index>.lock``) from reading the index to writing it, and
    writes the data before the index that names it; loading is numba's own (its files are replaced atomically)."""
    global _ORDERED_CACHE_FILE
    if _ORDERED_CACHE_FILE is None:
        import itertools

        from numba.core import caching

        class OrderedIndexDataCacheFile(caching.IndexDataCacheFile):
            @property
            def _source_stamp(self):
                # numba's stamp (the kernel's own file) and the files of the kernels it calls in other modules
                # (:func:`_callee_stamp`), made at the first load or save, once every module it calls is imported
                own = self.__dict__.get("_source_stamp")
                callees = self.__dict__.get("_geohazard_callees")
                if callees is None:
                    kernel = self.__dict__.get("_geohazard_kernel")
                    callees = self.__dict__["_geohazard_callees"] = _callee_stamp(kernel) if kernel else ()
                return (own, callees) if callees else own

            @_source_stamp.setter
            def _source_stamp(self, value):
                self.__dict__["_source_stamp"] = value

            def save(self, key, data):
                with _file_lock(self._index_path + ".lock"):
                    overloads = self._load_index()
                    name = overloads.get(key)
                    if name is not None:  # the same signature again: its file replaced atomically
                        self._save_data(name, data)
                        return
                    used = set(overloads.values())
                    name = next(n for n in map(self._data_name, itertools.count(1)) if n not in used)
                    self._save_data(name, data)
                    overloads[key] = name
                    self._save_index(overloads)

        _ORDERED_CACHE_FILE = OrderedIndexDataCacheFile
    return _ORDERED_CACHE_FILE




def _save_in_order(dispatcher, kernel) -> None:
    """Give ``dispatcher``'s on-disk cache the ordered, locked saves of :func:`_ordered_cache_file_class` (our
    kernels only; other numba users in the process keep numba's own). Nothing to do without an on-disk cache or
    where numba's cache classes are laid out differently."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is None:
        return
    try:
        cls = _ordered_cache_file_class()
    except Exception:  # another numba layout: numba's own saves
        return
    if type(cache_file) is cls.__mro__[1]:
        cache_file.__class__ = cls
        cache_file.__dict__["_geohazard_kernel"] = kernel


def _callee_stamp(kernel) -> tuple:
    """The files of the kernels ``kernel`` reaches in other modules than its own, each as (module name below the
    plugin's package, modification time, size), with the file of the pass that wrote a kernel from its source
    (``build``), sorted; () when there are none. numba keys a kernel's cache on its
    own file only, and a caller's compiled code holds its callees' code: without this, a kernel whose callee in
    another file changed would load its old code from the cache."""
    own = kernel.py_func.__code__.co_filename
    files = {}
    for k in reached_kernels([kernel]):
        path = k.py_func.__code__.co_filename
        if path != own:
            files[path] = (k.py_func.__module__ or "").partition(".")[2]
        build = getattr(getattr(k, "_build", None), "func", getattr(k, "_build", None))  # a partial's function
        if build is not None:  # the pass that wrote the kernel from its source: its file too
            files[build.__code__.co_filename] = (build.__module__ or "").partition(".")[2]
    out = []
    for path, name in files.items():
        try:
            st = os.stat(path)
        except OSError:
            continue
        out.append((name, st.st_mtime, st.st_size))
    return tuple(sorted(out))


def njit(*args, slp_vectorize: bool = False, build=None, **kwargs):
    """A :class:`Kernel` of the decorated function: ``numba.njit`` with these options when it is first needed, the
    plain Python function where numba is missing.

    Accepts both ``@njit`` and ``@njit(cache=True, parallel=True, ...)``; an option may be a :class:`NumbaOnly`
    (:data:`HELPER_INLINE`), decided when the kernel is made. Kernels are cached on disk by default
    (``cache=True``), so only the first run on a machine compiles them.

    Every kernel releases the GIL while it runs (``nogil``), so a tool running in a background task leaves the
    desktop's event loop free to repaint; the generated arithmetic is the same. On a threading layer that
    aborts when two threads launch parallel regions at once (``workqueue``, see :func:`threadsafe_layer`),
    calls of parallel kernels take a process-wide lock instead (numba releases the GIL around parallel
    regions anyway). The ``nogil`` a kernel passes is replaced by this rule.

    ``slp_vectorize=True`` compiles the kernel with LLVM's SLP vectoriser on whatever numba's default
    (:func:`_with_slp`; :data:`njit_slp`). ``build``: a function of the decorated one giving the function the kernel
    compiles and runs as Python (:func:`algorithms.lane_passes.unrolled`), called at the kernel's first need.
    """
    kwargs.setdefault("cache", True)
    if slp_vectorize:
        kwargs["slp_vectorize"] = True
    if len(args) == 1 and callable(args[0]):
        return Kernel(args[0], kwargs, build)
    if args:
        raise TypeError("njit: kernels compile at their first call, for the types they are called with; explicit "
                        "signatures are not taken")
    return lambda fn: Kernel(fn, kwargs, build)


def njit_slp(*args, **kwargs):
    """:func:`njit` with ``slp_vectorize=True``: for kernels whose vector lanes are written as statements side by
    side (:mod:`algorithms.lane_passes`)."""
    return njit(*args, slp_vectorize=True, **kwargs)


def _module_kernels(module) -> list:
    return [(name, obj) for name, obj in vars(module).items() if isinstance(obj, Kernel)]


def kernels_to_compile(modules) -> list:
    """The numba kernels of ``modules`` (imported modules) that the next call will compile:
    not compiled in this process and not found in numba's on-disk cache. Empty without numba."""
    if not have_numba():
        return []
    todo = []
    for module in modules:
        for name, kernel in _module_kernels(module):
            d = kernel.dispatcher()
            if d.signatures:
                continue
            cache = getattr(d, "_cache", None)
            index = getattr(getattr(cache, "_cache_file", None), "_index_path", None) \
                or getattr(cache, "_index_path", None)
            if not index or not os.path.exists(index):
                todo.append(f"{module.__name__}.{name}")
    return todo


def first_compilation(modules) -> bool:
    """True when none of the numba kernels of ``modules`` is compiled in this process or found in
    numba's on-disk cache: the next run compiles them (the first run on a machine)."""
    if not have_numba():
        return False
    kernels = [k for module in modules for _, k in _module_kernels(module)]
    return bool(kernels) and len(kernels_to_compile(modules)) == len(kernels)


def cache_folder(module) -> str:
    """Folder where numba caches the kernels of ``module`` ("" when not cached on disk)."""
    if not have_numba():
        return ""
    for _, kernel in _module_kernels(module):
        return getattr(getattr(kernel.dispatcher(), "_cache", None), "_cache_path", "") or ""
    return ""


def make_kernels(modules) -> None:
    """numba's dispatchers of every kernel of ``modules`` made now (what their first calls would do, numba
    imported): the start of a run, in a thread beside its input checks (:mod:`processing_provider.early_kernels`)."""
    if have_numba():
        for module in modules:
            for _, kernel in _module_kernels(module):
                kernel.dispatcher()


def parallel_threading_layer() -> str:
    """Name of numba's threading layer (``"tbb"``, ``"omp"``, ``"workqueue"``), ``""`` without numba.

    Starts numba's thread pool if needed. Only ``tbb`` and ``omp`` accept parallel kernels
    launched from several threads at once; ``workqueue`` aborts the whole process when that
    happens, so callers running kernels in concurrent threads check this first.
    """
    if not have_numba():
        return ""
    try:
        from numba.np.ufunc import parallel

        parallel._launch_threads()
        return str(_load().threading_layer())
    except Exception:  # an unknown numba layout: report nothing rather than guess
        return ""


def thread_count() -> int:
    """Threads a kernel called from this thread may use: numba's count for this thread (what the run's threads
    setting chose, :mod:`fileio.base.blocks`); 1 without numba (plain Python kernels hold the GIL: threads would only
    take turns)."""
    if have_numba():
        return max(1, int(_load().get_num_threads()))
    return 1


def run_ranges(kernel, n: int, *args, tasks_per_thread: int = 4, python_threads: bool = True) -> None:
    """``kernel(lo, hi, *args)`` over ``0 .. n`` in contiguous ranges, on :func:`thread_count` threads.

    The parallel loop of a kernel whose body calls a large tree of jitted functions, without ``parallel=True``:
    numba links and optimises a kernel's whole call tree again for every function that calls it, and a parallel
    kernel is two such functions (the loop's body outlined, and the kernel), with numba's parallel passes over its
    body besides. A serial ``nogil`` kernel over a range of its loop, run here by Python threads, compiles the tree
    once more only: the multi-sensor tool's first run took 116 s instead of 218 (Debian 12's numba 0.56; 74 s
    instead of about 9 min on numba 0.61), at the same speed and bytes. The kernel's results must not depend on
    how its loop is split (each index written by its own iterations only): then the bytes are the same for any
    thread count. Each thread takes the next of about ``tasks_per_thread`` ranges per thread, so a slow range does
    not hold the others up. An exception in any range is raised here once all threads stopped.
    ``python_threads=False``: a kernel running as Python (:func:`python_kernels`, no numba) takes one call on this
    thread (its loops hold the interpreter's lock, which threads would only pass around)."""
    n = int(n)
    threads = min(thread_count(), n)
    if not python_threads and isinstance(kernel, Kernel) and not uses_numba(kernel):
        threads = 1  # run as Python (the numpy path) it holds the interpreter: threads would only take turns
    if threads <= 1:
        if n > 0:
            kernel(0, n, *args)
        return
    n_tasks = min(n, threads * tasks_per_thread)
    bounds = [n * k // n_tasks for k in range(n_tasks + 1)]
    lock = threading.Lock()
    state = {"next": 0}
    errors = []

    def work():
        while True:
            with lock:
                k = state["next"]
                if k >= n_tasks or errors:
                    return
                state["next"] = k + 1
            try:
                kernel(bounds[k], bounds[k + 1], *args)
            except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
                with lock:
                    errors.append(exc)
                return

    helpers = [threading.Thread(target=work, name=f"geohazard-range-{i}", daemon=True) for i in range(threads - 1)]
    for t in helpers:
        t.start()
    work()
    for t in helpers:
        t.join()
    if errors:
        raise errors[0]
