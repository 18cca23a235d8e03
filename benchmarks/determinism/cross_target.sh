#!/usr/bin/env bash
# The determinism harness's cases compiled and run for several x86 targets, compared with this CPU's run.
# numba: NUMBA_CPU_NAME (haswell = AVX2, skylake-avx512, generic x86-64); OpenBLAS: OPENBLAS_CORETYPE
# (Haswell, SkylakeX, Prescott); numpy: its AVX-512 loops off (NPY_DISABLE_CPU_FEATURES, as on an AVX2 CPU).
# Each run compiles the kernels into its own cache (a few minutes each). Results in benchmarks/results/.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/benchmarks/results/determinism"
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export QT_QPA_PLATFORM=offscreen
/usr/bin/python3 "$HERE/cross_target.py" build "$TMP/cases.pkl"  # the same inputs for every target
run() {  # name, then environment assignments
  local name="$1"; shift
  env "$@" NUMBA_CACHE_DIR="$TMP/$name" /usr/bin/python3 "$HERE/cross_target.py" run "$TMP/cases.pkl" "$OUT/$name.pkl"
}
run host
run numba_haswell NUMBA_CPU_NAME=haswell
run numba_skylake-avx512 NUMBA_CPU_NAME=skylake-avx512
run numba_generic NUMBA_CPU_NAME=generic
run openblas_Haswell OPENBLAS_CORETYPE=Haswell
run openblas_SkylakeX OPENBLAS_CORETYPE=SkylakeX
run openblas_Prescott OPENBLAS_CORETYPE=Prescott
run numpy_without_avx512 NPY_DISABLE_CPU_FEATURES="AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
cd "$OUT"
/usr/bin/python3 "$HERE/cross_target.py" compare host.pkl numba_haswell.pkl numba_skylake-avx512.pkl numba_generic.pkl \
  openblas_Haswell.pkl openblas_SkylakeX.pkl openblas_Prescott.pkl numpy_without_avx512.pkl | tee compare.txt
