# Sourced by the benchmark scripts: the repository paths, the plugin link QGIS loads, and the peers'
# virtual environment (.build/venv-bench, Python 3.11) with the packages a benchmark needs.
# Usage: source "$(dirname "$0")/../bench_env.sh"; bench_venv PACKAGE ... ; then "$VENV/bin/python" ...
HERE="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.build/venv-bench"
PEER_PYTHON="${PEER_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3}"
mkdir -p "$ROOT/.build/plugins"
[ -e "$ROOT/.build/plugins/insar_geohazards" ] || ln -s ../.. "$ROOT/.build/plugins/insar_geohazards"

# bench_venv [--check MODULE] PACKAGE...: create the venv when missing and install the packages unless
# MODULE (default: the first package) already imports there.
bench_venv() {
  local check=""
  if [ "${1:-}" = "--check" ]; then check="$2"; shift 2; fi
  [ -x "$VENV/bin/python" ] || "$PEER_PYTHON" -m venv "$VENV"
  if [ $# -gt 0 ]; then
    check="${check:-${1%%[=<>]*}}"
    "$VENV/bin/python" -c "import ${check//-/_}" 2>/dev/null || "$VENV/bin/pip" install -q "$@"
  fi
}

# enable_plugin: qgis_process.bin sees this checkout's plugin (headless), its bytecode compiled once.
# QGIS leaves the plugin's bytecode in __pycache__ at its first start; a shell with PYTHONDONTWRITEBYTECODE
# set never writes it, and each timed run would compile the plugin modules it imports from source again
# (~0.3 CPU-s) where a user's QGIS reads them compiled from the second start on.
# QGIS's own Python folder (/usr/share/qgis/python: its Processing plugin) is the same case: Debian's package
# installs it without bytecode, and QGIS writes it at its first start wherever it may (root, or a user's own
# install); without it every start compiles Processing from source (~0.2 CPU-s, QGIS's, not ours). It is
# compiled here when this user may write there, so timed runs see a QGIS in its usual state.
enable_plugin() {
  export QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH="$ROOT/.build/plugins"
  qgis_process.bin plugins enable insar_geohazards >/dev/null 2>&1 || true
  /usr/bin/python3 -m compileall -q -x '(\.build|tests|benchmarks|demo|docs)' "$ROOT" >/dev/null || true
  if [ -w /usr/share/qgis/python ]; then /usr/bin/python3 -m compileall -q /usr/share/qgis/python >/dev/null || true; fi
}
