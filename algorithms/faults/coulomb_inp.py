"""Reader for Coulomb 3.x input files (``.inp``).

The format (Toda et al. 2011, USGS OFR 2011-1060, doi:10.3133/ofr20111060): two
comment lines; ``#reg1 #reg2 #fixed sym``; ``PR1`` Poisson's ratio, ``DEPTH``
calculation depth (km); ``E1`` Young's modulus (bar); ``XSYM YSYM``; ``FRIC``
friction; ``S1..S3`` regional principal stresses (``DR`` azimuth, ``DP`` plunge, ``IN``
magnitude in bar, compression positive, ``GD`` gradient); a header; one fault per line
``# X-start Y-start X-fin Y-fin Kode col6 col7 dip top bot [comment]`` in km (x east,
y north, depths positive down), the fault dipping to the right of start -> finish;
then ``Grid Parameters`` (start/finish x/y, increments in km) and optional sections.

Kode (what columns 6 and 7 mean): 100 right-lateral and reverse slip (m); 200 opening
and right-lateral; 300 opening and reverse; 400 point source with right-lateral and
reverse potency (m^3). Faults with zero slip are **receivers**. Returned values are in
SI units and this project's conventions (strike-slip left-lateral positive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from .faults import Faults
from .okada import KIND_POINT, KIND_RECTANGLE

BAR_PA = 1.0e5
#: Fault ends farther (km) from the file's origin than half the Earth's circumference cannot be on the Earth.
MAX_FRAME_KM = 20_000.0
#: Deepest fault bottom accepted (km): below the lithosphere the elastic half-space means nothing.
MAX_DEPTH_KM = 700.0
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?"


@dataclass
class CoulombInput:
    """Contents of a Coulomb ``.inp`` file in SI units.

    Attributes
    ----------
    faults : Faults
        All fault lines (east/north in metres in the file's local frame, km * 1000).
    is_source : ndarray of bool
        True for faults that carry slip (sources); the others are receivers.
    kode : ndarray of int
    poisson, young_pa, shear_modulus_pa, friction, calc_depth_m : float
    regional : list of (azimuth_deg, plunge_deg, magnitude_pa)
        S1, S2, S3 as given (compression positive).
    grid : dict or None
        ``x_start_m, y_start_m, x_finish_m, y_finish_m, dx_m, dy_m``.
    origin_lonlat : (lon, lat) or None
        ``zero lon``/``zero lat`` of the optional map section.
    title : str
    """

    faults: Faults
    is_source: np.ndarray
    kode: np.ndarray
    poisson: float
    young_pa: float
    friction: float
    calc_depth_m: float
    regional: list
    grid: Optional[dict]
    origin_lonlat: Optional[tuple]
    title: str = ""
    comments: list = field(default_factory=list)

    @property
    def shear_modulus_pa(self) -> float:
        return self.young_pa / (2.0 * (1.0 + self.poisson))

    @property
    def sources(self) -> Faults:
        return self.faults.subset(self.is_source)

    @property
    def receivers(self) -> Faults:
        return self.faults.subset(~self.is_source)


def _value(text: str, key: str, path: str):
    m = re.search(re.escape(key) + r"\s*=\s*(" + _NUM + ")", text)
    if m is None:
        raise GeohazardError(f"{path}: no {key}= value in the header; is this a Coulomb 3 .inp file?")
    return float(m.group(1).replace("d", "e").replace("D", "e"))


def read_coulomb_inp(path: str) -> CoulombInput:
    """Read a Coulomb 3.x ``.inp`` file.

    Parameters
    ----------
    path : str
        File path.

    Returns
    -------
    CoulombInput

    Raises
    ------
    GeohazardError
        Missing header values, no fault lines, an unsupported Kode, or bad geometry
        (message names the file and the line).
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise GeohazardError(f"cannot read Coulomb input {path!r}: {exc}") from None
    text = "\n".join(lines)
    poisson = _value(text, "PR1", path)
    calc_depth_km = _value(text, "DEPTH", path)
    young_bar = _value(text, "E1", path)
    friction = _value(text, "FRIC", path)
    regional = []
    for k in (1, 2, 3):
        regional.append((_value(text, f"S{k}DR", path), _value(text, f"S{k}DP", path),
                         _value(text, f"S{k}IN", path) * BAR_PA))
    # fault table: after the 'xxx' ruler line, until the first blank / non-numeric line
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("xxx")), None)
    if start is None:
        raise GeohazardError(f"{path}: no fault table (the 'xxx xxxx' ruler line after the column header is missing)")
    rows, comments, lineno = [], [], []
    row_re = re.compile(r"^\s*\d+\s+" + r"\s+".join([f"({_NUM})"] * 4) + r"\s+(\d+)\s+" +
                        r"\s+".join([f"({_NUM})"] * 5) + r"\s*(.*)$")
    for i in range(start + 1, len(lines)):
        ln = lines[i]
        if not ln.strip():
            break
        m = row_re.match(ln)
        if m is None:
            tokens = ln.split()
            if len(tokens) >= 11 and tokens[0].isdigit():  # a fault row with a value that is not a number
                labels = ("X-start", "Y-start", "X-fin", "Y-fin", "Kode", "column 6 (slip or opening)",
                          "column 7 (slip)", "dip", "top", "bottom")
                bad = next((lab, t) for lab, t in zip(labels, tokens[1:11])
                           if not re.fullmatch(_NUM if lab != "Kode" else r"\d+", t))
                raise GeohazardError(f"{path}: line {i + 1}: {bad[0]} is {bad[1]!r}, not a number")
            break
        vals = [float(g.replace("d", "e").replace("D", "e")) for g in m.groups()[:10]]
        rows.append(vals)
        comments.append(m.group(11).strip())
        lineno.append(i + 1)
    if not rows:
        raise GeohazardError(f"{path}: the fault table after line {start + 1} has no fault lines")
    a = np.asarray(rows)
    for r, ln in zip(a, lineno):
        far = np.abs(r[[0, 1, 2, 3]]).max()
        if not np.isfinite(r).all() or far > MAX_FRAME_KM:
            raise GeohazardError(f"{path}: line {ln}: a fault end {far:.6g} km from the frame's origin is beyond "
                                 f"the Earth (at most {MAX_FRAME_KM:g} km); positions are in km")
        if not (0.0 <= r[8] <= r[9] <= MAX_DEPTH_KM):
            raise GeohazardError(f"{path}: line {ln}: top {r[8]:g} km and bottom {r[9]:g} km must satisfy "
                                 f"0 <= top <= bottom <= {MAX_DEPTH_KM:g} km")
    xs, ys, xf, yf = (a[:, k] * 1000.0 for k in range(4))
    kode = a[:, 4].astype(int)
    c6, c7, dip, top_km, bot_km = (a[:, k] for k in range(5, 10))
    for k, ln in zip(kode, lineno):
        if k not in (100, 200, 300, 400):
            raise GeohazardError(f"{path}: line {ln} has Kode {k}; supported are 100, 200, 300 and 400 "
                                 f"(Kode 500 inflation sources are not supported)")
    rt_lat = np.where(kode == 100, c6, np.where(kode == 200, c7, np.where(kode == 400, c6, 0.0)))
    reverse = np.where((kode == 100) | (kode == 400), c7, np.where(kode == 300, c7, 0.0))
    opening = np.where((kode == 200) | (kode == 300), c6, 0.0)
    length = np.hypot(xf - xs, yf - ys)
    strike = np.degrees(np.arctan2(xf - xs, yf - ys)) % 360.0
    point = kode == 400
    # Coulomb's point sources sit at the middle of the line and of the depth range
    east = np.where(point, 0.5 * (xs + xf), xs)
    north = np.where(point, 0.5 * (ys + yf), ys)
    top = np.where(point, 500.0 * (top_km + bot_km), top_km * 1000.0)
    names = [c or f"fault {i + 1}" for i, c in enumerate(comments)]
    for i, ln in enumerate(lineno):
        if not point[i] and length[i] <= 0:
            raise GeohazardError(f"{path}: line {ln}: start and finish points coincide (zero-length fault)")
    faults = Faults.create(east_m=east, north_m=north, strike_deg=strike, dip_deg=dip, length_m=length,
                           top_m=top, bottom_m=bot_km * 1000.0, strike_slip_m=-rt_lat, dip_slip_m=reverse,
                           opening_m=opening, kind=np.where(point, KIND_POINT, KIND_RECTANGLE), name=names)
    is_source = (rt_lat != 0) | (reverse != 0) | (opening != 0)
    grid = None
    try:
        grid = {"x_start_m": _value(text, "Start-x", path) * 1000.0,
                "y_start_m": _value(text, "Start-y", path) * 1000.0,
                "x_finish_m": _value(text, "Finish-x", path) * 1000.0,
                "y_finish_m": _value(text, "Finish-y", path) * 1000.0,
                "dx_m": _value(text, "x-increment", path) * 1000.0, "dy_m": _value(text, "y-increment", path) * 1000.0}
    except GeohazardError:
        grid = None
    origin = None
    mlon = re.search(r"zero lon\s*=\s*(" + _NUM + ")", text)
    mlat = re.search(r"zero lat\s*=\s*(" + _NUM + ")", text)
    if mlon and mlat:
        origin = (float(mlon.group(1)), float(mlat.group(1)))
    return CoulombInput(faults=faults, is_source=is_source, kode=kode, poisson=poisson,
                        young_pa=young_bar * BAR_PA,
                        friction=friction, calc_depth_m=calc_depth_km * 1000.0, regional=regional, grid=grid,
                        origin_lonlat=origin, title=" ".join(ln.strip() for ln in lines[:2]), comments=comments)
