"""Okada displacement and Coulomb maps (okadaforward, coulombstress) against cutde and DC3D."""
ABOUT = __doc__


def _grid(name, rows, measures, slip="uniform", **kw):
    """The Coulomb map of bench_okada.py's grid step on ROWS rows of its 500 x 500 nodes."""
    run = kw.pop("before", "") + f'GRID_ROWS={rows} GRID_SLIP={slip} "$PY" "$HERE/bench_okada.py" grid'
    return dict(name=name, table="kinematics", measures=measures, peer=kw.pop("peer", "none"), run=run, **kw)


_PEERS = '"$PY" "$HERE/bench_okada.py" {0} "$OUT/{1}"\n"$VENV/bin/python" "$HERE/bench_okada.py" {2} "$OUT/{1}"\n'
CASES = [
    _grid("coulomb_variable", 500, "Coulomb map: 1,000 variable-slip patches of one plane onto 500 x 500 nodes at "
          "10 km, all 9 gradients (250 M pairs)", slip="variable", peer="none in this run"),
    _grid("coulomb_peers", 500, "the same, with peers on 2,000 nodes (DC3D on 200)", slip="variable",
          setup="peers_okada", before=_PEERS.format("grid-input", "grid_input.npz", "grid-peers"),
          peer="cutde 26.3 `strain_free` (2 triangles a rectangle); okada_wrapper DC3D in a Python loop"),
    _grid("coulomb_uniform", 500, "the same map, uniform slip"),
    dict(name="okada_peers", table="kinematics",
         setup="peers_okada", peer="cutde `disp_free`; DC3D loop (1,000 points)",
         measures="surface displacement, 10,000 points x 200 patches (40 x 20 km, 45 deg), variable slip",
         run='"$PY" "$HERE/bench_okada.py" make-input "$OUT/input.npz"\n'
             + _PEERS.format("ours", "input.npz", "peers").rstrip()),
    dict(name="okada_gradients", table="kinematics", part_of="okada_peers", measures="displacement + 9 gradients, same",
         peer="cutde `strain_matrix` (1,000 points)"),
    dict(name="okada_numpy", table="kinematics", peer="none: the compiled kernels",
         measures="the numpy form (numba missing) against the compiled kernels on four inputs "
                  "(benchmarks/README.md), best of 3 interleaved",
         run='GREENS_POINTS=2000 GRID_ROWS=10 "$PY" "$HERE/numpy_vs_compiled.py" "$OUT/numpy_vs_compiled.json"'),
    dict(name="work_costs", table=None, peer="none: the model a first run chooses by",
         measures="CPU-s per unit of work on the numpy and the compiled path (station x corner pairs, numpy calls, "
                  "stations) of okadaforward's, coulombstress's and the inversions' block functions, fitted over six "
                  "grids and fault tables per kind (the startup rows' grids among them); written to "
                  "algorithms/compile_costs.json",
         run='"$PY" "$HERE/work_costs.py" "$HERE/work_costs.json" --write'),
    dict(name="compile_parts", table=None, peer="none: what a first run compiles",
         measures="CPU-s per compiled function of a first okadaforward / coulombstress block from an empty numba "
                  "cache (numba's compile events, nested), 40 patches and 1 patch",
         run='"$PY" "$HERE/compile_parts.py" "$HERE/compile_parts.json"'),
    dict(name="interseismic_coverage", table=None, peer="none: the truth of simulated worlds",
         measures="interseismicslip's core over 120 random worlds (east/north velocities, 1 mm/yr white and correlated "
                  "noise, a 0.5 mm/yr ramp; LENGTH_M 100 km, WIDTH_M 50 km): slip rate within 5 %, locking depth "
                  "within 15 %, the truth within 1 / 1.96 / 2 sigmas",
         run='"$PY" "$HERE/interseismic_coverage.py" --seeds 120 --out "$OUT/interseismic_coverage.json"'),
    dict(name="rupture_trace", table=None, peer="none: the truth of simulated Okada ruptures",
         measures="rupturetrace's core with its defaults over 60 random strike-slip ruptures (Okada offsets, speckle, "
                  "decorrelation along the fault): median distance of the trace to the fault, share of it found",
         run='"$PY" "$HERE/rupture_trace.py" --seeds 60 --out "$OUT/rupture_trace.json"'),
    _grid("coulomb_small", 5, "the Coulomb map on 5 rows of nodes (a check)", quick=True),
]
