"""Whole runs on small csv exports: ``consolidate`` and the CLI give the exit code the input
calls for (0 clean, 1 rejected rows or a warning that matters, 2 usage error), ``--strict``
writes nothing, and the CLI's JSON issues equal the library's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.consolidate import check, consolidate

from .conftest import CONTRACT_HEADER, OPERATION_HEADER, PARTICIPANT_HEADER
from .formats_helpers import NAMES, contract, csv_bytes, only

runner = CliRunner()

# --------------------------------------------------------------------------- runs


PARTICIPANTS = [PARTICIPANT_HEADER, ["P1", NAMES[0], NAMES[1], "01/02/1990", "BRSA"]]
OPERATIONS = [OPERATION_HEADER, ["OP1", "Tramway", "Ville de Lens", "L2112-2", "1 000"]]


def csv_territory(folder: Path, contracts: list[list[Any]], **extra: list[list[Any]]) -> Path:
    """participants.csv, contrats.csv and operations.csv of one territory."""
    territory = folder / "Lens"
    territory.mkdir(parents=True, exist_ok=True)
    tables = {
        "participants": extra.get("participants", PARTICIPANTS),
        "contrats": [CONTRACT_HEADER, *contracts],
        "operations": extra.get("operations", OPERATIONS),
    }
    for name, rows in tables.items():
        text = [["" if v is None else str(v) for v in row] for row in rows]
        (territory / f"{name}.csv").write_bytes(csv_bytes(text, "utf-8-sig", ";"))
    return folder


GOOD = contract("P1", "151,67", fin="31/03/2025")


def test_exit_0_on_clean_input(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD])
    assert check([data]).exit_code() == 0
    out = tmp_path / "out"
    result = consolidate([data], out)
    assert int(result.exit_code) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "bilan.html",
        "rapport.json",
        "rapport.xlsx",
        "rejets.csv",
    ]
    assert (out / "rejets.csv").read_text(encoding="utf-8-sig") == "Fichier;Feuille;Ligne;Motifs\n"
    cli = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "cli")])
    assert cli.exit_code == 0, cli.output
    assert runner.invoke(app, ["validate", str(data)]).exit_code == 0


def test_exit_1_when_rows_are_rejected_and_rejets_csv_lists_them(tmp_path: Path) -> None:
    data = csv_territory(
        tmp_path / "in",
        [GOOD, contract("P1", "douze", mois="02/2025"), contract("P1", "7", debut="32/01/2025")],
    )
    out = tmp_path / "out"
    result = consolidate([data], out)
    assert int(result.exit_code) == 1
    assert (out / "rapport.json").is_file() and (out / "rapport.xlsx").is_file()
    contrats = str(data / "Lens" / "contrats.csv")
    assert (out / "rejets.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "Fichier;Feuille;Ligne;Motifs",
        f"{contrats};;3;Heures réalisées : pas un nombre d'heures",
        f"{contrats};;4;Date de début : date non valide",
    ]
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    src = next(s for s in report["sources"] if s["kind"] == "contrats")
    assert (src["rows_read"], src["rows_accepted"], src["rows_rejected"]) == (3, 1, 2)
    cli = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "cli")])
    assert cli.exit_code == 1, cli.output
    assert "Traceback" not in cli.output


def test_exit_1_on_a_warning_that_matters(tmp_path: Path) -> None:
    participants = [PARTICIPANT_HEADER, ["P1", NAMES[0], NAMES[1], "01/02/1990", "Martien"]]
    data = csv_territory(tmp_path / "in", [GOOD], participants=participants)
    r = check([data])
    issue = only(r, "VALUE_PUBLIC_UNKNOWN")
    assert (issue.row, issue.column, issue.value) == (2, "Public", None)  # never copied
    assert r.rows_rejected == 0
    assert r.exit_code() == 1


def test_informative_warnings_keep_exit_0(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD, [None] * 9, GOOD])
    r = check([data])
    assert [(i.code, i.row) for i in r.issues] == [("ROW_BLANK", 3)]
    assert r.exit_code() == 0


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "{data}", "--format", "xml"],
        ["consolidate", "{data}", "--period", "2025-13"],
        ["consolidate", "{data}", "--nope"],
        ["validate"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    data = csv_territory(tmp_path / "in", [GOOD])
    argv = [a.replace("{data}", str(data)) for a in args]
    if argv[0] == "consolidate":
        argv += ["-o", str(tmp_path / "o")]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_strict_makes_rejected_rows_fatal(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD, contract("P1", "douze", mois="02/2025")])
    out = tmp_path / "out"
    result = consolidate([data], out, strict=True)
    assert int(result.exit_code) == 1
    assert result.outputs == []
    assert not out.exists()
    cli = runner.invoke(app, ["consolidate", str(data), "-o", str(out), "--strict"])
    assert cli.exit_code == 1
    assert "Mode strict" in cli.output
    assert not out.exists()
    clean = csv_territory(tmp_path / "clean", [GOOD])
    ok = runner.invoke(app, ["consolidate", str(clean), "-o", str(out), "--strict"])
    assert ok.exit_code == 0, ok.output
    assert (out / "rapport.json").is_file()


def test_cli_json_issues_equal_the_library(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD, contract("P1", "douze", mois="02/2025")])
    result = runner.invoke(app, ["validate", str(data), "--format", "json"])
    payload = json.loads(result.stdout)
    library = check([data])
    assert result.exit_code == payload["exit_code"] == int(library.exit_code()) == 1
    assert payload["valid"] is False
    assert payload["issues"] == [i.to_dict() for i in library.issues]
    issue = next(i for i in payload["issues"] if i["code"] == "VALUE_NOT_HOURS")
    assert issue == {
        "code": "VALUE_NOT_HOURS",
        "file": str(data / "Lens" / "contrats.csv"),
        "sheet": None,
        "row": 3,
        "column": "Heures réalisées",
        "value": "douze",
        "severity": "error",
        "message": "« douze » n'est pas un nombre d'heures.",
    }
