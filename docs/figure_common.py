"""What the figure scripts of docs/ share besides QGIS rendering (that is figure_qgis.py): the demo's own steps
(demo/run_demo.py) loaded and run as `make demo` runs them, the Processing framework with this plugin started in a
plain Python, and a row of image panels drawn with matplotlib. Not a tool of the plugin: the plugin never imports
this file.
"""

from __future__ import annotations

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_demo():
    """demo/run_demo.py as a module (its steps, its qgis_process runner and its helpers)."""
    spec = importlib.util.spec_from_file_location("run_demo", os.path.join(ROOT, "demo", "run_demo.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def run_demo_step(work: str, alg: str):
    """Run the demo's step of ``alg`` into ``work`` (as `make demo` runs it, through qgis_process); returns the
    demo module."""
    demo = load_demo()
    os.makedirs(work, exist_ok=True)
    demo.run_step(next(s for s in demo.steps(work) if s["alg"] == alg))
    return demo


def start_processing(gui: bool = False):
    """A QgsApplication with the Processing framework and this plugin's provider (the checkout linked by `make
    link`); returns the application and the plugin (both kept alive by the caller) and the ``processing``
    module."""
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication

    app = QgsApplication([], gui)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing

    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None)
    plugin.initProcessing()
    return app, plugin, processing


def image_panels(fig, axes, panels, fontsize: int = 9, **colorbar) -> list:
    """One image a matplotlib axis, without ticks, titled and with its colour bar: ``panels`` holds
    (array, imshow keywords, title) in the order of ``axes``, and after the title, when a panel has one, the
    keywords of its own colour bar (its ticks); returns the colour bars."""
    bars = []
    for ax, (arr, style, title, *own) in zip(axes, panels):
        im = ax.imshow(arr, **style)
        ax.set_title(title, fontsize=fontsize)
        ax.set_xticks([])
        ax.set_yticks([])
        bars.append(fig.colorbar(im, ax=ax, **colorbar, **(own[0] if own else {})))
    return bars
