"""Windows' constraints, simulated on every run: no ``fcntl`` (the lock uses ``msvcrt``), no
``resource`` (no memory cap: the check runs before the parser), only the ``spawn`` start
method, no ``os.pread``; and Windows paths in clausekit.toml."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest

from clausekit.consolidate import build_report, check
from clausekit.pipeline import worker as sheetreader
from clausekit.routine.config import user_path
from clausekit.routine.configfile import check_config, load_config
from clausekit.routine.lock import LOCK_OFFSET, LockedError, lock_path, run_lock
from clausekit.rules.schemas import load_spec
from clausekit.rules.settings import Settings

from . import windows
from .conftest import SECRET, territory_workbook

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


def _exports(folder: Path) -> Path:
    """Two territories; every figure below is counted by hand from these rows."""
    territory_workbook(
        folder,
        "Lens",
        [
            ["L1", "Martin", "Alice", D(1990, 5, 1), "BRSA"],
            ["L2", "Durand", "Bob", D(2003, 1, 1), ""],
        ],
        [
            ["L1", "C1", "OP1", "Ent A", "CDD", D(2025, 1, 6), D(2025, 3, 31), "01/2025", 100],
            ["L2", "C2", "OP1", "Ent A", "CDI", D(2025, 2, 1), None, "02/2025", 50.5],
        ],
        [["OP1", "Résidence A", "Maisons & Cités", "L2112-2", 1000]],
    )
    territory_workbook(
        folder,
        "Artois",
        [["A9", "Petit", "Chloé", D(1980, 3, 3), ""]],
        [["A9", "K1", "OPX", "Ent B", "Intérim", D(2025, 4, 1), D(2025, 4, 30), "04/2025", 20]],
        [["OPX", "Canal", "Société du Canal Seine-Nord Europe", "Article 14", 500]],
    )
    return folder


def test_lock_with_msvcrt_when_there_is_no_fcntl(tmp_path: Path, monkeypatch: Any) -> None:
    msvcrt = windows.simulate(monkeypatch)
    out = tmp_path / "rapport"
    with run_lock(out) as lock:
        assert list(msvcrt.held.values()) == [(LOCK_OFFSET, 1)]  # one byte beyond the text
        info = json.loads(lock.read_text(encoding="utf-8"))
        assert info["pid"] == os.getpid()
        with pytest.raises(LockedError) as exc, run_lock(out):
            pytest.fail("a second open of the lock must not get it")
        assert exc.value.holder == info  # the holder's text is readable beside the lock
        assert f"(processus {os.getpid()}, sur {info['host']}, démarré le " in str(exc.value)
    assert msvcrt.held == {}
    assert lock_path(out).read_text(encoding="utf-8") == ""
    with run_lock(out, wait=0.1):  # free again
        pass


def test_reading_pipeline_with_spawn_only(tmp_path: Path, monkeypatch: Any) -> None:
    windows.simulate(monkeypatch)
    checked = check([_exports(tmp_path / "exports")])
    assert sheetreader.reader_context().get_start_method() == "spawn"
    assert checked.unreadable == []
    assert checked.rows_rejected == 0
    report, _ = build_report(checked, spec=load_spec(), settings=Settings(), secret=SECRET)
    totals = report["totals"]
    assert totals["participants"] == 3  # Alice, Bob, Chloé
    assert totals["participants_brsa"] == 1  # Alice
    assert totals["participants_under_26"] == 1  # Bob: 22 on 1 February 2025
    assert totals["hours_realised"] == 170.5  # 100 + 50.5 + 20
    assert totals["hours_forecast"] == 1500.0  # 1000 + 500


SCRIPT = """\
import json, os, sys
sys.path.insert(0, {root!r})
from tests import windows
windows.apply()
if __name__ == "__mp_main__":  # a spawned reader imports this script again, as on Windows
    try:
        import resource
        has_resource = True
    except ImportError:
        has_resource = False
    try:
        import fcntl
        has_fcntl = True
    except ImportError:
        has_fcntl = False
    with open(os.path.join({markers!r}, str(os.getpid())), "w") as fh:
        json.dump({{"resource": has_resource, "fcntl": has_fcntl}}, fh)
if __name__ == "__main__":
    from clausekit.cli import run
    sys.argv = ["clausekit", *sys.argv[1:]]
    run()
"""


def test_command_line_as_on_windows(tmp_path: Path) -> None:
    exports = _exports(tmp_path / "exports")
    markers = tmp_path / "markers"
    markers.mkdir()
    script = tmp_path / "clausekit_windows.py"
    script.write_text(SCRIPT.format(root=str(ROOT), markers=str(markers)), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), "consolidate", str(exports), "-o", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    readers = [json.loads(p.read_text()) for p in markers.iterdir()]
    assert readers == [{"resource": False, "fcntl": False}] * 2  # one spawned reader per file
    totals = json.loads((tmp_path / "r" / "rapport.json").read_text(encoding="utf-8"))["totals"]
    assert totals["participants"] == 3
    assert totals["hours_realised"] == 170.5
    assert totals["hours_forecast"] == 1500.0
    assert not (tmp_path / ".r.clausekit.lock").read_text()  # the lock, released


def test_memory_cap_is_said_to_be_unavailable(monkeypatch: Any) -> None:
    assert sheetreader.memory_cap_available() is True
    monkeypatch.setitem(sys.modules, "resource", None)
    assert sheetreader.memory_cap_available() is False


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (r"C:\Clauses\exports\Lens-Liévin", r"C:\Clauses\exports\Lens-Liévin"),
        ("C:/Clauses/rapport", r"C:\Clauses\rapport"),
        (r"exports\Artois", r"D:\Partage\clauses\exports\Artois"),
        (r"\\serveur\clauses\depot", r"\\serveur\clauses\depot"),
    ],
)
def test_windows_paths_are_read_as_windows_reads_them(written: str, expected: str) -> None:
    base = PureWindowsPath(r"D:\Partage\clauses")
    assert user_path(written, base) == PureWindowsPath(expected)


def test_windows_paths_in_the_toml(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        [sortie]
        dossier = 'C:\\Clauses\\rapport'
        [historique]
        base = "C:/Clauses/historique.sqlite"
        """
    )
    path = tmp_path / "clausekit.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert str(config.output).endswith("C:\\Clauses\\rapport")
    # a backslash between double quotes is an escape in TOML: the message says what to write
    path.write_text('[sortie]\ndossier = "C:\\Users\\clauses"\n', encoding="utf-8")
    assert check_config(path) == [
        "Syntaxe TOML invalide dans clausekit.toml, ligne 2, colonne 16 : séquence "
        "d'échappement invalide (une barre oblique inverse \\ entre guillemets doubles). "
        "Pour un chemin Windows, écrivez-le entre apostrophes ('C:\\Clauses\\exports') ou "
        'avec des barres obliques ("C:/Clauses/exports").'
    ]
