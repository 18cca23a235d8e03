"""The same bytes on every CPU target: numba kernels, OpenBLAS and numpy under other targets."""
ABOUT = __doc__

CASES = [
    dict(name="cross_target", peer="none: the host's bytes",
         measures="every numba kernel case under 4 numba targets, 3 OpenBLAS core types, numpy without AVX-512",
         run='bash "$HERE/cross_target.sh"'),
]
