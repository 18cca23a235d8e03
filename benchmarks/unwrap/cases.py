"""Phase unwrapping: the built-in backend against SNAPHU (snaphu-py 0.4.1), and its peak memory."""
ABOUT = __doc__
_QUIET = ('| grep -v -E "^(snaphu v|[0-9]+ parameters|Reading|No weight|Calculating|Initializing|Running|Maximum|'
          'Flow|Found|Growing|Writing|Total|Integrating|Program|Elapsed|$)"')


def _memory(name, args, measures, **kw):
    """Peak memory of memory.py ARGS (N, then global, tiled BUDGET_MB or tool)."""
    return dict(name=name, peer="none", measures=measures, run=f'"$PY" "$HERE/memory.py" {args}', **kw)


CASES = [
    dict(name="synthetic", setup="snaphu_venv", peer="SNAPHU 2.0.7 (snaphu-py 0.4.1), `cost=smooth`, `init=mcf`",
         measures="4 synthetic cases (benchmarks/README.md), 300 x 300 / 300 x 400, 3 seeds",
         run=f'"$SNAPHU_PY" "$HERE/compare.py" 3 2>/dev/null {_QUIET}\n"$PY" "$HERE/tiles.py" 3'),
    dict(name="speed_2000", setup="snaphu_venv", peer="snaphu-py direct",
         measures="2000 x 2000, six bowls of 2.4-4.6 fringes / 10 px, 4 looks, seed 0",
         run='"$PY" "$HERE/compare.py" speed builtin 0 > /dev/null  # numba\'s cache, once\n'
             'for m in builtin tiled; do "$PY" "$HERE/compare.py" speed $m 0; done\n'
             '"$SNAPHU_PY" "$HERE/compare.py" speed snaphu 0 2>/dev/null | grep -E "^snaphu +seed"'),
    dict(name="rupture", setup="snaphu_venv", peer="SNAPHU as above, its components",
         measures="21 co-seismic interferograms cut by a surface rupture (Okada sources, 300 x 300, 4-20 looks), "
                  "true coherence",
         run=f'for c in true estimated; do "$SNAPHU_PY" "$HERE/rupture.py" --coherence $c 2>/dev/null {_QUIET}; done'),
    _memory("memory_5000", "5000 tiled 512", "5000 x 5000, built-in, tiled at the default 512 MB"),
    _memory("memory_10000", "10000 tiled 512", "10 000 x 10 000, built-in, tiled at 512 MB (40 tiles of 256 rows)"),
    _memory("tool_memory", "5000 tool", "5000 x 5000, the whole tool (GeoTIFF in and out)", setup="enable_plugin"),
    _memory("memory_small", "500 tiled 64", "500 x 500, built-in, tiled at 64 MB (a check)", quick=True),
]
