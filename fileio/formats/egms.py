"""EGMS tiles (zipped CSV) streamed into one GeoPackage: one point layer per track, series kept
as dated fields, as a compressed table, or not at all.

:func:`load_tiles` reads the headers of every tile first (a tile that cannot be opened is named
in a warning and skipped), creates one layer per group of :mod:`..algorithms.formats.egms_tiles`
(track and direction, or L3 component) with the union of its tiles' columns and dates, then
streams each tile chunk by chunk into SQLite: memory is bounded by one chunk whatever the number
of points. A tile found damaged half-way (CRC error, truncated zip, malformed row) is rolled back
(SQLite savepoint; its point IDs forgotten) and named in a warning; the other tiles still load. No
tile readable: an error naming each file and why.

Series table (``series="table"``). For a layer ``L`` the table ``L_series`` (registered as a
GeoPackage attribute table) holds the displacements of blocks of :data:`BLOCK_POINTS` points:
``fid_first`` (the fid of the block's first point; fids are 1, 2, 3 ... in load order),
``n_points``, ``kind`` and ``data``. ``kind`` ``"i2d"``: the values in 0.1 mm as int16 (-32768 no
value), differenced along the dates (wrapping int16 arithmetic, so the cumulative sum gives them back
exactly), low bytes then high bytes, zlib-compressed; ``"f4"``: float32 (little endian) zlib-compressed,
used for a block holding a value that is not a whole 0.1 mm within +-3276.7 mm (nothing is rounded).
The table ``gh_series`` lists, per layer, its series table and its dates (``YYYYMMDD`` comma-separated).
EGMS CSVs give displacements to 0.1 mm, so the int16 form is exact for them and about 0.8x the
zipped CSV on disk, where dated REAL fields take about 6x.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import sqlite3
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import ogr, osr

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import dates as _dates
from ...algorithms.formats import egms as _egms
from ...algorithms.formats import egms_tiles as tiles
from ...algorithms.progress import check_canceled, info, warn
from ..base import sqlite_bulk
from ..base.vector import gpkg_spatial_index, staged_file, write_vector
from ..motion import series_nc
from ..motion.ada import POINT_BLOB, epsg_wkt, gpkg_point_blobs
from ..motion.series_table import (  # noqa: F401 - the readers, kept importable from here
    BLOCK_POINTS,
    META_TABLE,
    decode_block,
    read_date,
    read_series,
    series_layer,
    series_table_dates,
)
from ..motion.series_table import NODATA as _NODATA

SERIES_MODES = ("fields", "table", "none", "netcdf", "auto")
#: The R-tree is built up to this many points of a layer: it costs about 12 us of CPU and 64 bytes a point
#: (GDAL's CreateSpatialIndex, 500,000 points in 5.9 s CPU, +32 MB) and makes a map window read 16x faster;
#: past 2 M points (24 s) QGIS builds it on demand (BENCHMARKS.md, EGMS loading).
SPATIAL_INDEX_MAX = 2_000_000
#: zlib level of the series blocks: level 1 is 3x faster than 6 for 6 % more bytes (measured on EGMS-like series)
ZLIB_LEVEL = 1


@dataclass
class LoadReport:
    """What a load did: points per layer, tiles skipped (file -> reason), duplicates dropped."""

    layers: dict = field(default_factory=dict)  # name -> points written
    dates: dict = field(default_factory=dict)  # name -> list of dates
    skipped: dict = field(default_factory=dict)
    duplicates: int = 0
    rows: int = 0
    epsg: int = 0
    level: str = ""
    series: str = ""  # the form written: fields, table, none or netcdf
    files: dict = field(default_factory=dict)  # name -> netCDF series file written


@dataclass
class _Group:
    name: str
    level: str
    epsg: int
    tiles: list
    attributes: list
    dates: list
    fid: int = 0
    table: Optional[str] = None
    writer: object = None  # the layer's series_nc.SeriesWriter (series="netcdf")
    seen: tiles.SeenIds = field(default_factory=tiles.SeenIds)
    pending: list = field(default_factory=list)  # series rows not yet in a full block
    extent: tuple = (np.inf, np.inf, -np.inf, -np.inf)  # of the points written (min x, min y, max x, max y)


def _headers(paths, progress):
    heads, skipped = [], {}
    for p in paths:
        try:
            heads.append(tiles.read_header(p))
        except tiles.DAMAGED as e:
            skipped[p] = f"damaged archive ({e})"
        except GeohazardError as e:
            skipped[p] = str(e)
    return heads, skipped


def _groups(heads) -> dict:
    groups: dict = {}
    for h in heads:
        g = groups.get(h.group)
        if g is None:
            g = groups[h.group] = _Group(name=h.group, level=h.level, epsg=h.epsg, tiles=[], attributes=[], dates=[])
        if h.epsg != g.epsg:
            raise GeohazardError(f"{h.path!r} gives coordinates in EPSG:{h.epsg}, the other tiles of {g.name} in "
                                 f"EPSG:{g.epsg}")
        g.tiles.append(h)
        g.attributes += [a for a in h.attributes if a != "pid" and a not in g.attributes]
        g.dates = sorted(set(g.dates) | set(h.dates))
    return groups


def _field_defn(name: str):
    if name in _egms.INTEGER_COLUMNS:
        return ogr.FieldDefn(name, ogr.OFTInteger64)
    return ogr.FieldDefn(name, ogr.OFTReal)


def _create_layers(tmp: str, groups: dict, series: str) -> dict:
    """Create the layers with OGR (GeoPackage metadata, SRS); return name -> ``(srs_id, columns)``."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(tmp)
    out = {}
    for g in groups.values():
        srs = osr.SpatialReference()
        srs.ImportFromWkt(epsg_wkt(g.epsg))
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        lyr = ds.CreateLayer(g.name, srs, ogr.wkbPoint, ["SPATIAL_INDEX=NO", "GEOMETRY_NAME=geom", "FID=fid"])
        cols = ["pid"] + g.attributes
        lyr.CreateField(ogr.FieldDefn("pid", ogr.OFTString))
        for a in g.attributes:
            lyr.CreateField(_field_defn(a))
        if g.dates:
            for k in ("date_first", "date_last"):
                lyr.CreateField(ogr.FieldDefn(k, ogr.OFTDate))
            cols += ["date_first", "date_last"]
        if series == "fields":
            for d in g.dates:
                lyr.CreateField(ogr.FieldDefn(_dates.field_name(d), ogr.OFTReal))
            cols += [_dates.field_name(d) for d in g.dates]
        out[g.name] = cols
    srs_ids = {}
    for name in out:
        res = ds.ExecuteSQL(f"SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='{name}'")
        srs_ids[name] = int(res.GetNextFeature().GetField(0))
        ds.ReleaseResultSet(res)
    ds = None
    return {k: (srs_ids[k], out[k]) for k in out}


def _create_series_tables(con, groups: dict):
    # an INTEGER primary key as the GeoPackage asks of attribute tables (requirement 119), the layer name unique
    con.execute(f'CREATE TABLE "{META_TABLE}" (id INTEGER PRIMARY KEY, layer TEXT NOT NULL UNIQUE, '
                'series_table TEXT NOT NULL, dates TEXT NOT NULL, block_points INTEGER NOT NULL, unit TEXT NOT NULL)')
    _register(con, META_TABLE, "EGMS series tables: one row per point layer")
    for g in groups.values():
        g.table = f"{g.name}_series"
        con.execute(f'CREATE TABLE "{g.table}" (fid_first INTEGER PRIMARY KEY, n_points INTEGER NOT NULL, '
                    'kind TEXT NOT NULL, data BLOB NOT NULL)')
        _register(con, g.table, f"displacement series of {g.name} (see {META_TABLE})")
        con.execute(f'INSERT INTO "{META_TABLE}" (layer, series_table, dates, block_points, unit) '
                    'VALUES (?, ?, ?, ?, ?)',
                    (g.name, g.table, ",".join(d.strftime("%Y%m%d") for d in g.dates), BLOCK_POINTS, "mm"))


def _register(con, table: str, description: str):
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES (?, 'attributes', ?, ?, (SELECT last_change FROM gpkg_contents LIMIT 1))",
                (table, table, description))


def encode_block(values: np.ndarray) -> tuple:
    """``(kind, bytes)`` of a block of series, shape (points, dates), float32 mm."""
    v = np.ascontiguousarray(values, np.float32)
    finite = np.isfinite(v)
    q = np.zeros(v.shape, np.float64)
    q[finite] = np.round(v[finite].astype(np.float64) * 10.0)
    exact = np.all((q[finite] / 10.0).astype(np.float32) == v[finite]) and np.all(np.abs(q) <= 32767)
    if not exact or np.any(np.isnan(v) != ~finite):
        return "f4", zlib.compress(v.astype("<f4").tobytes(), ZLIB_LEVEL)
    i2 = np.where(finite, q, _NODATA).astype(np.int16)
    d = i2.copy()
    d[:, 1:] = i2[:, 1:] - i2[:, :-1]  # wraps in int16: the cumulative sum undoes it exactly
    u = d.astype("<i2").view(np.uint8).reshape(-1, 2)
    return "i2d", zlib.compress(np.concatenate([u[:, 0], u[:, 1]]).tobytes(), ZLIB_LEVEL)


def _pending_rows(g: _Group, head, chunk, keep) -> Optional[dict]:
    """The kept rows of a chunk as arrays laid out for the group's layer."""
    idx = np.flatnonzero(keep)
    n = idx.size
    if n == 0:
        return None
    attrs = np.full((n, len(g.attributes)), np.nan)
    for j, a in enumerate(g.attributes):
        v = chunk.columns.get(a)
        if v is not None:
            attrs[:, j] = v[idx]
    rows = {"x": chunk.columns[head.xcol][idx], "y": chunk.columns[head.ycol][idx], "pid": chunk.pid[idx],
            "attrs": attrs}
    if g.dates and chunk.displacement_mm.shape[1] == len(head.dates):  # not when the dates were skipped
        disp = np.full((n, len(g.dates)), np.nan, np.float32)
        pos = np.searchsorted(np.array([d.toordinal() for d in g.dates]),
                              np.array([d.toordinal() for d in head.dates], dtype=np.int64))
        disp[:, pos] = chunk.displacement_mm[idx]
        rows["disp"] = disp
    if g.dates:
        rows["span"] = np.tile([min(head.dates).toordinal(), max(head.dates).toordinal()], (n, 1))
    return rows


def _write_block(con, g: _Group, cols, rows: dict, srs_id: int, series: str, bulk=None):
    """Insert one block of rows (and its series block): the same statements whatever the chunks were.

    ``bulk``: the layer's :class:`.sqlite_bulk.BulkInsert` (the values bound from the arrays by compiled code),
    else ``executemany``; both bind the same values."""
    n = rows["x"].size
    blobs = gpkg_point_blobs(rows["x"], rows["y"], srs_id)
    pid = np.ascontiguousarray(rows["pid"])
    pid_u8 = pid.view(np.uint8).reshape(n, pid.dtype.itemsize)
    if bulk is not None and not (pid_u8 >= 0x80).any():  # ASCII point IDs are their own UTF-8 text
        _bulk_block(bulk, g, cols, rows, blobs, pid_u8, series)
    else:
        _executemany_block(con, g, cols, rows, blobs, series)
    if series == "netcdf" and g.writer is not None:
        g.writer.append(rows["x"], rows["y"], rows["disp"])
    if series == "table" and g.dates:
        kind, data = encode_block(rows["disp"])
        con.execute(f'INSERT INTO "{g.table}" VALUES (?, ?, ?, ?)', (g.fid + 1, n, kind, data))
    g.fid += n
    x, y = rows["x"][np.isfinite(rows["x"])], rows["y"][np.isfinite(rows["y"])]
    lo_x, lo_y, hi_x, hi_y = g.extent
    if x.size:
        lo_x, hi_x = min(lo_x, float(x.min())), max(hi_x, float(x.max()))
    if y.size:
        lo_y, hi_y = min(lo_y, float(y.min())), max(hi_y, float(y.max()))
    g.extent = (lo_x, lo_y, hi_x, hi_y)


def _insert_sql(g: _Group, cols) -> str:
    names = ", ".join(['"fid"', '"geom"'] + [f'"{c}"' for c in cols])
    marks = ", ".join(["?"] * (len(cols) + 2))
    return f'INSERT INTO "{g.name}" ({names}) VALUES ({marks})'


def _bulk_block(bulk, g: _Group, cols, rows: dict, blobs, pid_u8, series: str):
    n = rows["x"].size
    na = len(g.attributes)
    values = rows["attrs"]
    is_int = np.array([a in _egms.INTEGER_COLUMNS for a in g.attributes], bool)
    params = np.arange(4, 4 + na, dtype=np.int32)  # fid, geom, pid come first
    dates = np.zeros((0, 2, 10), np.uint8)
    date_params = np.zeros(0, np.int32)
    if g.dates:
        span = rows["span"]
        uniq, inv = np.unique(span, return_inverse=True)
        iso = np.frombuffer(b"".join(_dt.date.fromordinal(int(o)).isoformat().encode() for o in uniq),
                            np.uint8).reshape(uniq.size, 10)
        dates = np.ascontiguousarray(iso[inv.reshape(span.shape)])
        date_params = np.array([4 + na, 5 + na], np.int32)
        if series == "fields":
            values = np.hstack([values, rows["disp"].astype(np.float64)])
            is_int = np.concatenate([is_int, np.zeros(len(g.dates), bool)])
            params = np.concatenate([params, np.arange(6 + na, 6 + na + len(g.dates), dtype=np.int32)])
    geom = blobs.view(np.uint8).reshape(n, POINT_BLOB.itemsize)
    bulk.insert(g.fid + 1, geom, pid_u8, np.ascontiguousarray(values, np.float64), params, is_int, dates,
                date_params)


def _executemany_block(con, g: _Group, cols, rows: dict, blobs, series: str):
    n = rows["x"].size
    raw = memoryview(blobs.tobytes())
    size = POINT_BLOB.itemsize
    columns = [list(range(g.fid + 1, g.fid + n + 1)), [raw[i:i + size] for i in range(0, len(raw), size)],
               [p.decode("utf-8", "replace") for p in rows["pid"].tolist()]]
    for j, a in enumerate(g.attributes):
        v = rows["attrs"][:, j]
        nan = np.isnan(v)
        vals = v.astype(np.int64).tolist() if a in _egms.INTEGER_COLUMNS and not nan.all() else v.tolist()
        for i in np.flatnonzero(nan).tolist():
            vals[i] = None
        columns.append(vals)
    if g.dates:
        iso = {o: _dt.date.fromordinal(int(o)).isoformat() for o in np.unique(rows["span"])}
        columns.append([iso[o] for o in rows["span"][:, 0].tolist()])
        columns.append([iso[o] for o in rows["span"][:, 1].tolist()])
        if series == "fields":
            d64 = rows["disp"].astype(np.float64)
            for j in range(d64.shape[1]):
                vals = d64[:, j].tolist()
                for i in np.flatnonzero(np.isnan(d64[:, j])).tolist():
                    vals[i] = None
                columns.append(vals)
    con.executemany(_insert_sql(g, cols), zip(*columns))


def _flush(con, g: _Group, cols, srs_id: int, series: str, *, final: bool, bulk=None):
    """Write the pending rows of ``g`` in blocks of :data:`BLOCK_POINTS` (the last one short when ``final``)."""
    if not g.pending:
        return
    rows = {k: np.concatenate([p[k] for p in g.pending]) for k in g.pending[0]}
    total = rows["x"].size
    stop = total if final else total // BLOCK_POINTS * BLOCK_POINTS
    for a in range(0, stop, BLOCK_POINTS):
        _write_block(con, g, cols, {k: v[a:a + BLOCK_POINTS] for k, v in rows.items()}, srs_id, series, bulk)
    g.pending = [{k: v[stop:] for k, v in rows.items()}] if stop < total else []


def load_tiles(paths, out_path: str, *, series: str = "fields", chunk_bytes: int = tiles.CHUNK_BYTES,
               spatial_index_max: int = SPATIAL_INDEX_MAX, single_name: bool = False, workers: int = 1,
               progress=None) -> LoadReport:
    """Stream EGMS tiles ``paths`` (zip or CSV, in this order) into the GeoPackage ``out_path``.

    ``workers``: threads inflating and parsing tiles ahead of the writer (:func:`..algorithms.formats.egms_tiles.
    stream_tiles`); the output is the same file, byte for byte, for any number.

    ``single_name``: one tile read gives a layer named after its file (as a one-file load always did).
    Returns a :class:`LoadReport`. Raises :class:`GeohazardError` when no tile can be read (the
    message names each file and why) or when nothing but headers were read."""
    if series not in SERIES_MODES:
        raise GeohazardError(f"series must be one of {SERIES_MODES}, got {series!r}")
    if series == "auto":
        series = series_nc.resolve_auto(paths, out_path)
    if not out_path.lower().endswith(".gpkg"):
        if series == "netcdf":
            raise GeohazardError(f"{os.path.basename(out_path)}: the netCDF series files are joined to a GeoPackage "
                                 "layer; give OUTPUT as a .gpkg, or keep the series as dated fields")
        return _load_to_other_format(paths, out_path, series=series, chunk_bytes=chunk_bytes,
                                     single_name=single_name, workers=workers, progress=progress)
    report = LoadReport(series=series)
    heads, report.skipped = _headers(paths, progress)
    if not heads:
        raise GeohazardError("no EGMS tile could be read: " + "; ".join(
            f"{os.path.basename(p)}: {why}" for p, why in report.skipped.items()))
    if single_name and len(heads) == 1:
        heads[0].group = heads[0].name
    groups = _groups(heads)
    total_bytes = sum(max(os.path.getsize(h.path), 1) for h in heads)
    done_bytes = 0
    with staged_file(out_path) as tmp:
        layers = _create_layers(tmp, groups, series)
        con = sqlite3.connect(tmp, isolation_level=None)
        bulks: dict = {}
        try:
            # a private file under a temporary name: no journal on disk, no fsync, a large page cache
            con.execute("PRAGMA journal_mode=MEMORY")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("PRAGMA cache_size=-262144")
            con.execute("BEGIN")
            # GDAL's feature-count triggers run an UPDATE of gpkg_ogr_contents for every row (a third of an
            # insert's cost): off during the load, put back with the final counts before the commit
            triggers = con.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type='trigger' AND "
                                   "name LIKE 'trigger_%_feature_count_%'").fetchall()
            for name in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND "
                                    "name LIKE 'trigger_%_feature_count_%'").fetchall():
                con.execute(f'DROP TRIGGER "{name[0]}"')
            if series == "table":
                _create_series_tables(con, groups)
            if series == "netcdf":
                series_nc.open_writers(tmp, out_path, groups.values())
            for g in groups.values():
                bulk = sqlite_bulk.bulk_inserter(con, tmp, _insert_sql(g, layers[g.name][1]))
                if bulk is not None:
                    bulks[g.name] = bulk
            info(progress, "SQLite rows written by " + (sqlite_bulk.path_taken() if bulks else
                                                         "Python's executemany"))
            order = [(g, head) for g in groups.values() for head in g.tiles]
            last = {id(g.tiles[-1]): g for g in groups.values()}
            state = None
            rows = duplicates = 0
            stream = tiles.stream_tiles([h for _, h in order], chunk_bytes=chunk_bytes, dates=series != "none",
                                        workers=workers)
            with contextlib.closing(stream):
                for k, item in stream:
                    check_canceled(progress)
                    g, head = order[k]
                    srs_id, cols = layers[g.name]
                    if state is None:  # the tile's first item
                        state = (g.fid, list(g.pending), g.extent)
                        rows = duplicates = 0
                        con.execute("SAVEPOINT tile")
                    if isinstance(item, tiles.Chunk):
                        keep = g.seen.first_copies(tiles.pid_keys(item.pid))
                        rows += len(item)
                        duplicates += int(len(item) - np.count_nonzero(keep))
                        new = _pending_rows(g, head, item, keep)
                        if new is not None:
                            g.pending.append(new)
                            if sum(p["x"].size for p in g.pending) >= BLOCK_POINTS:
                                _flush(con, g, cols, srs_id, series, final=False, bulk=bulks.get(g.name))
                        continue
                    if item is not None:
                        con.execute("ROLLBACK TO tile")
                        con.execute("RELEASE tile")
                        g.seen.drop_tile()
                        g.fid, g.pending, g.extent = state
                        if g.writer is not None:
                            g.writer.truncate(g.fid)
                        why = str(item) if isinstance(item, GeohazardError) else f"damaged archive ({item})"
                        report.skipped[head.path] = why
                        warn(progress, f"{os.path.basename(head.path)} skipped: {why}; the other tiles are loaded")
                    else:
                        con.execute("RELEASE tile")
                        g.seen.commit_tile()
                        report.rows += rows
                        report.duplicates += duplicates
                        done_bytes += max(os.path.getsize(head.path), 1)
                        if progress is not None:
                            progress.set_progress(90.0 * done_bytes / total_bytes)
                    state = None
                    if id(head) in last:  # the group's last tile
                        _flush(con, g, cols, srs_id, series, final=True, bulk=bulks.get(g.name))
            for g in groups.values():
                report.layers[g.name] = g.fid
                report.dates[g.name] = g.dates
            for p, why in report.skipped.items():
                if p not in {h.path for h in heads}:
                    warn(progress, f"{os.path.basename(p)} skipped: {why}; the other tiles are loaded")
            if not any(report.layers.values()):
                raise GeohazardError("no EGMS point could be read: " + "; ".join(
                    f"{os.path.basename(p)}: {why}" for p, why in report.skipped.items()) if report.skipped
                    else "the EGMS files have a header but no points")
            for g in groups.values():
                if g.fid == 0:
                    con.execute(f'DELETE FROM gpkg_geometry_columns WHERE table_name="{g.name}"')
                    con.execute(f'DELETE FROM gpkg_contents WHERE table_name="{g.name}"')
                    con.execute("DELETE FROM gpkg_ogr_contents WHERE table_name=?", (g.name,))
                    con.execute(f'DROP TABLE "{g.name}"')
                    if g.table:
                        con.execute(f'DROP TABLE "{g.table}"')
                        con.execute(f'DELETE FROM gpkg_contents WHERE table_name="{g.table}"')
                        con.execute(f'DELETE FROM "{META_TABLE}" WHERE layer=?', (g.name,))
                    report.layers.pop(g.name, None)
                    continue
                con.execute("UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name=?",
                            (*(float(v) for v in g.extent), g.name))
                con.execute("UPDATE gpkg_ogr_contents SET feature_count=? WHERE lower(table_name)=lower(?)",
                            (g.fid, g.name))
            for table, sql in triggers:
                if table in report.layers:
                    con.execute(sql)
            con.execute("COMMIT")
        finally:
            for bulk in bulks.values():
                bulk.close()
            con.close()
            if series == "netcdf" and sys.exc_info()[0] is not None:
                for g in groups.values():
                    if g.writer is not None:
                        g.writer.abort()
        if series == "netcdf":
            series_nc.close_writers(tmp, out_path, groups.values(), report, progress)
        report.epsg = next(iter(groups.values())).epsg
        report.level = next(iter(groups.values())).level
        for name, n in report.layers.items():
            if n <= spatial_index_max:
                gpkg_spatial_index(tmp, name)
            else:
                info(progress, f"{name}: {n} points written without a spatial index (QGIS builds one on demand: "
                               "Layer Properties > Source > Create spatial index)")
    return report


def _load_to_other_format(paths, out_path: str, *, series, chunk_bytes, single_name, workers, progress) -> LoadReport:
    """One layer written in another OGR format (CSV, GeoJSON, Shapefile ...) through a temporary GeoPackage
    outside the output folder: those formats hold one layer, and the tools read them whole."""
    tmpdir = tempfile.mkdtemp(prefix="geohazard_egms_")
    try:
        tmp = os.path.join(tmpdir, "egms.gpkg")
        report = load_tiles(paths, tmp, series="fields" if series == "table" else series, chunk_bytes=chunk_bytes,
                            spatial_index_max=0, single_name=single_name, workers=workers, progress=progress)
        if len(report.layers) != 1:
            raise GeohazardError(f"{os.path.basename(out_path)}: these tiles make {len(report.layers)} track layers "
                                 f"({', '.join(report.layers)}); a GeoPackage (.gpkg) keeps them, this format one")
        name = next(iter(report.layers))
        con = sqlite3.connect(tmp)
        try:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")') if r[1] not in ("fid", "geom")]
            sel = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f'SELECT {sel} FROM "{name}" ORDER BY fid').fetchall()
        finally:
            con.close()
        fields = {}
        for j, c in enumerate(cols):
            vals = [r[j] for r in rows]
            if c == "pid":
                fields[c] = np.array(vals, dtype=object)
            elif c in ("date_first", "date_last"):
                fields[c] = np.array([None if v is None else _dt.date.fromisoformat(v) for v in vals], dtype=object)
            elif c in _egms.INTEGER_COLUMNS and all(v is not None for v in vals):
                fields[c] = np.array(vals, dtype=np.int64)
            else:
                fields[c] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        head = tiles.read_header(next(p for p in paths if p not in report.skipped))
        write_vector(out_path, fields, crs_wkt=epsg_wkt(report.epsg), x=fields[head.xcol], y=fields[head.ycol],
                     layer_name=name, progress=progress)
        return report
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
