# The one set-up every benchmark shares. Sourced by benchmarks/run.py before a case's commands, and by the few
# shell scripts a case calls: `source "$(dirname "$0")/../setup_env.sh"`.
# Gives: ROOT (the repository), PY (QGIS's Python), HERE (the calling script's folder, or the family's when run.py
# sources it), BUILD (ROOT/.build), VENV (the peers' venv, .build/venv-bench, Python 3.11), the plugin link QGIS loads,
# PYTHONPATH (benchmarks/ for common.py, tests/ for the synthetic-data helpers, the plugin link), and:
#   peers PACKAGE ...      the peers' venv with these packages (installed when the first does not import)
#   peers_gdal             GDAL's Python bindings in that venv, built against the system GDAL (dolphin needs them)
#   peers_okada            cutde and okada_wrapper (gfortran) in that venv
#   snaphu_venv            .build/venv-unwrap: snaphu-py 0.4.1 beside the system numpy/scipy/numba (sets SNAPHU_PY)
#   enable_plugin          qgis_process.bin sees this checkout's plugin, its bytecode compiled once
#   stamp                  the load average and the CPU model, for the record
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if [ -z "${HERE:-}" ]; then HERE="$(cd "$(dirname "${BASH_SOURCE[1]:-${BASH_SOURCE[0]}}")" && pwd)"; fi
BUILD="$ROOT/.build"
PY=/usr/bin/python3  # QGIS's Python: the plugin, numpy 1.24, numba 0.56
VENV="$BUILD/venv-bench"
PEER_PYTHON="${PEER_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3}"
export QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH="$BUILD/plugins"
export PYTHONPATH="$ROOT/benchmarks:$ROOT/tests:$BUILD/plugins${PYTHONPATH:+:$PYTHONPATH}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p "$BUILD/plugins" "$XDG_RUNTIME_DIR"
[ -e "$BUILD/plugins/insar_geohazards" ] || ln -s ../.. "$BUILD/plugins/insar_geohazards"

# peers [--check MODULE] PACKAGE...: the venv, with the packages unless MODULE (default: the first package) imports.
peers() {
  local check=""
  if [ "${1:-}" = "--check" ]; then check="$2"; shift 2; fi
  [ -x "$VENV/bin/python" ] || "$PEER_PYTHON" -m venv "$VENV"
  if [ $# -gt 0 ]; then
    check="${check:-${1%%[=<>]*}}"
    "$VENV/bin/python" -c "import ${check//-/_}" 2>/dev/null || "$VENV/bin/pip" install -q "$@"
  fi
}

peers_gdal() {
  peers
  "$VENV/bin/python" -c "from osgeo import gdal" 2>/dev/null && return 0
  command -v gdal-config >/dev/null || apt-get install -y -qq libgdal-dev >/dev/null
  "$VENV/bin/pip" install -q setuptools wheel
  "$VENV/bin/pip" install -q --no-build-isolation "gdal==$(gdal-config --version)"
}

peers_okada() {
  peers numpy cutde
  "$VENV/bin/python" -c "import okada_wrapper" 2>/dev/null && return 0
  command -v gfortran >/dev/null || { echo "okada_wrapper needs gfortran: apt-get install -y gfortran"; return 1; }
  "$VENV/bin/pip" install -q --no-build-isolation okada_wrapper || "$VENV/bin/pip" install -q okada_wrapper
}

snaphu_venv() {
  SNAPHU_PY="$BUILD/venv-unwrap/bin/python"
  [ -x "$SNAPHU_PY" ] || { /usr/bin/python3 -m venv --system-site-packages "$BUILD/venv-unwrap" &&
    "$SNAPHU_PY" -m pip install -q "snaphu==0.4.1"; }
}

# QGIS leaves the plugin's bytecode in __pycache__ at its first start; without it every timed run would compile the
# plugin modules it imports (~0.3 CPU-s) where a user's QGIS reads them compiled from the second start on. QGIS's
# own Python folder is compiled too when this user may write there (Debian installs it without bytecode).
enable_plugin() {
  qgis_process.bin plugins enable insar_geohazards >/dev/null 2>&1 || true
  /usr/bin/python3 -m compileall -q -x '(\.build|tests|benchmarks|demo|docs)' "$ROOT" >/dev/null || true
  if [ -w /usr/share/qgis/python ]; then /usr/bin/python3 -m compileall -q /usr/share/qgis/python >/dev/null || true; fi
}

stamp() {
  echo "load $(cut -d' ' -f1-3 /proc/loadavg);$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
}
