"""Rows inserted into an open :mod:`sqlite3` connection by a compiled loop over SQLite's C API.

Python's ``executemany`` turns every value into a Python object and binds it from the interpreter
(about 2 us a row of 27 values, most of a GeoPackage writer's time at millions of rows). Here one
statement is prepared on the connection's own ``sqlite3*`` handle and a numba loop binds the values
straight from numpy arrays and steps it, with the GIL released: the same values reach SQLite through
the same ``sqlite3_bind_*`` calls (float64 -> ``bind_double``, integers -> ``bind_int64``, NaN -> NULL,
UTF-8 bytes -> ``bind_text``), so the file holds the same values. It runs inside the connection's
transaction and savepoints like any other statement.

:func:`bulk_inserter` gives ``None`` (the caller keeps ``executemany``) where this cannot be done
safely: no numba, a Python whose connection object is laid out otherwise (debug or free-threaded
builds), no SQLite library found that is the one ``_sqlite3`` calls, or a handle that does not name the
file the connection opened. :func:`path_taken` says which path the last call took and why, for the log.

The SQLite library is found, in this order:

1. through the ``_sqlite3`` extension itself (Linux, macOS: it is linked to the system's or the bundle's
   ``libsqlite3`` and the dynamic loader resolves the symbols through it);
2. on Windows, where ``_sqlite3.pyd`` exports nothing but its init function, the ``sqlite3.dll`` it imports:
   Windows gives a DLL name already loaded in the process (python.org's ``DLLs/sqlite3.dll``, OSGeo4W's
   ``bin/sqlite3.dll``) back as that same module, so the handle belongs to the library that made it; its
   version must equal :data:`sqlite3.sqlite_version`. Not exercised by the test suite (Linux); the Windows
   figure is in BENCHMARKS.md, EGMS loading.
"""

from __future__ import annotations

import ctypes
import os
import sys
import sysconfig
from typing import Optional

import numpy as np

from ...algorithms import _numba

SQLITE_DONE = 101
_KERNEL = None
_PATH = "not tried"


def path_taken() -> str:
    """The insert path of the last :func:`bulk_inserter` call, for a log line."""
    return _PATH


def _candidates():
    """``(description, loader)`` of the libraries that may be the one ``_sqlite3`` calls, in order."""
    import _sqlite3

    yield f"through {os.path.basename(_sqlite3.__file__)}", lambda: ctypes.CDLL(_sqlite3.__file__)
    if sys.platform == "win32":
        yield "through the loaded sqlite3.dll", lambda: ctypes.CDLL("sqlite3.dll")


def _library():
    """``(library, description)``: the SQLite library the ``sqlite3`` module itself calls (see the module's
    docstring), or ``(None, why)``."""
    import sqlite3

    why = []
    for desc, load in _candidates():
        try:
            lib = load()
            _declare(lib)
        except (OSError, AttributeError) as e:
            why.append(f"{desc}: {e}")
            continue
        version = lib.sqlite3_libversion().decode()
        if version != sqlite3.sqlite_version:
            why.append(f"{desc}: SQLite {version}, the sqlite3 module's is {sqlite3.sqlite_version}")
            continue
        return lib, f"SQLite {version} {desc}"
    return None, "; ".join(why) or "no SQLite library"


def _declare(lib):
    vp, i, i64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64
    sig = {"sqlite3_prepare_v2": ([vp, ctypes.c_char_p, i, ctypes.POINTER(vp), vp], i),
           "sqlite3_finalize": ([vp], i), "sqlite3_step": ([vp], i), "sqlite3_reset": ([vp], i),
           "sqlite3_bind_int64": ([vp, i, i64], i), "sqlite3_bind_double": ([vp, i, ctypes.c_double], i),
           "sqlite3_bind_null": ([vp, i], i), "sqlite3_bind_text": ([vp, i, vp, i, vp], i),
           "sqlite3_bind_blob": ([vp, i, vp, i, vp], i), "sqlite3_errmsg": ([vp], ctypes.c_char_p),
           "sqlite3_db_filename": ([vp, ctypes.c_char_p], ctypes.c_char_p),
           "sqlite3_libversion": ([], ctypes.c_char_p)}
    for name, (args, res) in sig.items():
        f = getattr(lib, name)
        f.argtypes, f.restype = args, res


def _build_kernel(lib):
    import numba

    bind_int64, bind_double, bind_null = lib.sqlite3_bind_int64, lib.sqlite3_bind_double, lib.sqlite3_bind_null
    bind_text, bind_blob = lib.sqlite3_bind_text, lib.sqlite3_bind_blob
    step, reset = lib.sqlite3_step, lib.sqlite3_reset

    # not cached on disk: the library's function addresses are constants of the compiled code (about 1 s to
    # compile, once a process)
    @numba.njit(nogil=True, cache=False)
    def insert_rows(stmt, fid0, geom, pid, values, params, is_int, dates, date_params):  # pragma: no cover
        n, gsize = geom.shape
        width = pid.shape[1]
        gp, pp, dp = geom.ctypes.data, pid.ctypes.data, dates.ctypes.data
        nd = dates.shape[1]
        dw = dates.shape[2]
        for i in range(n):
            bind_int64(stmt, 1, fid0 + i)
            bind_blob(stmt, 2, gp + i * gsize, gsize, 0)
            length = width
            while length > 0 and pid[i, length - 1] == 0:  # numpy's S strings end at their trailing NULs
                length -= 1
            bind_text(stmt, 3, pp + i * width, length, 0)
            for j in range(values.shape[1]):
                v = values[i, j]
                if np.isnan(v):
                    bind_null(stmt, params[j])
                elif is_int[j]:
                    bind_int64(stmt, params[j], np.int64(v))
                else:
                    bind_double(stmt, params[j], v)
            if dates.shape[0]:
                for k in range(nd):
                    bind_text(stmt, date_params[k], dp + (i * nd + k) * dw, dw, 0)
            rc = step(stmt)
            reset(stmt)
            if rc != SQLITE_DONE:
                return i, rc
        return -1, 0

    return insert_rows


def _handle(con, path: str, lib) -> Optional[int]:
    """The ``sqlite3*`` of a CPython ``sqlite3.Connection`` (its first member), checked against ``path``."""
    import sqlite3

    if sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount") \
            or sysconfig.get_config_var("Py_GIL_DISABLED") or not isinstance(con, sqlite3.Connection):
        return None
    head = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)  # PyObject_HEAD
    db = ctypes.c_void_p.from_address(id(con) + head).value
    if not db:
        return None
    name = lib.sqlite3_db_filename(db, b"main")
    if not name or os.path.realpath(os.fsdecode(name)) != os.path.realpath(path):
        return None
    return db


class BulkInsert:
    """One prepared ``INSERT INTO table (fid, geom, pid, ...) VALUES (?, ...)`` on a connection's handle."""

    def __init__(self, lib, db: int, sql: str):
        self._lib, self._db = lib, db
        stmt = ctypes.c_void_p()
        if lib.sqlite3_prepare_v2(db, sql.encode("utf-8"), -1, ctypes.byref(stmt), None) != 0 or not stmt.value:
            raise RuntimeError(f"cannot prepare {sql[:80]!r}: {lib.sqlite3_errmsg(db).decode()}")
        self._stmt = stmt.value

    def insert(self, fid0: int, geom: np.ndarray, pid: np.ndarray, values: np.ndarray, params: np.ndarray,
               is_int: np.ndarray, dates: np.ndarray, date_params: np.ndarray):
        """Insert ``len(geom)`` rows: fids from ``fid0`` (parameter 1), ``geom`` (rows, bytes) as blobs (2),
        ``pid`` (rows, width) uint8 as text without trailing NULs (3), ``values[:, j]`` (float64, NaN: NULL;
        an integer where ``is_int[j]``) as parameter ``params[j]``, ``dates`` (rows, k, width) uint8 as text
        parameters ``date_params`` (an array of 0 rows: none)."""
        i, rc = _KERNEL(self._stmt, fid0, geom, pid, values, params, is_int, dates, date_params)
        if i >= 0:
            raise RuntimeError(f"SQLite insert failed at row {i} (code {rc}): "
                               f"{self._lib.sqlite3_errmsg(self._db).decode(errors='replace')}")

    def close(self):
        if self._stmt:
            self._lib.sqlite3_finalize(self._stmt)
            self._stmt = None


def bulk_inserter(con, path: str, sql: str) -> Optional[BulkInsert]:
    """A :class:`BulkInsert` of ``sql`` on ``con`` (opened on ``path``), or ``None`` when not available."""
    global _KERNEL, _PATH
    slow = "Python's executemany (a load takes 1.2-1.7x the CPU: BENCHMARKS.md, EGMS loading)"
    if not _numba.have_numba():
        _PATH = f"{slow}: numba is not installed"
        return None
    try:
        lib, desc = _library()
        if lib is None:
            _PATH = f"{slow}: the SQLite library of the sqlite3 module is not reachable ({desc})"
            return None
        db = _handle(con, path, lib)
        if db is None:
            _PATH = f"{slow}: this Python's sqlite3 connection is laid out otherwise ({sys.version.split()[0]})"
            return None
        if _KERNEL is None:
            _KERNEL = _build_kernel(lib)
        _PATH = f"compiled inserts (numba) over {desc}"
        return BulkInsert(lib, db, sql)
    except (OSError, AttributeError, ImportError) as e:
        _PATH = f"{slow}: {e}"
        return None
