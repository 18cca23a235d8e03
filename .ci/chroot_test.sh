#!/usr/bin/env bash
# Run the test suite and the demo on another Debian's QGIS, in a debootstrap chroot.
#
#   .ci/chroot_test.sh trixie     # Debian 13: QGIS 3.40, GDAL 3.10, numpy 2.2, Python 3.13
#   .ci/chroot_test.sh sid        # Debian unstable: QGIS 3.44, GDAL 3.13, numpy 2.x, Python 3.14
#   TESTS=tests/core .ci/chroot_test.sh trixie test   # a subset (paths relative to the repository)
#
# The chroot is cached in .build/chroot-<suite> and reused; .build/chroot-<suite>.stamp records that
# the package install completed (it holds the package list, so changing the list reinstalls).
# The repository is bind-mounted read-write at /repo inside the chroot; /proc, /sys, /dev and /dev/pts
# are mounted for QGIS. Everything mounted is unmounted by a trap on exit, success or failure.
# Needs root (CI runs as root; elsewhere sudo is used). Mirror: $DEBIAN_MIRROR, else the host's apt
# mirror, else http://deb.debian.org/debian.
# Exit status: that of the failing step (debootstrap, apt, pytest's own code, the demo's make); 0 when all pass.
set -euo pipefail

SUITE=${1:?usage: $0 trixie|sid [step ...]  (steps: setup test demo; default test demo)}
shift
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(test demo)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/.build
CHROOT=$BUILD/chroot-$SUITE
STAMP=$BUILD/chroot-$SUITE.stamp
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

PACKAGES="qgis python3-qgis qgis-providers python3-numpy python3-scipy python3-sklearn python3-numba \
python3-h5py python3-pyproj python3-pytest python3-pytest-xdist python3-pytest-timeout python3-matplotlib python3-dask python3-distributed python3-markdown-it xvfb xauth zip make git \
ca-certificates locales-all"

log() { printf '[chroot %s %(%H:%M:%S)T] %s\n' "$SUITE" -1 "$*" >&2; }

host_mirror() {
  local m=
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror)}

mounted() { awk -v p="$1" '$2 == p {found = 1} END {exit !found}' /proc/mounts; }

MOUNTS=()
cleanup() {
  local rc=$? i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    $SUDO umount "${MOUNTS[i]}" 2>/dev/null || $SUDO umount -l "${MOUNTS[i]}" || rc=1
  done
  MOUNTS=()
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

do_mount() {  # do_mount <target> <mount args...>
  local target=$1 m
  shift
  $SUDO mkdir -p "$target"
  mounted "$target" || $SUDO mount "$@" "$target"
  # Ours to undo even when a killed earlier run left it mounted: we hold the chroot's lock.
  for m in "${MOUNTS[@]}"; do [ "$m" != "$target" ] || return 0; done
  MOUNTS+=("$target")
}

mount_all() {
  do_mount "$CHROOT/proc" -t proc proc
  do_mount "$CHROOT/sys" -t sysfs sysfs
  do_mount "$CHROOT/dev" --bind /dev
  do_mount "$CHROOT/dev/pts" --bind /dev/pts
  do_mount "$CHROOT/repo" --bind "$ROOT"
  # A git worktree keeps its repository elsewhere: mount it at the same path so git works inside.
  local common
  common=$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) || common=
  case $common in
    "" | "$ROOT"/*) ;;
    *) do_mount "$CHROOT$common" --bind "$common" ;;
  esac
}

in_chroot() {
  $SUDO env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive CI="${CI:-}" chroot "$CHROOT" "$@"
}

# One run at a time per chroot (two runs would fight over the mounts).
mkdir -p "$BUILD"
exec 9>"$BUILD/chroot-$SUITE.lock"
flock -w 3600 9 || { log "another run holds $BUILD/chroot-$SUITE.lock"; exit 1; }

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap on the host"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
fi
[ -e "/usr/share/debootstrap/scripts/$SUITE" ] || { log "this debootstrap does not know '$SUITE'"; exit 1; }

WANT="suite=$SUITE packages=$PACKAGES"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  t0=$SECONDS
  # A debootstrap that did not finish leaves $CHROOT/debootstrap behind: start that one over.
  if [ -d "$CHROOT/debootstrap" ] || [ ! -x "$CHROOT/usr/bin/apt-get" ]; then
    if [ -e "$CHROOT" ]; then
      if awk -v p="$CHROOT/" 'index($2, p) == 1 {found = 1} END {exit !found}' /proc/mounts; then
        log "something is still mounted under $CHROOT; unmount it first"; exit 1
      fi
      $SUDO rm -rf --one-file-system "$CHROOT"
    fi
    log "debootstrap $SUITE from $MIRROR into $CHROOT"
    $SUDO debootstrap --variant=minbase "$SUITE" "$CHROOT" "$MIRROR" >"$BUILD/chroot-$SUITE.debootstrap.log" 2>&1 \
      || { tail -n 30 "$BUILD/chroot-$SUITE.debootstrap.log" >&2; exit 1; }
  fi
  # Unstable's Release file carries a Valid-Until date that a frozen mirror snapshot outlives.
  echo 'Acquire::Check-Valid-Until "false";' | $SUDO tee "$CHROOT/etc/apt/apt.conf.d/99geohazard" >/dev/null
  echo "deb $MIRROR $SUITE main" | $SUDO tee "$CHROOT/etc/apt/sources.list" >/dev/null
  $SUDO cp -L /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
  mount_all
  log "apt-get install QGIS and the scientific packages"
  in_chroot apt-get update -qq
  # shellcheck disable=SC2086
  in_chroot apt-get install -y -qq --no-install-recommends $PACKAGES >"$BUILD/chroot-$SUITE.apt.log" 2>&1 \
    || { tail -n 30 "$BUILD/chroot-$SUITE.apt.log" >&2; exit 1; }
  in_chroot apt-get clean
  echo "$WANT" >"$STAMP"
  log "chroot ready in $((SECONDS - t0)) s"
fi

mount_all
in_chroot env QT_QPA_PLATFORM=offscreen sh -c 'qgis_process.bin --version 2>/dev/null | grep -i -E "qgis|gdal|python" | tr "\n" " "; echo' >&2 || true

rc=0
for step in "${STEPS[@]}"; do
  t0=$SECONDS
  case $step in
    setup) continue ;;
    # `make test` as on the host, with the test runner called directly so that pytest's exit status comes out
    test) cmd="make -s deps link && .ci/run_tests.sh ${TESTS:-tests}" ;;
    demo) cmd="make demo DEMO_OUT=/repo/.build/demo-$SUITE" ;;
    *) log "unknown step '$step' (setup, test, demo)"; exit 2 ;;
  esac
  log "$cmd"
  if in_chroot env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/tmp/runtime-0 TEST_JOBS="${TEST_JOBS:-}" sh -c "cd /repo && $cmd"; then
    log "$step passed in $((SECONDS - t0)) s"
    [ "$step" != demo ] || log "demo outputs: $BUILD/demo-$SUITE"
  else
    rc=$?
    log "$step FAILED (exit $rc) after $((SECONDS - t0)) s"
  fi
done
exit $rc
