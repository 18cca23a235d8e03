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
