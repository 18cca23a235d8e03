"""MintPy HDF5 files: read ``ifgramStack.h5``, a result's dataset as a :class:`~.hdf5.DatedLayer` (:func:`open_layer`;
MintPy's :data:`PRODUCER` takes every HDF5 file no other producer claims), write ``timeseries.h5`` / ``velocity.h5``.

Layout (MintPy >= 1.3, Yunjun et al. 2019, doi:10.1016/j.cageo.2019.104331):

``ifgramStack.h5``
    ``unwrapPhase`` (M, rows, cols) float32 radians, ``coherence`` (M, rows, cols),
    ``date`` (M, 2) bytes ``YYYYMMDD``, ``bperp`` (M,) m, ``dropIfgram`` (M,) bool;
    attributes ``WAVELENGTH`` (m), ``REF_Y``/``REF_X``, and for geocoded stacks
    ``X_FIRST``, ``Y_FIRST``, ``X_STEP``, ``Y_STEP``, ``EPSG``.
    Sign: MintPy converts phase to range with ``-lambda / (4 pi)``: positive phase is motion
    away from the satellite, i.e. our default ``phase_sign=-1``.
``timeseries.h5``
    ``timeseries`` (N, rows, cols) float32 **metres**, ``date`` (N,) bytes, ``bperp`` (N,);
    ``FILE_TYPE=timeseries``, ``UNIT=m``, ``REF_DATE``.
``velocity.h5``
    ``velocity`` / ``velocityStd`` (rows, cols) float32 **m/year**; ``FILE_TYPE=velocity``,
    ``UNIT=m/year``, ``START_DATE``, ``END_DATE``, ``DATE12``.

``geometryGeo.h5`` / ``geometryRadar.h5``
    ``height`` (m), ``incidenceAngle`` (degrees from the vertical), ``azimuthAngle`` (degrees from north,
    anticlockwise, of the ground-to-satellite vector: ISCE's convention), ``slantRangeDistance`` (m),
    ``shadowMask``, ``waterMask``; a radar-coded file also ``latitude``/``longitude`` and no ``X_FIRST``.
``maskTempCoh.h5``
    one bool dataset ``mask`` (``FILE_TYPE=mask``).

Every attribute is stored as text. ``X_FIRST``/``Y_FIRST`` are the upper-left corner of the first pixel (a GDAL
geotransform's origin, as MintPy's ``save_gdal`` writes it); the CRS is ``EPSG``, else ``UTM_ZONE`` (e.g. 11N),
else WGS84 latitude/longitude (MintPy's own assumption). Sources: MintPy ``docs/api/data_structure.md``,
``docs/api/attributes.md``, ``src/mintpy/objects/stack.py`` (``DSET_UNIT_DICT``), ``src/mintpy/save_gdal.py``.

Displacements are positive toward the satellite in both MintPy (``docs/FAQs.md``) and this project.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from .hdf5 import DatedLayer, attr_text, h5py_module, open_h5, root_attrs, root_datasets
from .producer_spec import Producer
from .units import length_unit


def _date(token) -> _dt.date:
    text = token.decode() if isinstance(token, bytes) else str(token)
    return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


@dataclass
class MintpyStack:
    """Metadata of an ``ifgramStack.h5`` (pixel data are read block by block)."""

    path: str
    pairs: list  # (date, date), kept interferograms only
    index: np.ndarray  # (M,) indices of the kept interferograms in the file
    bperp_m: Optional[np.ndarray]
    shape: tuple  # (rows, cols)
    attrs: dict
    has_coherence: bool

    @property
    def wavelength_m(self) -> Optional[float]:
        w = self.attrs.get("WAVELENGTH")
        return float(w) if w is not None else None

    @property
    def geotransform(self) -> Optional[tuple]:
        """GDAL geotransform (pixel-corner origin) for geocoded stacks, else None."""
        a = self.attrs
        if all(k in a for k in ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP")):
            return (float(a["X_FIRST"]), float(a["X_STEP"]), 0.0, float(a["Y_FIRST"]), 0.0, float(a["Y_STEP"]))
        return None

    @property
    def epsg(self) -> Optional[int]:
        e = self.attrs.get("EPSG")
        if e is not None:
            return int(e)
        if self.geotransform is not None and str(self.attrs.get("Y_UNIT", "degrees")).startswith("deg"):
            return 4326
        return None

    def read(self, rows: tuple[int, int], dataset: str = "unwrapPhase") -> np.ndarray:
        """Read rows ``[r0, r1)`` of ``dataset`` for the kept interferograms, float32 ``(M, rows, cols)``.

        Zeros of ``unwrapPhase`` (MintPy's no-data fill) and NaN stay/become NaN.
        """
        h5py = h5py_module()
        r0, r1 = rows
        with h5py.File(self.path, "r") as f:
            ds = f[dataset]
            if self.index.size == ds.shape[0]:
                out = ds[:, r0:r1, :].astype(np.float32)
            else:
                out = np.stack([ds[int(i), r0:r1, :] for i in self.index]).astype(np.float32)
        if dataset == "unwrapPhase":
            out[out == 0] = np.nan
        return out


def read_ifgram_stack(path: str, *, use_drop_flag: bool = True) -> MintpyStack:
    """Open a MintPy ``ifgramStack.h5``; raises naming the file when it is not one.

    Parameters
    ----------
    path : str
        The file.
    use_drop_flag : bool
        Skip interferograms marked ``dropIfgram == False`` (MintPy's own network selection).
    """
    h5py = h5py_module()
    if not os.path.isfile(path):
        raise GeohazardError(f"MintPy stack {path!r} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise GeohazardError(f"MintPy stack {path!r} is not an HDF5 file ({exc})") from None
    with f:
        if "unwrapPhase" not in f or "date" not in f:
            raise GeohazardError(f"MintPy stack {path!r} has no 'unwrapPhase'/'date' datasets "
                                 f"(found {sorted(f.keys())}); is it an ifgramStack.h5?")
        dates = f["date"][:]
        m = dates.shape[0]
        keep = np.ones(m, bool)
        if use_drop_flag and "dropIfgram" in f:
            keep = np.asarray(f["dropIfgram"][:], bool)
            if m and not keep.any():
                raise GeohazardError(
                    f"MintPy stack {os.path.basename(path)}: all {m} interferograms are dropped by dropIfgram "
                    "(MintPy's modify_network.py marks the ones its network selection leaves out, False = dropped): "
                    "none is left to invert. Loosen the selection and run modify_network.py again (or "
                    "modify_network.py --reset to keep them all)")
        idx = np.flatnonzero(keep)
        pairs = [(_date(dates[i, 0]), _date(dates[i, 1])) for i in idx]
        bperp = np.asarray(f["bperp"][:], float)[idx] if "bperp" in f else None
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        shape = tuple(f["unwrapPhase"].shape[1:])
        has_coh = "coherence" in f
    return MintpyStack(path, pairs, idx, bperp, shape, attrs, has_coh)


def _geo_attrs(geotransform, epsg: Optional[int]) -> dict:
    if geotransform is None:
        return {}
    gt = geotransform
    attrs = {"X_FIRST": gt[0], "X_STEP": gt[1], "Y_FIRST": gt[3], "Y_STEP": gt[5]}
    if epsg is not None:
        attrs["EPSG"] = int(epsg)
        attrs["X_UNIT"] = attrs["Y_UNIT"] = "degrees" if epsg == 4326 else "meters"
    return attrs


class MintpyTimeseriesWriter:
    """Write ``timeseries.h5`` block by block (values given in mm, stored in metres).

    Written under ``path + '.part'`` and moved into place by :meth:`commit`.
    """

    def __init__(self, path: str, dates: Sequence[_dt.date], shape: tuple[int, int], *,
                 wavelength_m: float, geotransform=None, epsg: Optional[int] = None,
                 bperp_m: Optional[np.ndarray] = None, ref_yx: Optional[tuple[int, int]] = None):
        h5py = h5py_module()
        self.path = path
        self._tmp = path + ".part"
        self._f = h5py.File(self._tmp, "w")
        n = len(dates)
        self._ds = self._f.create_dataset("timeseries", shape=(n,) + tuple(shape), dtype=np.float32,
                                          chunks=(n, min(shape[0], 64), min(shape[1], 64)))
        self._f.create_dataset("date", data=np.array([d.strftime("%Y%m%d").encode() for d in dates]))
        self._f.create_dataset("bperp", data=np.zeros(n, np.float32) if bperp_m is None
                               else np.asarray(bperp_m, np.float32))
        attrs = {"FILE_TYPE": "timeseries", "UNIT": "m", "LENGTH": shape[0], "WIDTH": shape[1],
                 "WAVELENGTH": wavelength_m, "REF_DATE": dates[0].strftime("%Y%m%d"),
                 "START_DATE": dates[0].strftime("%Y%m%d"), "END_DATE": dates[-1].strftime("%Y%m%d"),
                 "PROCESSOR": "insar_geohazards", **_geo_attrs(geotransform, epsg)}
        if ref_yx is not None:
            attrs["REF_Y"], attrs["REF_X"] = int(ref_yx[0]), int(ref_yx[1])
        for k, v in attrs.items():
            self._f.attrs[k] = v

    def write(self, ts_mm: np.ndarray, *, row: int) -> None:
        self._ds[:, row:row + ts_mm.shape[1], :] = (np.asarray(ts_mm) / 1000.0).astype(np.float32)

    def commit(self) -> str:
        self._f.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._f.close()
        finally:
            if os.path.exists(self._tmp):
                os.remove(self._tmp)


def write_velocity_h5(path: str, velocity_mm_yr: np.ndarray, velocity_std_mm_yr: np.ndarray, *,
                      dates: Sequence[_dt.date], wavelength_m: float, geotransform=None,
                      epsg: Optional[int] = None, ref_yx: Optional[tuple[int, int]] = None) -> str:
    """Write a MintPy ``velocity.h5`` (m/year) from velocity and its standard error in mm/yr."""
    h5py = h5py_module()
    tmp = path + ".part"
    shape = velocity_mm_yr.shape
    try:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("velocity", data=(velocity_mm_yr / 1000.0).astype(np.float32))
            f.create_dataset("velocityStd", data=(velocity_std_mm_yr / 1000.0).astype(np.float32))
            s, e = dates[0].strftime("%Y%m%d"), dates[-1].strftime("%Y%m%d")
            attrs = {"FILE_TYPE": "velocity", "UNIT": "m/year", "LENGTH": shape[0], "WIDTH": shape[1],
                     "WAVELENGTH": wavelength_m, "START_DATE": s, "END_DATE": e, "DATE12": f"{s}_{e}",
                     "REF_DATE": s, "PROCESSOR": "insar_geohazards", **_geo_attrs(geotransform, epsg)}
            if ref_yx is not None:
                attrs["REF_Y"], attrs["REF_X"] = int(ref_yx[0]), int(ref_yx[1])
            for k, v in attrs.items():
                f.attrs[k] = v
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_ifgram_stack(path: str, phase_rad: np.ndarray, pairs: Sequence, *, coherence: Optional[np.ndarray] = None,
                       bperp_m: Optional[np.ndarray] = None, wavelength_m: float, geotransform=None,
                       epsg: Optional[int] = None, ref_yx: Optional[tuple[int, int]] = None,
                       looks: tuple[int, int] = (1, 1)) -> str:
    """Write a minimal MintPy ``ifgramStack.h5`` (for tests, benchmarks and export)."""
    h5py = h5py_module()
    m, rows, cols = phase_rad.shape
    with h5py.File(path, "w") as f:
        chunks = (m, min(rows, 128), min(cols, 128))
        f.create_dataset("unwrapPhase", data=np.asarray(phase_rad, np.float32), chunks=chunks)
        if coherence is not None:
            f.create_dataset("coherence", data=np.asarray(coherence, np.float32),
                             chunks=(m, min(rows, 128), min(cols, 128)))
        f.create_dataset("date", data=np.array([[a.strftime("%Y%m%d").encode(), b.strftime("%Y%m%d").encode()]
                                                for a, b in pairs]))
        f.create_dataset("bperp", data=np.zeros(m, np.float32) if bperp_m is None else np.asarray(bperp_m, np.float32))
        f.create_dataset("dropIfgram", data=np.ones(m, bool))
        attrs = {"FILE_TYPE": "ifgramStack", "LENGTH": rows, "WIDTH": cols, "WAVELENGTH": wavelength_m,
                 "ALOOKS": looks[0], "RLOOKS": looks[1], "UNIT": "radian", **_geo_attrs(geotransform, epsg)}
        if ref_yx is not None:
            attrs["REF_Y"], attrs["REF_X"] = int(ref_yx[0]), int(ref_yx[1])
        for k, v in attrs.items():
            f.attrs[k] = v
    return path


# ------------------------------------------------------------------------------------------ results as layers

#: Unit of each dataset when neither the dataset nor the file states one (MintPy ``objects/stack.py``
#: ``DSET_UNIT_DICT``; ``timeseries2velocity.py`` for the fitted parameters).
DATASET_UNITS = {
    "timeseries": "m", "raw": "m", "troposphericDelay": "m", "topographicResidual": "m", "ramp": "m",
    "displacement": "m", "velocity": "m/year", "velocityStd": "m/year", "acceleration": "m/year^2",
    "accelerationStd": "m/year^2", "intercept": "m", "interceptStd": "m", "residue": "m", "height": "m",
    "incidenceAngle": "degree", "azimuthAngle": "degree", "slantRangeDistance": "m", "latitude": "degree",
    "longitude": "degree", "shadowMask": "1", "waterMask": "1", "commonMask": "1", "mask": "1",
    "temporalCoherence": "1", "coherence": "1", "dem": "m",
}
#: Datasets holding LOS displacement or velocity (positive toward the satellite, referenced at REF_Y/REF_X):
#: MintPy leaves the pixels it did not invert at exactly 0 there.
DISPLACEMENT_DATASETS = ("timeseries", "raw", "displacement", "velocity")
#: The dataset of a geometry file each kind of raster parameter reads.
GEOMETRY_FOR = {"incidence": "incidenceAngle", "heading": "azimuthAngle", "dem": "height",
                "slant_range": "slantRangeDistance"}
#: Content of an angle dataset, written as ``ANGLE_CONTENT`` so the angle rasters' check knows what it holds.
ANGLE_CONTENT = {"incidenceAngle": "incidence_deg", "azimuthAngle": "isce_los_azimuth_deg"}
_ANGLE_UNITS = {"degree": "deg", "degrees": "deg", "deg": "deg"}


def _float(attrs: dict, key: str) -> Optional[float]:
    try:
        v = float(attrs[key])
    except (KeyError, TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def utm_zone_epsg(zone: str) -> int:
    """EPSG code of a WGS84 UTM zone written as MintPy's ``UTM_ZONE`` (``11N``, ``36S``; MintPy
    ``utils0.utm_zone2epsg_code``): 326xx north, 327xx south."""
    text = str(zone).strip().upper()
    try:
        num, hemi = int(text[:-1]), text[-1]
    except (ValueError, IndexError):
        num, hemi = 0, ""
    if not (1 <= num <= 60 and hemi in ("N", "S")):
        raise GeohazardError(f"UTM_ZONE={zone!r} is not a UTM zone (a number 1-60 and N or S, e.g. 11N)")
    return (32600 if hemi == "N" else 32700) + num


def mintpy_georeference(attrs: dict, name: str) -> tuple[tuple, int]:
    """``(GDAL geotransform, EPSG)`` of a geocoded MintPy file, as MintPy's ``save_gdal.write_gdal`` builds them.

    Raises
    ------
    GeohazardError
        The file is in radar coordinates (no ``X_FIRST``...), or its coordinates cannot be latitude/longitude and
        it names no EPSG or UTM zone.
    """
    keys = ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP")
    vals = [_float(attrs, k) for k in keys]
    if any(v is None for v in vals):
        missing = [k for k, v in zip(keys, vals) if v is None]
        radar = "latitude/longitude datasets" if attrs.get("_HAS_LATLON") else "no map coordinates"
        raise GeohazardError(
            f"{name} is in radar coordinates ({radar}; attributes {', '.join(missing)} missing): geocode it first "
            "with MintPy (geocode.py <file> -l inputs/geometryRadar.h5, or smallbaselineApp.py's geocode step), "
            "then give the geo_*.h5 file or its save_gdal GeoTIFF")
    x0, y0, dx, dy = vals
    if dx == 0 or dy == 0:
        raise GeohazardError(f"{name}: X_STEP={dx:g} / Y_STEP={dy:g}: a pixel size cannot be 0")
    if "EPSG" in attrs and attr_text(attrs["EPSG"]).strip() not in ("", "None"):
        try:
            epsg = int(float(attr_text(attrs["EPSG"])))
        except ValueError:
            raise GeohazardError(f"{name}: EPSG={attrs['EPSG']!r} is not an EPSG code") from None
    elif "UTM_ZONE" in attrs and attr_text(attrs["UTM_ZONE"]).strip():
        epsg = utm_zone_epsg(attr_text(attrs["UTM_ZONE"]))
    else:
        unit = attr_text(attrs.get("Y_UNIT", attrs.get("X_UNIT", ""))).lower()
        ny = y0 + dy * float(attrs.get("LENGTH", 1) or 1)
        if unit.startswith("m") or not (abs(x0) <= 360.0 and abs(y0) <= 90.0 and abs(ny) <= 90.0):
            raise GeohazardError(f"{name}: map coordinates in {unit or 'metres'} (X_FIRST={x0:g}, Y_FIRST={y0:g}) "
                                 "but no EPSG or UTM_ZONE attribute: the CRS is unknown")
        epsg = 4326
    return (x0, dx, 0.0, y0, 0.0, dy), epsg


def _choose_dataset(name: str, base: str, file_type: str, found: dict, dataset: Optional[str],
                    purpose: Optional[str]) -> str:
    listing = ", ".join(sorted(found)) or "none"
    if dataset:
        if dataset not in found:
            raise GeohazardError(f"{name} has no dataset {dataset!r} (it holds {listing})")
        return dataset
    if file_type == "geometry":
        want = GEOMETRY_FOR.get(purpose or "")
        if want is None:
            raise GeohazardError(
                f"{name} is a MintPy geometry file holding {listing}: name the dataset to read as "
                f'HDF5:"{base}"://<dataset> (e.g. //incidenceAngle), or give it as an incidence raster, heading '
                "raster, DEM or slant-range raster, which read incidenceAngle, azimuthAngle, height and "
                "slantRangeDistance")
        if want not in found:
            raise GeohazardError(f"{name} holds no {want!r} dataset (it holds {listing})")
        return want
    for cand in (file_type, {"timeseries": "timeseries"}.get(file_type, "")):
        if cand and cand in found:
            return cand
    if len(found) == 1:
        return next(iter(found))
    raise GeohazardError(f"{name} (FILE_TYPE {file_type or 'not set'}) holds {listing}: name the dataset to read "
                         f'as HDF5:"{base}"://<dataset>')


#: The groups of MintPy's HDF-EOS5 file (``save_hdfeos5.py``): the time series (``displacement`` in metres, ``date``,
#: ``bperp``), its quality (``temporalCoherence``, ``avgSpatialCoherence``, ``mask``) and geometry (``height``,
#: ``incidenceAngle``, ``azimuthAngle``, ``slantRangeDistance``, ``latitude``/``longitude``, masks); each dataset
#: carries ``Units`` and ``_FillValue`` 0, the file's MintPy attributes are at its root (``FILE_TYPE=HDFEOS``).
HDFEOS_ROOT = "HDFEOS/GRIDS/timeseries"
HDFEOS_GROUPS = tuple(f"{HDFEOS_ROOT}/{g}" for g in ("observation", "quality", "geometry"))


def _hdfeos_datasets(f, label: str) -> dict:
    """The 2-D and 3-D datasets of an HDF-EOS5 file's groups by name; refused, naming the file, without the
    time series."""
    h5py = h5py_module()
    out = {}
    for g in HDFEOS_GROUPS:
        if isinstance(f.get(g), h5py.Group):
            out.update({k: v for k, v in f[g].items() if isinstance(v, h5py.Dataset) and v.ndim in (2, 3)})
    if "displacement" not in out or "date" not in f.get(HDFEOS_GROUPS[0], {}):
        raise GeohazardError(f"{label} is a MintPy HDF-EOS5 file without {HDFEOS_GROUPS[0]}/displacement and date "
                             f"(it holds {', '.join(sorted(out)) or 'no raster'}): the file is incomplete (a copy or "
                             "download cut short?) or not written by save_hdfeos5.py")
    return out


def _dates(f, name: str, n: int) -> list:
    if "date" not in f or f["date"].ndim != 1 or f["date"].shape[0] != n:
        raise GeohazardError(f"{name}: a time series of {n} dates needs a 'date' dataset of {n} YYYYMMDD values")
    try:
        return [_date(t) for t in f["date"][:]]
    except (ValueError, IndexError):
        raise GeohazardError(f"{name}: its 'date' dataset does not hold YYYYMMDD dates") from None


def _scene_metadata(attrs: dict) -> dict:
    """Wavelength, heading, incidence in our metadata keys, when MintPy's attributes give plausible ones."""
    out = {}
    wl = _float(attrs, "WAVELENGTH")
    if wl is not None and 1e-3 < wl < 1.0:
        out["WAVELENGTH_M"] = f"{wl:.10g}"
    head = _float(attrs, "HEADING")
    if head is not None and -360.0 <= head <= 360.0:
        out["HEADING_DEG"] = f"{head:.10g}"
    inc = _float(attrs, "CENTER_INCIDENCE_ANGLE")
    if inc is not None and 0.5 <= inc <= 89.5:
        out["INCIDENCE_DEG"] = f"{inc:.10g}"
    return out


def open_layer(path: str, *, dataset: Optional[str] = None, purpose: Optional[str] = None,
               name: Optional[str] = None) -> DatedLayer:
    """A dataset of a MintPy HDF5 result as a georeferenced, dated raster layer in our units.

    Parameters
    ----------
    path : str
        ``timeseries*.h5``, ``velocity*.h5``, ``geometryGeo.h5``, ``maskTempCoh.h5``, ``temporalCoherence.h5`` ...
        (geocoded; radar-coded files are refused).
    dataset : str, optional
        The dataset to read; default: the file's own (``timeseries``, ``velocity``, ``mask`` ...) or, in a geometry
        file, the one ``purpose`` needs.
    purpose : {"incidence", "heading", "dem", "slant_range"}, optional
        What the raster is taken for (the geometry dataset read).
    name : str, optional
        How the file is named in messages (default its file name).

    Returns
    -------
    DatedLayer
        Displacements in mm (LOS, positive toward the satellite), velocities in mm/yr, angles in degrees: MintPy
        stores metres and m/year (``factor`` 1000). The metadata carries UNIT, SIGN, the reference (REF_Y/REF_X as
        REFERENCE_ROW/REFERENCE_COL, REF_DATE as REFERENCE_DATE), WAVELENGTH_M, HEADING_DEG, INCIDENCE_DEG,
        PERPENDICULAR_BASELINES_M where MintPy's attributes give them.

    Raises
    ------
    GeohazardError
        Not an HDF5 file, not MintPy's, an interferogram stack, radar coordinates, an unknown dataset or unit.
    """
    label = name or os.path.basename(path)
    with open_h5(path, label) as f:
        return read_layer(f, path, label, dataset=dataset, purpose=purpose)


def read_layer(f, path: str, label: str, found: Optional[dict] = None, *, dataset: Optional[str] = None,
               purpose: Optional[str] = None) -> DatedLayer:
    """A dataset of the open MintPy HDF5 file ``f`` (at ``path``, named ``label`` in messages; ``found``: its
    root datasets when already listed) as a layer: :func:`open_layer`, the file opened by the caller (the
    HDF5 layer reader of MintPy's :data:`PRODUCER`)."""
    attrs = root_attrs(f)
    file_type = attrs.get("FILE_TYPE", "")
    found = root_datasets(f) if found is None else found
    he5 = file_type == "HDFEOS" or "HDFEOS" in f
    choose_type = file_type
    if he5:
        found = _hdfeos_datasets(f, label)
        dataset = dataset.rsplit("/", 1)[-1] if dataset else None
        choose_type = "geometry" if purpose in GEOMETRY_FOR and not dataset else "displacement"
    if file_type == "ifgramStack" or "unwrapPhase" in found:
        raise GeohazardError(f"{label} is a MintPy interferogram stack (ifgramStack.h5): give it to the SBAS "
                             "tool (sbasinversion INTERFEROGRAMS); a raster input takes MintPy's results "
                             "(timeseries.h5, velocity.h5, geometryGeo.h5, maskTempCoh.h5)")
    if not file_type and not found:
        raise GeohazardError(f"{label} is an HDF5 file without MintPy's layout (no FILE_TYPE attribute and no "
                             "2-D or 3-D dataset at its root)")
    if "latitude" in found and "X_FIRST" not in attrs:
        attrs["_HAS_LATLON"] = "1"
    gt, epsg = mintpy_georeference(attrs, label)
    ds_name = _choose_dataset(label, os.path.basename(path), choose_type, found, dataset, purpose)
    ds = found[ds_name]
    series = f[HDFEOS_GROUPS[0]] if he5 else f
    shape = tuple(int(v) for v in ds.shape[-2:])
    if "LENGTH" in attrs and "WIDTH" in attrs:
        try:
            declared = (int(float(attrs["LENGTH"])), int(float(attrs["WIDTH"])))
        except ValueError:
            declared = shape
        if declared != shape:
            raise GeohazardError(f"{label}: dataset {ds_name!r} has {shape[0]} x {shape[1]} pixels but the file "
                                 f"says LENGTH={declared[0]}, WIDTH={declared[1]}")
    bands = int(ds.shape[0]) if ds.ndim == 3 else 1
    dates = _dates(series, label, bands) if ds.ndim == 3 else None
    unit_attr = next((attr_text(ds.attrs[k]) for k in ("UNIT", "Units") if k in ds.attrs), None)
    if unit_attr is None:
        unit_attr = attrs.get("UNIT", "") if ds_name == (file_type or ds_name) else ""
    source_unit = unit_attr or DATASET_UNITS.get(ds_name, "")
    bperp = np.asarray(series["bperp"][:], float) if dates and "bperp" in series and \
        series["bperp"].shape == (bands,) else None
    ds_path = ds.name.lstrip("/") if he5 else ds_name
    conv = length_unit(source_unit)
    if conv is not None:
        factor, unit = conv
        if ds_name in ("height", "slantRangeDistance", "dem"):
            factor, unit = conv[0] / 1000.0, "m"
    elif source_unit.strip().lower() in _ANGLE_UNITS:
        factor, unit = 1.0, "deg"
    elif source_unit.strip() in ("1", ""):
        factor, unit = 1.0, ""
    elif source_unit.strip().lower().startswith("rad"):
        raise GeohazardError(f"{label}: dataset {ds_name!r} is in {source_unit}: phase is read by the SBAS tool "
                             "from ifgramStack.h5; a raster input takes displacements (m), velocities (m/year) and "
                             "geometry")
    else:
        raise GeohazardError(f"{label}: dataset {ds_name!r} has the unit {source_unit!r}, which is not one this "
                             "reader converts (m, m/year, degree, 1)")
    ref = None
    ry, rx = _float(attrs, "REF_Y"), _float(attrs, "REF_X")
    if ry is not None and rx is not None and 0 <= ry < shape[0] and 0 <= rx < shape[1]:
        ref = (int(ry), int(rx))
    nodata = _float(attrs, "NO_DATA_VALUE")
    meta = {"MINTPY_FILE": os.path.basename(path), "MINTPY_DATASET": ds_path, "MINTPY_FILE_TYPE": file_type}
    if unit:
        meta["UNIT"] = unit
    if ds_name in DISPLACEMENT_DATASETS:
        meta["SIGN"] = "LOS positive toward the satellite"
    if ref is not None and (ds_name in DISPLACEMENT_DATASETS or file_type in ("timeseries", "velocity")):
        meta["REFERENCE_ROW"], meta["REFERENCE_COL"] = str(ref[0]), str(ref[1])
        for k, ours in (("REF_LAT", "REFERENCE_Y"), ("REF_LON", "REFERENCE_X")):
            if _float(attrs, k) is not None:
                meta[ours] = attrs[k]
    ref_date = attrs.get("REF_DATE", "")
    if ref_date and (ds_name in DISPLACEMENT_DATASETS or file_type == "timeseries"):
        try:
            meta["REFERENCE_DATE"] = _date(ref_date).isoformat()
        except (ValueError, IndexError):
            pass
    if file_type == "velocity" and attrs.get("START_DATE") and attrs.get("END_DATE"):
        try:
            meta["START_DATE"], meta["END_DATE"] = (_date(attrs[k]).isoformat() for k in ("START_DATE", "END_DATE"))
        except (ValueError, IndexError):
            pass
    meta.update(_scene_metadata(attrs))
    if ds_name in ANGLE_CONTENT:
        meta["ANGLE_CONTENT"] = ANGLE_CONTENT[ds_name]
    if bperp is not None and np.all(np.isfinite(bperp)) and np.all(np.abs(bperp) < 1e4):
        meta["PERPENDICULAR_BASELINES_M"] = ",".join(f"{v - bperp[0]:.3f}" for v in bperp)
    descriptions = [d.isoformat() for d in dates] if dates else [ds_name]
    return DatedLayer(path, ds_path, file_type, shape, bands, gt, epsg, factor, unit, source_unit, dates, ref,
                       nodata, meta, descriptions, producer="MintPy HDF-EOS5" if he5 else "MintPy")


def _read_rows(layer: DatedLayer, rows: tuple[int, int]) -> np.ndarray:
    """Rows ``[r0, r1)`` of the layer's dataset as stored, ``(bands, rows, cols)``; a file that cannot be read
    there (a download cut short) is named."""
    h5py = h5py_module()
    r0, r1 = rows
    try:
        with h5py.File(layer.path, "r") as f:
            ds = f[layer.dataset]
            return ds[:, r0:r1, :] if ds.ndim == 3 else ds[r0:r1, :][None]
    except (OSError, KeyError, RuntimeError) as exc:
        raise GeohazardError(f"{layer.label}: rows {r0}-{r1} cannot be read ({exc}); the file is damaged or "
                             "incomplete (a copy or download cut short?)") from None


def read_layer_rows(layer: DatedLayer, rows: tuple[int, int]) -> np.ndarray:
    """Rows ``[r0, r1)`` of a layer, ``(bands, rows, cols)`` float32 in its unit; masks as 0/1 uint8.

    No-data become NaN: NaN, MintPy's ``NO_DATA_VALUE``, and the exact zeros MintPy leaves where it did not invert
    (a displacement pixel 0 at every date, or a velocity of exactly 0, except at the reference pixel, where 0 is
    the datum), and incidence or slant range 0 (impossible values, the fill of geocoded geometry).
    """
    raw = _read_rows(layer, rows)
    r0, r1 = rows
    if layer.is_mask or raw.dtype == np.bool_:
        keep = np.nan_to_num(np.asarray(raw)) != 0  # LiCSBAS's masks hold NaN off its data
        if layer.nodata is not None:
            keep &= np.asarray(raw) != layer.nodata  # OPERA's masks: 255 = no data
        return keep.astype(np.uint8)
    out = np.asarray(raw, np.float32)
    if layer.nodata is not None and np.isfinite(layer.nodata):
        out[out == np.float32(layer.nodata)] = np.nan
    zero = None
    mintpy_zeros = layer.producer.startswith("MintPy")  # MintPy's fill; other producers write NaN
    if mintpy_zeros and layer.name in DISPLACEMENT_DATASETS:
        zero = np.all(out == 0, axis=0)
        if layer.ref_yx is not None and r0 <= layer.ref_yx[0] < r1:
            zero[layer.ref_yx[0] - r0, layer.ref_yx[1]] = False
    elif mintpy_zeros and layer.name in ("incidenceAngle", "slantRangeDistance"):
        zero = np.any(out == 0, axis=0)
    if zero is not None and zero.any():
        out[:, zero] = np.nan
    if layer.factor != 1.0:
        out *= np.float32(layer.factor)
    return out


def zero_pixels(layer: DatedLayer, rows: tuple[int, int]) -> int:
    """How many pixels of rows ``[r0, r1)`` :func:`read_layer_rows` turns from MintPy's 0 into no-data (for the
    log)."""
    if not layer.producer.startswith("MintPy") or layer.name not in DISPLACEMENT_DATASETS:
        return 0
    r0, r1 = rows
    raw = _read_rows(layer, rows)
    zero = np.all(np.asarray(raw) == 0, axis=0)
    if layer.ref_yx is not None and r0 <= layer.ref_yx[0] < r1:
        zero[layer.ref_yx[0] - r0, layer.ref_yx[1]] = False
    return int(zero.sum())


#: Where MintPy keeps the geometry of a geocoded result, relative to the result's folder (smallbaselineApp.py's
#: work folder: ``inputs/geometryGeo.h5`` from geocoded inputs, ``geo/geo_geometryRadar.h5`` after geocoding).
GEOMETRY_SIBLINGS = ("geometryGeo.h5", "geo_geometryRadar.h5", os.path.join("inputs", "geometryGeo.h5"),
                     os.path.join("..", "inputs", "geometryGeo.h5"), os.path.join("geo", "geo_geometryRadar.h5"))


def sibling_geometry(layer: DatedLayer) -> Optional[str]:
    """The geocoded geometry file of a result's MintPy work folder on the same grid, or None."""
    h5py = h5py_module()
    folder = os.path.dirname(os.path.abspath(layer.path))
    for rel in GEOMETRY_SIBLINGS:
        cand = os.path.normpath(os.path.join(folder, rel))
        if not os.path.isfile(cand) or os.path.samefile(cand, layer.path):
            continue
        try:
            with h5py.File(cand, "r") as f:
                attrs = {k: attr_text(v) for k, v in f.attrs.items()}
                if attrs.get("FILE_TYPE") != "geometry" or "incidenceAngle" not in f:
                    continue
                gt, _ = mintpy_georeference(attrs, cand)
                if tuple(f["incidenceAngle"].shape) != tuple(layer.shape) or \
                        not np.allclose(gt, layer.geotransform, rtol=0, atol=1e-9 * max(1.0, abs(gt[0]))):
                    continue
        except (OSError, GeohazardError):
            continue
        return cand
    return None


def scene_geometry(geometry_path: str, group: str = "") -> dict:
    """Scene values of a geometry file (or of the ``group`` of a file holding its geometry, as HDF-EOS5 does): mean
    incidence (``INCIDENCE_DEG``) and slant range (``SLANT_RANGE_M``) over its valid pixels (0 and NaN left out),
    read 256 rows at a time."""
    h5py = h5py_module()
    out = {}
    with h5py.File(geometry_path, "r") as f:
        for ds_name, key in (("incidenceAngle", "INCIDENCE_DEG"), ("slantRangeDistance", "SLANT_RANGE_M")):
            full = f"{group}/{ds_name}" if group else ds_name
            if full not in f:
                continue
            ds, total, count = f[full], 0.0, 0
            for r0 in range(0, ds.shape[0], 256):
                block = np.asarray(ds[r0:r0 + 256], np.float64)
                ok = np.isfinite(block) & (block != 0)
                total += float(block[ok].sum())
                count += int(ok.sum())
            if count:
                out[key] = f"{total / count:.10g}"
    return out


# ------------------------------------------------------------------ the producer
def _read_h5_layer(f, path: str, label: str, found: dict, dataset: Optional[str], purpose: Optional[str]):
    return read_layer(f, path, label, found, dataset=dataset, purpose=purpose)


#: MintPy's results (timeseries.h5, velocity.h5, geometryGeo.h5, masks; HDF-EOS5 .he5): every HDF5 file no other
#: producer claims, its reader naming what MintPy's layout lacks.
PRODUCER = Producer("MintPy", claims_h5=lambda f, basename, attrs: True, read_h5_layer=_read_h5_layer)
