#!/usr/bin/env bash
# Run pytest on every core: `make test` and the chroot's test step call this.
#
#   .ci/run_tests.sh [pytest arguments ...]      # default: tests
#
# First the warm-up: every numba kernel family compiled once into the cache beside the sources, one family per
# process, TEST_JOBS at a time (`python3 -m insar_geohazards.warm_kernels`: a tiny synthetic run of each family's
# core functions); the workers then load the kernels instead of compiling each family in each worker. A family
# already cached loads in a second. The workers list any kernel they still compiled (a warm-up that missed a
# signature the tools use) at the end: "[tests] compiled after the warm-up: ...". GEOHAZARD_WARM_UP=0 skips it.
# A family another process is compiling below normal priority (the background an earlier `make demo` left at nice
# 10) is compiled beside it, never waited for; one it compiled whole is skipped; each warm-up line says any wait.
# Beside the warm-up, on the cores its compiling leaves idle (it kept 1.5 of 2 busy), one process runs the test files
# of BESIDE_WARM_UP (its log printed after the workers' run, .build/beside_warm_up.log): they load no kernel (static
# checks of the sources, the public API, the help texts; a run of them against an empty numba cache compiles nothing
# and writes no cache file; a kernel one of them compiles shows in the list at the end: take its file out); the workers
# start when the warm-up ends and leave those files out. Only when the arguments are folders (`make test`,
# `make test-core`): with options such as -k every file goes to the workers.
# Then two pytest runs, one after the other:
#   1. every test not marked `serial` (the 25 slowest listed at the end), spread over TEST_JOBS worker processes (pytest-xdist, default: the
#      number of cores), one test file per worker at a time (--dist loadfile: a file's module fixtures and
#      shared set-ups are made once, in one worker); a worker that dies (a crash in native code) ends the run
#      at once, naming the test it was running: pytest-xdist replacing a crashed worker under --dist loadfile
#      can wait forever for work that never comes (pytest-xdist issues 784, 1378);
#   2. the tests marked `serial`, in one process with the machine to themselves: a desktop session under Xvfb
#      driven by timers; only the files that hold them are collected (the first run lists them). No test asserts
#      a time (benchmarks measure time).
# One pytest run as before (no workers) when TEST_JOBS=1, when pytest-xdist is not installed, when only test
# files or test ids are given (no folder), or when the arguments pick tests by marker (-m) or set workers (-n).
#
# Exit status: pytest's. 0 when every run passes (a run that finds no test, pytest's 5, counts as passing when
# another one ran tests); else the first failing status in the order beside the warm-up, workers, serial (1 tests
# failed, 2 interrupted, 3 internal error, 4 usage error). The later runs are skipped after an interrupt or a
# usage error.
set -uo pipefail

PY=${PY:-/usr/bin/python3}
# compiled modules kept in __pycache__ (ignored by git), or every qgis_process start compiles the plugin again
unset PYTHONDONTWRITEBYTECODE
JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(tests)

parallel=0
if [ "$JOBS" -gt 1 ] 2>/dev/null && "$PY" -c "import xdist" 2>/dev/null; then
  for a in "${ARGS[@]}"; do
    case $a in
      -m | -m* | --m=* | -n | -n* | --numprocesses* | -p | -p*) parallel=0; break ;;
      -*) ;;
      *) [ -d "$a" ] && parallel=1 ;;
    esac
  done
fi

if [ $parallel = 0 ]; then
  "$PY" -m pytest -q -ra "${ARGS[@]}"
  exit $?
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# One BLAS thread per process: the workers already keep every core busy, and BLAS's own threads beside them only wait
# for each other (OpenBLAS's two threads per worker: the forecast's block-memory case took 200 s beside two busy
# processes, 18 s on one thread). The tools' results do not depend on it (tests/core/test_dense.py).
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
COMPILED_LOG="$ROOT/.build/compiled_after_warm_up"
# Each test's CPU seconds (its own process and the child processes it waited for: qgis_process, Dask workers) and
# its qgis_process starts (tests/conftest.py), summed by .ci/cpu_report.py at the end: where the suite's CPU goes.
export GEOHAZARD_CPU_LOG="$ROOT/.build/test_cpu"
rm -rf "$GEOHAZARD_CPU_LOG" && mkdir -p "$GEOHAZARD_CPU_LOG"
# The files holding a test marked `serial`, written by each test process as it collects (tests/conftest.py): the
# serial run collects only them instead of every file again (3.6 CPU-s), when the arguments are folders.
export GEOHAZARD_SERIAL_FILES="$ROOT/.build/serial_files"
rm -rf "$GEOHAZARD_SERIAL_FILES"
# Test files that load no numba kernel, run beside the warm-up (paths from the repository's root).
BESIDE_WARM_UP=(tests/core/test_architecture.py tests/core/test_architecture_floors.py
                tests/core/test_benchmarks_harness.py tests/core/test_multisensor_package.py
                tests/processing/test_public_api.py tests/processing/test_help_texts.py
                tests/processing/test_registry.py tests/processing/test_provider_imports.py
                tests/processing/test_plugin_lifecycle.py tests/core/test_qt6_clean.py
                tests/processing/test_ids_constants.py tests/processing/test_inputs_ids.py
                tests/core/test_plausibility.py tests/core/test_conventions_dates_progress.py)
BESIDE_LOG="$ROOT/.build/beside_warm_up.log"
beside=()
ignore=()
beside_pid=""
rc0=5
only_folders=1
for a in "${ARGS[@]}"; do [ -d "$a" ] || only_folders=0; done
if [ "${GEOHAZARD_WARM_UP:-1}" != 0 ]; then
  for f in "${BESIDE_WARM_UP[@]}"; do
    [ -f "$ROOT/$f" ] && [ $only_folders = 1 ] || continue  # options (-k, ...) given: every file with the workers
    for a in "${ARGS[@]}"; do
      # a folder among the arguments that holds the file (the default `tests`, or tests/core, ...)
      if [ -d "$a" ] && [[ "$ROOT/$f" == "$(cd "$a" && pwd)"/* ]]; then
        beside+=("$ROOT/$f")
        ignore+=("--ignore=$ROOT/$f")
        break
      fi
    done
  done
  rm -rf "$COMPILED_LOG" && mkdir -p "$COMPILED_LOG"
  # The families longest first, so that the processes end together instead of one compiling a long family alone
  # at the end (the idle fresh-clone warm-up of 224 s: offsets, 35 s, last while the other process had ended ~30 s
  # before; in this order its families' CPU seconds of that run pack into 194 s instead of 210 on two processes):
  # WARM_UP_FIRST by that run's CPU seconds, then the others in algorithms/kernel_families.py's order.
  WARM_UP_FIRST=(sbas phase_linking multisensor okada offsets offset_series distortion unwrap)
  families=()
  read -r -a families < <(PYTHONPATH="$ROOT/.build/plugins${PYTHONPATH:+:$PYTHONPATH}" "$PY" -c "
import sys
from insar_geohazards.algorithms.kernel_families import FAMILIES
names = [f.name for f in FAMILIES]
first = [n for n in sys.argv[1:] if n in names]
print(' '.join(first + [n for n in names if n not in first]))" "${WARM_UP_FIRST[@]}")
  echo "[tests] warm-up: each numba kernel family compiled once, $JOBS at a time" >&2
  PYTHONPATH="$ROOT/.build/plugins${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m insar_geohazards.warm_kernels \
    --jobs "$JOBS" "${families[@]}" >&2 &
  warm_pid=$!
  export GEOHAZARD_COMPILED_LOG="$COMPILED_LOG"
  if [ ${#beside[@]} -gt 0 ]; then
    echo "[tests] beside the warm-up, one process: ${#beside[@]} test files that load no kernel" >&2
    "$PY" -m pytest -q -ra -m "not serial" "${beside[@]}" >"$BESIDE_LOG" 2>&1 &
    beside_pid=$!
  fi
  wait "$warm_pid"
fi
echo "[tests] $JOBS workers: the tests not marked serial" >&2
"$PY" -m pytest -q -ra --durations=25 -n "$JOBS" --dist loadfile --max-worker-restart=0 -m "not serial" \
  "${ignore[@]}" "${ARGS[@]}"
rc1=$?
if [ -n "$beside_pid" ]; then
  wait "$beside_pid"
  rc0=$?
  echo "[tests] the files run beside the warm-up:" >&2
  cat "$BESIDE_LOG"
fi
case $rc0 in
  2 | 4) exit $rc0 ;;
esac
if [ -n "${GEOHAZARD_COMPILED_LOG:-}" ] && [ -n "$(cat "$COMPILED_LOG"/* 2>/dev/null)" ]; then
  echo "[tests] compiled after the warm-up (add them to algorithms/kernel_families.py):" >&2
  sort "$COMPILED_LOG"/* | uniq -c | sort -rn | head -40 >&2
fi
case $rc1 in
  2 | 4) exit $rc1 ;;
esac
echo "[tests] one process: the tests marked serial" >&2
serial_args=("${ARGS[@]}")
if [ $only_folders = 1 ] && compgen -G "$GEOHAZARD_SERIAL_FILES/*.txt" >/dev/null; then
  mapfile -t serial_args < <(sort -u "$GEOHAZARD_SERIAL_FILES"/*.txt)
fi
rc2=5
if [ ${#serial_args[@]} -gt 0 ]; then
  "$PY" -m pytest -q -ra -m serial "${serial_args[@]}"
  rc2=$?
fi

"$PY" "$ROOT/.ci/cpu_report.py" "$GEOHAZARD_CPU_LOG" 25 "$ROOT" >&2

if [ $rc0 = 5 ] && [ $rc1 = 5 ] && [ $rc2 = 5 ]; then exit 5; fi
if [ $rc0 != 0 ] && [ $rc0 != 5 ]; then exit $rc0; fi
if [ $rc1 != 0 ] && [ $rc1 != 5 ]; then exit $rc1; fi
if [ $rc2 != 0 ] && [ $rc2 != 5 ]; then exit $rc2; fi
exit 0
