"""Coulomb stress change on receiver fault lines, one value per straight segment and depth.

A receiver line is the top edge of a plane (dipping to the right of the digitised direction,
as the source faults): at depth ``z`` the receiver point lies ``(z - top) / tan(dip)`` down-dip of
the segment's midpoint. Stresses are resolved on each segment's strike, dip and rake
(:func:`.stress.coulomb_at_points`); the optimally oriented rake and its dCFS come with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..progress import check_canceled, info, warn
from .stress import coulomb_at_points


@dataclass
class ReceiverSegments:
    """Straight segments of receiver lines (metres, map coordinates; depths positive down)."""

    p0: np.ndarray  # (n, 2) start east, north
    p1: np.ndarray  # (n, 2) end east, north
    owner: np.ndarray  # (n,) index of the line of each segment
    names: list  # name of each line
    strike_deg: np.ndarray
    dip_deg: np.ndarray
    rake_deg: np.ndarray
    top_m: np.ndarray
    bottom_m: np.ndarray  # NaN = unknown (a surface trace of unknown extent)

    def __len__(self):
        return len(self.owner)

    def fields(self) -> dict:
        return {"name": np.array([self.names[o] for o in self.owner], dtype=object), "strike_deg": self.strike_deg,
                "dip_deg": self.dip_deg, "rake_deg": self.rake_deg, "top_m": self.top_m, "bottom_m": self.bottom_m}


def split_receivers(traces: Sequence[np.ndarray], attrs: dict, names: list, *, name: str = "RECEIVERS",
                    progress=None) -> ReceiverSegments:
    """Receiver lines -> segments with their strike, dip, rake, top and bottom.

    ``attrs`` holds per-line ``dip``, ``rake``, ``top``, ``bottom`` (NaN top = at the surface,
    NaN bottom = unknown)."""
    seg = []
    for t, tr in enumerate(traces):
        for i in range(len(tr) - 1):
            if np.hypot(*(tr[i + 1] - tr[i])) > 0:
                seg.append((t, tr[i], tr[i + 1]))
    if not seg:
        raise GeohazardError(f"{name}: no segment of non-zero length")
    p0 = np.array([s[1] for s in seg])
    p1 = np.array([s[2] for s in seg])
    owner = np.array([s[0] for s in seg])
    d = p1 - p0
    strike = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
    dip = attrs["dip"][owner]
    rake = attrs["rake"][owner]
    if np.any((dip <= 0) | (dip > 90)):
        raise GeohazardError(f"{name}: dip_deg must be in (0, 90], got {dip[(dip <= 0) | (dip > 90)][0]}")
    top = np.where(np.isfinite(attrs["top"]), attrs["top"], 0.0)[owner]
    bottom = attrs["bottom"][owner]
    bad = np.isfinite(bottom) & (bottom <= top)
    if bad.any():
        raise GeohazardError(f"{name}: receiver {names[owner[bad][0]]!r} has bottom_m "
                             f"{bottom[bad][0]:g} not below top_m {top[bad][0]:g}")
    if not np.isfinite(attrs["top"]).all():
        info(progress, "receivers without top_m: their lines are taken as surface traces (top 0 m)")
    return ReceiverSegments(p0, p1, owner, names, strike, dip, rake, top, bottom)


def depth_tag(depth_m: Optional[float]) -> str:
    """Field suffix of a calculation depth: ``mid`` or ``<km>km`` with ``p`` as decimal point."""
    return "mid" if depth_m is None else f"{depth_m / 1000.0:g}km".replace(".", "p")


def coulomb_on_receivers(seg: ReceiverSegments, depths_m: Sequence, sources, *, shear_modulus_pa: float,
                         poisson: float, friction: float, scale_pa: float = 1.0, depths_name: str = "DEPTHS",
                         progress=None) -> dict:
    """``{dcfs|shear|normal|opt_rake|opt_dcfs}_<tag>`` per segment for each depth (``None`` = mid-depth
    between top and bottom); stresses divided by ``scale_pa`` (e.g. 1e5 for bar)."""
    top, bottom = seg.top_m, seg.bottom_m
    if any(dd is None for dd in depths_m) and not np.isfinite(bottom).all():
        raise GeohazardError(f"{depths_name}: 'mid' needs top_m and bottom_m on every receiver; "
                             f"{seg.names[seg.owner[~np.isfinite(bottom)][0]]!r} has no bottom_m")
    mid = 0.5 * (seg.p0 + seg.p1)
    phi = np.radians(seg.strike_deg)
    dip = seg.dip_deg
    out = {}
    for k, depth in enumerate(depths_m):
        check_canceled(progress)
        if progress is not None:
            progress.set_progress(100.0 * k / len(depths_m))
        z = 0.5 * (top + bottom) if depth is None else np.full(len(seg), depth)
        tag = depth_tag(depth)
        outside = (z < top) | (np.isfinite(bottom) & (z > bottom))
        if outside.any():
            who = sorted({seg.names[o] for o in seg.owner[outside]})
            warn(progress, f"depth {tag} lies outside the top..bottom depths of {len(who)} receiver(s): "
                           f"{', '.join(who[:5])}{' ...' if len(who) > 5 else ''}; computed on the plane's extension")
        # the line is the top edge at depth top; depth z lies (z - top) / tan(dip) down-dip
        off = np.where(dip < 90, (z - top) / np.tan(np.radians(np.minimum(dip, 89.999999))), 0.0)
        e = mid[:, 0] + off * np.cos(phi)
        n = mid[:, 1] - off * np.sin(phi)
        res = coulomb_at_points(e, n, z, sources, strike_deg=seg.strike_deg, dip_deg=dip, rake_deg=seg.rake_deg,
                                shear_modulus_pa=shear_modulus_pa, poisson=poisson, friction=friction)
        for key in ("dcfs", "shear", "normal"):
            out[f"{key}_{tag}"] = res[f"{key}_pa"] / scale_pa
        out[f"opt_rake_{tag}"] = res["opt_rake_deg"]
        out[f"opt_dcfs_{tag}"] = res["opt_dcfs_pa"] / scale_pa
    return out
