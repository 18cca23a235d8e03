"""The model dates, knots, gaps and segments (a mixin of :class:`.problem.MultisensorProblem`)."""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np

from ...conventions import DAYS_PER_YEAR
from ...dense import pinv_tall
from ...errors import GeohazardError
from .model import Gap


class _Dates:
    """The model dates: the union of the stacks' dates, knots, gaps, segments; the report."""


    # ------------------------------------------------------------------ dates, gaps, report
    def _build_dates(self, reference_date, seasonal) -> None:
        union = sorted({d for p in self.plans for d in p.dates})
        self.union_dates = union
        model, observed = [union[0]], [True]
        self.gaps: list = []
        for a, b in zip(union[:-1], union[1:]):
            days = (b - a).days
            if days > self.gap_days:
                before = tuple(p.spec.name for p in self.plans if p.dates[0] <= a)
                after = tuple(p.spec.name for p in self.plans if p.dates[-1] >= b)
                if days / DAYS_PER_YEAR > self.max_bridge_years:
                    raise GeohazardError(
                        f"stacks {', '.join(repr(n) for n in before)} (data until {a}) and "
                        f"{', '.join(repr(n) for n in after)} (data from {b}) are {days / DAYS_PER_YEAR:.1f} years "
                        f"apart, more than max_bridge_years={self.max_bridge_years:g}: they cannot be tied by the "
                        "temporal model; solve the periods separately or raise max_bridge_years")
                self.gaps.append(Gap(a, b, before, after))
                nsub = max(2, int(math.ceil(days / self.bridge_step_days)))
                for j in range(1, nsub):
                    model.append(a + _dt.timedelta(days=int(round(days * j / nsub))))
                    observed.append(False)
            model.append(b)
            observed.append(True)
        self.dates = model
        self.observed = np.array(observed, bool)
        if reference_date is None:
            self.reference_date = model[0]
        else:
            rd = self._date("reference_date", reference_date)
            if rd not in union:
                raise GeohazardError(f"reference_date {rd} is not a date of any stack ({union[0]}..{union[-1]})")
            self.reference_date = rd
        t0 = model[0]
        self.tau = np.array([(d - t0).days for d in model], float) / DAYS_PER_YEAR
        # knots: the output dates thinned to min_interval_days, keeping the reference date, gap edges and
        # the dates inside gaps (the motion is linear between knots)
        must = {self.reference_date, model[0]}
        for g in self.gaps:
            must |= {g.last_before, g.first_after}
        must |= {d for d, o in zip(model, observed) if not o}
        knots = [0]
        for i in range(1, len(model)):
            if model[i] in must or (model[i] - model[knots[-1]]).days >= self.min_interval_days:
                knots.append(i)
        if knots[-1] != len(model) - 1:
            if model[knots[-1]] in must or len(knots) == 1:
                knots.append(len(model) - 1)
            else:
                knots[-1] = len(model) - 1
        knots = np.array(knots, np.int64)
        self.knot_dates = [model[i] for i in knots]
        self.tau_k = self.tau[knots]
        self.r = int(np.flatnonzero(knots == model.index(self.reference_date))[0])
        pos = np.searchsorted(knots, np.arange(len(model)), side="right") - 1
        pos = np.minimum(pos, knots.size - 1)
        self.out_k = pos.astype(np.int64)
        w = np.zeros(len(model))
        inner = knots[pos] != np.arange(len(model))
        nxt = np.minimum(pos + 1, knots.size - 1)
        w[inner] = (self.tau[inner] - self.tau_k[pos[inner]]) / (self.tau_k[nxt[inner]] - self.tau_k[pos[inner]])
        self.out_w = w
        span = self.tau[-1] - self.tau[0]
        self.seasonal = bool(span >= 1.5) if seasonal is None else bool(seasonal)
        om = 2.0 * math.pi
        tr = self.tau[model.index(self.reference_date)]
        det, det_w = [], []
        if self.seasonal:
            det += [np.sin(om * self.tau) - math.sin(om * tr), np.cos(om * self.tau) - math.cos(om * tr)]
            det_w += [1.0 / self.seasonal_prior_mm ** 2] * 2
        if self.acceleration:
            det.append(0.5 * (self.tau - tr) ** 2)  # displacement of a unit acceleration (mm/yr^2) since t_r
            det_w.append(1.0 / self.acceleration_prior ** 2)
        self.det = np.ascontiguousarray(np.stack(det, 1) if det else np.zeros((self.tau.size, 0)))
        self.det_w = np.array(det_w, float)
        h = np.diff(self.tau_k)
        self.wq_inc = (2.0 / (h[:-1] + h[1:])) if h.size > 1 else np.zeros(0)
        gi = -np.ones(max(knots.size - 1, 0), np.int64)
        for g_i, g in enumerate(self.gaps):
            lo, hi = model.index(g.last_before), model.index(g.first_after)
            gi[(knots[:-1] >= lo) & (knots[1:] <= hi)] = g_i
        self.gap_inc = np.maximum(gi[:-1], gi[1:]) if gi.size > 1 else np.zeros(0, np.int64)
        # the periods between gaps: each has its own density, estimated from the stacks with dates in it
        lo_k = np.array([model.index(g.first_after) for g in self.gaps], np.int64)
        self.seg_inc = np.searchsorted(lo_k, knots[1:-1], side="right").astype(np.int64)
        bounds = [self.dates[0]] + [d for g in self.gaps for d in (g.last_before, g.first_after)] + [self.dates[-1]]
        self.segment_spans = list(zip(bounds[0::2], bounds[1::2]))
        self.segment_stacks = [np.array([any(a <= d <= b for d in p.dates) for p in self.plans])
                               for a, b in self.segment_spans]
        # least-squares slope (line + annual term when seasonal) over the observed dates
        obs_t = self.tau[self.observed]
        cols = [np.ones_like(obs_t), obs_t - obs_t.mean()]
        if self.seasonal:
            cols += [np.sin(om * obs_t), np.cos(om * obs_t)]
        a = np.stack(cols, 1)
        g = np.zeros(self.tau.size)
        g[self.observed] = pinv_tall(a)[1]
        self.g_vel = g
        index = {d: i for i, d in enumerate(model)}
        self.obs_o = np.concatenate([[index[d] for d in p.dates] for p in self.plans]).astype(np.int64)
        self.obs_s = np.concatenate([[i] * len(p.dates) for i, p in enumerate(self.plans)]).astype(np.int64)
        # one-year velocity windows either side of each gap (the first pass measures their change)
        self.gap_index = [(index[g.last_before], index[g.first_after]) for g in self.gaps]
        self._vel_windows = []
        obs_idx = np.flatnonzero(self.observed)
        for ka, kb in self.gap_index:
            before = obs_idx[(obs_idx <= ka) & (self.tau[obs_idx] >= self.tau[ka] - 1.0)]
            after = obs_idx[(obs_idx >= kb) & (self.tau[obs_idx] <= self.tau[kb] + 1.0)]
            self._vel_windows.append((int(before[0]), ka, kb, int(after[-1])))
        self._segments()
        # gaps with a one-geometry year on either side: the first pass cannot split the velocity change measured
        # there between east and up (the one geometry sees one combination of them)
        self._gap_one_geometry = [self._one_geometry(self.dates[w[0]], self.dates[w[1]])
                                  or self._one_geometry(self.dates[w[2]], self.dates[w[3]]) for w in self._vel_windows]


    def _one_geometry(self, a, b) -> bool:
        """True when the stacks with data between dates ``a`` and ``b`` share one geometry."""
        keys = {tuple(np.round(p.const_vec, 2)) if p.const_vec is not None else p.spec.name
                for p in self.plans if p.dates[0] <= b and p.dates[-1] >= a
                and any(a <= d <= b for d in p.dates)}
        return len(keys) <= 1


    def _segments(self) -> None:
        """Report how each stack is tied to the others (time overlap, gaps, periods seen by one geometry)."""
        def geom_key(p):
            return tuple(np.round(p.const_vec, 2)) if p.const_vec is not None else p.spec.name

        runs, cur = [], None
        for d in self.union_dates:
            active = [p for p in self.plans if p.dates[0] <= d <= p.dates[-1]]
            keys = {geom_key(p) for p in active}
            key = next(iter(keys)) if len(keys) == 1 else None
            if cur is not None and key == cur[0]:
                cur[2] = d
                cur[3] |= {p.spec.name for p in active}
                continue
            if cur is not None:
                runs.append(cur)
            cur = [key, d, d, {p.spec.name for p in active}] if key is not None else None
        if cur is not None:
            runs.append(cur)
        for _, a, b, names in runs:
            if (b - a).days >= self.gap_days:
                self.warnings.append(f"{a}..{b} is seen by one geometry only ({', '.join(sorted(names))}): east and "
                                     "up there rest on the temporal model tying it to the other periods")
        for g in self.gaps:
            self.warnings.append(f"gap of {g.days / DAYS_PER_YEAR:.1f} years ({g.last_before} .. {g.first_after}): "
                                 f"{', '.join(g.after)} tied to {', '.join(g.before)} only through the temporal "
                                 "model; dates after it carry the bridge's uncertainty")
        for p in self.plans:
            others = [q.spec.name for q in self.plans if q is not p and q.dates[0] <= p.dates[-1]
                      and q.dates[-1] >= p.dates[0]]
            if not others:
                self.warnings.append(f"stack {p.spec.name!r} ({p.dates[0]}..{p.dates[-1]}) overlaps no other stack "
                                     "in time: its offset is tied through the temporal model only")


    def report(self) -> list:
        """Lines describing the stacks, the model dates, the north handling, the gaps and the ties."""
        lines = []
        for p in self.plans:
            s = p.spec
            kind = f"{p.network.n_pairs} interferograms" if p.network is not None else "per-date series"
            geo = ("per-pixel geometry" if p.const_vec is None else
                   "LOS (e, n, u) = ({:.3f}, {:.3f}, {:.3f})".format(*p.const_vec))
            wl = f", wavelength {s.wavelength_m:g} m" if s.wavelength_m else ""
            lines.append(f"stack {s.name!r}: {kind}, {len(p.dates)} dates {p.dates[0]}..{p.dates[-1]}{wl}, {geo}")
        lines.append(f"model: {len(self.dates)} dates ({int(self.observed.sum())} with data, "
                     f"{int((~self.observed).sum())} inside gaps), reference date {self.reference_date}, "
                     f"annual term {'on' if self.seasonal else 'off'}")
        lines.append("north: " + self.north.label)
        for g in self.gaps:
            lines.append(f"gap {g.last_before} .. {g.first_after} ({g.days} days) bridged by the temporal model")
        if self.scene_prior is not None:
            lines += self.scene_prior["lines"]
        lines += [f"warning: {w}" for w in self.warnings]
        return lines
