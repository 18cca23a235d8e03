"""Figure of docs/unwrap.md, "Checked against": a co-seismic interferogram cut by a surface rupture.

    make link && .build/venv-unwrap/bin/python docs/make_unwrap_rupture_figure.py

(snaphu 0.4.1 in .build/venv-unwrap, which `snaphu_venv` of benchmarks/setup_env.sh creates.) Two cases of
benchmarks/unwrap/rupture.py: a strike-slip rupture with patchy coherence beside it (the true
coherence given), and two overlapping en-echelon segments with the multilooked coherence
estimate given (biased high: half the strip reads >= 0.3). Writes docs/img/unwrap_rupture.png:
per case the truth, the wrapped phase, the coherence given to both unwrappers, and the
built-in and SNAPHU results as whole cycles from the truth (relative to each component's most
common offset; grey: coherent ground left out, white: outside the coherent region).
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "unwrap"))

from rupture import CASES  # noqa: E402
from testutils_unwrap import correct_share, rupture_interferogram  # noqa: E402

from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img", "unwrap_rupture.png")
SHOWN = [("strike-slip 2 m straight w3 L20 lace", "coherence"),
         ("strike-slip 1.5 m en-echelon w3 L9", "estimated_coherence")]


def cycles_off(unw, comp, truth, region):
    """Whole cycles from the truth relative to each component's most common offset; -9 = left out."""
    out = np.full(unw.shape, np.nan)
    for lab in np.unique(comp[comp > 0]):
        sel = (comp == lab) & np.isfinite(unw)
        k = np.rint((unw[sel] - truth[sel]) / (2 * np.pi))
        vals, n = np.unique(k, return_counts=True)
        out[sel] = k - vals[n.argmax()]
    out[region & ~np.isfinite(out)] = -9
    out[~region] = np.nan
    return out


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import snaphu

    fig, axes = plt.subplots(len(SHOWN), 5, figsize=(17, 3.6 * len(SHOWN)))
    cyc = matplotlib.colormaps["bwr"].copy()
    cyc.set_under("0.55")
    cyc.set_bad("white")
    for row, (name, coh_key) in zip(axes, SHOWN):
        kw = CASES[name]
        d = rupture_interferogram(**kw)
        region = d["land"] & (d["coherence"] >= 0.3)
        coh = d[coh_key]
        ours = unwrap_interferogram(d["wrapped"], coh)
        su, sc = snaphu.unwrap(np.exp(1j * d["wrapped"]).astype(np.complex64), coh, nlooks=float(kw.get("looks", 9)),
                               cost="smooth", init="mcf")
        su = np.where(sc > 0, su, np.nan)
        row[0].imshow(d["truth"] / (2 * np.pi), cmap="viridis")
        row[0].set_title(f"{name}\ntruth (cycles)", fontsize=9)
        row[1].imshow(d["wrapped"], cmap="twilight", interpolation="nearest")
        row[1].set_title("wrapped phase", fontsize=9)
        row[2].imshow(coh, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        row[2].set_title("true coherence" if coh_key == "coherence" else "estimated coherence (9 looks)", fontsize=9)
        for ax, (label, unw, comp) in zip(row[3:], [("built-in", ours.unwrapped, ours.components),
                                                   ("SNAPHU (its components)", su, sc)]):
            share = correct_share(unw, comp, d["truth"], region)
            ax.imshow(cycles_off(unw, comp, d["truth"], region), cmap=cyc, vmin=-2, vmax=2, interpolation="nearest")
            n_comp = len(np.unique(comp[comp > 0]))
            out = (region & ~(comp > 0)).sum() / region.sum()
            ax.set_title(f"{label}: {100 * share:.2f} % right\n{n_comp} components, {100 * out:.2f} % left out "
                         "(grey)", fontsize=9)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("Cycles from the truth (blue -1, red +1) on the coherent region, 300 x 300 px of 90 m", fontsize=10)
    fig.tight_layout()
    fig.savefig(IMG, dpi=80)
    print(IMG)


if __name__ == "__main__":
    main()
