"""MintPy HDF5 files: read ``ifgramStack.h5``, write ``timeseries.h5`` / ``velocity.h5``.

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

Displacements are positive toward the satellite in both MintPy and this project.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError


def _h5py():
    try:
        import h5py
    except ImportError:  # h5py ships with QGIS on most platforms; say so when it does not
        raise GeohazardError("reading/writing MintPy HDF5 files needs the Python package h5py") from None
    return h5py


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
        h5py = _h5py()
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
    h5py = _h5py()
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
        h5py = _h5py()
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
    h5py = _h5py()
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
    h5py = _h5py()
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
