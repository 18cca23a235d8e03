"""OPERA DISP-S1 displacement products (JPL, netCDF-4) as dated layers and as a stack of pairs.

Layout, from the producer's code (github.com/opera-adt/disp-s1, ``src/disp_s1/product.py`` and
``product_info.py``, BSD-3-Clause / Apache-2.0) and the product specification (JPL D-108765):

``displacement`` (y, x) float32
    LOS displacement in **metres** from the reference date to the secondary date, "positive values indicate
    apparent motion towards the platform" (this project's sign); NaN = no data. ``short_wavelength_displacement``
    likewise, long wavelengths removed.
``temporal_coherence``, ``estimated_phase_quality``, ``phase_similarity`` (0-1, NaN fill); ``recommended_mask``,
``water_mask``, ``persistent_scatterer_mask`` (uint8, 255 fill); ``connected_component_labels``. The
``recommended_mask`` is "0 a bad pixel, 1 a good pixel": 0 where the pixel is water, in connected component 0, or
of low temporal coherence and low phase similarity (``product_info.py``); a stack's displacements are read with
it applied (0 and the fill 255 as no-data, :attr:`StackSpec.masks`), the pixels it drops counted for the log.
``x``, ``y``
    pixel centres (m) of a UTM grid; ``spatial_ref`` holds the CRS (CF ``crs_wkt``) and ``GeoTransform`` (the
    upper-left corner, as GDAL's).
``identification/``
    ``frame_id``, ``reference_datetime``, ``secondary_datetime`` (``%Y-%m-%d %H:%M:%S.%f``), ``radar_wavelength``
    (m), ``near_range_incidence_angle``, ``far_range_incidence_angle`` (degrees) ...
``corrections/``
    ``perpendicular_baseline`` (m), ``reference_point`` (attributes ``rows``, ``cols``, ``latitudes``,
    ``longitudes``).

File name: ``OPERA_L3_DISP-S1_IW_F<frame>_VV_<reference>Z_<secondary>Z_v<version>_<generation>Z.nc``: the first two
dates are the pair; the third is when the file was made (it is not a date of the pair).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import OrderedDict
from typing import Optional

import numpy as np

from ..conventions import radians_per_m
from ..errors import GeohazardError
from ..plausibility import WAVELENGTH_M
from . import geometry_meta as gm
from .hdf5 import DatedLayer, h5py_module
from .producer_spec import WRAPPED_PRODUCT, Producer
from .stack_spec import PairSpec, StackSpec, one_group, one_wavelength, product_files

NAME = re.compile(r"^OPERA_L3_DISP-S1_(?P<mode>[A-Z]{2})_F(?P<frame>\d+)_(?P<pol>[A-Z]{2})_"
                  r"(?P<ref>\d{8})T\d{6}Z_(?P<sec>\d{8})T\d{6}Z_v(?P<version>[\d.]+)_(?P<made>\d{8})T\d{6}Z"
                  r"\.(?:nc|h5)$", re.I)
#: The datasets of a DISP-S1 file read as rasters, with their unit as the product states it.
LAYERS = {"displacement": "meters", "short_wavelength_displacement": "meters", "temporal_coherence": "unitless",
          "estimated_phase_quality": "unitless", "phase_similarity": "unitless", "recommended_mask": "unitless",
          "water_mask": "unitless", "persistent_scatterer_mask": "unitless",
          "connected_component_labels": "unitless", "shp_counts": "unitless",
          "timeseries_inversion_residuals": "radians"}
DISPLACEMENT = ("displacement", "short_wavelength_displacement")
MASKS = ("recommended_mask", "water_mask", "persistent_scatterer_mask")


def name_parts(basename: str) -> Optional[dict]:
    """``{"frame", "ref", "sec", "made"}`` of a DISP-S1 file name (dates as :class:`datetime.date`), None when the
    name is not one."""
    m = NAME.match(basename)
    if m is None:
        return None
    try:
        ref, sec, made = (_dt.datetime.strptime(m.group(k), "%Y%m%d").date() for k in ("ref", "sec", "made"))
    except ValueError:
        return None
    return {"frame": m.group("frame"), "ref": ref, "sec": sec, "made": made}


def subdataset(path: str, layer: str) -> str:
    """GDAL's name of one layer of a DISP-S1 file (``NETCDF:"<file>":/displacement``)."""
    return f'NETCDF:"{path}":/{layer}'


def _text(v) -> str:
    v = np.asarray(v).reshape(-1)[0] if np.asarray(v).size else ""
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def _scalar(f, key: str) -> Optional[float]:
    if key not in f:
        return None
    try:
        x = float(np.asarray(f[key][()]).reshape(-1)[0])
    except (IndexError, TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _date_of(f, key: str, label: str) -> Optional[_dt.date]:
    if key not in f:
        return None
    text = _text(f[key][()])
    try:
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        raise GeohazardError(f"{label}: {key} is {text!r}, not a date") from None


def read_meta(f, label: str, parts: dict) -> dict:
    """The values of an open DISP-S1 file (h5py): dates (the file's ``identification`` checked against its name),
    wavelength, scene incidence, reference pixel, perpendicular baseline; refused naming the file when the
    displacement, the grid or the wavelength is missing or not what the specification says."""
    if "displacement" not in f or f["displacement"].ndim != 2:
        raise GeohazardError(f"{label} has no 2-D 'displacement' dataset (it holds "
                             f"{', '.join(sorted(f.keys())) or 'nothing'}): not a complete OPERA DISP-S1 product")
    unit = _text(f["displacement"].attrs.get("units", b""))
    if unit not in ("meters", "m", "metre", "metres"):
        raise GeohazardError(f"{label}: 'displacement' is in {unit or 'no stated unit'!r}, where OPERA DISP-S1 "
                             "writes meters; the file was changed after it was made")
    for key, want in (("identification/reference_datetime", parts["ref"]),
                      ("identification/secondary_datetime", parts["sec"])):
        got = _date_of(f, key, label)
        if got is not None and got != want:
            raise GeohazardError(f"{label}: {key} is {got.isoformat()} but the file name says {want.isoformat()}: "
                                 "renamed?")
    wl = _scalar(f, "identification/radar_wavelength")
    if wl is None:
        raise GeohazardError(f"{label} has no identification/radar_wavelength: not a complete OPERA DISP-S1 product")
    if not (WAVELENGTH_M.low <= wl <= WAVELENGTH_M.high):
        raise GeohazardError(f"{label}: identification/radar_wavelength is {wl:g}, not a wavelength in metres "
                             f"({WAVELENGTH_M.usual})")
    out = {"wavelength": wl}
    near, far = (_scalar(f, f"identification/{k}_range_incidence_angle") for k in ("near", "far"))
    if near is not None and far is not None:
        out["incidence"] = (near + far) / 2.0
    ref = f.get("corrections/reference_point")
    if ref is not None:
        rows, cols = (np.asarray(ref.attrs.get(k, [])).reshape(-1) for k in ("rows", "cols"))
        if rows.size == 1 and cols.size == 1:
            out["reference"] = (int(rows[0]), int(cols[0]))
    bp = f.get("corrections/perpendicular_baseline")
    if bp is not None and bp.ndim == 2:
        a = np.asarray(bp[::max(1, bp.shape[0] // 64), ::max(1, bp.shape[1] // 64)], np.float64)
        if np.isfinite(a).any():
            out["bperp"] = float(np.nanmean(a))
    return out


def georeference(f, label: str) -> tuple:
    """``(GDAL geotransform, CRS WKT)`` of the file: ``spatial_ref``'s ``GeoTransform`` and ``crs_wkt``, checked
    against the ``x``/``y`` pixel centres."""
    sr = f.get("spatial_ref")
    if sr is None or "GeoTransform" not in sr.attrs or "x" not in f or "y" not in f:
        raise GeohazardError(f"{label} has no spatial_ref GeoTransform or x/y coordinates: its grid is unknown")
    try:
        gt = tuple(float(v) for v in _text(sr.attrs["GeoTransform"]).split())
    except ValueError:
        gt = ()
    if len(gt) != 6:
        raise GeohazardError(f"{label}: spatial_ref GeoTransform {_text(sr.attrs['GeoTransform'])!r} is not six "
                             "numbers")
    x, y = np.asarray(f["x"][:2], float), np.asarray(f["y"][:2], float)
    if abs(x[0] - (gt[0] + gt[1] / 2)) > 1e-6 * abs(gt[1]) or abs(y[0] - (gt[3] + gt[5] / 2)) > 1e-6 * abs(gt[5]):
        raise GeohazardError(f"{label}: its x/y pixel centres ({x[0]:.3f}, {y[0]:.3f}) disagree with spatial_ref's "
                             f"GeoTransform ({gt[0]:.3f}, {gt[3]:.3f} at the corner)")
    wkt = _text(sr.attrs.get("crs_wkt", sr.attrs.get("spatial_ref", b"")))
    if not wkt:
        raise GeohazardError(f"{label}: spatial_ref names no CRS (crs_wkt)")
    return gt, wkt


def opera_stack(entries: list) -> StackSpec:
    """DISP-S1 files of one frame as a :class:`StackSpec` of (reference, secondary) pairs. Each file's displacement
    (metres, positive toward the satellite) is read as the phase the stack tools take, radians growing with the
    range: ``phase = -4 pi / wavelength x displacement`` (:attr:`StackSpec.unw_scale`); its coherence is
    ``temporal_coherence``; its ``recommended_mask`` is applied (:attr:`StackSpec.masks`).

    Raises
    ------
    GeohazardError
        Two frames in one input, a pair given twice (two versions of one product), wavelengths that differ, a file
        that is not a complete DISP-S1 product (named).
    """
    h5py = h5py_module()
    spec = StackSpec("OPERA", "OPERA DISP-S1 netCDF files (OPERA_L3_DISP-S1_*.nc)", [])
    left: OrderedDict = OrderedDict()
    frames: OrderedDict = OrderedDict()
    seen, waves, incs, baselines, counts = {}, [], [], {}, []
    for e, parts in product_files(entries, name_parts, left, "an OPERA DISP-S1 file", "netCDF"):
        frames.setdefault(parts["frame"], e.rel)
        pair = (parts["ref"], parts["sec"])
        if pair in seen:
            raise GeohazardError(f"the pair {pair[0]:%Y%m%d}_{pair[1]:%Y%m%d} is given twice: {seen[pair]} and "
                                 f"{e.rel} (two versions of one product? keep the newest)")
        seen[pair] = e.rel
        try:
            with h5py.File(e.path, "r") as f:
                meta = read_meta(f, e.rel, parts)
                georeference(f, e.rel)
                masked = _masked_pixels(f, e.rel)
        except OSError as exc:
            raise GeohazardError(f"{e.rel} is not a netCDF-4 file that can be read ({exc}); a download cut short?") \
                from None
        waves.append((e.rel, meta["wavelength"]))
        if "incidence" in meta:
            incs.append((f"{e.rel} identification/near_ and far_range_incidence_angle", meta["incidence"]))
        if "bperp" in meta:
            baselines[tuple(sorted(pair))] = meta["bperp"]
        spec.pairs.append(PairSpec(pair, subdataset(e.path, "displacement"), subdataset(e.path, "temporal_coherence"),
                                   label=e.rel, extras={m: subdataset(e.path, m) for m in MASKS},
                                   meta={"reference": meta.get("reference")}))
        if masked is not None:
            spec.masks[spec.pairs[-1].unw] = subdataset(e.path, "recommended_mask")
            counts.append((e.rel, *masked))
    one_group(frames, "DISP-S1 files", "frame", show="F{}".format)
    if not spec.pairs:
        return spec
    w0 = one_wavelength(waves)
    spec.frame = f"F{next(iter(frames))}"
    spec.wavelength = ("identification/radar_wavelength of the DISP-S1 files", w0)
    spec.unw_scale = radians_per_m(w0, phase_sign=-1)  # phase = -4 pi / wavelength x displacement
    if incs:
        spec.geometry[gm.INCIDENCE_KEY] = incs
    if baselines:
        spec.baselines, spec.baselines_source = baselines, "mean of corrections/perpendicular_baseline of each file"
    refs = sorted({p.pair[0] for p in spec.pairs})
    spec.taken.append(f"OPERA DISP-S1: {len(spec.pairs)} file(s) of frame {spec.frame}, dates from the file names "
                      f"(reference and secondary; the third date is when the file was made), {len(refs)} reference "
                      f"date(s) ({', '.join(d.isoformat() for d in refs[:4])}{' ...' if len(refs) > 4 else ''})")
    spec.taken.append(f"displacement (metres, positive toward the satellite) read as phase growing with the range: "
                      f"x {spec.unw_scale:.6g} rad/m (-4 pi / wavelength {w0:.8g} m, identification/radar_wavelength)"
                      "; coherence: temporal_coherence")
    spec.taken.append(_mask_note(counts, len(spec.pairs)))
    spec.left_out = [(rel, why) for why, rels in left.items() for rel in rels]
    return spec


def _masked_pixels(f, label: str) -> Optional[tuple]:
    """``(pixels set to no-data, pixels with a displacement)`` by the file's ``recommended_mask`` (the pixels with
    a finite displacement where the mask is not 1: 0 marks a bad pixel, 255 is its fill), read in row blocks; None
    when the file has no recommended_mask."""
    if "recommended_mask" not in f:
        return None
    m, d = f["recommended_mask"], f["displacement"]
    if m.shape != d.shape:
        raise GeohazardError(f"{label}: recommended_mask {m.shape} is not on the displacement's grid {d.shape}")
    dropped = valid = 0
    step = max(1, 4_000_000 // max(1, d.shape[1]))
    for r in range(0, d.shape[0], step):
        ok = np.isfinite(np.asarray(d[r:r + step], np.float32))
        dropped += int(np.count_nonzero(ok & (np.asarray(m[r:r + step]) != 1)))
        valid += int(np.count_nonzero(ok))
    return dropped, valid


def _mask_note(counts: list, n_files: int) -> str:
    """The log line of the recommended masks applied to the stack."""
    if not counts:
        return f"none of the {n_files} DISP-S1 file(s) has a recommended_mask: every displacement pixel is kept"
    dropped = sum(c[1] for c in counts)
    valid = sum(c[2] for c in counts)
    worst = max(counts, key=lambda c: c[1] / c[2] if c[2] else 0.0)
    share = 100.0 * dropped / valid if valid else 0.0
    head = (f"recommended_mask applied to {len(counts)} of {n_files} file(s): {dropped} of {valid} displacement "
            f"pixels ({share:.1f} %) set to no data (0 = a bad pixel by OPERA's product specification: water, "
            "connected component 0, or low temporal coherence and phase similarity)")
    if dropped and worst[2]:
        head += f"; most in {worst[0]} ({100.0 * worst[1] / worst[2]:.1f} %)"
    return head


def is_opera(f, basename: str) -> bool:
    """The open HDF5 file ``f`` is a DISP-S1 product (its name, or its ``identification/frame_id`` with a root
    ``displacement``)."""
    return name_parts(basename) is not None or ("displacement" in f and "identification/frame_id" in f)


def _epsg(wkt: str, label: str) -> int:
    import pyproj

    try:
        code = pyproj.CRS.from_wkt(wkt).to_epsg()
    except pyproj.exceptions.CRSError:
        code = None
    if code is None:
        raise GeohazardError(f"{label}: spatial_ref's CRS has no EPSG code this reader can name")
    return int(code)


def open_layer(f, path: str, label: str, dataset: Optional[str], purpose: Optional[str]) -> DatedLayer:
    """One dataset of an open DISP-S1 file (``f``, h5py) as a dated raster layer: ``displacement`` (default) in mm,
    LOS positive toward the satellite, its band dated by the secondary date, ``REFERENCE_DATE`` the reference date;
    ``temporal_coherence``, the masks ... as they are. Refused naming the file: a name without its dates, a dataset
    it does not hold, a displacement not in metres, a geometry purpose (DISP-S1 holds no per-pixel geometry)."""
    import os

    base = os.path.basename(path)
    parts = name_parts(base)
    if parts is None:
        raise GeohazardError(f"{label}: an OPERA DISP-S1 file is read with the name it is delivered under "
                             "(OPERA_L3_DISP-S1_IW_F<frame>_VV_<reference>Z_<secondary>Z_v<version>_<made>Z.nc), which "
                             "gives its dates; this one was renamed")
    if purpose in ("incidence", "heading", "dem", "slant_range") and not dataset:
        raise GeohazardError(f"{label}: OPERA DISP-S1 files hold no per-pixel {purpose.replace('_', ' ')} (OPERA's "
                             "DISP-S1-STATIC layers do)")
    name = (dataset or "displacement").lstrip("/")
    if name not in LAYERS or name not in f:
        have = ", ".join(k for k in LAYERS if k in f)
        raise GeohazardError(f"{label} has no dataset {name!r} this reader takes (it holds {have})")
    meta_in = read_meta(f, label, parts)
    gt, wkt = georeference(f, label)
    ds = f[name]
    shape = tuple(int(v) for v in ds.shape[-2:])
    unit_text = _text(ds.attrs.get("units", b""))
    fill = ds.attrs.get("_FillValue")
    nodata = float(np.asarray(fill).reshape(-1)[0]) if fill is not None else None
    meta = {"OPERA_FILE": base, "OPERA_DATASET": name, "PRODUCER": "OPERA DISP-S1",
            "WAVELENGTH_M": f"{meta_in['wavelength']:.10g}"}
    sources = [f"wavelength {meta_in['wavelength']:.8g} m from identification/radar_wavelength"]
    if "incidence" in meta_in:
        meta[gm.INCIDENCE_KEY] = f"{meta_in['incidence']:.10g}"
        sources.append(f"scene incidence {meta_in['incidence']:.2f} deg: the mean of identification/near_ and "
                       "far_range_incidence_angle")
    factor, unit, dates, ref = 1.0, "", None, None
    if name in DISPLACEMENT:
        factor, unit = 1000.0, "mm"
        meta.update({"SIGN": "LOS positive toward the satellite", "UNIT": "mm",
                     "REFERENCE_DATE": parts["ref"].isoformat(), "SECONDARY_DATE": parts["sec"].isoformat()})
        dates = [parts["sec"]]
        sources.append(f"displacement from {parts['ref'].isoformat()} (reference) to {parts['sec'].isoformat()} "
                       "(secondary), the dates of the file name, checked against identification/reference_ and "
                       "secondary_datetime")
        if "reference" in meta_in:
            ref = meta_in["reference"]
            meta["REFERENCE_ROW"], meta["REFERENCE_COL"] = str(ref[0]), str(ref[1])
            sources.append("reference pixel from corrections/reference_point")
    if "bperp" in meta_in:
        meta[gm.PAIR_BASELINE_KEY] = f"{meta_in['bperp']:.6g}"
    descriptions = [parts["sec"].isoformat()] if dates else [name]
    return DatedLayer(path, name, "product", shape, 1, gt, _epsg(wkt, label), factor, unit, unit_text, dates, ref,
                       nodata, meta, descriptions, producer="OPERA DISP-S1",
                       georeference="spatial_ref GeoTransform and crs_wkt", sources=sources)


# ------------------------------------------------------------------ the producer
def _is_opera_name(basename: str) -> bool:
    return name_parts(basename) is not None


#: OPERA DISP-S1 netCDF files: a stack of (reference, secondary) displacements, and dated layers of one file.
PRODUCER = Producer("OPERA", claims=lambda e, listing=None: _is_opera_name(e.name),
                    read_stack=lambda entries, roots, wrapped: opera_stack(entries), wrapped_refusal=WRAPPED_PRODUCT,
                    container_name=_is_opera_name, claims_h5=lambda f, basename, attrs: is_opera(f, basename),
                    read_h5_layer=lambda f, path, label, found, dataset, purpose: open_layer(f, path, label, dataset,
                                                                                            purpose))
