"""Where each wrong value of the phase-closure correction comes from: the step of the correction that set it, and
what the closures say about it, on the stacks the correction is measured on.

    /usr/bin/python3 benchmarks/corrections/closure_trace.py tester:1,2,3 banks:1,2 decorrelated:0,2 practice
        [--examples 20] [--json OUT]

Stacks: ``tester:SEEDS`` (tests/testutils_closure_tester.py, as closure_tester.py runs ours: the stable corner as
the reference of the corrections), ``banks:SEEDS`` (tests/testutils_closure_banks.py, as banks_compare.py runs it),
``decorrelated:SEEDS`` (test_corrections_closure.py's decorrelated scenario, one pass as that test runs it; with
``decorrelated2:SEEDS`` both passes), ``world:SEEDS`` (tests/testutils_closure_world.py, as closure_world.py runs
ours: the stacks of its STACKS, no reference), ``practice`` (the practice corrections stack,
/work/shared/data/practice, the core as the Corrected SBAS model runs its step, the truth's stable area as
STABLE_AREA).

Each run of the core is watched: the wide and narrow windows' solves, the pixels' own loops (``keep``), the rings
carried to a patch's edge (``grow``), the re-check (``settle``), then, in the second pass, a tie taken by a
component (``tie``), the components' decisions (``complete``) and the last re-check (``settle2``). A wrong value
(a value moved where nothing was planted, or to another wrong multiple; or a planted value left off relative to
the reference) is charged to the last step that set its final cycles (``none``: never changed). Its class: the
result minus the truth closes every loop of the pixel (``invisible``: closures cannot tell them), the value is on
decorrelated ground, on an incoherent line, below coherence 0.3, or none of these (``other``).

``ambiguous_left`` places the planted values not fixed at pixels the first pass left ambiguous
(:func:`ambiguous_classes`). ``new_floor`` judges each new value's pixel by its closures alone
(:func:`floor_classes`): the floor no closure-based correction can go below (the truth and ours close alike and ours
is as sparse) against a better answer that was there. ``by_ground`` counts the fixed and the new values by the ground
they lie on (:func:`ground_counts`): what refusing every correction on a kind of ground would trade.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests"), HERE, os.path.dirname(HERE)]
from common import save_json  # noqa: E402

PRACTICE = "/work/shared/data/practice/corrections_stack"


class Recorder:
    """Snapshots of the cycles ``u`` (M, P) around each step of :func:`closure.correct_closure_block`."""

    def __init__(self, cl):
        self.cl = cl
        self.cs = cl.consensus
        self.steps = []  # (name, before, after)
        self.pass_no = 0
        self.depth = 0
        self.extra = {}

    def install(self):
        cl, cs = self.cl, self.cs
        rec = self
        orig = {"block": cl.correct_closure_block, "solve_block": cl._solve_block, "patterns": cl._solve_patterns,
                "keep": cs.keep_supported, "grow": cs.grow, "complete": cs.complete, "settle": cs.settle,
                "own_ties": cl._own_ties_only, "choose": cl.choose_by_edges}
        self.orig = orig

        def own_ties(tie, tie_shift, *a, **k):  # the ties kept before the pixels' own closures are asked
            rec.extra["ties_before_own"] = tie_shift.copy()
            return orig["own_ties"](tie, tie_shift, *a, **k)

        def choose(votes, cycles, **k):  # the ties' regions, votes and decisions
            rec.extra["edges"] = (votes, votes.choose_ties() if k.get("tie_shift") is not None else [],
                                  None if k.get("tie_shift") is None else np.asarray(k["tie_shift"]).copy())
            return orig["choose"](votes, cycles, **k)

        def block(*a, **k):
            rec.pass_no += 1
            return orig["block"](*a, **k)

        def patterns(u, ambiguous, todo, agreed, has, triplets, solver, tie=None, **kw):
            name = "wide" if solver.alpha == cl.ALPHA else "narrow"
            before = u.copy()
            orig["patterns"](u, ambiguous, todo, agreed, has, triplets, solver, tie, **kw)
            rec.steps.append((name, before, u.copy()))
            rec.extra.setdefault("agreed_" + name, agreed.copy())
            rec.extra.setdefault("amb_" + name, ambiguous.copy())

        def solve_block(*a, **k):
            out = orig["solve_block"](*a, **k)
            rec.extra["first_ambiguous"] = out[1].copy()
            rec.extra["noisy"] = out[2].whole()
            rec.extra["key"] = a[0].copy()
            return out

        def wrap(name, fn):
            def inner(u, *a, **k):
                top = rec.depth == 0
                if name == "complete":
                    rec.extra["labels"], rec.extra["decisions"] = np.asarray(a[2]).copy(), np.asarray(a[3]).copy()
                rec.depth += 1
                before = u.copy() if top else None
                try:
                    return fn(u, *a, **k)
                finally:
                    rec.depth -= 1
                    if top:
                        label = name if rec.pass_no <= 1 else {"settle": "settle2", "keep": "keep2"}.get(name, name)
                        rec.steps.append((label, before, u.copy()))
            return inner

        cl.correct_closure_block = block
        cl._solve_block = solve_block
        cl._own_ties_only = own_ties
        cl.choose_by_edges = choose
        cl._solve_patterns = patterns
        cs.keep_supported = wrap("keep", orig["keep"])
        cs.grow = wrap("grow", orig["grow"])
        cs.complete = wrap("complete", orig["complete"])
        cs.settle = wrap("settle", orig["settle"])

    def uninstall(self):
        cl, cs = self.cl, self.cs
        o = self.orig
        cl.correct_closure_block, cl._solve_block, cl._solve_patterns = o["block"], o["solve_block"], o["patterns"]
        cl._own_ties_only, cl.choose_by_edges = o["own_ties"], o["choose"]
        cs.keep_supported, cs.grow, cs.complete, cs.settle = o["keep"], o["grow"], o["complete"], o["settle"]

    def who(self, final):
        """The step that last set each value to its final cycles (M, P) (str array; 'none' where never changed)."""
        out = np.full(final.shape, "none", dtype=object)
        for name, before, after in self.steps:
            if before.shape != final.shape:
                continue
            hit = (after != before) & (after == final)
            out[hit] = name
        out[(out == "none") & (final != 0)] = "tie"  # set by no watched step: a tie a component took
        return out


def _tester(seed):
    from testutils_closure_tester import CYCLE_MM, stack_for

    from insar_geohazards.algorithms.corrections import closure as cl

    sc = stack_for(seed)
    tri = cl.network_triplets([tuple(p) for p in sc["pairs"]])
    x = sc["ifg_mm"]
    off = cl.closure_offsets(x, tri, cycle_mm=CYCLE_MM, reference=sc["stable"])
    p = sc["planted"].astype(np.int64)
    mc = np.where(sc["stable"] & ~(p != 0).any(axis=0), sc["coherence"].mean(axis=0), -1.0)
    ref = np.unravel_index(int(np.argmax(mc)), mc.shape)
    m = x.shape[0]
    line = np.zeros(x.shape, bool)
    for k in sc["tears"]:
        line[k] = (sc["coherence"][k] <= 0.1) & ~sc["dark"]
    dark = np.broadcast_to(sc["dark"], x.shape)
    return dict(x=x, tri=tri, off=off, ref=ref, planted=p, cycle=CYCLE_MM, coherence=sc["coherence"],
                classes={"dark": dark, "line": line}, two_pass=True, pairs=sc["pairs"], m=m)


def _banks(seed):
    from banks_compare import reference, stable_area
    from testutils_closure_banks import CYCLE_MM, bank_stack

    from insar_geohazards.algorithms.corrections import closure as cl

    sc = bank_stack(seed)
    ref = reference(sc)
    d = sc["dates"]
    tri = cl.network_triplets([(d[i], d[j]) for i, j in sc["pairs"]])
    x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    rows = np.unique(np.linspace(0, x.shape[1] - 1, 64).astype(int))
    area = stable_area(sc, ref)
    sample = np.concatenate([x[:, rows].reshape(x.shape[0], -1), x[:, area]], axis=1)
    reference_ = np.zeros(sample.shape[1], bool)
    reference_[-int(area.sum()):] = True
    off = cl.closure_offsets(sample, tri, cycle_mm=CYCLE_MM, reference=reference_)
    return dict(x=x, tri=tri, off=off, ref=ref, planted=sc["planted"].astype(np.int64), cycle=CYCLE_MM,
                coherence=sc["coherence"], classes={"lowcoh": sc["coherence"] < 0.3}, two_pass=True,
                pairs=sc["pairs"], m=x.shape[0])


def _decorrelated(seed, two_pass=False):
    from testutils_corrections import CYCLE_MM, closure_scenario

    from insar_geohazards.algorithms.corrections import closure as cl

    spec = dict(shape=(40, 40), n_dates=14, network=("seq", 3), noise=("patches", 2.0, 0.2),
                errors=dict(patches=14, sizes=(6, 20), cycles=(-2, -1, 1, 2), overlap=0.3), seed=seed)
    sc = closure_scenario(spec)
    d = sc["dates"]
    tri = cl.network_triplets([(d[i], d[j]) for i, j in sc["pairs"]])
    x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    off = cl.closure_offsets(x, tri, cycle_mm=CYCLE_MM)
    return dict(x=x, tri=tri, off=off, ref=None, planted=sc["planted"].astype(np.int64), cycle=CYCLE_MM,
                coherence=sc["coherence"], classes={"dark": sc["coherence"] < 0.3}, two_pass=two_pass,
                pairs=sc["pairs"], m=x.shape[0])


def _world(seed):
    from closure_world import STACKS
    from testutils_closure_world import CYCLE_MM, world_stack

    from insar_geohazards.algorithms.corrections import closure as cl

    sc = world_stack(seed=seed, **STACKS[seed])
    tri = cl.network_triplets([tuple(p) for p in sc["pairs"]])
    x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    off = cl.closure_offsets(x, tri, cycle_mm=CYCLE_MM)
    dark = np.broadcast_to(sc["dark"], x.shape)
    return dict(x=x, tri=tri, off=off, ref=None, planted=sc["planted"].astype(np.int64), cycle=CYCLE_MM,
                coherence=sc["coherence"], classes={"dark": dark}, two_pass=True, pairs=sc["pairs"], m=x.shape[0])


def _practice():
    import stack_score

    meta = json.load(open(os.path.join(PRACTICE, "meta.json")))
    t = stack_score.truth(PRACTICE)
    names, unw = stack_score.interferograms(PRACTICE)
    order = [list(t["names"]).index(n) for n in names]
    planted = -t["planted"][order].astype(np.int64)  # phase cycles: a cycle of phase is one away from the satellite
    lam = meta["wavelength_m"]
    x = -unw * lam * 1000.0 / (4 * np.pi)
    coh = np.stack([stack_score.read_tif(os.path.join(PRACTICE, "coh", f"{n}.cc.tif")) for n in names])
    return practice_case(names, x, planted, coh, t["stable"].astype(bool), tuple(int(v) for v in t["ref_yx"]),
                         lam * 1000.0 / 2.0)


def practice_case(names, x, planted, coh, stable, ref, cycle):
    """A case laid out as the practice stack (interferograms named ``YYYYMMDD_YYYYMMDD``, mm toward the satellite,
    ``planted`` in the same sign), run as the Corrected SBAS model runs its step: the closures' common offsets from
    64 rows of the frame and the stable area."""
    from insar_geohazards.algorithms.corrections import closure as cl

    dates = sorted({n[:8] for n in names} | {n[9:17] for n in names})
    pairs = [(dates.index(n[:8]), dates.index(n[9:17])) for n in names]
    tri = cl.network_triplets([(dates[i], dates[j]) for i, j in pairs])
    h, w = stable.shape
    rows = np.unique(np.linspace(0, h - 1, 64).astype(int))
    step = max(1, w * rows.size // 20000)
    parts = [x[:, r, ::step] for r in rows]
    in_rows = np.flatnonzero(stable.any(axis=1))
    picked = in_rows[np.unique(np.linspace(0, in_rows.size - 1, min(in_rows.size, 64)).astype(int))]
    extra = [x[:, r, stable[r]] for r in picked]
    reference = np.repeat([False, True], [sum(p.shape[1] for p in parts), sum(p.shape[1] for p in extra)])
    off = cl.closure_offsets(np.concatenate(parts + extra, axis=1), tri, cycle_mm=cycle, reference=reference)
    return dict(x=x, tri=tri, off=off, ref=ref, planted=planted, cycle=cycle, coherence=coh,
                classes={"lowcoh": coh < 0.3}, two_pass=True, pairs=pairs, m=x.shape[0])


def floor_classes(case, u, p, new, cls) -> dict:
    """The pixels of the new values (``new`` (M, rows, cols)) judged by their closures alone, counted in values:

    * ``invisible``: our cycles ``u`` and the truth's (``-p``; with a reference pixel, in our frame: the reference's
      own correction less the plant relative to it) close every loop with data of the pixel alike and ours are at
      least as sparse (L1): no method that reads the closures can prefer the truth;
    * ``truth_sparser``: they close alike but the truth is sparser: a better answer was there;
    * ``opens``: a loop with data closes otherwise with ours than with the truth; split by the L1 problem of the
      pixel's own closures (its integer closures ``K``, the network's common closure removed, the loops within
      1.5 rad of whole cycles; cost ``sum |C U + K| + ALPHA |U|``): ``opens_truth_better`` where the truth's cost is
      lower (a better answer was there), ``opens_ours_better`` where ours is as low or lower (the pixel's own
      closures ask for ours: noise).

    Each class is also counted on decorrelated ground (the stack's ``dark``, ``lowcoh`` class) apart: ``/dark``."""
    from insar_geohazards.algorithms.corrections.closure import ALPHA

    m = u.shape[0]
    ks, ys, xs = np.nonzero(new)
    out = collections.Counter()
    if not ks.size:
        return {}
    w = u.shape[2]
    pix = ys * w + xs
    upx, inv = np.unique(pix, return_inverse=True)
    x = case["x"].reshape(m, -1)[:, upx]
    has = np.isfinite(x)
    uu = np.where(has, u.reshape(m, -1)[:, upx], 0).astype(np.float64)
    # the truth in our frame: where a reference pixel is given, its own correction less the plant relative to it
    if case["ref"] is not None:
        r0, c0 = case["ref"]
        truth = u[:, r0:r0 + 1, c0:c0 + 1] - (p - p[:, r0:r0 + 1, c0:c0 + 1])
    else:
        truth = -p
    tt = np.where(has, truth.reshape(m, -1)[:, upx], 0).astype(np.float64)
    c = case["tri"].matrix
    idx = case["tri"].index
    loops = has[idx[:, 0]] & has[idx[:, 1]] & has[idx[:, 2]]
    same = ~(loops & (c @ (uu - tt) != 0)).any(axis=0)
    sparse = np.abs(uu).sum(axis=0) <= np.abs(tt).sum(axis=0)
    with np.errstate(invalid="ignore"):
        clo = c @ np.where(has, x, 0.0) / case["cycle"] - np.asarray(case["off"], np.float64)[:, None]
    usable = loops & (np.abs(clo - np.rint(clo)) <= 1.5 / (2 * np.pi))
    k = np.where(usable, np.rint(clo), 0.0)

    def cost(v):
        return np.where(usable, np.abs(c @ v + k), 0.0).sum(axis=0) + ALPHA * np.abs(v).sum(axis=0)

    ours_better = cost(uu) <= cost(tt)
    kind = np.where(same, np.where(sparse, "invisible", "truth_sparser"),
                    np.where(ours_better, "opens_ours_better", "opens_truth_better"))
    dark = np.array([b in ("dark", "lowcoh") for b in cls[new]])
    for name, d in zip(kind[inv], dark):
        out[name + ("/dark" if d else "")] += 1
    return dict(sorted(out.items()))


def ground_counts(case, fixed, new) -> dict:
    """The fixed and the new values (bool (M, rows, cols)) by the ground they lie on: the stack's classes (``dark``,
    ``lowcoh``, ``line``: the first that holds) or ``coherent``. What a refusal of every correction on a kind of ground
    would give up (its fixed values) and remove (its new values), the rest of the run as it was."""
    ground = np.full(fixed.shape, "coherent", dtype=object)
    for name, mask in case["classes"].items():
        ground[np.asarray(mask) & (ground == "coherent")] = name
    return {"fixed": dict(sorted(collections.Counter(ground[fixed]).items())),
            "new": dict(sorted(collections.Counter(ground[new]).items()))}

def run_case(case, examples=10):
    from insar_geohazards.algorithms.corrections import closure as cl

    rec = Recorder(cl)
    rec.install()
    try:
        if case["two_pass"]:
            out = cl.correct_closure_stack(case["x"], case["tri"], cycle_mm=case["cycle"],
                                           closure_offset=case["off"])
        else:
            out = cl.correct_closure_block(case["x"], case["tri"], cycle_mm=case["cycle"],
                                           closure_offset=case["off"])
    finally:
        rec.uninstall()
    x = case["x"]
    m, h, w = x.shape
    has = np.isfinite(x)
    u = np.where(has, out["cycles"], 0).astype(np.int64)
    p = np.where(has, case["planted"], 0)
    if case["ref"] is not None:
        r, c = case["ref"]
        urel = u - u[:, r:r + 1, c:c + 1]
        prel = p - p[:, r:r + 1, c:c + 1]
    else:
        urel, prel = u, p
    err = prel + urel
    was = (p != 0) & has
    new = has & (err != 0) & ((~was) | (urel != 0))  # moved, or (relative) off where nothing was planted
    left = was & (err != 0) & (urel == 0)
    fixed = was & (err == 0)
    final = u.reshape(m, -1).astype(np.int16)
    who = rec.who(final).reshape(m, h, w)
    # invisible: the pixel's error closes every loop with data
    e = np.where(has, err, 0).reshape(m, -1).astype(np.float64)
    clo = case["tri"].matrix @ e
    finite_loops = np.ones(clo.shape, bool)
    idx = case["tri"].index
    hm = has.reshape(m, -1)
    finite_loops = hm[idx[:, 0]] & hm[idx[:, 1]] & hm[idx[:, 2]]
    invisible = ~(np.where(finite_loops, clo, 0) != 0).any(axis=0).reshape(h, w)
    cls = np.full(x.shape, "other", dtype=object)
    for name, mask in case["classes"].items():
        cls[np.asarray(mask) & (cls == "other")] = name
    cls[np.broadcast_to(invisible, x.shape) & (cls == "other")] = "invisible"
    # a wrong value that is part of a date's (or a run of dates') shift by a cycle: the pixel's error equals the
    # shift on every pair the shift moves (other pairs of the pixel may be off for another reason)
    from insar_geohazards.algorithms.corrections.closure_solver import _date_run_shifts

    shifts = _date_run_shifts(case["tri"]).astype(np.int64)
    ks_, ys_, xs_ = np.nonzero(new & (cls == "other"))
    for k, y, xx in zip(ks_, ys_, xs_):
        ev = err[:, y, xx]
        cand = shifts[shifts[:, k] == ev[k]]
        if cand.size and ((cand == 0) | (cand == ev[None, :])).all(axis=1).any():
            cls[k, y, xx] = "invisible"
    amb_px = rec.extra.get("first_ambiguous")
    amb_px = np.zeros((h, w), bool) if amb_px is None else amb_px.reshape(h, w)
    amb3 = np.broadcast_to(amb_px, x.shape)
    table = collections.Counter()
    for a, b, c in zip(who[new], cls[new], amb3[new]):
        table[(a + ("+amb" if c else ""), b)] += 1
    # planted values not fixed: the step that took their right correction away, else ambiguous or never proposed
    miss = was & (err != 0)
    right = (-prel).reshape(m, -1) + (u - urel).reshape(m, -1)  # the raw cycles that would fix them
    lost_by = np.full(final.shape, "never", dtype=object)
    amb = rec.extra.get("first_ambiguous")
    if amb is not None:
        lost_by[:, amb.reshape(-1)] = "ambiguous"
    for name, before, after in rec.steps:
        if before.shape != final.shape:
            continue
        lost_by[(before == right) & (after != right) & (right != 0)] = name
    lost_by = lost_by.reshape(m, h, w)
    cls_miss = collections.Counter(zip(lost_by[miss], cls[miss]))
    res = {"planted": int(was.sum()), "fixed": int(fixed.sum()), "new": int(new.sum()), "left": int(left.sum()),
           "new_by_step_class": {f"{a}/{b}": n for (a, b), n in sorted(table.items())},
           "new_floor": floor_classes(case, u, p, new, cls),
           "by_ground": ground_counts(case, fixed, new),
           "unfixed_by_step_class": {f"{a}/{b}": n for (a, b), n in sorted(cls_miss.items())}}
    # examples of 'other' wrong values: their pixel, interferogram, planted, cycles, step
    ex = []
    ks, ys, xs = np.nonzero(new & (cls == "other"))
    seen = set()
    for k, y, xx in zip(ks, ys, xs):
        if (y // 4, xx // 4, k) in seen:
            continue
        seen.add((y // 4, xx // 4, k))
        pix = y * w + xx
        sup_u = {int(q): int(u[q, y, xx]) for q in np.flatnonzero(u[:, y, xx])}
        sup_p = {int(q): int(p[q, y, xx]) for q in np.flatnonzero(p[:, y, xx])}
        ex.append({"ifg": int(k), "pair": list(case["pairs"][k]), "y": int(y), "x": int(xx),
                   "planted": sup_p, "cycles": sup_u, "step": who[k, y, xx],
                   "coh": round(float(case["coherence"][k, y, xx]), 2),
                   "n_same_region": int((new[k] & (who[k] == who[k, y, xx]))[max(0, y - 5):y + 6,
                                                                          max(0, xx - 5):xx + 6].sum()),
                   "pix": int(pix)})
        if len(ex) >= examples:
            break
    res["ambiguous_left"] = ambiguous_classes(rec, miss & amb3, cls)
    res["examples"] = ex
    return res, out, rec


def ambiguous_classes(rec, left, cls) -> dict:
    """The planted values not fixed at pixels the first pass left ambiguous (``left`` (M, rows, cols)), by what
    became of the pixel's tie: ``no_tie`` (the closures tie more than two corrections, or ones the solver does not
    keep), ``own_closures`` (a window's tie the pixel's own closures dropped), ``few_edges`` (its region had fewer
    than MIN_EDGES edges), ``undecided`` / ``undecided_few_votes`` (counted, not decided; with at least MIN_EDGES votes
    for one side or not), ``decided`` (decided; another slip of the pixel left); ``/dark`` on decorrelated ground."""
    from insar_geohazards.algorithms.corrections.closure_edges import MIN_EDGES

    m, h, w = left.shape
    p = h * w
    before = rec.extra.get("ties_before_own")
    edges = rec.extra.get("edges")
    if before is None or edges is None or edges[2] is None:
        return {}
    votes, decided, kept = edges
    kept = kept.reshape(p)
    kind = np.full(p, "no_tie", dtype=object)
    kind[before.reshape(p) != 0] = "own_closures"
    kind[kept != 0] = "few_edges"
    chosen = {(g, r) for g, r, *_ in decided}
    for g, e in enumerate(votes.ties):
        flat, lab, v = e[6], e[7], votes.tie_votes[g]
        top = np.maximum(v[0], v[1])[lab]
        kind[flat] = np.where(top >= MIN_EDGES, "undecided", "undecided_few_votes")
        hit = np.array([(g, int(r)) in chosen for r in lab], bool)
        kind[flat[hit]] = "decided"
    _, ys, xs = np.nonzero(left)
    out = collections.Counter()
    for q, b in zip(ys * w + xs, cls[left]):
        out[kind[q] + ("/dark" if b in ("dark", "lowcoh") else "")] += 1
    return dict(sorted(out.items()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="+")
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--json", default="")
    ap.add_argument("--root", default=os.path.join(ROOT, ".build", "plugins"))
    a = ap.parse_args(argv)
    sys.path.insert(0, a.root)
    rows = {}
    for spec in a.cases:
        kind, _, seeds = spec.partition(":")
        for s in ([int(v) for v in seeds.split(",")] if seeds else [None]):
            if kind == "tester":
                case = _tester(s)
            elif kind == "banks":
                case = _banks(s)
            elif kind in ("decorrelated", "decorrelated2"):
                case = _decorrelated(s, kind == "decorrelated2")
            elif kind == "world":
                case = _world(s)
            elif kind == "practice":
                case = _practice()
            elif kind == "variant":
                from practice_variants import variant_case

                case = variant_case(s)
            else:
                raise SystemExit(f"unknown stack {kind!r}")
            res, _, _ = run_case(case, a.examples)
            name = f"{kind}{'' if s is None else ':' + str(s)}"
            rows[name] = res
            print(name, json.dumps({k: v for k, v in res.items() if k != "examples"}), flush=True)
            for e in res["examples"]:
                print("   ", json.dumps(e), flush=True)
    if a.json:
        save_json(a.json, rows, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
