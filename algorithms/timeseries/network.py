"""Interferogram networks: dates, pairs, design matrices, connectivity, filters, report.

A network is a set of ``M`` interferograms (pairs of acquisition dates) over ``N``
dates. Each interferogram measures the displacement of its secondary (later) date minus
its reference (earlier) date. Unknowns of the SBAS inversion are the displacements of
dates ``1..N-1`` relative to the first date (``A``, phase parameterisation) or the mean
velocities of the ``N-1`` intervals between consecutive dates (``B``, velocity
parameterisation of Berardino et al. 2002, doi:10.1109/TGRS.2002.803792), related by
``x = T v`` with ``T[j, k] = dt_k`` for ``k <= j``.
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..errors import NetworkError
from ..unionfind import DisjointSets


@dataclass(frozen=True)
class Network:
    """An interferogram network.

    Attributes
    ----------
    dates : tuple of datetime.date
        Sorted unique acquisition dates, shape ``(N,)``.
    pairs : tuple of (date, date)
        ``(reference, secondary)`` with reference < secondary, one per interferogram, ``(M,)``.
    names : tuple of str
        Labels of the interferograms (file names), ``(M,)``.
    bperp_m : ndarray or None
        Perpendicular baseline of each interferogram in metres, ``(M,)``, when known.
    """

    dates: tuple
    pairs: tuple
    names: tuple
    bperp_m: Optional[np.ndarray] = field(default=None, compare=False)

    @property
    def n_dates(self) -> int:
        return len(self.dates)

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    @property
    def ref_index(self) -> np.ndarray:
        pos = {d: i for i, d in enumerate(self.dates)}
        return np.array([pos[p[0]] for p in self.pairs], dtype=np.int64)

    @property
    def sec_index(self) -> np.ndarray:
        pos = {d: i for i, d in enumerate(self.dates)}
        return np.array([pos[p[1]] for p in self.pairs], dtype=np.int64)

    @property
    def years(self) -> np.ndarray:
        """Time of each date since the first one, years (365.25 d), ``(N,)``."""
        return np.array([(d - self.dates[0]).days for d in self.dates], dtype=np.float64) / DAYS_PER_YEAR

    @property
    def interval_years(self) -> np.ndarray:
        """Length of the ``N-1`` intervals between consecutive dates, years."""
        return np.diff(self.years)

    @property
    def temporal_baseline_days(self) -> np.ndarray:
        return np.array([(b - a).days for a, b in self.pairs], dtype=np.int64)

    def design_matrix(self) -> np.ndarray:
        """Phase-parameterisation design matrix ``A``, shape ``(M, N-1)``: -1 at the
        reference date, +1 at the secondary date, first date removed (its value is 0)."""
        a = np.zeros((self.n_pairs, self.n_dates), dtype=np.float64)
        rows = np.arange(self.n_pairs)
        a[rows, self.ref_index] = -1.0
        a[rows, self.sec_index] = 1.0
        return a[:, 1:]

    def velocity_design_matrix(self) -> np.ndarray:
        """Velocity-parameterisation design matrix ``B = A T``, shape ``(M, N-1)``, years.

        ``B[i, k] = dt_k`` when interval ``k`` lies between the two dates of pair ``i``.
        """
        return self.design_matrix() @ self.integration_matrix()

    def integration_matrix(self) -> np.ndarray:
        """``T`` with ``x = T v``: displacement of dates 1..N-1 from interval velocities, ``(N-1, N-1)``."""
        dt = self.interval_years
        return np.tril(np.ones((dt.size, dt.size))) * dt[None, :]

    def components(self, keep: Optional[np.ndarray] = None) -> list[list[int]]:
        """Connected subsets of dates (indices), using the pairs where ``keep`` is True.

        Sorted by first date. A date with no pair forms its own subset.
        """
        sets = DisjointSets(self.n_dates)
        mask = np.ones(self.n_pairs, bool) if keep is None else np.asarray(keep, bool)
        for r, s, k in zip(self.ref_index, self.sec_index, mask):
            if k:
                sets.join(int(r), int(s))
        groups: dict[int, list[int]] = {}
        for i in range(self.n_dates):
            groups.setdefault(sets.root(i), []).append(i)
        return sorted(groups.values(), key=lambda g: g[0])

    def subset(self, keep: np.ndarray) -> "Network":
        """The network of the interferograms where ``keep`` is True (dates re-derived)."""
        keep = np.asarray(keep, bool)
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            raise NetworkError("no interferogram is left in the network after filtering")
        bp = None if self.bperp_m is None else np.asarray(self.bperp_m)[idx]
        return build_network([self.pairs[i] for i in idx], names=[self.names[i] for i in idx], bperp_m=bp)

    def date_bperp_m(self) -> Optional[np.ndarray]:
        """Perpendicular baseline of each date relative to the first, ``(N,)``, m.

        Least-squares solution of ``bperp_pair = b[sec] - b[ref]`` with ``b[0] = 0``
        (minimum norm when the network is disconnected), as MintPy does.
        """
        if self.bperp_m is None:
            return None
        sol = np.linalg.lstsq(self.design_matrix(), np.asarray(self.bperp_m, float), rcond=None)[0]
        return np.concatenate([[0.0], sol])


def build_network(pairs: Sequence, *, names: Optional[Sequence[str]] = None,
                  bperp_m: Optional[Sequence[float]] = None) -> Network:
    """Build a :class:`Network` from date pairs.

    Parameters
    ----------
    pairs : sequence of (date, date)
        One pair per interferogram, ``(reference, secondary)``; the earlier date must come
        first (use :func:`orient_pairs` for files named later-first).
    names : sequence of str, optional
        Labels used in messages (file names).
    bperp_m : sequence of float, optional
        Perpendicular baselines, metres.

    Raises
    ------
    NetworkError
        On an empty list, a pair with reference >= secondary, or a duplicate pair
        (the message names both files).
    """
    pairs = [(p[0], p[1]) for p in pairs]
    if not pairs:
        raise NetworkError("the interferogram network is empty: no interferogram was given")
    names = list(names) if names is not None else [f"{a:%Y%m%d}_{b:%Y%m%d}" for a, b in pairs]
    if len(names) != len(pairs):
        raise NetworkError(f"{len(names)} names for {len(pairs)} pairs")
    seen: dict = {}
    for (a, b), nm in zip(pairs, names):
        if not isinstance(a, _dt.date) or not isinstance(b, _dt.date):
            raise NetworkError(f"interferogram {nm}: dates must be datetime.date, got {a!r}, {b!r}")
        if a >= b:
            raise NetworkError(f"interferogram {nm}: reference date {a} is not before secondary date {b}")
        if (a, b) in seen:
            raise NetworkError(f"duplicate interferogram {a:%Y%m%d}-{b:%Y%m%d}: {seen[(a, b)]} and {nm}")
        seen[(a, b)] = nm
    dates = tuple(sorted({d for p in pairs for d in p}))
    bp = None
    if bperp_m is not None:
        bp = np.asarray(bperp_m, dtype=np.float64)
        if bp.shape != (len(pairs),):
            raise NetworkError(f"bperp_m has shape {bp.shape}, expected ({len(pairs)},)")
    return Network(dates=dates, pairs=tuple(pairs), names=tuple(names), bperp_m=bp)


def orient_pairs(pairs: Sequence) -> tuple[list, np.ndarray]:
    """Put the earlier date first; returns the pairs and the sign (+1 / -1) to apply to the data."""
    out, sign = [], []
    for a, b in pairs:
        if a <= b:
            out.append((a, b))
            sign.append(1.0)
        else:
            out.append((b, a))
            sign.append(-1.0)
    return out, np.array(sign)


@dataclass
class FilterResult:
    """Which interferograms a network filter kept, and why the others were dropped."""

    keep: np.ndarray
    reasons: dict  # index -> reason


def filter_network(network: Network, *, max_temporal_baseline_days: Optional[float] = None,
                   max_perp_baseline_m: Optional[float] = None,
                   mean_coherence: Optional[np.ndarray] = None, min_mean_coherence: Optional[float] = None,
                   drop_pairs: Sequence = ()) -> FilterResult:
    """Select interferograms by temporal / perpendicular baseline, mean coherence, or by name.

    Parameters
    ----------
    max_temporal_baseline_days : float, optional
        Drop pairs longer than this (days).
    max_perp_baseline_m : float, optional
        Drop pairs with ``|bperp|`` above this (metres); needs ``network.bperp_m``.
    mean_coherence : ndarray, optional
        Spatial mean coherence of each interferogram, ``(M,)``.
    min_mean_coherence : float, optional
        Drop pairs whose mean coherence is below this.
    drop_pairs : sequence of str
        Pairs to drop, as ``YYYYMMDD_YYYYMMDD`` (``-`` also accepted) or interferogram index
        (0-based, as text or int).
    """
    keep = np.ones(network.n_pairs, bool)
    reasons: dict = {}
    tb = network.temporal_baseline_days
    if max_temporal_baseline_days is not None and max_temporal_baseline_days > 0:
        for i in np.flatnonzero(tb > max_temporal_baseline_days):
            keep[i] = False
            reasons[int(i)] = f"temporal baseline {tb[i]} d > {max_temporal_baseline_days:g} d"
    if max_perp_baseline_m is not None and max_perp_baseline_m > 0:
        if network.bperp_m is None:
            raise NetworkError("max_perp_baseline_m was given but the perpendicular baselines are not known")
        for i in np.flatnonzero(np.abs(network.bperp_m) > max_perp_baseline_m):
            keep[i] = False
            reasons.setdefault(int(i), f"|bperp| {abs(network.bperp_m[i]):.1f} m > {max_perp_baseline_m:g} m")
    if min_mean_coherence is not None and min_mean_coherence > 0 and mean_coherence is not None:
        mc = np.asarray(mean_coherence, float)
        for i in np.flatnonzero(~(mc >= min_mean_coherence)):
            keep[i] = False
            reasons.setdefault(int(i), f"mean coherence {mc[i]:.2f} < {min_mean_coherence:g}")
    labels = {f"{a:%Y%m%d}_{b:%Y%m%d}": i for i, (a, b) in enumerate(network.pairs)}
    for item in drop_pairs:
        text = str(item).strip().replace("-", "_")
        if not text:
            continue
        if text.isdigit() and int(text) < network.n_pairs and text not in labels:
            i = int(text)
        elif text in labels:
            i = labels[text]
        else:
            raise NetworkError(f"pair to drop {item!r} is not in the network (expected e.g. "
                               f"{next(iter(labels))} or an index 0..{network.n_pairs - 1})")
        keep[i] = False
        reasons.setdefault(int(i), "dropped by the user")
    return FilterResult(keep=keep, reasons=reasons)


def network_summary(network: Network, *, dropped: Optional[FilterResult] = None) -> dict:
    """Plain facts about a network: counts, subsets (dates of each connected component)."""
    comps = network.components()
    return {
        "n_dates": network.n_dates,
        "n_pairs": network.n_pairs,
        "first_date": network.dates[0].isoformat(),
        "last_date": network.dates[-1].isoformat(),
        "subsets": [[network.dates[i].isoformat() for i in c] for c in comps],
        "connected": len(comps) == 1,
        "dropped": {} if dropped is None else dict(dropped.reasons),
    }


def network_report_text(network: Network, *, full: Optional[Network] = None,
                        dropped: Optional[FilterResult] = None, extra: Sequence[str] = ()) -> str:
    """Plain-text network report: dates, pairs, dropped pairs, connected subsets."""
    s = network_summary(network)
    lines = [f"Interferogram network: {s['n_pairs']} interferograms, {s['n_dates']} dates, "
             f"{s['first_date']} .. {s['last_date']}"]
    if len(s["subsets"]) == 1:
        lines.append("The network is connected (one subset).")
    else:
        lines.append(f"The network is DISCONNECTED into {len(s['subsets'])} subsets; the inversion bridges "
                     "the gaps with the minimum-norm velocity solution (Berardino et al. 2002):")
        for k, sub in enumerate(s["subsets"], 1):
            lines.append(f"  subset {k}: {len(sub)} dates: {', '.join(sub)}")
    if dropped is not None and full is not None and dropped.reasons:
        lines.append(f"Dropped {len(dropped.reasons)} interferogram(s):")
        for i, why in sorted(dropped.reasons.items()):
            lines.append(f"  {full.names[i]}: {why}")
    lines.append("Dates:")
    dbp = network.date_bperp_m()
    for i, d in enumerate(network.dates):
        n = int(np.sum((network.ref_index == i) | (network.sec_index == i)))
        b = f", bperp {dbp[i]:+.1f} m" if dbp is not None else ""
        lines.append(f"  {d.isoformat()}: {n} interferograms{b}")
    lines.append("Interferograms (reference, secondary, days" + (", bperp m" if network.bperp_m is not None else "")
                 + ", name):")
    for i, (a, b) in enumerate(network.pairs):
        bp = f"  {network.bperp_m[i]:+8.1f}" if network.bperp_m is not None else ""
        lines.append(f"  {a.isoformat()}  {b.isoformat()}  {(b - a).days:5d}{bp}  {network.names[i]}")
    lines.extend(extra)
    return "\n".join(lines) + "\n"


def network_report_html(network: Network, *, png_name: Optional[str] = None, **kwargs) -> str:
    """HTML version of :func:`network_report_text` with the network plot embedded by file name."""
    body = html.escape(network_report_text(network, **kwargs))
    img = f'<p><img src="{html.escape(png_name)}" alt="network"></p>' if png_name else ""
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Interferogram network</title></head>"
            f"<body><h2>Interferogram network</h2>{img}<pre>{body}</pre></body></html>\n")


def disconnection_note(network: Network) -> str:
    """Empty for a connected network, else its subsets (dates and counts) and how they are solved."""
    subsets = network.components()
    if len(subsets) < 2:
        return ""
    return (f"the network is disconnected into {len(subsets)} subsets: " + "; ".join(
        f"{network.dates[s[0]]}..{network.dates[s[-1]]} ({len(s)} dates)" for s in subsets)
        + " -- solved with the minimum-norm velocity across the gaps")


def redundancy_note(network: Network) -> str:
    """Empty when the network has loops, else why a tree (every pair needed, none checking another) limits what
    the series can tell."""
    n_parts = len(network.components(np.ones(network.n_pairs, bool)))
    if network.n_pairs > network.n_dates - n_parts:
        return ""
    return (f"{network.n_pairs} interferogram(s) for {network.n_dates} dates leave no redundancy: no loop can reveal "
            "an unwrapping error and the atmosphere of each date stays in the series (temporal coherence is 1 by "
            "construction); read the velocity as that of the interferograms themselves, or add pairs")
