"""All outputs of a run, published together or not at all.

:class:`OutputTransaction` wraps one tool run (and a shipped model run wraps its children
in one too): before the run, every destination that already exists is moved aside to a
hidden backup next to it; after a successful run the backups are deleted; after a
failure, a cancel or SIGTERM every file the run created at a destination (and every
``*.part.tif`` or ``.part_*`` temporary of the writers) is removed and the backups are put
back. So a failing later step never leaves earlier outputs of the same run behind, and a
re-run that fails leaves the previous results as they were.

Two runs writing the same destination at once would move each other's files aside or delete
them (one could then exit 0 naming a file that no longer exists). Each destination is therefore
claimed with a hidden lock file beside it (``.<name>.geohazard-lock``, holding the process ID and
host) for the life of the run: a second run of another process that finds a live claim is refused
before it touches anything, naming the parameter and the other process; a claim left by a process
that no longer runs is taken over. Runs nested in one process (a model and its steps) share their
claims.

SIGTERM (``kill``, a job scheduler, ``timeout``) is handled while a run is active (in the
main thread, as in ``qgis_process``): the open transactions are rolled back, then the
signal's previous disposition is restored and the signal raised again, so the exit status
stays the one of a terminated process. Once no run is active the previous handler is put
back, so QGIS itself is never left with a Python-level SIGTERM handler.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import threading
from typing import Optional

from ...algorithms.errors import GeohazardError

#: Open transactions, innermost last (a shipped model's transaction holds its children's).
_ACTIVE: list = []
_LOCK = threading.RLock()
#: Temporary files being written right now (RasterWriter / write_vector register theirs).
LIVE_TEMPS: set = set()
_PREVIOUS_HANDLER = None

_SIDECARS = (".aux.xml", ".ovr", ".shx", ".dbf", ".prj", ".cpg", ".qix", "-wal", "-shm", "-journal")


def _companions(path: str) -> list[str]:
    stem = os.path.splitext(path)[0]
    out = [path] + [path + s for s in _SIDECARS] + [stem + ".qml", stem + ".qmd", stem + ".qlr"]
    if path.lower().endswith(".shp"):
        out += [stem + s for s in (".shx", ".dbf", ".prj", ".cpg", ".qix")]
    return out


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.remove(path)
    except OSError:
        pass


class OutputTransaction:
    """Backups of existing destinations and the list of files the run may create."""

    def __init__(self):
        self._targets: list[str] = []
        self._folders: dict = {}
        self._backups: list[tuple[str, str]] = []
        self._claims: list[str] = []
        self._done = False
        self.notes: list[str] = []  # one-line summaries of the steps run inside (a model prints them at the end)
        self.geometry: dict = {}  # the acquisition geometry the run used (written into outputs lacking it)
        self.used: dict = {}  # parameter -> the value the run used instead of the one given (its history line)

    # ------------------------------------------------------------------ life cycle
    def begin(self, targets: dict) -> "OutputTransaction":
        """``targets``: ``{parameter: (path, kind)}`` as resolved by the guard.

        Raises
        ------
        GeohazardError
            When another process is writing one of the destinations (nothing is touched then).
        """
        for name, (path, _) in targets.items():
            self._claim(name, path.split("|")[0])
        for _, (path, kind) in targets.items():
            self.add(path.split("|")[0], kind)
        with _LOCK:
            _ACTIVE.append(self)
        _install_sigterm()
        return self

    def add(self, path: str, kind: str = "file") -> None:
        if kind == "folder":
            folder = os.path.abspath(path)
            before = set(os.listdir(folder)) if os.path.isdir(folder) else None
            self._folders[folder] = before
            return
        for p in _companions(os.path.abspath(path)):
            self._targets.append(p)
            if os.path.lexists(p) and not os.path.isdir(p):
                backup = os.path.join(os.path.dirname(p), f".{os.path.basename(p)}.geohazard-backup-{os.getpid()}")
                os.replace(p, backup)
                self._backups.append((p, backup))

    def note(self, text: str) -> str:
        """Keep a one-line summary of this run (adopted by the enclosing run); returns ``text``."""
        self.notes.append(text)
        return text

    def written_files(self) -> list:
        """The files this run has written so far: its file destinations that exist and the new files in its
        folder destinations."""
        out = [p for p in self._targets if os.path.isfile(p)]
        for folder, before in self._folders.items():
            if os.path.isdir(folder):
                out += [os.path.join(folder, n) for n in sorted(set(os.listdir(folder)) - (before or set()))
                        if os.path.isfile(os.path.join(folder, n))]
        return out

    def commit(self) -> None:
        if self._done:
            return
        parent = self._parent()
        if parent is not None:
            parent._adopt(self)
        else:
            for _, backup in self._backups:
                _remove(backup)
        self._close()

    def rollback(self) -> None:
        if self._done:
            return
        for p in self._targets:
            _remove(p)
        for folder, before in self._folders.items():
            if before is None:
                _remove(folder)
            elif os.path.isdir(folder):
                for name in set(os.listdir(folder)) - before:
                    _remove(os.path.join(folder, name))
        for temp in list(LIVE_TEMPS):  # writers still open at this run's destinations
            if any(temp.startswith(t) for t in self._targets):
                _remove(temp)
        for p, backup in reversed(self._backups):
            if os.path.lexists(backup):
                os.replace(backup, p)
        self._close()

    # ------------------------------------------------------------------ nesting
    def _parent(self) -> Optional["OutputTransaction"]:
        with _LOCK:
            i = _ACTIVE.index(self) if self in _ACTIVE else -1
            return _ACTIVE[i - 1] if i > 0 else None

    def _adopt(self, child: "OutputTransaction") -> None:
        """A child run succeeded: its outputs now belong to this (outer) run."""
        self._targets += [p for p in child._targets if p not in self._targets]
        self._backups += child._backups
        self.notes += child.notes
        for folder, before in child._folders.items():
            self._folders.setdefault(folder, before)

    # ------------------------------------------------------------------ claims
    def _claim(self, name: str, path: str) -> None:
        lock = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(os.path.abspath(path))}"
                            ".geohazard-lock")
        me = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _read_claim(lock)
                if owner == me or (owner is not None and _is_stale(owner)):
                    if owner != me:
                        _remove(lock)
                        continue
                    return  # a run of this process (a model's step) already holds it
                self._release()
                who = f"process {owner}" if owner else "another run"
                raise GeohazardError(
                    f"{name}: {path!r} is being written by another run ({who}); wait until it ends or choose "
                    f"another path (if no run is active, delete {lock!r})") from None
            except OSError:
                return  # a folder the guard found writable but without room for a lock: nothing to claim
            with os.fdopen(fd, "w") as fh:
                fh.write(me)
            self._claims.append(lock)
            return

    def _release(self) -> None:
        for lock in self._claims:
            _remove(lock)
        self._claims = []

    def _close(self) -> None:
        self._done = True
        self._release()
        with _LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            idle = not _ACTIVE
        if idle:
            _restore_sigterm()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.rollback()
        return False


def _read_claim(lock: str) -> Optional[str]:
    try:
        with open(lock) as fh:
            return fh.read(200).strip() or None
    except OSError:
        return None


def _is_stale(owner: str) -> bool:
    """A claim of a process of this host that no longer runs (claims of other hosts are never stale)."""
    try:
        pid, host = owner.split(" ", 1)
        pid = int(pid)
    except ValueError:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by another user
        return False
    return False


def rollback_all() -> None:
    """Roll back every open transaction (innermost first) and delete live temporaries."""
    with _LOCK:
        active = list(reversed(_ACTIVE))
    for t in active:
        t.rollback()
    for temp in list(LIVE_TEMPS):
        _remove(temp)
    LIVE_TEMPS.clear()


def _on_sigterm(signum, frame):
    rollback_all()
    previous = _PREVIOUS_HANDLER
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL if previous in (None, signal.SIG_DFL) else previous)
    os.kill(os.getpid(), signum)


def _restore_sigterm() -> None:
    """Give SIGTERM back to its previous owner once no run is active (QGIS desktop keeps its own)."""
    global _PREVIOUS_HANDLER
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, _PREVIOUS_HANDLER if _PREVIOUS_HANDLER is not None else signal.SIG_DFL)
            _PREVIOUS_HANDLER = None
    except (ValueError, OSError, TypeError):
        pass


def _install_sigterm() -> None:
    """Install the SIGTERM clean-up once (main thread only; other threads cannot set handlers)."""
    global _PREVIOUS_HANDLER
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        current = signal.getsignal(signal.SIGTERM)
        if current is _on_sigterm:
            return
        _PREVIOUS_HANDLER = current
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not allowed here (embedded interpreter)
        pass


def disk_full(exc: BaseException, targets: Optional[dict] = None) -> str:
    """The reason when ``exc`` says the disk (or the user's quota) is full, or when it is a write error and the
    disk of an output (``targets``: ``{parameter: (path, kind)}``) has (almost) no room left (GDAL >= 3.9 reports
    only "IO error writing ..."); else ""."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc.strerror)
    text = str(exc)
    for marker in ("No space left on device", "Disk quota exceeded"):
        if marker in text:
            return marker
    if isinstance(exc, RuntimeError) and not any(w in text.lower() for w in ("write", "i/o", "io error")):
        return ""
    for path, _ in (targets or {}).values():
        folder = os.path.dirname(os.path.abspath(path.split("|")[0]))
        try:
            st = os.statvfs(folder)
        except OSError:
            continue
        if st.f_bavail * st.f_frsize < (1 << 20):
            return f"{st.f_bavail * st.f_frsize // 1024} KiB free in {folder}"
    return ""
