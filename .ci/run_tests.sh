#!/usr/bin/env bash
# Run pytest on every core: `make test` and the chroot's test step call this.
#
#   .ci/run_tests.sh [pytest arguments ...]      # default: tests
#
# Two pytest runs, one after the other:
#   1. every test not marked `serial`, spread over TEST_JOBS worker processes (pytest-xdist, default: the
#      number of cores), one test file per worker at a time (--dist loadfile: a file's module fixtures and
#      shared set-ups are made once, in one worker); a worker that dies (a crash in native code) ends the run
#      at once, naming the test it was running: pytest-xdist replacing a crashed worker under --dist loadfile
#      can wait forever for work that never comes (pytest-xdist issues 784, 1378);
#   2. the tests marked `serial`, in one process with the machine to themselves: a desktop session under Xvfb
#      driven by timers. No test asserts a time (benchmarks measure time).
# One pytest run as before (no workers) when TEST_JOBS=1, when pytest-xdist is not installed, when only test
# files or test ids are given (no folder), or when the arguments pick tests by marker (-m) or set workers (-n).
#
# Exit status: pytest's. 0 when both runs pass (a run that finds no test, pytest's 5, counts as passing when
# the other one ran tests); else the first run's failing status (1 tests failed, 2 interrupted, 3 internal
# error, 4 usage error), else the second's. The second run is skipped after an interrupt or a usage error.
set -uo pipefail

PY=${PY:-/usr/bin/python3}
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

echo "[tests] $JOBS workers: the tests not marked serial" >&2
"$PY" -m pytest -q -ra -n "$JOBS" --dist loadfile --max-worker-restart=0 -m "not serial" "${ARGS[@]}"
rc1=$?
case $rc1 in
  2 | 4) exit $rc1 ;;
esac
echo "[tests] one process: the tests marked serial" >&2
"$PY" -m pytest -q -ra -m serial "${ARGS[@]}"
rc2=$?

if [ $rc1 = 5 ] && [ $rc2 = 5 ]; then exit 5; fi
if [ $rc1 != 0 ] && [ $rc1 != 5 ]; then exit $rc1; fi
if [ $rc2 != 0 ] && [ $rc2 != 5 ]; then exit $rc2; fi
exit 0
