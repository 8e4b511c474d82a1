"""One run at a time per output folder: an advisory ``fcntl`` lock on ``DIR/.clausekit.lock``.

Two cron jobs (or a cron job and a person) writing the same report would interleave their
files. The lock is held for the whole run and released by the kernel if the process dies, so a
crashed run never leaves a stale lock behind. The file itself stays (deleting it would let two
processes lock two different files); it holds the pid and start time of the current holder, to
name it in the message of the run that has to give up.
"""

from __future__ import annotations

import fcntl
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
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def run_lock(out_dir: Path, wait: float = 0) -> Iterator[Path]:
    """Hold the lock of ``out_dir`` for the ``with`` block.

    If another run holds it, retry for up to ``wait`` seconds, then raise
    :class:`LockedError` naming the holder. Yields the lock file's path.
    """
    path = lock_path(out_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # the folder of the report is not writable: the user's to fix
        raise output_error(exc, path.parent) from exc
    try:
        deadline = time.monotonic() + max(wait, 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
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
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
