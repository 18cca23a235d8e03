#!/usr/bin/env bash
# Run a screenshot script of docs/ in the real QGIS desktop, headless (xvfb), with a throw-away profile that enables
# this plugin (the checkout linked by `make link`):
#   docs/run_in_desktop.sh docs/make_desktop_first_hour.py [qgis options, e.g. --project demo_output/demo.qgz]
# Run from the repository root; the script quits QGIS when it has saved its pictures.
set -euo pipefail
script=$1
shift
profile=.build/qgis-profile
mkdir -p "$profile/profiles/default/QGIS"
printf '[PythonPlugins]\ninsar_geohazards=true\nprocessing=true\n[qgis]\nshowTips=false\n' \
    > "$profile/profiles/default/QGIS/QGIS3.ini"
QGIS_PLUGINPATH=$PWD/.build/plugins xvfb-run -a -s "-screen 0 1600x1000x24" \
    qgis --nologo --noversioncheck --profiles-path "$profile" "$@" --code "$script"
