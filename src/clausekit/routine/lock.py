"""One run at a time per output folder: an operating-system lock on ``DIR/.clausekit.lock``.

Two cron jobs (or a cron job and a person) writing the same report would interleave their
files. The lock is held for the whole run and released by the operating system if the process
dies, so a crashed run never leaves a stale lock behind: ``fcntl.flock`` on Linux and macOS,
``msvcrt.locking`` on Windows (where there is no ``fcntl``). A lock file created with
``O_EXCL`` would work everywhere but be left behind by a killed run, and telling a stale one
from a live one needs the holder's process to be looked up (pids are reused, a share is seen
from several machines): a kernel lock has no such case.

The file itself stays (deleting it would let two processes lock two different files); it holds
the pid and start time of the current holder, to name it in the message of the run that has to
give up. On Windows a locked range cannot be read by another process, so the lock is taken on
one byte far beyond that text.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from clausekit.errors import UsageError, output_error

LOCK_SUFFIX = ".clausekit.lock"
LOCK_OFFSET = 1 << 20  # the byte locked with msvcrt: beyond the holder's text
HOLDER_BYTES = 4096


def lock_path(out_dir: Path) -> Path:
    """The lock of an output folder lies beside it (``.rapport.clausekit.lock``), so taking
    the lock never creates the folder: a run that writes nothing leaves nothing behind."""
    out_dir = out_dir.absolute()
    return out_dir.parent / f".{out_dir.name}{LOCK_SUFFIX}"


POLL_SECONDS = 0.05


class LockedError(UsageError):
    """Another run holds the output folder."""

    def __init__(self, message: str, holder: dict[str, Any]) -> None:
        super().__init__(message)
        self.holder = holder


def _msvcrt() -> Any:
    """Windows' C runtime module (imported by name: it exists on Windows only)."""
    return importlib.import_module("msvcrt")


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting; False when another open file holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        msvcrt = _msvcrt()
        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)  # msvcrt locks from the current position
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        msvcrt = _msvcrt()
        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _holder_text(holder: dict[str, Any]) -> str:
    parts = []
    if holder.get("pid"):
        parts.append(f"processus {holder['pid']}")
    if holder.get("host"):
        parts.append(f"sur {holder['host']}")
    try:
        started = datetime.fromisoformat(str(holder["started"]))
        parts.append(f"démarré le {started:%d/%m/%Y à %H:%M:%S}")
    except (KeyError, ValueError):
        pass
    return ", ".join(parts) if parts else "processus inconnu"


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)  # no os.pread on Windows
        raw = os.read(fd, HOLDER_BYTES)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_holder(fd: int, text: bytes) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text)


@contextmanager
def run_lock(out_dir: Path, wait: float = 0) -> Iterator[Path]:
    """Hold the lock of ``out_dir`` for the ``with`` block.

    If another run holds it, retry for up to ``wait`` seconds, then raise
    :class:`LockedError` naming the holder. Yields the lock file's path.
    """
    path = lock_path(out_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    except OSError as exc:  # the folder of the report is not writable: the user's to fix
        raise output_error(exc, path.parent) from exc
    try:
        deadline = time.monotonic() + max(wait, 0)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                waited = f" après {wait:g} s d'attente".replace(".", ",") if wait > 0 else ""
                raise LockedError(
                    f"Le dossier {out_dir} est déjà utilisé par un autre traitement "
                    f"clausekit ({_holder_text(holder)}){waited}. Attendez qu'il se "
                    "termine puis relancez.",
                    holder,
                ) from None
            time.sleep(POLL_SECONDS)
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        _write_holder(fd, json.dumps(me).encode("utf-8"))
        try:
            yield path
        finally:
            _write_holder(fd, b"")
            _unlock(fd)
    finally:
        os.close(fd)
