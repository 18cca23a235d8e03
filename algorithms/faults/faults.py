"""Fault geometry: planes from a trace, patches, slip from rake, seismic moment.

Conventions (Aki & Richards 1980; Coulomb 3 uses the same geometry):

* **strike** clockwise from north in degrees, the fault **dips to the right** of the
  strike direction (right-hand rule), dip in (0, 90];
* a plane is given by its **top edge** (start point east/north in metres, strike,
  length), the **top and bottom depths** (metres, positive down) and the dip;
* **rake** in the fault plane from the strike direction, counter-clockwise seen from
  the hanging wall: 0 left-lateral, 90 reverse (thrust), 180 / -180 right-lateral,
  -90 normal. ``strike_slip = slip cos(rake)`` (left-lateral +), ``dip_slip = slip sin(rake)``
  (reverse +), the motion of the hanging wall relative to the footwall;
* seismic moment ``M0 = mu * sum(area * slip)`` (N m), ``Mw = 2/3 (log10 M0 - 9.1)``
  (Hanks & Kanamori 1979, doi:10.1029/JB084iB05p02348; IASPEI standard).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GeohazardError
from .okada import KIND_POINT, KIND_RECTANGLE, SRC_COLUMNS


def _arr(v, n, name):
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise GeohazardError(f"{name} must be a scalar or have {n} values, got shape {a.shape}")
    return a


@dataclass
class Faults:
    """Rectangular planes (and optional point sources), one row per source, SI units.

    Attributes (arrays of shape (n,)): ``east_m, north_m`` start of the top edge
    (centroid for point sources); ``top_m, bottom_m`` depths (m, positive down);
    ``strike_deg, dip_deg``; ``length_m``; ``strike_slip_m`` (left-lateral +),
    ``dip_slip_m`` (reverse +), ``opening_m``; ``kind`` (0 rectangle, 1 point; point
    sources carry potencies in m^3 in the slip columns); ``name`` (labels).
    """

    east_m: np.ndarray
    north_m: np.ndarray
    top_m: np.ndarray
    bottom_m: np.ndarray
    strike_deg: np.ndarray
    dip_deg: np.ndarray
    length_m: np.ndarray
    strike_slip_m: np.ndarray
    dip_slip_m: np.ndarray
    opening_m: np.ndarray
    kind: np.ndarray
    name: list

    def __len__(self) -> int:
        return int(self.east_m.size)

    @classmethod
    def create(cls, *, east_m, north_m, strike_deg, dip_deg, length_m, top_m, bottom_m, strike_slip_m=0.0,
               dip_slip_m=0.0, opening_m=0.0, kind=KIND_RECTANGLE, name=None) -> "Faults":
        e = np.atleast_1d(np.asarray(east_m, float))
        n = e.size
        f = cls(east_m=e, north_m=_arr(north_m, n, "north_m"), top_m=_arr(top_m, n, "top_m"),
                bottom_m=_arr(bottom_m, n, "bottom_m"), strike_deg=_arr(strike_deg, n, "strike_deg"),
                dip_deg=_arr(dip_deg, n, "dip_deg"), length_m=_arr(length_m, n, "length_m"),
                strike_slip_m=_arr(strike_slip_m, n, "strike_slip_m"), dip_slip_m=_arr(dip_slip_m, n, "dip_slip_m"),
                opening_m=_arr(opening_m, n, "opening_m"), kind=_arr(kind, n, "kind"),
                name=list(name) if name is not None else [f"fault {i + 1}" for i in range(n)])
        f.validate()
        return f

    def validate(self) -> None:
        """Raise :class:`GeohazardError` naming the first bad source."""
        rect = self.kind == KIND_RECTANGLE
        checks = [
            (~((self.dip_deg > 0) & (self.dip_deg <= 90)), "dip_deg must be in (0, 90]", self.dip_deg),
            (self.top_m < 0, "top_m (depth of the top edge) must be >= 0", self.top_m),
            (rect & (self.bottom_m <= self.top_m), "bottom_m must be deeper than top_m", self.bottom_m),
            (rect & (self.length_m <= 0), "length_m must be > 0", self.length_m),
            ((self.kind == KIND_POINT) & (self.top_m <= 0), "a point source needs a depth > 0", self.top_m),
        ]
        for bad, msg, vals in checks:
            bad = bad | ~np.isfinite(vals)
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise GeohazardError(f"{self.name[i]}: {msg}, got {vals[i]}")

    @property
    def width_m(self) -> np.ndarray:
        """Down-dip width (m)."""
        return (self.bottom_m - self.top_m) / np.sin(np.radians(self.dip_deg))

    @property
    def area_m2(self) -> np.ndarray:
        return np.where(self.kind == KIND_RECTANGLE, self.length_m * self.width_m, 0.0)

    @property
    def slip_m(self) -> np.ndarray:
        return np.hypot(self.strike_slip_m, self.dip_slip_m)

    @property
    def rake_deg(self) -> np.ndarray:
        return np.degrees(np.arctan2(self.dip_slip_m, self.strike_slip_m))

    def table(self) -> np.ndarray:
        """Source table for :func:`okada.okada_displacement` (columns ``okada.SRC_COLUMNS``).

        The reference point of a rectangle is the start of its lower edge, as in DC3D with
        ``al1 = 0, al2 = L, aw1 = 0, aw2 = W``.
        """
        phi = np.radians(self.strike_deg)
        dip = np.radians(self.dip_deg)
        w = np.where(self.kind == KIND_RECTANGLE, self.width_m, 0.0)
        horiz = w * np.cos(dip)
        t = np.empty((len(self), len(SRC_COLUMNS)))
        t[:, 0] = self.east_m + horiz * np.cos(phi)
        t[:, 1] = self.north_m - horiz * np.sin(phi)
        t[:, 2] = np.where(self.kind == KIND_RECTANGLE, self.bottom_m, self.top_m)
        t[:, 3] = self.strike_deg
        t[:, 4] = self.dip_deg
        t[:, 5] = self.length_m
        t[:, 6] = w
        t[:, 7] = self.strike_slip_m
        t[:, 8] = self.dip_slip_m
        t[:, 9] = self.opening_m
        t[:, 10] = self.kind
        return t

    def corners(self) -> np.ndarray:
        """Rectangle corners, shape (n, 4, 3): top start, top end, bottom end, bottom start (east, north, depth)."""
        phi = np.radians(self.strike_deg)
        dip = np.radians(self.dip_deg)
        s = np.stack([np.sin(phi), np.cos(phi)], axis=1)
        dd = np.stack([np.cos(phi), -np.sin(phi)], axis=1)
        horiz = (self.width_m * np.cos(dip))[:, None]
        p0 = np.stack([self.east_m, self.north_m], axis=1)
        p1 = p0 + s * self.length_m[:, None]
        p2 = p1 + dd * horiz
        p3 = p0 + dd * horiz
        z0 = self.top_m[:, None]
        z1 = self.bottom_m[:, None]
        return np.stack([np.hstack([p0, z0]), np.hstack([p1, z0]), np.hstack([p2, z1]), np.hstack([p3, z1])], axis=1)

    def centres(self) -> np.ndarray:
        """Centroid of each source, shape (n, 3): east, north, depth (m)."""
        c = self.corners().mean(axis=1)
        pts = self.kind == KIND_POINT
        c[pts] = np.stack([self.east_m[pts], self.north_m[pts], self.top_m[pts]], axis=1)
        return c

    def subset(self, idx) -> "Faults":
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return Faults(**{k: (getattr(self, k)[idx] if k != "name" else [self.name[i] for i in idx])
                         for k in self.__dataclass_fields__})

    @staticmethod
    def concat(parts) -> "Faults":
        parts = list(parts)
        return Faults(**{k: (np.concatenate([getattr(p, k) for p in parts]) if k != "name"
                             else [nm for p in parts for nm in p.name]) for k in Faults.__dataclass_fields__})


def slip_components(slip_m, rake_deg):
    """``(strike_slip, dip_slip)`` from total slip and rake (0 left-lateral, 90 reverse)."""
    r = np.radians(np.asarray(rake_deg, float))
    s = np.asarray(slip_m, float)
    return s * np.cos(r), s * np.sin(r)


def faults_from_traces(traces, *, dip_deg, top_m, bottom_m, slip_m=0.0, rake_deg=0.0, opening_m=0.0,
                       names=None) -> Faults:
    """Planes from fault traces (top edges): one rectangle per trace segment.

    Parameters
    ----------
    traces : list of ndarray, each (n_vertices, 2)
        Top-edge polylines (east, north, metres); the fault dips to the right of the
        digitising direction.
    dip_deg, top_m, bottom_m, slip_m, rake_deg, opening_m : float or sequence (one per trace)
        Dip (0, 90], top and bottom depth (m), slip (m), rake (degrees), opening (m).

    Returns
    -------
    Faults
        One plane per segment; names ``"<trace name> seg k"``.
    """
    nt = len(traces)
    vals = {k: np.broadcast_to(np.asarray(v, float), (nt,)) for k, v in
            dict(dip=dip_deg, top=top_m, bottom=bottom_m, slip=slip_m, rake=rake_deg, opening=opening_m).items()}
    names = names or [f"fault {i + 1}" for i in range(nt)]
    parts = []
    for t, tr in enumerate(traces):
        xy = np.asarray(tr, float)
        if xy.ndim != 2 or xy.shape[0] < 2:
            raise GeohazardError(f"{names[t]}: a fault trace needs at least 2 vertices, got {len(xy)}")
        d = np.diff(xy, axis=0)
        seg_len = np.hypot(d[:, 0], d[:, 1])
        keep = seg_len > 0
        if not np.any(keep):
            raise GeohazardError(f"{names[t]}: all vertices of the trace coincide")
        strike = np.degrees(np.arctan2(d[keep, 0], d[keep, 1])) % 360.0
        ss, ds = slip_components(vals["slip"][t], vals["rake"][t])
        k = int(keep.sum())
        parts.append(Faults.create(
            east_m=xy[:-1][keep, 0], north_m=xy[:-1][keep, 1], strike_deg=strike, dip_deg=vals["dip"][t],
            length_m=seg_len[keep], top_m=vals["top"][t], bottom_m=vals["bottom"][t], strike_slip_m=ss,
            dip_slip_m=ds, opening_m=vals["opening"][t],
            name=[f"{names[t]}" if k == 1 else f"{names[t]} seg {i + 1}" for i in range(k)]))
    return Faults.concat(parts)


def discretize(faults: Faults, *, patch_length_m: float, patch_width_m: float) -> tuple[Faults, np.ndarray]:
    """Split each rectangle into patches of about ``patch_length_m`` x ``patch_width_m``.

    Returns the patches (slip copied from the parent) and, per patch, ``(parent, i_strike,
    i_dip)`` as an int array of shape (n_patches, 3). Point sources are kept as they are.
    """
    if patch_length_m <= 0 or patch_width_m <= 0:
        raise GeohazardError(f"patch size must be > 0, got {patch_length_m} x {patch_width_m} m")
    cols = {k: [] for k in Faults.__dataclass_fields__}
    index = []
    phi = np.radians(faults.strike_deg)
    for f in range(len(faults)):
        if faults.kind[f] != KIND_RECTANGLE:
            nl, nw = 1, 1
        else:
            nl = max(1, int(round(faults.length_m[f] / patch_length_m)))
            nw = max(1, int(round(faults.width_m[f] / patch_width_m)))
        dl = faults.length_m[f] / nl
        dz = (faults.bottom_m[f] - faults.top_m[f]) / nw
        dip = np.radians(faults.dip_deg[f])
        hstep = dz / np.tan(dip) if faults.dip_deg[f] < 90 else 0.0
        for j in range(nw):
            for i in range(nl):
                e = faults.east_m[f] + i * dl * np.sin(phi[f]) + j * hstep * np.cos(phi[f])
                n = faults.north_m[f] + i * dl * np.cos(phi[f]) - j * hstep * np.sin(phi[f])
                cols["east_m"].append(e)
                cols["north_m"].append(n)
                cols["top_m"].append(faults.top_m[f] + j * dz)
                cols["bottom_m"].append(faults.top_m[f] + (j + 1) * dz if faults.kind[f] == KIND_RECTANGLE
                                        else faults.bottom_m[f])
                for k in ("strike_deg", "dip_deg", "strike_slip_m", "dip_slip_m", "opening_m", "kind"):
                    cols[k].append(getattr(faults, k)[f])
                cols["length_m"].append(dl)
                cols["name"].append(faults.name[f])
                index.append((f, i, j))
    out = Faults(**{k: (np.asarray(v, float) if k != "name" else v) for k, v in cols.items()})
    return out, np.asarray(index, dtype=np.int64).reshape(-1, 3)


def moment(faults: Faults, *, shear_modulus_pa: float = 3.2e10) -> tuple[float, float]:
    """Scalar seismic moment ``M0 = mu sum(A |s|)`` (N m) and ``Mw = 2/3 (log10 M0 - 9.1)``.

    Point sources contribute ``mu * potency``. Reference: Hanks & Kanamori (1979),
    doi:10.1029/JB084iB05p02348.
    """
    pot = np.where(faults.kind == KIND_RECTANGLE, faults.area_m2 * faults.slip_m, faults.slip_m)
    m0 = float(shear_modulus_pa * np.sum(pot))
    mw = 2.0 / 3.0 * (np.log10(m0) - 9.1) if m0 > 0 else float("-inf")
    return m0, float(mw)


def mechanism_name(rake_deg: float) -> str:
    """The faulting style of a rake (degrees; 0 left-lateral, 90 reverse, +-180 right-lateral, -90 normal).

    Within 30 degrees of 90: thrust (reverse); of -90: normal; of 0 or 180: strike-slip (left- or
    right-lateral); in between: oblique thrust or oblique normal with its lateral sense.
    """
    r = (float(rake_deg) + 180.0) % 360.0 - 180.0
    lateral = "left-lateral" if abs(r) < 90.0 else "right-lateral"
    if abs(r) <= 30.0 or abs(r) >= 150.0:
        return f"strike-slip ({lateral})"
    if 60.0 <= abs(r) <= 120.0:
        return "thrust (reverse)" if r > 0 else "normal"
    return f"oblique {'thrust' if r > 0 else 'normal'}, {lateral}"


def mechanism(faults: Faults, shear_modulus_pa: float = 3.2e10) -> str:
    """One sentence on the mechanism of ``faults``: the moment-weighted rake (the rake of the summed
    strike-slip and dip-slip potencies ``sum(A s)``), its faulting style (:func:`mechanism_name`) and Mw."""
    rect = faults.kind == KIND_RECTANGLE
    a = np.where(rect, faults.area_m2, 1.0)
    ss, ds = float(np.sum(a * faults.strike_slip_m)), float(np.sum(a * faults.dip_slip_m))
    _, mw = moment(faults, shear_modulus_pa=shear_modulus_pa)
    if ss == 0.0 and ds == 0.0:
        return f"no slip (Mw {mw:.3f})"
    rake = -((-float(np.degrees(np.arctan2(ds, ss))) + 180.0) % 360.0 - 180.0)  # in (-180, 180]
    return f"rake {rake:.1f} degrees, {mechanism_name(rake)}, Mw {mw:.3f}"
