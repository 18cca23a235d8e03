"""The window's stall when the plugin is installed from its zip into a running QGIS desktop (Xvfb, a fresh profile
each time, the Processing toolbox open): install_session.py's report, medians over the sessions.

    /usr/bin/python3 benchmarks/desktop/install_stall.py [--ref REF] [--sessions 3] [--profile] [--json OUT]

The zip is built as ``make package`` builds it, from the commit ``--ref`` (default: HEAD; ``main`` measures the
branch the work started from). Prints each session's figures and one ``{"bench": ...}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SESSION = os.path.join(HERE, "install_session.py")
#: what ``make package`` leaves out of the zip
NOT_SHIPPED = ("tests", "benchmarks", "scripts", ".ci", "demo", "Makefile", "pyproject.toml", ".gitignore",
               ".gitattributes", "BENCHMARKS.md")


def build_zip(ref: str, work: str) -> str:
    """The plugin's zip from commit ``ref`` (help rendered), as ``make package`` builds it."""
    tree = os.path.join(work, "package", "insar_geohazards")
    os.makedirs(tree)
    archive = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", ref], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
    for name in NOT_SHIPPED:
        path = os.path.join(tree, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.path.exists(path) and os.remove(path)
    subprocess.run([sys.executable, os.path.join(tree, "docs", "build_help.py"), os.path.join(tree, "docs")],
                   check=True, capture_output=True)
    zip_path = os.path.join(work, "insar_geohazards.zip")
    subprocess.run(["zip", "-qr", zip_path, "insar_geohazards"], cwd=os.path.dirname(tree), check=True)
    return zip_path


def session(zip_path: str, work: str, profile: bool, toolbox: bool, screenshot: str = "") -> dict:
    out = tempfile.mkdtemp(dir=work)
    ini = os.path.join(out, "profile", "profiles", "default", "QGIS")
    os.makedirs(ini)
    with open(os.path.join(ini, "QGIS3.ini"), "w", encoding="utf-8") as fh:
        fh.write("[PythonPlugins]\nprocessing=true\n[qgis]\nshowTips=false\ncheckVersion=false\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "QGIS_PLUGINPATH")}
    env.update(SESSION_OUT=out, PLUGIN_ZIP=zip_path, PROFILE="1" if profile else "0",
               SHOW_TOOLBOX="1" if toolbox else "0", INSAR_GEOHAZARDS_WARM_UP="0", SCREENSHOT=screenshot)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--nologo", "--noversioncheck",
           "--profiles-path", os.path.join(out, "profile"), "--code", SESSION]
    subprocess.run(cmd, env=env, capture_output=True, timeout=600)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as fh:
        return json.load(fh)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-toolbox", action="store_true")
    parser.add_argument("--json", default="")
    parser.add_argument("--screenshot", default="", help="a PNG of the window 10 s after the first install")
    args = parser.parse_args(argv)
    reports = []
    with tempfile.TemporaryDirectory() as work:
        zip_path = build_zip(args.ref, work)
        for i in range(args.sessions):
            shot = os.path.abspath(args.screenshot) if args.screenshot and i == 0 else ""
            rep = session(zip_path, work, args.profile, not args.no_toolbox, shot)
            profile = rep.pop("profile", "")
            print(f"session {i + 1}: " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                                      for k, v in rep.items()}), flush=True)
            if profile:
                print(profile[:5000])
            reports.append(rep)
    med = {k: statistics.median(r[k] for r in reports) for k in ("longest_pause_s", "install_s", "install_cpu_s",
                                                                  "start_plugin_s", "start_plugin_cpu_s",
                                                                  "longest_pause_after_install_s")}
    load = [round(x, 1) for r in reports for x in r["load"][:1]]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"ref": args.ref, "sessions": reports, "medians": med}, fh, indent=1)
    print(json.dumps({"bench": {
        "ours": f"longest pause of the window {med['longest_pause_s']:.2f} s (median of {len(reports)}); the "
                f"install call {med['install_s']:.2f} s / {med['install_cpu_s']:.2f} CPU-s, of which the plugin's "
                f"start {med['start_plugin_s']:.2f} s / {med['start_plugin_cpu_s']:.2f} CPU-s; after it (the plugin's "
                f"modules imported in a thread, then its registration) longest pause "
                f"{med['longest_pause_after_install_s']:.2f} s",
        "floor": "goal: stall < 2 s", "date": time.strftime("%Y-%m-%d") + f", load {min(load)}-{max(load)}"}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
