"""Point displacement series in a netCDF-4 file beside their GeoPackage (``loadegms`` at national scale).

One file per point layer, ``<output stem>_<layer>.nc``, a CF-1.8 discrete-sampling-geometry ``timeSeries`` in the
orthogonal multidimensional form that GDAL (``gdalmdiminfo``, the netCDF driver), ``ncdump``, xarray and Panoply read:

* dimensions ``point`` (one per feature, in fid order) and ``time``;
* ``time(time)`` int32, ``days since 1970-01-01``, calendar ``standard``;
* ``point(point)`` int64: the feature's ``fid`` in the GeoPackage layer (the join key; fids are 1, 2, 3 ... in
  load order);
* ``x(point)``, ``y(point)`` float64, the point's coordinates in the layer's CRS (``crs`` variable, ``crs_wkt``);
* ``displacement(point, time)`` int16, ``scale_factor`` 0.1, ``units`` mm, ``_FillValue`` -32768 (no value),
  chunks of :data:`CHUNK_POINTS` points x every date, byte-shuffled and deflated (level 1): about 230 bytes a
  point for 207 EGMS dates (the real Ustica tiles), a tenth of the dated REAL fields' size.

The layer points at its file through its GeoPackage layer metadata (``ogrinfo`` shows it): ``GH_SERIES_FILE``
(the file name, looked for beside the GeoPackage), ``GH_SERIES_ID`` (a digest of the series written, also the
file's global attribute ``gh_series_id``) and ``GH_SERIES_POINTS``. A reader refuses, naming the file, a file that is
missing or whose digest, point count or dates are not the layer's (another load's).

Written with h5py in the layout netCDF-4 defines for HDF5 (dimension scales, creation order tracked, fixed-length
string attributes), so the netCDF library reads it as its own; h5py gives the byte shuffle that GDAL's netCDF
writer lacks (8 % smaller) and an unlimited point dimension for a load whose size is known only at its end.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from typing import Optional

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.optional import require
from ...algorithms.progress import warn
from .ada import epsg_wkt

#: Points per chunk (and per write): one chunk is read to plot one point (1,024 x 300 dates = 600 kB inflated).
CHUNK_POINTS = 1024
NODATA = -32768
SCALE_MM = 0.1
META_FILE, META_ID, META_POINTS = "GH_SERIES_FILE", "GH_SERIES_ID", "GH_SERIES_POINTS"
#: ``series="auto"``: the series go to netCDF files  when the tiles weigh more than this
#: together, else to dated fields. 256 MB of zipped EGMS CSV is about 800,000 points (the real Ustica tiles: 314
#: bytes a point): there dated REAL fields would make a GeoPackage of 1.5-1.9 GB (5.9-6.7x the zips) that
#: QGIS's attribute table shows as 200-300 columns; the netCDF file keeps the load within 2x the zips. Below it
#: the dated fields cost less than 1.5 GB and every tool and QGIS's own field tools read them.
AUTO_NETCDF_BYTES = 256 * 1024 * 1024
_EPOCH = _dt.date(1970, 1, 1)


def _h5py():
    return require("h5py", "The EGMS time series kept in a netCDF-4 file")


def file_name(gpkg_path: str, layer: str) -> str:
    """``<output stem>_<layer>.nc``: the series file of ``layer`` of the GeoPackage ``gpkg_path``."""
    stem = os.path.splitext(os.path.basename(gpkg_path))[0]
    return f"{stem}_{layer}.nc"


def _create(h5py, path: str):
    """A new HDF5 file as netCDF-4 makes them (links and attributes in creation order), without the object
    times HDF5 stamps by default, so the same series give the same bytes."""
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    order = h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED
    fcpl.set_link_creation_order(order)
    fcpl.set_attr_creation_order(order)
    fcpl.set_obj_track_times(False)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_EARLIEST, h5py.h5f.LIBVER_LATEST)
    fapl.set_fclose_degree(h5py.h5f.CLOSE_STRONG)
    return h5py.File(h5py.h5f.create(os.fsencode(path), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def resolve_auto(paths, out_path: str) -> str:
    """``"netcdf"`` for tiles weighing more than :data:`AUTO_NETCDF_BYTES` written to a GeoPackage, else
    ``"fields"``."""
    total = sum(os.path.getsize(p) for p in paths if os.path.isfile(p))
    return "netcdf" if total > AUTO_NETCDF_BYTES and out_path.lower().endswith(".gpkg") else "fields"


def open_writers(tmp: str, out_path: str, groups):
    """A :class:`SeriesWriter` (``group.writer``) for each dated layer group of a load into ``tmp`` (the staged
    GeoPackage), its file named after the final ``out_path``."""
    for g in groups:
        if g.dates:
            g.writer = SeriesWriter(os.path.join(os.path.dirname(tmp), file_name(out_path, g.name)), g.dates,
                                    layer=g.name, gpkg_name=os.path.basename(out_path), crs_wkt=epsg_wkt(g.epsg))


def close_writers(tmp: str, out_path: str, groups, report, progress):
    """Close the series files, point the layers at them (layer metadata), warn of values not stored exactly; a
    layer left without points loses its file."""
    from osgeo import ogr

    ds = ogr.Open(tmp, 1)
    try:
        for g in groups:
            if g.writer is None:
                continue
            digest = g.writer.close()
            if g.name not in report.layers:
                os.remove(g.writer.path)
                continue
            lyr = ds.GetLayerByName(g.name)
            lyr.SetMetadataItem(META_FILE, os.path.basename(g.writer.path))
            lyr.SetMetadataItem(META_ID, digest)
            lyr.SetMetadataItem(META_POINTS, str(g.writer.n))
            report.files[g.name] = os.path.join(os.path.dirname(os.path.abspath(out_path)),
                                                os.path.basename(g.writer.path))
            if g.writer.rounded or g.writer.out_of_range:
                warn(progress, f"{g.name}: {g.writer.rounded} displacement values were not whole tenths of a mm "
                               f"(rounded to 0.1 mm, at most {g.writer.worst_mm:.4f} mm off) and "
                               f"{g.writer.out_of_range} beyond +-3276.7 mm (stored as no value) in "
                               f"{os.path.basename(g.writer.path)}; the dated fields keep them as they are")
    finally:
        ds = None


def _text(s: str):
    return np.bytes_(s.encode("utf-8"))


class SeriesWriter:
    """Appends blocks of points to a new series file; :meth:`truncate` drops points past a fid (a tile rolled
    back); :meth:`close` writes the digest. The same blocks give the same file, byte for byte."""

    def __init__(self, path: str, dates, *, layer: str, gpkg_name: str, crs_wkt: str):
        h5py = _h5py()
        self.path, self.n = path, 0
        self._digests: list = []  # (fid after the block, digest of the block)
        self.rounded = 0
        self.out_of_range = 0
        self.worst_mm = 0.0
        nt = len(dates)
        f = self._f = _create(h5py, path)
        f.attrs["Conventions"] = _text("CF-1.8")
        f.attrs["featureType"] = _text("timeSeries")
        f.attrs["title"] = _text(f"displacement series of layer {layer} of {gpkg_name}")
        f.attrs["source"] = _text("European Ground Motion Service (EGMS) tiles, loaded by InSAR Geohazards "
                                  "(geohazard:loadegms)")
        f.attrs["gh_layer"] = _text(layer)
        t = f.create_dataset("time", data=np.array([(d - _EPOCH).days for d in dates], np.int32), track_times=False)
        t.make_scale("time")
        for k, v in (("standard_name", "time"), ("long_name", "acquisition date"),
                     ("units", "days since 1970-01-01"), ("calendar", "standard"), ("axis", "T")):
            t.attrs[k] = _text(v)
        opts = dict(maxshape=(None,), chunks=(CHUNK_POINTS,), compression="gzip", compression_opts=1, shuffle=True,
                    track_times=False)
        p = f.create_dataset("point", shape=(0,), dtype=np.int64, **opts)
        p.make_scale("point")
        p.attrs["long_name"] = _text(f"fid of the point's feature in layer {layer} of {gpkg_name}")
        p.attrs["cf_role"] = _text("timeseries_id")
        crs = f.create_dataset("crs", shape=(), dtype=np.int32, track_times=False)
        crs.attrs["crs_wkt"] = _text(crs_wkt)
        crs.attrs["spatial_ref"] = _text(crs_wkt)
        self._xy = []
        for name, std in (("x", "projection_x_coordinate"), ("y", "projection_y_coordinate")):
            d = f.create_dataset(name, shape=(0,), dtype=np.float64, **opts)
            d.dims[0].attach_scale(p)
            d.attrs["standard_name"] = _text(std)
            d.attrs["grid_mapping"] = _text("crs")
            self._xy.append(d)
        v = self._v = f.create_dataset("displacement", shape=(0, nt), maxshape=(None, nt), dtype=np.int16,
                                       chunks=(CHUNK_POINTS, max(nt, 1)), compression="gzip", compression_opts=1,
                                       shuffle=True, fillvalue=NODATA, track_times=False)
        v.dims[0].attach_scale(p)
        v.dims[1].attach_scale(t)
        v.attrs["_FillValue"] = np.int16(NODATA)
        v.attrs["scale_factor"] = np.float32(SCALE_MM)
        v.attrs["units"] = _text("mm")
        v.attrs["long_name"] = _text("line-of-sight displacement since the first date (positive toward the "
                                     "satellite)")
        v.attrs["coordinates"] = _text("x y")
        v.attrs["grid_mapping"] = _text("crs")
        self._p = p

    def append(self, x, y, values_mm):
        """Points ``n .. n + len(x)`` (fids ``n + 1 ..``): coordinates and (points, dates) float32 mm."""
        v = np.asarray(values_mm, np.float32)
        k = v.shape[0]
        finite = np.isfinite(v)
        q = np.full(v.shape, NODATA, np.int16)
        r = np.round(v[finite].astype(np.float64) / SCALE_MM)
        inside = np.abs(r) <= 32767
        if not inside.all():
            self.out_of_range += int(np.count_nonzero(~inside))
            r = np.where(inside, r, NODATA)
        err = np.abs(r[inside] * SCALE_MM - v[finite][inside])
        off = err > 1e-4
        if off.any():
            self.rounded += int(np.count_nonzero(off))
            self.worst_mm = max(self.worst_mm, float(err.max()))
        q[finite] = r.astype(np.int16)
        a, b = self.n, self.n + k
        self._v.resize(b, axis=0)
        self._v[a:b] = q
        fids = np.arange(a + 1, b + 1, dtype=np.int64)
        self._p.resize(b, axis=0)
        self._p[a:b] = fids
        for d, c in zip(self._xy, (x, y)):
            d.resize(b, axis=0)
            d[a:b] = np.asarray(c, np.float64)
        h = hashlib.sha256(q.tobytes())
        h.update(np.ascontiguousarray(x, np.float64).tobytes())
        h.update(np.ascontiguousarray(y, np.float64).tobytes())
        self._digests.append((b, h.digest()))
        self.n = b

    def truncate(self, n_points: int):
        """Forget the points past ``n_points`` (their tile was rolled back)."""
        if n_points >= self.n:
            return
        for d in (self._v, self._p, *self._xy):
            d.resize(n_points, axis=0)
        self._digests = [e for e in self._digests if e[0] <= n_points]
        self.n = n_points

    def close(self) -> str:
        """Write the digest attribute and close; returns the digest (hex), the layer's ``GH_SERIES_ID``."""
        h = hashlib.sha256()
        for _, d in self._digests:
            h.update(d)
        h.update(str(self.n).encode())
        digest = h.hexdigest()[:32]
        self._f.attrs["gh_series_id"] = _text(digest)
        self._f.close()
        return digest

    def abort(self):
        try:
            self._f.close()
        except (OSError, ValueError):
            pass


class SeriesFile:
    """An open series file checked against its layer: :attr:`dates`, :attr:`n_points`, :meth:`read`."""

    def __init__(self, path: str, dates, n_points: int):
        self.path, self.dates, self.n_points = path, dates, n_points

    def read(self, fids, block_points: int = 64 * CHUNK_POINTS) -> np.ndarray:
        """float64 (len(fids), dates) in mm (NaN: no value) of the features ``fids``, read a run of chunks at a
        time (at most ``block_points`` points inflated at once besides the output)."""
        fids = np.asarray(fids, np.int64).ravel()
        out = np.full((fids.size, len(self.dates)), np.nan)
        if fids.size == 0:
            return out
        row = fids - 1
        ok = (row >= 0) & (row < self.n_points)
        order = np.argsort(np.where(ok, row, -1), kind="stable")
        order = order[ok[order]]
        h5py = _h5py()
        with h5py.File(self.path, "r") as f:
            v = f["displacement"]
            i = 0
            while i < order.size:
                lo = int(row[order[i]])
                hi = min(lo + block_points, self.n_points)
                j = int(np.searchsorted(row[order], hi, side="left"))
                if j - i > 0:
                    span = int(row[order[j - 1]]) + 1
                    blk = v[lo:span]
                    sel = row[order[i:j]] - lo
                    q = blk[sel]
                    # as the compact table and the CSV parser give them: float32 tenths of a mm
                    vals = (q.astype(np.float32) / np.float32(10.0)).astype(np.float64)
                    vals[q == NODATA] = np.nan
                    out[order[i:j]] = vals
                i = j
        return out

    def read_date(self, k: int) -> np.ndarray:
        """float32 (n_points,) in mm of every point on date ``k`` (0-based; NaN: no value), in fid order (fid 1
        first): one column through every chunk."""
        if not 0 <= k < len(self.dates):
            raise GeohazardError(f"{os.path.basename(self.path)}: date {k} asked of {len(self.dates)}")
        with _h5py().File(self.path, "r") as f:
            q = f["displacement"][:, k]
        out = q.astype(np.float32) / np.float32(10.0)
        out[q == NODATA] = np.nan
        return out


    def read_first(self, n_points: int, columns) -> np.ndarray:
        """float32 (points, len(columns)) in mm of the first ``n_points`` points (fid order) on the dates
        ``columns`` (0-based)."""
        with _h5py().File(self.path, "r") as f:
            q = f["displacement"][:min(n_points, self.n_points)][:, list(columns)]
        out = q.astype(np.float32) / np.float32(10.0)
        out[q == NODATA] = np.nan
        return out


def _layer_meta(gpkg_path: str, layer: str) -> Optional[dict]:
    from osgeo import ogr

    ds = ogr.Open(gpkg_path)
    if ds is None:
        return None
    lyr = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    if lyr is None:
        return None
    meta = lyr.GetMetadata() or {}
    if META_FILE not in meta:
        return None
    return {"file": meta[META_FILE], "id": meta.get(META_ID, ""), "points": int(meta.get(META_POINTS, "-1")),
            "features": lyr.GetFeatureCount()}


def open_series(gpkg_path: str, layer: str) -> Optional[SeriesFile]:
    """The series file of ``layer`` of the GeoPackage ``gpkg_path`` (checked), None when the layer names none.

    Raises naming the file when it is missing, unreadable or another load's (digest, points or dates)."""
    if not gpkg_path.lower().endswith(".gpkg") or not os.path.isfile(gpkg_path):
        return None
    try:
        meta = _layer_meta(gpkg_path, layer)
    except RuntimeError:
        return None
    if meta is None:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(gpkg_path)), os.path.basename(meta["file"]))
    where = f"layer {layer!r} of {os.path.basename(gpkg_path)} keeps its displacement series in {path}"
    if not os.path.isfile(path):
        raise GeohazardError(f"{where}, which is missing: keep that file beside the GeoPackage (move or copy both), "
                             "or load the EGMS tiles again")
    h5py = _h5py()
    try:
        with h5py.File(path, "r") as f:
            got = f.attrs.get("gh_series_id", b"")
            got = got.decode() if isinstance(got, bytes) else str(got)
            n = int(f["displacement"].shape[0])
            days = f["time"][()]
    except (OSError, KeyError) as e:
        raise GeohazardError(f"{where}, which cannot be read as a series file ({e})") from None
    if got != meta["id"] or n != meta["points"] or n != meta["features"]:
        raise GeohazardError(f"{where}, but that file holds the series of another load (series id {got or 'none'}, "
                             f"{n} points; the layer expects id {meta['id']}, {meta['features']} points): load the "
                             "EGMS tiles again, or put this layer's own file back")
    dates = [_EPOCH + _dt.timedelta(days=int(d)) for d in days]
    return SeriesFile(path, dates, n)


def split_source(source: str) -> tuple:
    """``(path, layer name)`` of an OGR source ``file.gpkg`` or ``file.gpkg|layername=x`` (name '' when absent)."""
    parts = source.split("|")
    name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), "")
    return parts[0], name
