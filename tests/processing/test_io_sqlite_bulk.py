"""Rows bound from numpy arrays by the compiled loop over SQLite's C API hold what executemany writes."""

import sqlite3

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.fileio.base import sqlite_bulk

SQL = "INSERT INTO t (fid, geom, pid, a, k, d0, d1) VALUES (?, ?, ?, ?, ?, ?, ?)"


def _table(path):
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("CREATE TABLE t (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, pid TEXT, a REAL, k INTEGER, "
                "d0 DATE, d1 DATE)")
    return con


def _bulk(con, path):
    b = sqlite_bulk.bulk_inserter(con, path, SQL)
    if b is None:
        pytest.skip("the compiled SQLite inserts are not available here (no numba, or another Python build)")
    return b


def _rows(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT fid, typeof(geom), quote(geom), typeof(pid), quote(pid), typeof(a), quote(a), "
                           "typeof(k), quote(k), quote(d0), quote(d1) FROM t ORDER BY fid").fetchall()
    finally:
        con.close()


def test_same_typed_values_as_executemany(tmp_path):
    rng = np.random.default_rng(3)
    n = 500
    geom = rng.integers(0, 256, (n, 29), dtype=np.uint8)  # any bytes, NULs and high bytes included
    pid = np.array([f"P{i:0{1 + i % 7}d}".encode() for i in range(n)], "S12")
    pid[3] = b""
    pid[4] = b"A\x00B"  # an embedded NUL is kept, trailing ones are numpy's padding
    a = rng.normal(0, 1e3, n)
    a[::17] = np.nan
    a[5] = -0.0
    a[6] = 1e308
    k = np.round(rng.normal(0, 1e6, n))
    k[::13] = np.nan
    dates = np.frombuffer(b"".join(b"2020-01-03" if i % 2 else b"2024-12-28" for i in range(2 * n)),
                          np.uint8).reshape(n, 2, 10)
    fast, slow = str(tmp_path / "fast.db"), str(tmp_path / "slow.db")
    con = _table(fast)
    b = _bulk(con, fast)
    con.execute("BEGIN")
    b.insert(1, geom, pid.view(np.uint8).reshape(n, 12), np.column_stack([a, k]), np.array([4, 5], np.int32),
             np.array([False, True]), np.ascontiguousarray(dates), np.array([6, 7], np.int32))
    con.execute("COMMIT")
    b.close()
    con.close()
    con = _table(slow)
    con.executemany(SQL, [(i + 1, geom[i].tobytes(), pid[i].decode(), None if np.isnan(a[i]) else float(a[i]),
                           None if np.isnan(k[i]) else int(k[i]), dates[i, 0].tobytes().decode(),
                           dates[i, 1].tobytes().decode()) for i in range(n)])
    con.close()
    assert _rows(fast) == _rows(slow)


def test_a_failing_row_is_an_error_naming_it_and_a_foreign_handle_is_not_used(tmp_path):
    path = str(tmp_path / "x.db")
    con = _table(path)
    con.execute("INSERT INTO t (fid) VALUES (3)")
    b = _bulk(con, path)
    n = 5
    with pytest.raises(RuntimeError, match="row 2 .*UNIQUE constraint failed"):
        b.insert(1, np.zeros((n, 4), np.uint8), np.zeros((n, 2), np.uint8), np.zeros((n, 2)),
                 np.array([4, 5], np.int32), np.array([False, True]), np.zeros((0, 2, 10), np.uint8),
                 np.zeros(0, np.int32))
    b.close()
    assert con.execute("SELECT count(*) FROM t").fetchone() == (3,)  # rows 1 and 2 went in, as executemany does
    assert sqlite_bulk.bulk_inserter(con, str(tmp_path / "other.db"), SQL) is None
    con.close()


def test_the_path_taken_is_said_and_a_second_library_is_tried(tmp_path, monkeypatch):
    """The SQLite library is looked for in order (through _sqlite3, then, on Windows, the loaded sqlite3.dll):
    a first one that cannot be loaded leaves the next; none at all gives executemany with the reasons, never
    silently."""
    if not _numba.have_numba():
        pytest.skip("numba is not installed: the compiled inserts are never tried")
    real = list(sqlite_bulk._candidates())

    def broken():
        raise OSError("no such library")

    path = str(tmp_path / "a.db")
    con = _table(path)
    monkeypatch.setattr(sqlite_bulk, "_candidates", lambda: iter([("through a missing one", broken)] + real[:1]))
    b = sqlite_bulk.bulk_inserter(con, path, SQL)
    if b is None and "laid out otherwise" in sqlite_bulk.path_taken():
        pytest.skip("this Python's connection objects are laid out otherwise")
    assert b is not None and sqlite_bulk.path_taken().startswith("compiled inserts (numba) over SQLite "
                                                                 f"{sqlite3.sqlite_version} through _sqlite3")
    b.close()
    monkeypatch.setattr(sqlite_bulk, "_candidates", lambda: iter([("through a missing one", broken)]))
    assert sqlite_bulk.bulk_inserter(con, path, SQL) is None
    assert sqlite_bulk.path_taken() == ("Python's executemany (a load takes 1.2-1.7x the CPU: BENCHMARKS.md, EGMS "
                                        "loading): the SQLite library of the sqlite3 module is not reachable "
                                        "(through a missing one: no such library)")
    con.close()
