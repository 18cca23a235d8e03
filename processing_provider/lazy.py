"""What the provider leaves for later: help texts built on first read, values worked out once a session, and modules
imported when a tool first uses them.

QGIS imports every tool module when it loads the provider (at each desktop start and each ``qgis_process``
call). The tools import their core modules at their top: kernel modules import numba only when a kernel is first
needed (:mod:`algorithms._numba`). :func:`lazy_module` binds a module whose top imports a heavy package (scipy,
scikit-learn ...) that the plugin's start should not pay: it is imported at the first attribute read, inside
``processAlgorithm``. Better: the core module imports that package inside the function that needs it.
"""

from __future__ import annotations

import contextlib
import importlib.util


class LazyModule:
    """Stands for a module until its first attribute access, then forwards every attribute read, write and
    deletion to it (``monkeypatch.setattr`` on the stand-in patches the module itself)."""

    __slots__ = ("_lazy_name", "_lazy_module")

    def __init__(self, name: str):
        object.__setattr__(self, "_lazy_name", name)
        object.__setattr__(self, "_lazy_module", None)

    def _lazy_load(self):
        module = object.__getattribute__(self, "_lazy_module")
        if module is None:
            # the import lock makes concurrent first uses (tools in background tasks) get one module
            module = importlib.import_module(object.__getattribute__(self, "_lazy_name"))
            object.__setattr__(self, "_lazy_module", module)
        return module

    def __getattr__(self, attr: str):
        return getattr(self._lazy_load(), attr)

    def __setattr__(self, attr: str, value) -> None:
        setattr(self._lazy_load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._lazy_load(), attr)

    def __dir__(self):
        return dir(self._lazy_load())

    def __repr__(self) -> str:
        name = object.__getattribute__(self, "_lazy_name")
        state = "imported" if object.__getattribute__(self, "_lazy_module") is not None else "not imported yet"
        return f"<lazy module {name!r} ({state})>"


def lazy_module(name: str, package: str | None = None) -> LazyModule:
    """A stand-in for ``importlib.import_module(name, package)`` that imports on first attribute access.

    ``name`` may be relative (``"....fileio.hazard.demdifference"``) to ``package`` (the caller's ``__package__``), as
    in :func:`importlib.import_module`.
    """
    return LazyModule(importlib.util.resolve_name(name, package) if name.startswith(".") else name)


class LazyText:
    """A class attribute holding text built on first read (a help text quoting constants of a core module that
    :func:`lazy_module` keeps unimported until then)."""

    def __init__(self, build):
        self._build = build
        self._text = None

    def __get__(self, obj, cls=None) -> str:
        if self._text is None:
            self._text = self._build()
        return self._text


#: Set while the provider lists its tools at the plugin's start (:func:`listing_tools`): a help text built on first
#: read stays unbuilt then; the instances created later (a dialog's, a run's) build it for their parameters' help.
_LISTING = [False]


@contextlib.contextmanager
def listing_tools():
    """While the provider adds its tools and models: leave help texts built on first read unbuilt."""
    before, _LISTING[0] = _LISTING[0], True
    try:
        yield
    finally:
        _LISTING[0] = before


def listing() -> bool:
    """Whether the provider is listing its tools right now (:func:`listing_tools`)."""
    return _LISTING[0]


#: ``{(class, what): value}`` (:func:`read_once`)
_READ_ONCE: dict = {}


def read_once(obj, what: str, read):
    """``read()`` the first time ``what`` is asked of an instance of ``obj``'s class, the value kept after: what the
    Processing toolbox asks of every algorithm each time it filters, sorts or paints its tree (an icon, search
    words, a help page) is worked out once a session."""
    key = (type(obj), what)
    value = _READ_ONCE.get(key)
    if value is None:
        value = _READ_ONCE[key] = read()
    return value
