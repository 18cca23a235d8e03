"""A run's results loaded into a project of ~30 layers in the real desktop against QGIS's own load of the same files,
and the current layer's switch between a vector and a raster with and without the plugin: results_load_session.py
under Xvfb (a fresh profile, the plugin enabled, the Processing toolbox open).

    /usr/bin/python3 benchmarks/desktop/results_load.py [--plugins DIR] [--rounds 3] [--dock] [--json OUT]
                                                         [--screenshot PNG]

``--plugins``: the folder holding ``insar_geohazards`` (default: this checkout's ``.build/plugins``). Prints the
medians and one ``{"bench": ...}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plugins", default=os.path.join(ROOT, ".build", "plugins"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default="")
    parser.add_argument("--screenshot", default="")
    parser.add_argument("--dock", action="store_true", help="the plugin's time-series dock open meanwhile")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as out:
        ini = os.path.join(out, "profile", "profiles", "default", "QGIS")
        os.makedirs(ini)
        with open(os.path.join(ini, "QGIS3.ini"), "w", encoding="utf-8") as fh:
            fh.write("[PythonPlugins]\ninsar_geohazards=true\nprocessing=true\n[qgis]\nshowTips=false\n"
                     "checkVersion=false\n")
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        env.update(SESSION_OUT=out, DATA=os.path.join(ROOT, "tests", "data"), ROUNDS=str(args.rounds),
                   QGIS_PLUGINPATH=os.path.abspath(args.plugins), INSAR_GEOHAZARDS_WARM_UP="0",
                   DOCK="1" if args.dock else "0")
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--nologo", "--noversioncheck",
               "--profiles-path", os.path.join(out, "profile"), "--code", os.path.join(HERE, "results_load_session.py")]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        try:
            with open(os.path.join(out, "report.json"), encoding="utf-8") as fh:
                rep = json.load(fh)
        except OSError:
            raise SystemExit(f"no report (QGIS exited {proc.returncode}):\n{proc.stderr[-3000:]}") from None
        if "error" in rep:
            raise SystemExit(rep["error"])
        if args.screenshot and os.path.exists(os.path.join(out, "loaded.png")):
            shutil.copy(os.path.join(out, "loaded.png"), args.screenshot)
    own, ours = rep["own_median"], rep["ours_median"]
    for kind in ("own", "ours"):
        print(kind, json.dumps(rep[kind]))
    print(f"project {rep['project_layers']} layers; loading {ours['layers']} results: QGIS's own {own['wall_s']:.2f} s "
          f"/ {own['main_cpu_s']:.2f} main-thread CPU-s (pause {own['longest_pause_s']:.2f} s), with the plugin "
          f"{ours['wall_s']:.2f} s / {ours['main_cpu_s']:.2f} CPU-s (pause {ours['longest_pause_s']:.2f} s); switch "
          f"vector/raster {rep['switch_with_plugin_ms']:.1f} ms main-thread CPU with the plugin, "
          f"{rep['switch_without_plugin_ms']:.1f} ms without")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rep, fh, indent=1)
    load = rep["load"][0]
    print(json.dumps({"bench": {
        "ours": f"{ours['layers']} results into {rep['project_layers']} layers: {ours['wall_s']:.2f} s, "
                f"{ours['main_cpu_s']:.2f} main-thread CPU-s; a vector/raster switch "
                f"{rep['switch_with_plugin_ms']:.1f} ms CPU",
        "peer": f"QGIS's own load of the same files {own['wall_s']:.2f} s, {own['main_cpu_s']:.2f} CPU-s; the switch "
                f"without the plugin {rep['switch_without_plugin_ms']:.1f} ms",
        "ratio": f"+{ours['wall_s'] - own['wall_s']:.2f} s (goal within 1 s)",
        "date": time.strftime("%Y-%m-%d") + f", load {load:.1f}"}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
