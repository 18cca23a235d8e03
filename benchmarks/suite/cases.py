"""`make demo && make test` on a fresh clone, idle and beside a stress load (benchmarks/suite/suite_time.json)."""
ABOUT = __doc__

CASES = [
    dict(name="fresh_clone", measures="`make demo && make test` on a fresh clone of HEAD (empty numba cache), idle",
         peer="none: goal <= 15 min idle on 2 cores", table=None,
         run='"$PY" "$HERE/measure.py" --write-pages'),
    dict(name="fresh_clone_load4", measures="the same beside 4 busy processes at normal priority",
         peer="none: goal <= 30 min at load 4", table=None,
         run='"$PY" "$HERE/measure.py" --load 4 --write-pages'),
]
