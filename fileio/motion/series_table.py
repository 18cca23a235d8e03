"""Point series kept out of their layer's fields (``loadegms``' forms of a national load): read for a few points
(the time-series dock, the point tools) or for a date (the dated view, :mod:`.series_view`).

* The series table in the GeoPackage (``gh_series`` names, per point layer, its table, dates and block size): blocks
  of :data:`BLOCK_POINTS` points, 0.1 mm int16 differenced along time and zlib-compressed (kind ``i2d``), or float32
  when a block holds finer values (``f4``); written by :func:`..formats.egms.load_tiles`.
* The netCDF-4 file beside it (:mod:`.series_nc`).

This module imports nothing heavier than numpy and sqlite3, so the GUI may look at any GeoPackage layer with it.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
import zlib
from typing import Optional

import numpy as np
from osgeo import ogr

from ...algorithms.errors import GeohazardError
from . import series_nc

#: Points per block of the series table.
BLOCK_POINTS = 1024
META_TABLE = "gh_series"
NODATA = -32768


def decode_block(kind: str, data: bytes, n_points: int, n_dates: int) -> np.ndarray:
    """The float32 series (points, dates) in mm of one block (NaN: no value)."""
    raw = zlib.decompress(data)
    if kind == "f4":
        return np.frombuffer(raw, "<f4").reshape(n_points, n_dates).astype(np.float32)
    if kind != "i2d":
        raise GeohazardError(f"series block kind {kind!r} is not one this version reads (i2d, f4)")
    u = np.frombuffer(raw, np.uint8)
    half = u.size // 2
    pairs = np.empty((half, 2), np.uint8)
    pairs[:, 0], pairs[:, 1] = u[:half], u[half:]
    d = pairs.view("<i2").reshape(n_points, n_dates)
    i2 = np.cumsum(d, axis=1, dtype=np.int16)
    out = i2.astype(np.float32) / np.float32(10.0)
    out[i2 == NODATA] = np.nan
    return out


def series_table_dates(path: str, layer: str) -> Optional[list]:
    """Dates of the series table of ``layer`` in GeoPackage ``path``, None when it has none."""
    if not path.lower().endswith(".gpkg") or not os.path.isfile(path):
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute(f'SELECT dates FROM "{META_TABLE}" WHERE layer=?', (layer,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    if row is None or not row[0]:
        return None
    return [_dt.datetime.strptime(s, "%Y%m%d").date() for s in row[0].split(",")]


def _series_table(con, path: str, layer: str) -> tuple:
    """``(table name, dates text)`` of ``layer``'s series table in the open GeoPackage ``con``; refused naming the
    file and the layer when it has none."""
    row = con.execute(f'SELECT series_table, dates FROM "{META_TABLE}" WHERE layer=?', (layer,)).fetchone()
    if row is None:
        raise GeohazardError(f"{os.path.basename(path)}: layer {layer!r} has no series table")
    return row


def read_series(path: str, layer: str, fids) -> tuple:
    """``(dates, values)`` of points ``fids`` of ``layer``: values float64 (len(fids), dates), mm, from the
    layer's netCDF series file or its series table."""
    nc = series_nc.open_series(path, layer)
    if nc is not None:
        return nc.dates, nc.read(fids)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        table, text = _series_table(con, path, layer)
        dates = [_dt.datetime.strptime(s, "%Y%m%d").date() for s in text.split(",")] if text else []
        out = np.full((len(fids), len(dates)), np.nan)
        cache = {}
        for k, fid in enumerate(int(f) for f in fids):
            blk = con.execute(f'SELECT fid_first, n_points, kind, data FROM "{table}" WHERE fid_first <= ? '
                              'ORDER BY fid_first DESC LIMIT 1', (fid,)).fetchone()
            if blk is None or not blk[0] <= fid < blk[0] + blk[1]:
                continue
            if blk[0] not in cache:
                cache[blk[0]] = decode_block(blk[2], blk[3], blk[1], len(dates))
            out[k] = cache[blk[0]][fid - blk[0]]
    finally:
        con.close()
    return dates, out


def read_date(path: str, layer: str, k: int) -> np.ndarray:
    """float32 (n_points,) in mm of every point of ``layer`` on its date ``k`` (0-based; NaN: no value), indexed by
    fid - 1, from its netCDF series file or its series table (every block decoded, one column kept)."""
    nc = series_nc.open_series(path, layer)
    if nc is not None:
        return nc.read_date(k)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        table, text = _series_table(con, path, layer)
        n_dates = len(text.split(",")) if text else 0
        if not 0 <= k < n_dates:
            raise GeohazardError(f"{os.path.basename(path)}: date {k} asked of layer {layer!r}'s {n_dates}")
        last = con.execute(f'SELECT MAX(fid_first + n_points) FROM "{table}"').fetchone()[0] or 1
        out = np.full(int(last) - 1, np.nan, np.float32)
        for fid_first, n_points, kind, data in con.execute(
                f'SELECT fid_first, n_points, kind, data FROM "{table}" ORDER BY fid_first'):
            out[fid_first - 1:fid_first - 1 + n_points] = decode_block(kind, data, n_points, n_dates)[:, k]
    finally:
        con.close()
    return out


def read_first(path: str, layer: str, n_points: int, columns) -> np.ndarray:
    """float32 (points, len(columns)) in mm of the first ``n_points`` points of ``layer`` (fid order) on its dates
    ``columns`` (0-based): the first blocks of the table decoded once each, or the first rows of the netCDF file."""
    nc = series_nc.open_series(path, layer)
    if nc is not None:
        return nc.read_first(n_points, columns)
    columns = list(columns)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        table, text = _series_table(con, path, layer)
        n_dates = len(text.split(",")) if text else 0
        parts, got = [], 0
        for _first, count, kind, data in con.execute(
                f'SELECT fid_first, n_points, kind, data FROM "{table}" ORDER BY fid_first'):
            parts.append(decode_block(kind, data, count, n_dates)[:, columns])
            got += count
            if got >= n_points:
                break
    finally:
        con.close()
    return np.concatenate(parts)[:n_points] if parts else np.zeros((0, len(columns)), np.float32)


def _may_hold_series(path: str) -> bool:
    """Whether the GeoPackage ``path`` has a series table or a layer naming a series file (one query of its
    catalogue: a GeoPackage without either is left at once)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if META_TABLE in names:
                return True
            if "gpkg_metadata" not in names:
                return False
            return con.execute("SELECT 1 FROM gpkg_metadata WHERE metadata LIKE ? LIMIT 1",
                               (f"%{series_nc.META_FILE}%",)).fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return False


def series_layer(source: str) -> Optional[tuple]:
    """``(path, layer name, dates)`` when the OGR source ``source`` (``file.gpkg`` or
    ``file.gpkg|layername=x``) is a point layer whose series are in a netCDF series file or a series table,
    else None. A series file named by the layer but missing or another load's: an error naming it."""
    parts = source.split("|")
    path = parts[0]
    name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), "")
    if not path.lower().endswith(".gpkg") or not os.path.isfile(path) or not _may_hold_series(path):
        return None
    if not name:
        try:
            ds = ogr.Open(path)
            name = ds.GetLayer(0).GetName() if ds is not None and ds.GetLayerCount() else ""
            ds = None
        except RuntimeError:
            return None
    if not name:
        return None
    nc = series_nc.open_series(path, name)
    if nc is not None:
        return path, name, nc.dates
    found = series_table_dates(path, name)
    return (path, name, found) if found else None
