"""The house in one picture, measured from the code: the layers of the plugin, their size (lines as ``wc -l``
counts them) and the imports between them (how many modules of one layer import the other).

Writes docs/img/architecture_layers.png. Run with any Python 3 that has matplotlib (nothing of the plugin is
imported: the imports are read from the source):

    python3 docs/make_architecture_figure.py
"""

from __future__ import annotations

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img", "architecture_layers.png")

#: Layer of a module path (relative to the repository), first match wins.
LAYERS = [
    ("ui", "ui/"),
    ("tools", "processing_provider/tools/"),
    ("inputs", "processing_provider/inputs/"),
    # the provider-wide helpers the tools and inputs call (a module imported at first use, the first-run kernel
    # plan, the checks of a model's steps) import only fileio and the core: the inputs' floor, not provider.py's
    ("inputs", "processing_provider/lazy.py"),
    ("inputs", "processing_provider/early_kernels.py"),
    ("inputs", "processing_provider/model_checks.py"),
    ("fileio", "fileio/"),
    ("provider", "processing_provider/"),
    ("core", "algorithms/"),
]
#: Where each layer is drawn (x, y) and what it holds.
PLACE = {
    "ui": (0.5, 5.0, "ui/\ndock widgets, dialogs"),
    "provider": (3.5, 5.0, "provider.py\nwalks tools/, loads models/"),
    "tools": (2.0, 3.7, "tools/<family>/<tool ID>.py\none class per tool (+ _base.py)"),
    "inputs": (0.5, 2.2, "inputs/ (+ lazy, early_kernels, model_checks)\nparameters -> values, file lists"),
    "fileio": (3.5, 2.2, "fileio/ (shared)\nfiles <-> numpy, styles"),
    "core": (2.0, 0.7, "algorithms/\nthe pure core (numpy in, numpy out)"),
}


def layer_of(rel: str) -> str | None:
    for name, prefix in LAYERS:
        if rel.startswith(prefix):
            return name
    return None


def python_files():
    for folder in ("ui", "processing_provider", "fileio", "algorithms"):
        for dp, _, files in os.walk(os.path.join(ROOT, folder)):
            for f in files:
                if f.endswith(".py"):
                    yield os.path.relpath(os.path.join(dp, f), ROOT)


def _is_module(path: str) -> bool:
    return os.path.isdir(os.path.join(ROOT, path)) or os.path.isfile(os.path.join(ROOT, path + ".py"))


def imported(rel: str) -> set[str]:
    """Repository paths (package folders or modules, as prefixes) that ``rel`` imports, relative imports resolved."""
    tree = ast.parse(open(os.path.join(ROOT, rel), encoding="utf-8").read())
    pkg = os.path.dirname(rel).split(os.sep)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = pkg[: len(pkg) - node.level + 1] if node.level > 1 else pkg
            target = base + (node.module.split(".") if node.module else [])
            # ``from .. import early_kernels`` imports that module; ``from ..lazy import lazy_module``, the module lazy
            modules = ["/".join(target + [a.name]) for a in node.names if _is_module("/".join(target + [a.name]))]
            out.update(modules or ["/".join(target)])
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mod = node.module if isinstance(node, ast.ImportFrom) else None
            for n in ([mod] if mod else [a.name for a in node.names]):
                if n.startswith("insar_geohazards."):
                    out.add(n.split(".", 1)[1].replace(".", "/"))
    return out


def measure() -> tuple[dict, dict]:
    """``(lines per layer, {(from, to): modules of 'from' importing 'to'})``."""
    lines, edges = {}, {}
    for rel in python_files():
        src = layer_of(rel)
        if src is None:
            continue
        lines[src] = lines.get(src, 0) + sum(1 for _ in open(os.path.join(ROOT, rel), encoding="utf-8"))
        targets = set()
        for path in imported(rel):
            dst = layer_of(path + "/" if os.path.isdir(os.path.join(ROOT, path)) else path + ".py")
            if dst is not None and dst != src:
                targets.add(dst)
        for dst in targets:
            edges[(src, dst)] = edges.get((src, dst), 0) + 1
    return lines, edges


def draw(lines: dict, edges: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(9.0, 6.6))
    w, h = 2.3, 0.8
    colours = {"core": "#dbe9f6", "fileio": "#fde9d0", "inputs": "#e4f2dc", "tools": "#efe3f6", "ui": "#eeeeee",
               "provider": "#eeeeee"}
    for name, (x, y, text) in PLACE.items():
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=colours[name],
                                    ec="#444444", lw=1.2))
        ax.text(x, y + 0.08, text, ha="center", va="center", fontsize=9)
        ax.text(x, y - 0.3, f"{lines.get(name, 0):,} lines", ha="center", va="center", fontsize=8, color="#555555")
    for (a, b), n in sorted(edges.items()):
        (xa, ya, _), (xb, yb, _) = PLACE[a], PLACE[b]
        # from the edge of box a to the edge of box b
        dx, dy = xb - xa, yb - ya
        scale = min((w / 2 + 0.08) / abs(dx) if dx else 1e9, (h / 2 + 0.08) / abs(dy) if dy else 1e9)
        start = (xa + dx * scale, ya + dy * scale)
        end = (xb - dx * scale, yb - dy * scale)
        upward = PLACE[b][1] > PLACE[a][1]
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", lw=0.8 + 0.08 * n ** 0.7,
                                                              color="#b2182b" if upward else "#333333",
                                                              connectionstyle="arc3,rad=0.08"))
        # labels off the crossing in the middle; the long arrows from the top row labelled near their start
        f = 0.3 if abs(dx) < 0.1 else 0.12 if a in ("ui", "provider") else 0.45
        ax.text(start[0] + f * (end[0] - start[0]) + 0.1, start[1] + f * (end[1] - start[1]), str(n), fontsize=8,
                color="#1f4e79")
    core = lines.get("core", 1)
    provider = sum(lines.get(k, 0) for k in ("provider", "tools", "inputs"))
    ax.set_title(f"Imports between the layers (number = modules importing; red would point upward)\n"
                 f"processing_provider {provider:,} lines = {100 * provider / core:.0f} % of the core's {core:,}; "
                 f"fileio {lines.get('fileio', 0):,}", fontsize=10)
    ax.set_xlim(-1.0, 5.0)
    ax.set_ylim(0.0, 5.7)
    ax.axis("off")
    fig.tight_layout()
    os.makedirs(os.path.dirname(IMG), exist_ok=True)
    fig.savefig(IMG, dpi=100)
    plt.close(fig)


def main() -> None:
    lines, edges = measure()
    for (a, b), n in sorted(edges.items()):
        print(f"{a:>8} -> {b:<8} {n:3d} modules")
    draw(lines, edges)
    print(IMG)


if __name__ == "__main__":
    main()
