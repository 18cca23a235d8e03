"""Figure of docs/unwrap.md (the prior): a SIMULATED steep subsidence basin (gradients beyond pi per pixel),
unwrapped without and with a prior (the true field scaled by 80 %), as tests/core/test_unwrap_unwrap_prior.py
simulates it.

    make link && /usr/bin/python3 docs/make_unwrap_prior_figure.py

Writes docs/img/unwrap_prior_basin.png.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img", "unwrap_prior_basin.png")


def main() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    for p in ("", "tests", os.path.join("tests", "core")):
        sys.path.insert(0, os.path.join(ROOT, p) if p else os.path.join(ROOT, ".build", "plugins"))
    from test_unwrap_unwrap_prior import steep_basin
    from testutils_unwrap import correct_share

    from insar_geohazards.algorithms.unwrap import unwrap, unwrap_prior

    wrapped, truth = steep_basin()
    plain = unwrap.unwrap_interferogram(wrapped, min_component_size=10)
    prior = 0.8 * truth
    assisted = unwrap_prior.unwrap_with_prior(wrapped, prior, unwrap.unwrap_interferogram, min_component_size=10)
    region = np.ones(truth.shape, bool)

    def cycles(res):
        k = np.rint((res.unwrapped - truth) / (2 * np.pi))
        vals, counts = np.unique(k[np.isfinite(k)], return_counts=True)
        return k - vals[counts.argmax()]

    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
    share = [correct_share(r.unwrapped, r.components, truth, region) for r in (plain, assisted)]
    panels = [(wrapped, {"cmap": "twilight", "vmin": -np.pi, "vmax": np.pi}, "SIMULATED wrapped basin (rad)"),
              (np.angle(np.exp(1j * (wrapped - prior))), {"cmap": "twilight", "vmin": -np.pi, "vmax": np.pi},
               "wrapped residual wrap(phase - prior)"),
              (cycles(plain), {"cmap": "RdBu", "vmin": -5, "vmax": 5},
               f"no prior: cycles wrong ({100 * share[0]:.1f} % right)"),
              (cycles(assisted), {"cmap": "RdBu", "vmin": -5, "vmax": 5},
               f"prior 0.8 x truth: cycles wrong ({100 * share[1]:.1f} % right)")]
    for ax, (arr, style, title) in zip(axes, panels):
        im = ax.imshow(arr, interpolation="nearest", **style)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(f"Peak {truth.min():.0f} rad, steepest {np.abs(np.gradient(truth)).max():.1f} rad/px; the prior "
                 f"carried {100 * assisted.stats['prior_share']:.0f} % of the gradient energy", fontsize=10)
    fig.tight_layout()
    fig.savefig(IMG, dpi=90)
    return IMG


if __name__ == "__main__":
    print(main())
