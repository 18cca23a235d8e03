"""Interferograms: Goldstein filtering, ours against dolphin's goldstein on the same simulated interferograms
(goldstein_compare.py): phase error against the noise-free phase and CPU seconds of the filter call."""

ABOUT = "Goldstein filtering against dolphin's"

_RUN = ('DOLPHIN_VENV="${DOLPHIN_VENV:-$BUILD/venv-dolphin}"\n'
        '[ -x "$DOLPHIN_VENV/bin/python" ] || { "$PEER_PYTHON" -m venv "$DOLPHIN_VENV" && '
        '"$DOLPHIN_VENV/bin/pip" install -q --no-deps "dolphin==0.42.9" && '
        '"$DOLPHIN_VENV/bin/pip" install -q numpy; }\n'
        'OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_compare.py" simulate "$OUT" ${SIZE:-1024}\n'
        'for alpha in 0.5 0.8; do\n'
        '  OMP_NUM_THREADS=1 "$DOLPHIN_VENV/bin/python" "$HERE/goldstein_compare.py" dolphin "$OUT" "$alpha"\n'
        '  OMP_NUM_THREADS=1 "$PY" "$HERE/goldstein_compare.py" ours "$OUT" "$alpha"\n'
        '  "$PY" "$HERE/goldstein_compare.py" table "$OUT" "$alpha"\n'
        'done')

CASES = [
    dict(name="goldstein", measures="1024 x 1024 px, coherence 0.3-0.9, alpha 0.5 and 0.8",
         peer="dolphin 0.42.9 goldstein (its own venv, numpy only)", setup="enable_plugin", table=None, run=_RUN),
    dict(name="goldstein_quick", measures="256 x 256 px", peer="dolphin 0.42.9 goldstein", quick=True,
         setup="enable_plugin", table=None, run="SIZE=256\n" + _RUN),
]
