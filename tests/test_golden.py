"""Golden file: the whole report on the bundled samples, field by field.

The key figures are checked independently against the generator's truth (test_cli.py); this
test pins every other table so that any change of the report shows up as a reviewable diff.
Regenerate after an intended change with: CLAUSEKIT_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausekit.cli import app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "rapport.json"


def test_whole_report_on_samples_matches_golden_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # relative paths in the report, as a user in the repo sees them
    result = CliRunner().invoke(app, ["consolidate", "samples", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    produced = json.loads((tmp_path / "rapport.json").read_text(encoding="utf-8"))
    produced["clausekit_version"] = "X"
    for source in produced["sources"]:  # a file's modification time is its clone's, not data
        if source.get("export_date_from") == "modification":
            source["export_date"] = "X"
    if os.environ.get("CLAUSEKIT_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(produced, ensure_ascii=False, indent=2) + "\n", "utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for key in expected:
        assert produced[key] == expected[key], key
    assert set(produced) == set(expected)


def test_two_runs_give_byte_identical_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the bilan's production date
    runner = CliRunner()
    for name in ("a", "b"):
        out = tmp_path / name
        result = runner.invoke(
            app,
            ["consolidate", str(ROOT / "samples"), "-o", str(out), "-f", "json,csv,xlsx,markdown"],
        )
        assert result.exit_code == 0
    for path in sorted((tmp_path / "a").rglob("*.*")):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.read_bytes() == twin.read_bytes(), path.name
