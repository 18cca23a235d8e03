"""The scene's density priors of the joint east/up solver, per scenario and seed, and how many independent pixels
the sample is worth.

For each scenario and seed: the prior (mean / spread over the ground, mm^2/yr^3) of each period's up density and of
each multi-year gap's, from the fixed pixel sample of ``MultisensorProblem.calibrate``. The seeds change the noise
(atmosphere, decorrelation), not the motion, so the scatter of a prior's mean over the seeds is its sampling error;
against the error the sample would have were its pixels independent it gives the effective sample size
``n_eff = n var_indep / var_seeds`` (neighbours share the atmosphere: n_eff < n).

``--effective``: instead, per seed, the sample's effective number of independent pixels (east, up) the pre-pass
measures from the noise's spatial correlation (option ``prior_mean_error``), the whole series' prior mean without
and with that option, and the CPU seconds of the measurement against those of the whole pre-pass.

Usage: /usr/bin/python3 scene_prior.py [scenario ...] [--seeds 0,1,2,3,4,5] [--effective]
"""

from __future__ import annotations

import sys

import _path  # noqa: F401
import common
import honesty
import numpy as np
import scenarios as scn

from insar_geohazards.algorithms.timeseries.multisensor import MultisensorProblem


def priors(name, seed):
    gen = honesty.generate(name, seed)
    stacks = common.to_stacks(gen)
    shape = np.asarray(stacks[0].values).shape[1:]
    problem = MultisensorProblem(stacks, shape=shape, north=honesty.north_model(gen))
    pr = problem.calibrate(problem.sources())
    rows = []
    for (a, b), seg in zip(problem.segment_spans, pr["seg"]):
        rows.append((f"period {a:%Y-%m}..{b:%Y-%m}", (seg if seg is not None else pr["all"])[1]))
    for g, gp in zip(problem.gaps, pr["gap"]):
        if g.days >= 365:
            rows.append((f"gap {g.last_before:%Y-%m}..{g.first_after:%Y-%m}", gp[1]))
    return pr["n"], rows


def effective(names, seeds):
    import time

    cpu = [0.0]
    orig = MultisensorProblem._sample_inflation

    def timed(self, *args):
        t0 = time.process_time()
        out = orig(self, *args)
        cpu[0] += time.process_time() - t0
        return out

    MultisensorProblem._sample_inflation = timed
    print("| scenario | seed | n sampled | n_eff east / up | whole-series prior mean east / up: as estimated -> "
          "prior_mean_error | CPU-s measurement / pre-pass |\n|---|---|---|---|---|---|")
    for name in names:
        for sd in seeds:
            gen = honesty.generate(name, sd)
            stacks = common.to_stacks(gen)
            shape = np.asarray(stacks[0].values).shape[1:]
            means = []
            for opt in (False, True):
                problem = MultisensorProblem(stacks, shape=shape, north=honesty.north_model(gen), prior_mean_error=opt)
                cpu[0] = 0.0
                t0 = time.process_time()
                pr = problem.calibrate(problem.sources())
                total = time.process_time() - t0
                means.append(" / ".join(f"{p[0]:.3g}" for p in pr["all"]))
            ne = " / ".join(f"{pr['n'] / i:.1f}" for i in pr["inflation"]["all"])
            print(f"| {name} | {sd} | {pr['n']} | {ne} | {means[0]} -> {means[1]} | {cpu[0]:.3f} / {total:.2f} |",
                  flush=True)


def main():
    names = [a for a in sys.argv[1:] if a in scn.SCENARIOS] or scn.ORDER + scn.HOLDOUT
    seeds, _ = common.seeds_and_options(sys.argv, [0, 1, 2, 3, 4, 5])
    if "--effective" in sys.argv:
        effective(names, seeds)
        return
    print("| scenario | up density of | mean over seeds (sd) | spread over the ground | n sampled | n_eff |")
    print("|---|---|---|---|---|---|")
    for name in names:
        acc, n = {}, 0
        for sd in seeds:
            n, rows = priors(name, sd)
            for label, (m, tau2, var_m) in rows:
                acc.setdefault(label, []).append((m, tau2, var_m))
        for label, vals in acc.items():
            m, tau2, var_m = (np.array(v) for v in zip(*vals))
            var_seeds = float(np.var(m, ddof=1)) if m.size > 1 else float("nan")
            n_eff = n * float(np.mean(var_m)) / var_seeds if var_seeds > 0 else float("nan")
            print(f"| {name} | {label} | {m.mean():.3g} ({np.sqrt(var_seeds):.2g}) | {np.sqrt(tau2).mean():.3g} | "
                  f"{n} | {n_eff:.0f} |", flush=True)


if __name__ == "__main__":
    main()
