"""Figure of docs/unwrap.md, "Memory and big rasters": the tiled built-in unwrapper at its seams.

    make link && /usr/bin/python3 docs/make_unwrap_tiles_figure.py

A synthetic 640 x 480 interferogram (tests/testutils_unwrap.py: three bowls up to 3.8 fringes per
10 px, holes, water, coherence 0.2-0.95) cut into 128-row tiles with the default 64-row halo.
Writes docs/img/unwrap_tiles_seams.png: the wrapped phase with the tiles (own rows and the
rows shared with the next tile), the tiled result, its difference from the global run in
cycles, and its error against the truth in cycles (relative to each component's offset).
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from testutils_unwrap import correct_share, synthetic_interferogram  # noqa: E402

from insar_geohazards.algorithms.unwrap.unwrap import unwrap_interferogram  # noqa: E402
from insar_geohazards.algorithms.unwrap.unwrap_tiles import TILE_HALO, plan_tiles, unwrap_array_tiled  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img", "unwrap_tiles_seams.png")


def cycles_vs(ref, unw, comp):
    """Whole cycles between ``unw`` and ``ref`` relative to each component's most common offset."""
    out = np.full(unw.shape, np.nan)
    for lab in np.unique(comp[comp > 0]):
        sel = (comp == lab) & np.isfinite(ref) & np.isfinite(unw)
        k = np.rint((unw[sel] - ref[sel]) / (2 * np.pi))
        vals, n = np.unique(k, return_counts=True)
        out[sel] = k - vals[n.argmax()]
    return out


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = synthetic_interferogram(640, 480, seed=11, bowls=((0.25, 0.3, -70.0, 18.0), (0.55, 0.7, 60.0, 16.0),
                                                          (0.8, 0.35, -45.0, 12.0)),
                                holes=((0.45, 0.35, 0.06), (0.15, 0.75, 0.05)))
    region = d["land"] & (d["coherence"] >= 0.3)
    glob_ = unwrap_interferogram(d["wrapped"], d["coherence"])
    unw, comp, stats = unwrap_array_tiled(d["wrapped"], d["coherence"], tile_rows=128)
    plan = plan_tiles(640, 480, tile_rows=128)
    s_g = correct_share(glob_.unwrapped, glob_.components, d["truth"], region)
    s_t = correct_share(unw, comp, d["truth"], region)
    diff = cycles_vs(glob_.unwrapped, unw, comp)
    err = cycles_vs(d["truth"], unw, comp)
    fig, ax = plt.subplots(1, 4, figsize=(16, 5.6), constrained_layout=True)
    ax[0].imshow(d["wrapped"], cmap="twilight", interpolation="nearest")
    for b in plan[1:]:
        ax[0].axhline(b.row0 - 0.5, color="k", lw=1.2)
        ax[0].axhspan(b.row0 - TILE_HALO, b.row0 + TILE_HALO, color="w", alpha=0.18)
    ax[0].set_title(f"wrapped; {len(plan)} tiles of 128 rows\n(seams: black; shared rows: light)")
    im = ax[1].imshow(unw, cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=ax[1], shrink=0.7, label="rad")
    ax[1].set_title(f"tiled: {stats['components']} component(s)\nseams rejected {stats['seams_rejected']}, "
                    f"conflicts {stats['seam_conflicts']}")
    differ = np.mean(diff[np.isfinite(diff)] != 0) * 100
    for a, arr, title in ((ax[2], diff, f"tiled - global (cycles)\n{differ:.3f}% of pixels differ"),
                          (ax[3], err, f"tiled - truth (cycles)\ncorrect: tiled {100 * s_t:.2f}%, "
                                       f"global {100 * s_g:.2f}%")):
        im = a.imshow(arr, cmap="RdBu_r", vmin=-2, vmax=2, interpolation="nearest")
        fig.colorbar(im, ax=a, shrink=0.7, ticks=[-2, -1, 0, 1, 2])
        a.set_title(title)
    for a in ax:
        a.set_xticks([])
        a.set_yticks([])
    fig.savefig(IMG, dpi=80)
    print(f"{IMG}: tiled {100 * s_t:.3f}% vs global {100 * s_g:.3f}% correct; {stats}")


if __name__ == "__main__":
    main()
