"""Windows, simulated on Linux and macOS: no ``fcntl``, no ``resource``, no ``os.pread``,
and no start method but ``spawn``; ``msvcrt.locking`` stands for the missing ``fcntl``.

Used by the tests in-process (:func:`simulate`, with pytest's monkeypatch) and by a script
run as its own interpreter (:func:`apply`), whose spawned readers import it again, as on
Windows, and so run under the same constraints.
"""

from __future__ import annotations

import errno
import fcntl
import multiprocessing
import os
import sys
import types
from typing import Any

_flock = fcntl.flock  # kept before fcntl is hidden: the stand-in for msvcrt is built on it
_BLOCKING = fcntl.LOCK_EX | fcntl.LOCK_NB
_UNLOCK = fcntl.LOCK_UN


def fake_msvcrt() -> types.ModuleType:
    """``msvcrt.locking`` as Windows documents it: a byte range from the current position,
    locked per open file (not per process), OSError when another holds it, and unlocking
    only the very range locked."""
    module = types.ModuleType("msvcrt")
    held: dict[int, tuple[int, int]] = {}

    def locking(fd: int, mode: int, nbytes: int) -> None:
        where = (os.lseek(fd, 0, os.SEEK_CUR), nbytes)
        if mode == module.LK_NBLCK:
            try:
                _flock(fd, _BLOCKING)
            except BlockingIOError:
                raise OSError(errno.EACCES, "Permission denied") from None
            held[fd] = where
        elif mode == module.LK_UNLCK:
            if held.pop(fd, None) != where:
                raise OSError(errno.EACCES, "Permission denied (range not locked)")
            _flock(fd, _UNLOCK)
        else:  # pragma: no cover - clausekit uses only these two
            raise ValueError(mode)

    module.LK_UNLCK, module.LK_LOCK, module.LK_NBLCK = 0, 1, 2  # type: ignore[attr-defined]
    module.locking = locking  # type: ignore[attr-defined]
    module.held = held  # type: ignore[attr-defined]
    return module


def _spawn_only() -> list[str]:
    return ["spawn"]


def simulate(monkeypatch: Any) -> types.ModuleType:
    """Windows' constraints in this process, undone after the test. Returns the msvcrt."""
    from clausekit.pipeline import worker as sheetreader

    msvcrt = fake_msvcrt()
    monkeypatch.setitem(sys.modules, "fcntl", None)
    monkeypatch.setitem(sys.modules, "resource", None)
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    monkeypatch.delattr(os, "pread", raising=False)
    monkeypatch.delattr(os, "pwrite", raising=False)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", _spawn_only)
    monkeypatch.setattr(sheetreader, "_CONTEXT", None)
    return msvcrt


def apply() -> None:
    """Windows' constraints for the rest of this interpreter's life."""
    import subprocess  # noqa: F401 - tells Windows by msvcrt: imported before the stand-in

    sys.modules["fcntl"] = None  # type: ignore[assignment]
    sys.modules["resource"] = None  # type: ignore[assignment]
    sys.modules["msvcrt"] = fake_msvcrt()
    for name in ("pread", "pwrite"):
        if hasattr(os, name):
            delattr(os, name)
    multiprocessing.get_all_start_methods = _spawn_only  # type: ignore[assignment]
