"""Network modification: which interferograms to keep, and why the others were dropped.

Criteria (each optional): temporal and perpendicular baseline, spatial mean coherence
(MintPy ``modify_network``: ``tempBaseMax``, ``perpBaseMax``, ``minCoherence``,
``excludeDate``, ``excludeIfgIndex``/pairs, ``startDate``/``endDate``) and the
loop-closure misfit of LiCSBAS step 12 (Morishita et al. 2020, doi:10.3390/rs12030424): for
every closed triplet ``ij + jk - ik`` the spatial standard deviation of the closure phase
(radians) is computed; a loop above the threshold is bad, and an interferogram that sits in
at least one bad loop and in no good loop is dropped (an interferogram in no loop cannot be
judged and is kept).

After the drops the network must stay connected, every date keeping at least one
interferogram. Otherwise :func:`modify_network` names the dates that fall out and the
separate subsets and raises :class:`~algorithms.errors.NetworkError`, unless the caller
allows it, or asks to keep it connected: then dropped interferograms (never those the user
excluded by name or date) are put back, best first (highest mean coherence, else shortest
temporal baseline), whenever one joins two subsets (Kruskal), as MintPy's
``keepMinSpanTree``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..errors import NetworkError
from ..formats.dates import parse_date
from ..ordered import row_sums
from ..timeseries.network import Network, filter_network
from ..unionfind import DisjointSets


@dataclass
class NetworkEdit:
    """The outcome of :func:`modify_network`."""

    keep: np.ndarray
    reasons: dict  # index -> why it was dropped
    restored: list = field(default_factory=list)  # indices put back to keep the network connected
    dates_out: list = field(default_factory=list)  # dates left without interferogram
    subsets: list = field(default_factory=list)  # connected subsets of the kept network (lists of dates)

    @property
    def n_kept(self) -> int:
        return int(self.keep.sum())


def closure_triplets(network: Network) -> np.ndarray:
    """``(T, 3)`` indices ``(ij, jk, ik)`` of the network's closed triplets (dates i < j < k)."""
    index = {(a, b): n for n, (a, b) in enumerate(network.pairs)}
    out = []
    for (a, c), ik in index.items():
        for (x, b), ij in index.items():
            if x == a and a < b < c and (b, c) in index:
                out.append((ij, index[(b, c)], ik))
    return np.array(sorted(out), dtype=np.int64).reshape(-1, 3)


def closure_sums_block(block, inputs: dict, *, triplets: np.ndarray, signs: np.ndarray, to_radians: float,
                       coherence_threshold: float = 0.0) -> dict:
    """Block function: per row of the block and triplet, the count, sum and sum of squares of the closure
    phase (radians) over the pixels valid in its three interferograms (``(rows, T)`` each, added in row
    order by :class:`~algorithms.corrections.ramps.FitSums`). ``inputs["stack"]`` ``(M, rows, cols)`` in
    the files' orientation; ``signs`` turn it into later-minus-earlier; ``to_radians`` converts the unit.
    With ``inputs["coherence"]`` and ``coherence_threshold`` > 0, values less coherent are left out (the
    misfit then measures unwrapping errors, not the noise of incoherent ground)."""
    raw = np.asarray(inputs["stack"], np.float64)
    rows = raw.shape[1]
    data = raw * (np.asarray(signs) * to_radians)[:, None, None]
    coh = inputs.get("coherence")
    if coh is not None and coherence_threshold > 0:
        data = np.where(np.asarray(coh).reshape(data.shape) >= coherence_threshold, data, np.nan)
    t = np.asarray(triplets)
    if t.size == 0:
        return {"n": np.zeros((rows, 0), np.int64), "s": np.zeros((rows, 0)), "ss": np.zeros((rows, 0))}
    clo = data[t[:, 0]] + data[t[:, 1]] - data[t[:, 2]]
    ok = np.isfinite(clo)
    c0 = np.where(ok, clo, 0.0)
    return {"n": ok.sum(axis=-1).astype(np.int64).T, "s": row_sums(c0).T, "ss": row_sums(c0 * c0).T}


def coherence_sums_block(block, inputs: dict) -> dict:
    """Block function: per row of the block and interferogram, the sum and count of the valid coherence
    values (``(rows, M)``, added in row order: the spatial mean of each interferogram)."""
    c = np.asarray(inputs["coherence"], np.float64)
    ok = np.isfinite(c)
    return {"s": row_sums(np.where(ok, c, 0.0)).T, "n": ok.sum(axis=-1).T}


def closure_misfit(sums: dict) -> np.ndarray:
    """Spatial standard deviation of each triplet's closure phase (radians), NaN without pixels."""
    n = sums["n"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums["s"] / n
        var = sums["ss"] / n - mean ** 2
    return np.where(n > 0, np.sqrt(np.clip(var, 0, None)), np.nan)


def culprit_interferograms(triplets: np.ndarray, misfit: np.ndarray, threshold: float, n_pairs: int) -> np.ndarray:
    """Interferograms to drop, ``(M,)`` bool, found one at a time.

    Among the loops whose three interferograms are still kept, each interferogram's bad loops
    (misfit > threshold) and good loops are counted; one in at least one bad loop and in no good loop
    is a culprit. The one with the most bad loops (then the worst misfit, then the lowest index) is
    dropped, its loops leave the count, and the search starts again until no culprit is left. A clean
    interferogram that only shared loops with a dropped one keeps no bad loop and is kept.
    """
    t = np.asarray(triplets, np.int64).reshape(-1, 3)
    mf = np.asarray(misfit, np.float64)
    known = np.isfinite(mf)
    keep = np.ones(n_pairs, bool)
    bad = known & (mf > threshold)
    while True:
        alive = known & keep[t].all(axis=1)
        n_bad = np.bincount(t[alive & bad].ravel(), minlength=n_pairs)
        n_good = np.bincount(t[alive & ~bad].ravel(), minlength=n_pairs)
        cand = np.flatnonzero(keep & (n_bad > 0) & (n_good == 0))
        if cand.size == 0:
            return ~keep
        worst = np.zeros(n_pairs)
        for k in np.flatnonzero(alive & bad):
            worst[t[k]] = np.maximum(worst[t[k]], mf[k])
        pick = cand[np.lexsort((cand, -worst[cand], -n_bad[cand]))[0]]
        keep[pick] = False


def _dates(values) -> list:
    out = []
    for v in values:
        text = str(v).strip()
        if text:
            try:
                out.append(parse_date(text))
            except Exception:
                raise NetworkError(f"EXCLUDE_DATES: cannot read a date from {text!r} (expected YYYYMMDD)") from None
    return out


def modify_network(network: Network, *, max_temporal_baseline_days: Optional[float] = None,
                   max_perp_baseline_m: Optional[float] = None, mean_coherence: Optional[np.ndarray] = None,
                   min_mean_coherence: Optional[float] = None, exclude_dates: Sequence = (),
                   exclude_pairs: Sequence = (), start_date=None, end_date=None,
                   triplets: Optional[np.ndarray] = None, loop_misfit_rad: Optional[np.ndarray] = None,
                   max_loop_misfit_rad: Optional[float] = None, keep_connected: bool = False,
                   allow_disconnected: bool = False) -> NetworkEdit:
    """Select the interferograms of ``network`` and check what the selection does to it.

    Parameters
    ----------
    max_temporal_baseline_days, max_perp_baseline_m, mean_coherence, min_mean_coherence, exclude_pairs
        As :func:`algorithms.timeseries.network.filter_network` (0 / None = no limit).
    exclude_dates : sequence of date or str
        Every interferogram touching one of these dates is dropped (a date not in the network
        raises, naming it).
    start_date, end_date : date or str, optional
        Interferograms with a date outside this span are dropped.
    triplets, loop_misfit_rad, max_loop_misfit_rad
        Closed triplets ``(T, 3)`` (:func:`closure_triplets`), their misfits (radians,
        :func:`closure_misfit`) and the threshold (LiCSBAS: 1.5 rad); see the module notes.
    keep_connected : bool
        Put dropped interferograms back (not the user's exclusions) to keep one connected network.
    allow_disconnected : bool
        Accept a network split into subsets or dates without interferograms (the SBAS
        inversion bridges gaps with its minimum-norm solution); reported, not raised.

    Raises
    ------
    NetworkError
        Unknown dates/pairs, nothing left, or a disconnected result that is not allowed.
    """
    flt = filter_network(network, max_temporal_baseline_days=max_temporal_baseline_days,
                         max_perp_baseline_m=max_perp_baseline_m, mean_coherence=mean_coherence,
                         min_mean_coherence=min_mean_coherence, drop_pairs=exclude_pairs)
    keep, reasons = flt.keep.copy(), dict(flt.reasons)
    user = {i for i, why in reasons.items() if why == "dropped by the user"}
    ref, sec = network.ref_index, network.sec_index
    known = set(network.dates)
    removed = set()  # dates the user took out on purpose: not "falling out"
    for d in _dates(exclude_dates):
        if d not in known:
            raise NetworkError(f"EXCLUDE_DATES: {d:%Y%m%d} is not a date of the interferograms "
                               f"({network.dates[0]:%Y%m%d}..{network.dates[-1]:%Y%m%d})")
        j = network.dates.index(d)
        removed.add(d)
        for i in np.flatnonzero((ref == j) | (sec == j)):
            keep[i] = False
            reasons.setdefault(int(i), f"date {d:%Y%m%d} excluded")
            user.add(int(i))
    for bound, name in ((start_date, "start"), (end_date, "end")):
        if bound is None or str(bound).strip() == "":
            continue
        b = parse_date(bound)
        removed.update(d for d in network.dates if (name == "start" and d < b) or (name == "end" and d > b))
        for i, (a, c) in enumerate(network.pairs):
            if (name == "start" and a < b) or (name == "end" and c > b):
                keep[i] = False
                reasons.setdefault(i, f"outside the {name} date {b:%Y%m%d}")
                user.add(i)
    if max_loop_misfit_rad and loop_misfit_rad is not None and triplets is not None and len(triplets):
        bad = culprit_interferograms(np.asarray(triplets), np.asarray(loop_misfit_rad), max_loop_misfit_rad,
                                     network.n_pairs)
        for i in np.flatnonzero(bad):
            worst = max(float(m) for t, m in zip(triplets, loop_misfit_rad) if i in t and np.isfinite(m))
            keep[i] = False
            reasons.setdefault(int(i), f"loop closure misfit {worst:.2f} rad > {max_loop_misfit_rad:g} rad in "
                                       "every loop it closes with the interferograms kept")
    restored = []
    if keep_connected:
        restored = _reconnect(network, keep, user, mean_coherence)
        for i in restored:
            keep[i] = True
    if not keep.any():
        raise NetworkError("no interferogram is left after the drops: " + "; ".join(
            f"{network.names[i]}: {why}" for i, why in sorted(reasons.items())[:5]))
    used = np.zeros(network.n_dates, bool)
    used[ref[keep]] = True
    used[sec[keep]] = True
    dates_out = [network.dates[j] for j in np.flatnonzero(~used) if network.dates[j] not in removed]
    comps = [c for c in network.components(keep) if len(c) > 1 or used[c[0]]]
    subsets = [[network.dates[j] for j in c] for c in comps]
    edit = NetworkEdit(keep, {i: w for i, w in reasons.items() if not keep[i]}, restored, dates_out, subsets)
    if (dates_out or len(subsets) > 1) and not allow_disconnected:
        given = network.components(np.ones(network.n_pairs, bool))
        raise NetworkError(disconnection_message(edit, keep_connected=keep_connected, input_subsets=len(given),
                                                 by_name=bool(user)))
    return edit


def disconnection_message(edit: NetworkEdit, *, keep_connected: bool = False, input_subsets: int = 1,
                          by_name: bool = False) -> str:
    """Why the kept network is split and what can be done, given whether the input network was already split
    (``input_subsets`` > 1), KEEP_CONNECTED was on and interferograms were dropped by name (``by_name``)."""
    if input_subsets > 1:
        return (f"the input network is already split into {input_subsets} subsets before any drop (no "
                "interferogram joins them, so none can be put back): add interferograms that link them, or "
                "ALLOW_DISCONNECTED to accept it")
    parts = []
    if edit.dates_out:
        parts.append(f"{len(edit.dates_out)} date(s) lose every interferogram: "
                     + ", ".join(f"{d:%Y%m%d}" for d in edit.dates_out))
    if len(edit.subsets) > 1:
        parts.append(f"the kept interferograms form {len(edit.subsets)} separate subsets: " + "; ".join(
            f"{s[0]:%Y%m%d}..{s[-1]:%Y%m%d} ({len(s)} dates)" for s in edit.subsets))
    if keep_connected:
        advice = ("KEEP_CONNECTED put back what it could" + (", but not the interferograms dropped by name "
                  "(DROP_PAIRS, EXCLUDE_DATES, START_DATE, END_DATE)" if by_name else "")
                  + ". Loosen the limits" + (" or drop fewer by name" if by_name else "")
                  + ", or ALLOW_DISCONNECTED to accept it")
    else:
        advice = ("Loosen the limits, turn on KEEP_CONNECTED (puts back the best dropped interferograms that "
                  "reconnect it), or ALLOW_DISCONNECTED to accept it")
    return "the drops disconnect the network: " + "; ".join(parts) + ". " + advice


def _reconnect(network: Network, keep: np.ndarray, user: set, mean_coherence) -> list:
    """Dropped interferograms (not excluded by the user) that join subsets, best first (Kruskal)."""
    sets = DisjointSets(network.n_dates)
    ref, sec = network.ref_index, network.sec_index
    for i in np.flatnonzero(keep):
        sets.join(int(ref[i]), int(sec[i]))
    cands = [i for i in np.flatnonzero(~keep) if int(i) not in user]
    coh = None if mean_coherence is None else np.asarray(mean_coherence, float)
    tb = network.temporal_baseline_days
    cands.sort(key=lambda i: (-(coh[i] if coh is not None and np.isfinite(coh[i]) else -1.0), tb[i], i))
    out = []
    for i in cands:
        if sets.join(int(ref[i]), int(sec[i])):
            out.append(int(i))
    return out


def edit_table(network: Network, edit: NetworkEdit, *, mean_coherence=None, triplets=None,
               loop_misfit_rad=None) -> list[dict]:
    """One row per interferogram for the report: dates, baselines, mean coherence, worst loop misfit,
    kept, reason."""
    worst = np.full(network.n_pairs, np.nan)
    if triplets is not None and loop_misfit_rad is not None:
        for t, m in zip(triplets, loop_misfit_rad):
            if np.isfinite(m):
                for i in t:
                    worst[i] = m if not np.isfinite(worst[i]) else max(worst[i], m)
    rows = []
    for i, (a, b) in enumerate(network.pairs):
        why = edit.reasons.get(i, "")
        if i in edit.restored:
            why = "put back to keep the network connected"
        rows.append({
            "interferogram": network.names[i], "date1": a.isoformat(), "date2": b.isoformat(),
            "temporal_baseline_days": (b - a).days,
            "perp_baseline_m": "" if network.bperp_m is None else round(float(network.bperp_m[i]), 2),
            "mean_coherence": "" if mean_coherence is None else round(float(mean_coherence[i]), 4),
            "worst_loop_misfit_rad": "" if not np.isfinite(worst[i]) else round(float(worst[i]), 4),
            "kept": "yes" if edit.keep[i] else "no", "reason": why})
    return rows

