"""Figure for docs/psds.md from the benchmark outputs (simulated stack: there is no small public SLC stack).

Usage: python3 make_figure.py RESULTS_DIR OUTPUT.png
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(folder, out):
    d = np.load(f"{folder}/stack.npz")
    a = np.load(f"{folder}/ours.npz")
    b = np.load(f"{folder}/dolphin.npz")
    k = d["phase_true"].shape[0] - 1
    wrap = lambda x: np.angle(np.exp(1j * x))  # noqa: E731
    panels = [
        (wrap(d["phase_true"][k]), f"truth, date {k} - date 0", "twilight", (-np.pi, np.pi)),
        (wrap(np.angle(d["slc"][k] * np.conj(d["slc"][0]))), "single-look interferogram", "twilight", (-np.pi, np.pi)),
        (a["emi_phase"][k], "ours: GLRT + EMI", "twilight", (-np.pi, np.pi)),
        (b["emi_phase"][k], "dolphin: GLRT + EMI", "twilight", (-np.pi, np.pi)),
        (a["emi_tcoh"], "ours: temporal coherence", "viridis", (0, 1)),
        (b["emi_tcoh"], "dolphin: temporal coherence", "viridis", (0, 1)),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), constrained_layout=True)
    for ax, (img, title, cmap, lim) in zip(axes.ravel(), panels):
        im = ax.imshow(img, cmap=cmap, vmin=lim[0], vmax=lim[1], interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle("Simulated 30-date stack (3 DS classes, water band, PS, bowl, DEM error, atmosphere); 11 x 11 window")
    fig.savefig(out, dpi=65)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
