"""rapport.xlsx's monthly follow-up as grids (issue 12, point 5): programme × months and
operation × months, with hours, cumulative and % of forecast; ERBM and CSNE first, « Autres »
last, wherever programmes are listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausekit.cli import app

from .conftest import territory_workbook

runner = CliRunner()
NARROW = "\u202f"


def three_programmes(folder: Path) -> Path:
    """Artois: OPA for SNCF (CSNE, 1000 h forecast): 300 h in January, 200 h in February;
    OPC for Maisons & Cités (ERBM, 400 h forecast): 100 h in February. Béthune: OPB for the
    town (« Autres », no forecast): 700 h in January."""
    territory_workbook(
        folder,
        "Artois",
        [
            ["A1", "Nom", "Prénom", "01/02/1990", "BRSA"],
            ["A2", "Nom", "Prénom", "01/02/1991", ""],
        ],
        [
            ["A1", "C1", "OPA", "E1", "CDI", "01/01/2025", "", "01/2025", "300"],
            ["A1", "C1", "OPA", "E1", "CDI", "01/01/2025", "", "02/2025", "200"],
            ["A2", "C2", "OPC", "E2", "CDD", "01/02/2025", "", "02/2025", "100"],
        ],
        [
            ["OPA", "Écluse", "SNCF", "L2112-2", "1000"],
            ["OPC", "Voirie", "Maisons & Cités", "L2112-2", "400"],
        ],
    )
    territory_workbook(
        folder,
        "Béthune",
        [["B1", "Nom", "Prénom", "01/02/1980", ""]],
        [["B1", "C3", "OPB", "E3", "CDD", "01/01/2025", "", "01/2025", "700"]],
        [["OPB", "École", "Ville de Béthune", "critère social", ""]],
    )
    return folder


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("grids")
    data = three_programmes(tmp / "in")
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp / "out")])
    assert result.exit_code in (0, 1), result.output
    return tmp / "out"


def sheet(out: Path, name: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    wb = load_workbook(out / "rapport.xlsx")
    return list(wb[name].iter_rows(min_row=3, values_only=True))


def test_programme_by_month_grid(out: Path) -> None:
    rows = sheet(out, "Mensuel programme")
    assert rows[0] == ("Programme", "Indicateur", "janv. 2025", "févr. 2025", "Total")
    body = [r for r in rows[1:] if r[0]][:9]
    assert body == [
        ("ERBM", "Heures réalisées", 0, 100, 100),
        ("ERBM", "Heures cumulées", 0, 100, None),
        ("ERBM", "% des heures prévues (400 h)", 0, 0.25, None),  # 100 / 400
        ("CSNE", "Heures réalisées", 300, 200, 500),
        ("CSNE", "Heures cumulées", 300, 500, None),
        ("CSNE", f"% des heures prévues (1{NARROW}000 h)", 0.3, 0.5, None),
        ("Autres", "Heures réalisées", 700, 0, 700),
        ("Autres", "Heures cumulées", 700, 700, None),
        ("Autres", "% des heures prévues (non renseignées)", "n.r.", "n.r.", None),
    ]


def test_operation_by_month_grid(out: Path) -> None:
    rows = sheet(out, "Mensuel opération")
    assert rows[0][:4] == ("Programme", "Territoire", "Opération", "Indicateur")
    body = [r for r in rows[1:] if r[0]][:9]
    assert [r[:4] for r in body[::3]] == [
        ("ERBM", "Artois", "Voirie", "Heures réalisées"),
        ("CSNE", "Artois", "Écluse", "Heures réalisées"),
        ("Autres", "Béthune", "École", "Heures réalisées"),
    ]
    assert body[3][4:] == (300, 200, 500)
    assert body[5][4:] == (0.3, 0.5, None)
    assert body[8][4:] == ("n.r.", "n.r.", None)


def test_programmes_are_listed_erbm_csne_then_others(out: Path) -> None:
    rows = sheet(out, "Par programme")
    assert [r[0] for r in rows[1:] if r[0]][:4] == ["ERBM", "CSNE", "Autres", "Ensemble"]
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    by_programme = {p["programme"]: p for p in report["by_programme"]}
    assert by_programme["CSNE"]["realisation_rate"] == 0.5  # 500 / 1000
    assert by_programme["Autres"]["realisation_rate"] is None
    page = (out / "bilan.html").read_text(encoding="utf-8")
    programme_table = page.split("Par programme (tous donneurs")[1]
    positions = [programme_table.index(f"<td>{p}</td>") for p in ("ERBM", "CSNE", "Autres")]
    assert positions == sorted(positions)
