"""Exports shaped the way facilitators keep them (issue: right figures on real shapes).

Every expected figure is computed by hand in the test, from the rows written in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from clausekit.consolidate import build_report, check
from clausekit.settings import Settings
from clausekit.spec import load_spec

from .conftest import SECRET, write_xlsx

D = dt.date


def report_for(paths: list[Path], **settings: Any) -> dict[str, Any]:
    checked = check(paths)
    report, _ = build_report(
        checked, spec=load_spec(), settings=Settings(**settings), secret=SECRET
    )
    return report


def codes(report: dict[str, Any]) -> list[str]:
    return [i["code"] for i in report["issues"]]


# --------------------------------------------------------------------------- header spellings

UNUSUAL_PARTICIPANTS = [
    "N° du participant",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Public(s) prioritaire(s)",
]
UNUSUAL_CONTRACTS = [
    "Numéro du participant",
    "Réf. contrat",
    "Code opération",
    "Entreprise",
    "Date début contrat",
    "Mois travaillé",
    "Heures effectuées",
]
UNUSUAL_OPERATIONS = [
    "Numéro de l'opération",
    "Intitulé de l'opération",
    "Donneur d'ordre",
    "Nombre d'heures prévues",
]


def unusual_export(path: Path) -> Path:
    return write_xlsx(
        path,
        {
            "Participants": [
                UNUSUAL_PARTICIPANTS,
                ["00181", "Martin", "Alice", D(1990, 5, 1), "BRSA, ASE"],
                ["00182", "Durand", "Bob", D(2002, 3, 1), ""],
            ],
            "Contrats": [
                UNUSUAL_CONTRACTS,
                ["00181", "C1", "OP-1", "Ent A", D(2025, 1, 6), "01/2025", 100],
                ["00181", "C1", "OP-1", "Ent A", D(2025, 1, 6), "02/2025", 80],
                ["00182", "C2", "OP-2", "Ent B", D(2025, 2, 3), "02/2025", 35.5],
            ],
            "Opérations": [
                UNUSUAL_OPERATIONS,
                ["OP-1", "Résidence Les Tilleuls", "Maisons & Cités", 1000],
                ["OP-2", "Écluse 3", "Société du Canal Seine-Nord Europe", 400],
            ],
        },
    )


def test_plausible_header_spellings_give_the_figures(tmp_path: Path) -> None:
    report = report_for([unusual_export(tmp_path / "Lens" / "export.xlsx")])
    totals = report["totals"]
    assert totals["hours_realised"] == 215.5  # 100 + 80 + 35.5
    assert totals["hours_forecast"] == 1400.0  # 1000 + 400
    assert totals["participants"] == 2
    assert totals["participants_brsa"] == 1
    assert totals["participants_ase"] == 1
    assert totals["participants_under_26"] == 1  # Bob: 22 on 03/02/2025
    assert totals["contracts"] == 2
    assert totals["operations"] == 2
    ops = {o["operation_id"]: o["operation"] for o in report["by_operation"]}
    assert ops == {"OP-1": "Résidence Les Tilleuls", "OP-2": "Écluse 3"}
    assert "COLUMN_UNMAPPED" not in codes(report)


def test_headers_matched_by_a_rule_are_listed_per_file(tmp_path: Path) -> None:
    report = report_for([unusual_export(tmp_path / "Lens" / "export.xlsx")])
    matched = {(c["sheet"], c["column"]): (c["field"], c["rule"]) for c in report["column_matches"]}
    assert matched[("Participants", "N° du participant")][0] == "participant_id"
    assert matched[("Participants", "Public(s) prioritaire(s)")][0] == "publics"
    assert matched[("Contrats", "Réf. contrat")][0] == "contrat_id"
    assert matched[("Contrats", "Date début contrat")][0] == "date_debut"
    assert matched[("Opérations", "Nombre d'heures prévues")][0] == "heures_prevues"
    assert matched[("Opérations", "Numéro de l'opération")][0] == "operation_id"
    # a header listed as such in schemas/ is matched « en-tête connu »; the others say how
    assert matched[("Contrats", "Heures effectuées")][1] == "en-tête connu"
    assert matched[("Contrats", "Réf. contrat")][1].startswith("en-tête voisin")
    assert all(c["file"].endswith("export.xlsx") for c in report["column_matches"])


def test_operation_number_beside_its_label_is_the_id(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "Artois" / "chantiers.xlsx",
        {
            "Heures": [
                [
                    "N° participant",
                    "Opération",
                    "N° opération",
                    "Heures réalisées",
                    "Mois",
                    "Heures prévues",
                ],
                ["P1", "Résidence du Parc", "2025-017", 70, "03/2025", 500],
                ["P1", "Résidence du Parc", "2025-017", 30, "04/2025", 500],
                ["P2", "Collège Jean Jaurès", "2025-018", 12, "04/2025", 90],
            ],
        },
    )
    report = report_for([path])
    ops = {o["operation_id"]: o for o in report["by_operation"]}
    assert set(ops) == {"2025-017", "2025-018"}
    assert ops["2025-017"]["operation"] == "Résidence du Parc"
    assert ops["2025-017"]["hours_realised"] == 100.0
    assert report["totals"]["hours_forecast"] == 590.0  # 500 once + 90
    assert "COLUMN_AMBIGUOUS" not in codes(report)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("N° du participant", "participant_id"),
        ("Public(s) prioritaire(s)", "publics"),
        ("Nombre d'heures prévues", "heures_prevues"),
        ("Réf. contrat", "contrat_id"),
        ("Code opération", "operation_id"),
        ("Heures effectuées", "heures_realisees"),
        ("Date début contrat", "date_debut"),
        ("Mois travaillé", "mois"),
        ("Numéro de l'opération", "operation_id"),
        ("Nb d'heures réalisées", "heures_realisees"),
        ("Total des heures", "heures_realisees"),
        ("Référence du contrat", "contrat_id"),
        ("Donneur d'ordres", "donneur_ordre"),
        ("Date de fin du contrat", "date_fin"),
    ],
)
def test_each_header_spelling_reaches_its_field(header: str, field: str) -> None:
    from clausekit.parse import header_key
    from clausekit.recognise import _aliases

    index, _, _ = _aliases(load_spec())
    assert index[header_key(header)] == field
