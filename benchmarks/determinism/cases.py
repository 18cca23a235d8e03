"""The same bytes on every CPU target: the numba kernels and BLAS under other targets (cross_target.sh)."""

ABOUT = "same bytes across numba, OpenBLAS and numpy CPU targets"

CASES = [
    dict(name="cross_target", peer="none: the host's bytes",
         measures="every numba kernel case under 4 numba targets, 3 OpenBLAS core types, numpy without AVX-512",
         run='bash "$HERE/cross_target.sh"'),
]
