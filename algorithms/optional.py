"""Optional Python packages: what each one is for, and how a QGIS user installs it.

numpy, scipy and pyproj ship with every QGIS. numba, scikit-learn, h5py and matplotlib often do not (the
Windows OSGeo4W/standalone installers and QGIS.app on macOS lack some of them). A tool that needs one of them
either runs without it (a documented fallback) or stops with :class:`MissingPackageError`, whose message names
the package, what needs it, and the install line for the user's platform; never an ``ImportError`` traceback.

    >>> sklearn = require("sklearn", "logistic regression")        # doctest: +SKIP
    >>> if not available("matplotlib"): ...                          # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform

from .errors import GeohazardError

# import name -> (name on PyPI, Debian package, what the plugin uses it for)
PACKAGES = {
    "numba": ("numba", "python3-numba", "compiled kernels (the tools run without it, slower)"),
    "sklearn": ("scikit-learn", "python3-sklearn", "logistic regression and random forest susceptibility"),
    "h5py": ("h5py", "python3-h5py", "MintPy, LiCSBAS, OPERA/NISAR HDF5 and netCDF-4 files"),
    "matplotlib": ("matplotlib", "python3-matplotlib", "charts in reports and the time-series dock"),
    "dask": ("dask distributed", "python3-dask python3-distributed", "a Dask cluster as scheduler"),
}


class MissingPackageError(GeohazardError):
    """An optional Python package a tool needs is not installed in QGIS's Python."""


def available(name: str) -> bool:
    """True when the package ``name`` (its import name) can be imported, without importing it (a package blocked
    with a ``None`` entry among the loaded modules counts as missing: :func:`importlib.util.find_spec` says so)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def install_line(name: str, system: str | None = None) -> str:
    """How to install the package ``name`` (import name) into QGIS's Python on this platform (or ``system``:
    'Windows', 'Darwin', 'Linux')."""
    pypi, debian, _ = PACKAGES.get(name, (name, f"python3-{name}", ""))
    system = system or platform.system()
    if system == "Windows":
        return f"open the OSGeo4W Shell (Start menu, as administrator) and run: python -m pip install {pypi}"
    if system == "Darwin":
        return f"in Terminal: /Applications/QGIS.app/Contents/MacOS/bin/python3 -m pip install {pypi}"
    if os.environ.get("CONDA_PREFIX"):
        return f"in the conda environment of QGIS: conda install -c conda-forge {pypi}"
    if system == "Linux" and os.path.exists("/etc/debian_version"):
        return f"on Debian/Ubuntu: sudo apt install {debian}"
    return f"with the system's package manager ({debian}) or: python3 -m pip install {pypi}"


def missing_message(name: str, purpose: str) -> str:
    """One message: which package is missing, what needs it, how to install it, then restart QGIS."""
    pypi = PACKAGES.get(name, (name,))[0]
    return (f"{purpose} needs the Python package {pypi}, which is not installed in QGIS's Python. "
            f"Install it {install_line(name)}, then restart QGIS.")


def require(name: str, purpose: str):
    """The package ``name`` imported; :class:`MissingPackageError` naming ``purpose`` and the install line when it
    is not installed (a package that is installed but fails to import says so with its own error)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if available(name) and getattr(exc, "name", name) not in (name, None):
            raise MissingPackageError(f"{purpose}: the Python package {name} is installed but does not import "
                                      f"({exc})") from None
        raise MissingPackageError(missing_message(name, purpose)) from None


def missing_packages() -> list[str]:
    """The optional packages (import names) this Python lacks, in the order of :data:`PACKAGES`."""
    return [name for name in PACKAGES if not available(name)]


# import name -> what a user without it loses (the notice)
COSTS = {
    "numba": "every tool still runs and gives the same results, its kernels as plain Python: {numba_range}",
    "sklearn": "susceptibility refuses to run (its spatially blocked validation, ROC/AUC, logistic regression and "
               "random forest come from scikit-learn)",
    "h5py": "MintPy, LiCSBAS, OPERA/NISAR HDF5 and EGMS netCDF-4 series cannot be read or written (the tools that "
            "need them say so)",
    "matplotlib": "charts (network plots, swath profiles, ROC and L-curves, forecast and validation plots) are "
                  "skipped with a warning, reports keep their tables, and the time-series dock does not open",
    "dask": "DASK_SCHEDULER (a Dask cluster) is refused; every tool runs in QGIS's process",
}

_NOTICE = {"given": False}


def _numba_range() -> str:
    """The smallest and largest numpy/numba CPU ratio of the measured table (kernel_families.COSTS_FILE, read
    here without importing the kernel registry: it imports this module), where no caller gives the range per
    tool (:func:`~.kernel_families.numba_notice_cost`)."""
    import json

    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compile_costs.json"),
                  encoding="utf-8") as fh:
            table = json.load(fh).get("families", {})
    except (OSError, ValueError):
        table = {}
    ratios = [row["numpy_cpu_s_per_mb"] / row["numba_cpu_s_per_mb"] for row in table.values()
              if row.get("numba_cpu_s_per_mb", 0) > 0 and row.get("numpy_cpu_s_per_mb", 0) > 0]
    if not ratios:
        return "many times slower"
    return (f"{min(ratios):.1f}x to {max(ratios):.0f}x slower by kernel family (measured per MB of input; each "
            "run's log gives its own estimate)")


def notice(missing=None, numba_cost=None) -> str:
    """One paragraph for the user: each optional package this Python lacks (or ``missing``), what that costs and
    its install line; "" when none is missing. ``numba_cost`` (a callable returning text, called only when numba is
    missing) says how much slower the tools run without numba, tool by tool; without it, the table's range."""
    missing = missing_packages() if missing is None else list(missing)
    if not missing:
        return ""
    parts = []
    for name in missing:
        cost = COSTS.get(name, PACKAGES.get(name, ("", "", "used by some tools"))[2])
        if "{numba_range}" in cost:
            cost = cost.format(numba_range=(numba_cost() if numba_cost is not None else "") or _numba_range())
        parts.append(f"{PACKAGES.get(name, (name,))[0]}: {cost}; install it {install_line(name)}.")
    return ("InSAR Geohazards: optional Python packages missing from QGIS's Python (every tool is listed; restart "
            "QGIS after installing). " + " ".join(parts))


def notice_once(numba_cost=None) -> str:
    """:func:`notice` the first time it is asked for in this process (the desktop's message bar marks it given
    with :func:`mark_notice_given`), then ""."""
    if _NOTICE["given"]:
        return ""
    _NOTICE["given"] = True
    return notice(numba_cost=numba_cost)


def mark_notice_given() -> None:
    """The notice was shown (or is not to be shown again) in this process."""
    _NOTICE["given"] = True
