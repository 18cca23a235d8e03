"""Okada and Coulomb (okadaforward, coulombstress): ours (numba) against cutde (CPU) and a Python loop over
okada_wrapper's DC3D on the same points and patches (bench_okada.py)."""

ABOUT = "Okada displacement and Coulomb maps against cutde and DC3D"

CASES = [
    dict(name="coulomb_variable", peer="none in this run",
         measures="Coulomb map: 1,000 variable-slip patches of one plane onto 500 x 500 nodes at 10 km, all 9 "
                  "gradients (250 M pairs)",
         run='GRID_ROWS=500 GRID_SLIP=variable "$PY" "$HERE/bench_okada.py" grid'),
    dict(name="coulomb_peers", setup="peers_okada", measures="the same, with peers on 2,000 nodes (DC3D on 200)",
         peer="cutde 26.3 `strain_free` (2 triangles a rectangle); okada_wrapper DC3D in a Python loop",
         run='"$PY" "$HERE/bench_okada.py" grid-input "$OUT/grid_input.npz"\n'
             '"$VENV/bin/python" "$HERE/bench_okada.py" grid-peers "$OUT/grid_input.npz"\n'
             'GRID_ROWS=500 GRID_SLIP=variable "$PY" "$HERE/bench_okada.py" grid'),
    dict(name="coulomb_uniform", measures="the same map, uniform slip", peer="none",
         run='GRID_ROWS=500 "$PY" "$HERE/bench_okada.py" grid'),
    dict(name="okada_peers", setup="peers_okada", peer="cutde `disp_free`; DC3D loop (1,000 points)",
         measures="surface displacement, 10,000 points x 200 patches (40 x 20 km, 45 deg), variable slip",
         run='"$PY" "$HERE/bench_okada.py" make-input "$OUT/input.npz"\n'
             '"$PY" "$HERE/bench_okada.py" ours "$OUT/input.npz"\n'
             '"$VENV/bin/python" "$HERE/bench_okada.py" peers "$OUT/input.npz"'),
    dict(name="okada_gradients", part_of="okada_peers", measures="displacement + 9 gradients, same",
         peer="cutde `strain_matrix` (1,000 points)"),
    dict(name="coulomb_small", quick=True, peer="none", measures="the Coulomb map on 5 rows of nodes (a check)",
         run='GRID_ROWS=5 "$PY" "$HERE/bench_okada.py" grid'),
]
