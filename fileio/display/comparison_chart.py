"""The chart of a layer comparison: INPUT against REFERENCE (scatter, the 1:1 line and the orthogonal regression)
and the Bland-Altman plot (difference against mean, the bias and its 95 % limits of agreement). matplotlib's object
API only (``Figure`` + ``FigureCanvasAgg``): no pyplot state inside QGIS."""

from __future__ import annotations

import numpy as np

#: Points drawn at most (a regular subsample beyond; the statistics use every pair).
MAX_DRAWN = 50_000


def comparison_chart(path: str, input_values, reference_values, stats: dict, *, unit: str, input_name: str,
                     reference_name: str) -> str:
    """Write the PNG chart to ``path``; matplotlib must be importable (the caller checks
    :func:`...algorithms.optional.available`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    a = np.asarray(input_values, np.float64)
    b = np.asarray(reference_values, np.float64)
    step = max(1, int(np.ceil(a.size / MAX_DRAWN)))
    a_s, b_s = a[::step], b[::step]
    fig = Figure(figsize=(10.5, 4.6), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    lo = float(np.nanmin([a_s.min(), b_s.min()]))
    hi = float(np.nanmax([a_s.max(), b_s.max()]))
    ax1.scatter(b_s, a_s, s=4, alpha=0.4, color="#2b6ca3", linewidths=0)
    ax1.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--", label="1:1")
    if np.isfinite(stats["tls_slope"]):
        xs = np.array([lo, hi])
        ax1.plot(xs, stats["tls_slope"] * xs + stats["tls_intercept"], color="#c0392b", lw=1.5,
                 label=f"TLS: slope {stats['tls_slope']:.3f}, intercept {stats['tls_intercept']:.2f}")
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    ax1.set_xlim(lo - pad, hi + pad)  # the data's square: a steep TLS line of a weak correlation is clipped
    ax1.set_ylim(lo - pad, hi + pad)
    ax1.set_xlabel(f"REFERENCE: {reference_name} ({unit})")
    ax1.set_ylabel(f"INPUT: {input_name} ({unit})")
    ax1.set_title(f"n = {int(stats['n'])}, r = {stats['pearson_r']:.3f}", fontsize=10)
    ax1.legend(fontsize=8, loc="upper left")
    mean, diff = 0.5 * (a_s + b_s), a_s - b_s
    ax2.scatter(mean, diff, s=4, alpha=0.4, color="#2b6ca3", linewidths=0)
    bias, sd = stats["bias"], stats["std"]
    for y, label, style in ((bias, f"bias {bias:.2f}", "-"), (bias + 1.96 * sd, f"+1.96 sd {bias + 1.96 * sd:.2f}",
                                                               "--"),
                            (bias - 1.96 * sd, f"-1.96 sd {bias - 1.96 * sd:.2f}", "--")):
        ax2.axhline(y, color="#c0392b", ls=style, lw=1.2, label=label)
    ax2.axhline(0.0, color="0.3", lw=0.8)
    ax2.set_xlabel(f"mean of INPUT and REFERENCE ({unit})")
    ax2.set_ylabel(f"INPUT - REFERENCE ({unit})")
    ax2.set_title(f"Bland-Altman: RMSE {stats['rmse']:.2f}, NMAD {stats['nmad']:.2f}, t-test p "
                  f"{stats['t_test_p']:.2g}, Wilcoxon p {stats['wilcoxon_p']:.2g}", fontsize=9)
    ax2.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    return path
