"""Compile CPU per numba kernel family and the numpy path's cost per MB (algorithms/compile_costs.json)."""
ABOUT = __doc__

CASES = [
    dict(name="compile_costs", measures="each kernel family from an empty NUMBA_CACHE_DIR, then on that cache",
         peer="none: the table the first run reads", table=None,
         run='"$PY" "$HERE/measure.py" --jobs 2 --out "$OUT/compile_costs.json"'),
    dict(name="warm_up", measures="python3 -m insar_geohazards.warm_kernels --jobs 2 from an empty cache",
         peer="none", table=None,
         run='NUMBA_CACHE_DIR="$OUT/cache" PYTHONPATH="$BUILD/plugins" /usr/bin/time -v "$PY" -m '
             'insar_geohazards.warm_kernels --jobs 2'),
    dict(name="per_kernel", measures="where each family's compile CPU goes, kernel by kernel (each compilation less "
         "its callees'), its signatures, from an empty cache", peer="none", table=None,
         run='for f in ${FAMILIES:-sbas offset_series multisensor okada offsets distortion}; do '
             '"$PY" "$HERE/per_kernel.py" "$f" --top 15 --json "$OUT/$f.json"; done'),
    dict(name="sbas_paths", measures="SBAS's solver core, 128 x 1000 px x 202 interferograms: compiled and on its "
         "numpy path (the kernels as Python), unweighted and variance-weighted, best of 3 and the outputs' digest",
         peer="none: the two paths of one source", table=None,
         run='for m in numba numpy; do for w in no var; do "$PY" "$HERE/sbas_paths.py" $m $w 128 3; done; done'),
    dict(name="twin_paths", measures="the hand-written numpy forms beside a compiled loop: the reference's stacking "
         "sums (84 interferograms x 128 / 512 x 1024 px) and the EGMS tile parse (20 MB of L2b text), median of 5 "
         "and the outputs' digest", peer="none: the two forms of one computation", table=None,
         run='for r in 128 512; do "$PY" "$HERE/twin_paths.py" reference $r 5; done; '
             '"$PY" "$HERE/twin_paths.py" egms 0 5'),
]
