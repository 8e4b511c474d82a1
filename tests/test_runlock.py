"""One run per output folder: two real processes contend for the fcntl lock."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from clausekit.errors import UsageError
from clausekit.routine.lock import LockedError, lock_path, run_lock

CTX = multiprocessing.get_context("spawn")


class FileEvent:
    """A cross-process flag made of a file: unlike a multiprocessing.Event, setting it can
    never block when the other side timed out or died."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self) -> None:
        self.path.touch()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.path.exists():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


def hold(out_dir: str, ready: str, release: str) -> None:
    """Child process: take the lock, say so, keep it until told to release it."""
    with run_lock(Path(out_dir)):
        FileEvent(Path(ready)).set()
        FileEvent(Path(release)).wait(30)


@pytest.fixture
def holder(tmp_path: Path) -> Any:
    ready, release = FileEvent(tmp_path / "ready"), FileEvent(tmp_path / "release")
    process = CTX.Process(
        target=hold, args=(str(tmp_path / "rapport"), str(ready.path), str(release.path))
    )
    process.start()
    assert ready.wait(30), "the child process did not take the lock"
    yield process, release
    release.set()
    process.join(30)


def test_second_run_gives_up_and_names_the_holder(tmp_path: Path, holder: Any) -> None:
    process, _ = holder
    out = tmp_path / "rapport"
    info = json.loads(lock_path(out).read_text(encoding="utf-8"))
    assert info["pid"] == process.pid
    started = datetime.fromisoformat(info["started"])
    with pytest.raises(LockedError) as exc, run_lock(out):
        pytest.fail("the lock should be held by the other process")
    assert isinstance(exc.value, UsageError)
    assert exc.value.holder == info
    assert str(exc.value) == (
        f"Le dossier {out} est déjà utilisé par un autre traitement clausekit (processus "
        f"{process.pid}, sur {info['host']}, démarré le {started:%d/%m/%Y à %H:%M:%S}). "
        "Attendez qu'il se termine puis relancez."
    )


def test_waiting_gives_up_after_the_delay(tmp_path: Path, holder: Any) -> None:
    process, _ = holder
    began = time.monotonic()
    with pytest.raises(LockedError) as exc, run_lock(tmp_path / "rapport", wait=0.3):
        pytest.fail("the lock should be held by the other process")
    assert 0.3 <= time.monotonic() - began < 2
    assert f"(processus {process.pid}, " in str(exc.value)
    assert str(exc.value).endswith(
        ") après 0,3 s d'attente. Attendez qu'il se termine puis relancez."
    )


def test_waiting_gets_the_lock_once_released(tmp_path: Path, holder: Any) -> None:
    process, release = holder
    out = tmp_path / "rapport"
    began = time.monotonic()
    threading.Timer(0.2, release.set).start()
    with run_lock(out, wait=10) as lock:
        waited = time.monotonic() - began
        info = json.loads(lock.read_text(encoding="utf-8"))
        assert info["pid"] == os.getpid()
    process.join(10)
    assert 0.2 <= waited < 5
    assert lock.read_text(encoding="utf-8") == ""  # released: no stale holder shown


def test_lock_is_released_when_the_holder_dies(tmp_path: Path, holder: Any) -> None:
    process, _ = holder
    process.kill()
    process.join(10)
    with run_lock(tmp_path / "rapport", wait=2):
        pass


def test_same_process_cannot_enter_twice_and_creates_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "nouveau" / "rapport"
    with run_lock(out) as lock:
        assert lock == lock_path(out)
        with pytest.raises(LockedError), run_lock(out):
            pass
    with run_lock(out):  # free again after the block
        pass


def test_unreadable_holder_info(tmp_path: Path) -> None:
    with run_lock(tmp_path) as lock:
        lock.write_text("pas du json", encoding="utf-8")
        with pytest.raises(LockedError) as exc, run_lock(tmp_path):
            pass
    assert str(exc.value) == (
        f"Le dossier {tmp_path} est déjà utilisé par un autre traitement clausekit (processus "
        "inconnu). Attendez qu'il se termine puis relancez."
    )
