#!/usr/bin/env bash
# Per-file work of one weighted SBAS run on the 300 x 300 x 202-interferogram stack (404 input files),
# before / after: the tool run in process under cProfile (profile_perfile.py), this checkout and an export
# of BEFORE (a commit; default: main before the input listing and the headers were shared), alternating,
# ROUNDS times, each time RUNS in-process runs of each. Also checks that both write byte-identical outputs.
set -euo pipefail
source "$(dirname "$0")/../bench_env.sh"
BEFORE="${BEFORE:-f3ec236}"
OUT="$ROOT/.build/bench_ts/s300"
[ -f "$OUT/stack.json" ] || /usr/bin/python3 "$HERE/make_stack.py" "$OUT" 300 300 60
OLD="$ROOT/.build/perfile_before/$BEFORE/plugins"
if [ ! -d "$OLD/insar_geohazards" ]; then
  mkdir -p "$OLD/insar_geohazards"
  git -C "$ROOT" archive "$BEFORE" | tar -x -C "$OLD/insar_geohazards"
fi
export QT_QPA_PLATFORM=offscreen NUMBA_NUM_THREADS=2 OMP_NUM_THREADS=2
uptime
for i in $(seq "${ROUNDS:-2}"); do
  echo "before ($BEFORE):"
  /usr/bin/python3 "$HERE/profile_perfile.py" "$OUT" "$ROOT/.build/perfile_runs/before" --plugins "$OLD" --repeat "${RUNS:-5}" 2>/dev/null \
    | grep run_cpu
  echo "after ($(git -C "$ROOT" rev-parse --short HEAD)):"
  /usr/bin/python3 "$HERE/profile_perfile.py" "$OUT" "$ROOT/.build/perfile_runs/after" --repeat "${RUNS:-5}" 2>/dev/null | grep run_cpu
done
for f in "$ROOT"/.build/perfile_runs/before/run1/*.tif; do
  cmp -s "$f" "$ROOT/.build/perfile_runs/after/run1/$(basename "$f")" && echo "same bytes: $(basename "$f")" \
    || echo "DIFFERENT: $(basename "$f")"
done
uptime
