"""The signed density estimates under noise alone, checked against their stated variance.

On the white-noise scene of ``gap_sigma.py`` (no velocity wander: the truth of every density is 0; independent
pixels) each stack's signed line-of-sight estimate ``q`` and the east/up estimates of the whole series and of each
period must have mean ~0 and ``var(q) / mean(v) ~ 1`` (``v`` the variance under noise alone the solver states).
Prints, pooled over the seeds, per stack and per period and component: the mean and median of ``q``, the mean and
spread of ``q / sqrt(v)`` and ``var(q) / mean(v)``, for the white-noise power the estimate subtracts as estimated
("est") or as known ("known": the truth), and ``v`` at the pixel's own noise estimate (default), at the true noise
or at the stack's median over the scene; ``mean(s^2) / sigma^2`` of the noise estimate; then per seed the scene's
prior (random-effects moments over every pixel, mean / tau^2) of each variant.

``--network NAME STACK``: that interferogram stack's network with independent white and interferogram noise of
known size (the model's noise exactly), each pixel independent.

``--scenario NAME`` (e.g. ``gap_env_s1``, whose stacks' slow modes see no wander): per stack and period, the same
pooled over the seeds, and the mean of ``q / sqrt(v)`` seed by seed (the pixels of one seed share one draw of each
date's atmosphere), against the scatter the pixels' noise correlation predicts (from their residual series: the
sample's effective number of independent pixels).

Usage: /usr/bin/python3 density_noise.py [--seeds 0,1,2,3,4,5] [--shape 40,50] [--scenario NAME]
       [--network NAME STACK] [--option name=value ...]
"""

from __future__ import annotations

import sys

import _path  # noqa: F401
import common
import gap_sigma
import numpy as np

from insar_geohazards.algorithms.timeseries import multisensor as ms

_NOISE = {"ENV-asc": 2.0, "ENV-desc": 2.0, "ALOS-asc": 6.0, "S1-asc": 2.0, "S1-desc": 2.0}
_SEEN = {}


class _Spy(ms.MultisensorProblem):
    def _signed_densities(self, q_los, gh, gu, var_q, reg=None, seg_masks=None):
        _SEEN["in"] = (q_los.copy(), gh.copy(), gu.copy(), var_q.copy())
        out = super()._signed_densities(q_los, gh, gu, var_q, reg, seg_masks)
        _SEEN["out"] = out
        return out


def _row(label, q, v):
    ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
    q, v = q[ok], v[ok]
    z = q / np.sqrt(v)
    return (f"| {label} | {q.size} | {q.mean():+.3g} | {np.median(q):+.3g} | {z.mean():+.2f} | {z.std():.2f} | "
            f"{q.var() / v.mean():.2f} |")


def scenario(name, seeds, options):
    """The same on a scenario whose slow modes see no wander (``gap_env_s1``: linear, annual and constant-acceleration
    motions within each stack's span; the velocity changes only inside the gap): per stack, the estimate against
    its stated variance, at the pixel's own noise estimate and at the stack's median over the scene."""
    import honesty

    acc = {}
    n_effs = {}
    for seed in seeds:
        gen = honesty.generate(name, seed)
        stacks = common.to_stacks(gen)
        shape = stacks[0].values.shape[1:]
        prob = _Spy(stacks, shape=shape, north=honesty.north_model(gen), **options)
        prob.solve_arrays(prob.sources(), shape, _stage="densities")
        q_los, gh, gu, var_q = _SEEN["in"]
        var_med = np.nanmedian(var_q, axis=1, keepdims=True) * np.ones_like(var_q)
        src = prob.sources()
        for si, (st, p) in enumerate(zip(stacks, prob.plans)):
            acc.setdefault((st.name, "v own"), []).append((q_los[si], var_q[si]))
            # the pixels' noise correlation from their residual series (white in time: the density estimates, squares
            # of the slow modes' coefficients, then correlate by rho^2): the sample's effective number of pixels
            y = prob._stack_series(p, src, shape)[0]
            basis, pinv = p.stats[1], p.stats[2]
            ok = (np.all(np.isfinite(y), axis=0) & np.isfinite(q_los[si]) & (var_q[si] > 0)
                  & (np.std(y, axis=0) > 1e-6))
            r = y[:, ok] - basis @ (pinv @ y[:, ok])
            cov = r.T @ r
            d = np.sqrt(np.diag(cov))
            n_eff = ok.sum() ** 2 / np.sum((cov / np.outer(d, d)) ** 2)
            z = q_los[si, ok] / np.sqrt(var_q[si, ok])
            n_effs.setdefault(st.name, []).append((z.mean(), n_eff))
            acc.setdefault((st.name, "v median"), []).append((q_los[si], var_med[si]))
        for key, vv in (("v own", var_q), ("v median", var_med)):
            w, sg = prob._signed_densities(q_los, gh, gu, vv)
            for c in (0, 1):
                for j, seg in enumerate([w] + list(sg)):
                    if seg is not None:
                        lab = "whole" if j == 0 else f"period {j - 1}"
                        acc.setdefault((lab, "EU"[c], key), []).append((seg[0][c], seg[1][c]))
    print(f"{name}, seeds {seeds}, options {options}: pooled over the seeds, then the mean of q / sqrt(v) seed by "
          "seed (one draw of the atmosphere each)")
    print("| what | n | mean q | median q | mean q/sqrt(v) | std q/sqrt(v) | var q / mean v | mean q/sqrt(v) per seed |"
          "\n|---|---|---|---|---|---|---|---|")
    for k, lst in acc.items():
        per = []
        for a, b in lst:
            ok = np.isfinite(a) & np.isfinite(b) & (b > 0)
            per.append(f"{np.mean(a[ok] / np.sqrt(b[ok])):+.2f}")
        row = _row(" ".join(k), np.concatenate([a for a, _ in lst]), np.concatenate([b for _, b in lst]))
        print(row + " " + ", ".join(per) + " |", flush=True)
    print("\nthe mean of q / sqrt(v) over one seed's pixels against the spread the pixels' noise correlation predicts")
    print("| stack | mean per seed | their standard deviation | effective pixels per seed | predicted |\n"
          "|---|---|---|---|---|")
    for k, lst in n_effs.items():
        mz = np.array([a for a, _ in lst])
        ne = np.array([b for _, b in lst])
        sd = f"{mz.std(ddof=1):.2f}" if mz.size > 1 else "-"
        print(f"| {k} | {', '.join(f'{v:+.2f}' for v in mz)} | {sd} | {', '.join(f'{v:.1f}' for v in ne)} | "
              f"{np.mean(1.0 / np.sqrt(ne)):.2f} |")


def network(name, stack, seeds, options, white=3.0, ifg=1.5):
    """One interferogram stack's own network (its pairs and dates in scenario ``name``) with independent noise of
    known kind instead of the scenario's: white per-date noise ``white`` (mm) and per-interferogram noise ``ifg``
    (mm), no motion, every pixel independent: the model's ``sigma^2 H + sigma_ifg^2 D`` is then the truth, so the
    estimates must be centred with the stated variance."""
    import dataclasses

    import honesty

    rows = []
    for seed in seeds:
        gen = honesty.generate(name, seed)
        st = [s_ for s_ in common.to_stacks(gen) if s_.name == stack][0]
        shape = st.values.shape[1:]
        rng = np.random.default_rng(seed)
        dates = sorted({d for p_ in st.pairs for d in p_})
        idx = {d: i for i, d in enumerate(dates)}
        a = rng.normal(0.0, white, (len(dates),) + shape)
        vals = np.stack([a[idx[q_]] - a[idx[p_]] for p_, q_ in st.pairs])
        vals = vals + rng.normal(0.0, ifg, vals.shape)
        mine = dataclasses.replace(st, values=vals, units="mm")
        other = dataclasses.replace(mine, name="other", heading_deg=np.asarray(mine.heading_deg) + 180.0)
        prob = _Spy([mine, other], shape=shape, north=ms.NorthModel(), **options)
        prob.solve_arrays(prob.sources(), shape, _stage="densities")
        q_los, _, _, var_q = _SEEN["in"]
        rows.append((q_los[0], var_q[0]))
    print(f"{name} {stack}'s network, white {white} mm, interferograms {ifg} mm, seeds {seeds}, options {options}")
    print(_row(stack, np.concatenate([a_ for a_, _ in rows]), np.concatenate([b_ for _, b_ in rows])))


def main():
    seeds, options = common.seeds_and_options(sys.argv, [0, 1, 2, 3, 4, 5])
    if "--network" in sys.argv:
        i = sys.argv.index("--network")
        for ifg in (1.5, 0.0):
            network(sys.argv[i + 1], sys.argv[i + 2], seeds, options, ifg=ifg)
        return
    if "--scenario" in sys.argv:
        scenario(sys.argv[sys.argv.index("--scenario") + 1], seeds, options)
        return
    shape = (40, 50)
    if "--shape" in sys.argv:
        shape = tuple(int(x) for x in sys.argv[sys.argv.index("--shape") + 1].split(","))
    acc = {}
    priors = {}
    for seed in seeds:
        stacks, _ = gap_sigma.white_stacks(seed, shape)
        prob = _Spy(stacks, shape=shape, north=ms.NorthModel(), **options)
        prob.solve_arrays(prob.sources(), shape, _stage="densities")
        q_los, gh, gu, var_q = _SEEN["in"]
        # the subtracted white-noise power against the truth; the same estimates with it subtracted as known
        s2 = np.full(q_los.shape, np.nan)
        q_known = q_los.copy()
        for si, p in enumerate(prob.plans):
            t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = p.stats
            sig = _NOISE[stacks[si].name]
            y = np.ascontiguousarray(stacks[si].values.reshape(len(stacks[si].dates), -1), float)
            s_est, q_est = np.empty(y.shape[1]), np.empty(y.shape[1])
            ms._k.series_statistics(t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1, y, prob.min_dates,
                                    np.zeros(y.shape[1]), s_est, q_est, np.empty((0, y.shape[1])))
            s2[si] = s_est ** 2 / sig ** 2
            q_known[si] = q_est + (s_est ** 2 - sig ** 2) * h_noise.sum() / g_irw.sum()
        # the variance under noise alone at the true noise (weights independent of the estimate), and at the
        # stack's median noise over the scene (both scale as the noise power squared)
        var_true = var_q / s2 ** 2
        var_med = np.nanmedian(var_q, axis=1, keepdims=True) * np.ones_like(var_q)
        variants = {"est": (q_los, var_q), "known": (q_known, var_q), "est, v at true noise": (q_los, var_true),
                    "est, v at median": (q_los, var_med), "known, v at true noise": (q_known, var_true)}
        for si, st in enumerate(stacks):
            for key in ("est", "known", "est, v at true noise"):
                qq, vv = variants[key]
                acc.setdefault(("stack", st.name, key), []).append((qq[si], vv[si]))
            acc.setdefault(("s2", st.name), []).append(s2[si])
        for key, (qq, vv) in variants.items():
            w, sg = prob._signed_densities(qq, gh, gu, vv)
            for c in (0, 1):
                for j, seg in enumerate([w] + list(sg)):
                    if seg is None:
                        continue
                    lab = "whole" if j == 0 else f"period {j - 1}"
                    acc.setdefault((lab, "EU"[c], key), []).append((seg[0][c], seg[1][c]))
                    m, tau2, _ = ms._scene_prior(seg[0][c], seg[1][c])
                    priors.setdefault((lab, "EU"[c], key), []).append((m, tau2))
    print(f"white-noise scene {shape}, seeds {seeds}, options {options}")
    print("| what | n | mean q | median q | mean q/sqrt(v) | std q/sqrt(v) | var q / mean v |\n"
          "|---|---|---|---|---|---|---|")
    for k, lst in acc.items():
        if k[0] == "s2":
            x = np.concatenate(lst)
            print(f"| s^2 / sigma^2 {k[1]} | {x.size} | {np.nanmean(x):.3f} | {np.nanmedian(x):.3f} | | "
                  f"{np.nanstd(x):.3f} | |")
            continue
        q = np.concatenate([a for a, _ in lst])
        v = np.concatenate([b for _, b in lst])
        print(_row(" ".join(k), q, v), flush=True)
    print("\nthe scene's prior (random-effects moments over all pixels), per seed: mean / tau^2")
    for k, lst in priors.items():
        print(f"| {' '.join(k)} | " + " | ".join(f"{m:.3g} / {t:.3g}" for m, t in lst) + " |")


if __name__ == "__main__":
    main()
