"""Exports shaped the way facilitators keep them (issue: right figures on real shapes).

Every expected figure is computed by hand in the test, from the rows written in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from clausekit.consolidate import build_report, check
from clausekit.rules.schemas import load_spec
from clausekit.rules.settings import Settings

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
    from clausekit.pipeline.recognise import _aliases
    from clausekit.rules.headers import header_key

    index, _, _ = _aliases(load_spec())
    assert index[header_key(header)] == field


# --------------------------------------------------------------------------- successive exports

P_HEADER = ["N° participant", "Nom", "Prénom", "Date de naissance", "Public"]
C_HEADER = [
    "N° participant",
    "N° contrat",
    "Opération",
    "Type de contrat",
    "Date de début",
    "Mois",
    "Heures réalisées",
]
O_HEADER = ["Opération", "Libellé de l'opération", "Donneur d'ordre", "Heures prévisionnelles"]
PEOPLE = [
    ["P1", "Martin", "Alice", D(1990, 5, 1), "BRSA"],
    ["P2", "Durand", "Bob", D(2003, 1, 1), ""],
]
OPS = [["OP1", "Résidence A", "Maisons & Cités", 1000]]


def monthly_export(path: Path, lines: list[list[Any]], title: str | None = None) -> Path:
    top = [[title], []] if title else []
    return write_xlsx(
        path,
        {
            "Participants": [*top, P_HEADER, *PEOPLE],
            "Contrats": [*top, C_HEADER, *lines],
            "Opérations": [*top, O_HEADER, *OPS],
        },
    )


def line(contract: str, month: str, hours: float, who: str = "P1") -> list[Any]:
    return [who, contract, "OP1", "CDD", D(2025, 1, 6), month, hours]


def set_mtime(path: Path, when: dt.datetime) -> None:
    import os

    os.utime(path, (when.timestamp(), when.timestamp()))


def test_three_monthly_exports_count_each_line_once_from_the_newest(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "Lens"
    # January's export; February's re-exports January with C2 corrected (50 -> 60) and adds
    # February; March's holds only March (an export of the month).
    jan = monthly_export(
        folder / "export_2025-01.xlsx",
        [line("C1", "01/2025", 100), line("C2", "01/2025", 50, "P2")],
    )
    feb = monthly_export(
        folder / "export_02-2025.xlsx",
        [line("C1", "01/2025", 100), line("C2", "01/2025", 60, "P2"), line("C1", "02/2025", 120)],
    )
    mar = monthly_export(folder / "export mars 2025.xlsx", [line("C1", "03/2025", 130)])
    # modification times in the wrong order: the dates in the names decide
    set_mtime(jan, dt.datetime(2025, 4, 9))
    set_mtime(feb, dt.datetime(2025, 4, 8))
    set_mtime(mar, dt.datetime(2025, 4, 7))
    report = report_for([tmp_path / "exports"])
    totals = report["totals"]
    assert totals["hours_realised"] == 410.0  # 100 + 60 + 120 + 130, never 50
    assert totals["hours_forecast"] == 1000.0  # one operation, counted once
    assert totals["participants"] == 2
    assert totals["participants_brsa"] == 1
    assert totals["contracts"] == 2
    monthly = {m["month"]: m["hours_realised"] for m in report["monthly"]}
    assert monthly == {"2025-01": 160.0, "2025-02": 120.0, "2025-03": 130.0}
    # January's export is wholly replaced: set aside, and said so
    ignored = {Path(i["file"]).name: i["reason"] for i in report["inputs"]["ignored"]}
    assert list(ignored) == ["export_2025-01.xlsx"]
    assert "export_02-2025.xlsx" in ignored["export_2025-01.xlsx"]
    assert "daté du 01/02/2025 dans son nom" in ignored["export_2025-01.xlsx"]
    superseded = {
        (Path(s["file"]).name, s["sheet"]): s["rows_superseded"] for s in report["sources"]
    }
    assert superseded[("export_2025-01.xlsx", "Contrats")] == 2
    assert superseded[("export_2025-01.xlsx", "Participants")] == 2
    assert superseded[("export_02-2025.xlsx", "Contrats")] == 0  # March holds only March
    dates = {Path(s["file"]).name: s["export_date"] for s in report["sources"]}
    assert dates["export mars 2025.xlsx"] == "2025-03-01"


def test_undated_names_use_the_extraction_date_of_the_title_rows(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "Artois"
    july = monthly_export(
        folder / "extraction_b.xlsx", [line("C1", "06/2025", 90)], title="Extraction du 01/07/2025"
    )
    june = monthly_export(
        folder / "extraction_a.xlsx", [line("C1", "06/2025", 70)], title="Extraction du 01/06/2025"
    )
    set_mtime(july, dt.datetime(2025, 7, 1))
    set_mtime(june, dt.datetime(2025, 8, 1))  # re-saved later: the title date decides
    report = report_for([tmp_path / "exports"])
    assert report["totals"]["hours_realised"] == 90.0
    assert [Path(i["file"]).name for i in report["inputs"]["ignored"]] == ["extraction_a.xlsx"]


def test_files_of_one_territory_holding_different_data_are_all_read(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "Hénin-Carvin"
    write_xlsx(folder / "participants_2025-06.xlsx", {"P": [P_HEADER, *PEOPLE]})
    write_xlsx(
        folder / "operations_2025-06.xlsx", {"O": [O_HEADER, *OPS, ["OP2", "Écluse", "SANEF", 300]]}
    )
    write_xlsx(folder / "heures_OP1_2025-05.xlsx", {"H": [C_HEADER, line("C1", "05/2025", 40)]})
    write_xlsx(
        folder / "heures_OP2_2025-06.xlsx",
        {"H": [C_HEADER, ["P2", "C9", "OP2", "CDI", D(2025, 6, 2), "06/2025", 25]]},
    )
    report = report_for([tmp_path / "exports"])
    totals = report["totals"]
    assert totals["hours_realised"] == 65.0  # 40 + 25: different contracts, both counted
    assert totals["hours_forecast"] == 1300.0
    assert totals["participants"] == 2
    assert totals["participants_brsa"] == 1
    assert report["inputs"]["ignored"] == []


def test_explicit_file_paths_are_reconciled_too(tmp_path: Path) -> None:
    folder = tmp_path / "Lens"
    may = monthly_export(folder / "export_2025-05.xlsx", [line("C1", "05/2025", 80)])
    june = monthly_export(
        folder / "export_2025-06.xlsx", [line("C1", "05/2025", 80), line("C1", "06/2025", 75)]
    )
    report = report_for([june, may])
    assert report["totals"]["hours_realised"] == 155.0  # not 235
    assert report["totals"]["hours_forecast"] == 1000.0  # not 2000


# --------------------------------------------------------------------------- forecast levels

DENORMALISED = [
    "N° participant",
    "N° contrat",
    "N° opération",
    "Donneur d'ordre",
    "Mois",
    "Heures réalisées",
    "Heures prévues",
]


def test_contract_and_operation_level_forecasts_side_by_side(tmp_path: Path) -> None:
    # Lens gives the forecast per contract: C1 200 h (3 months), C2 300 h (2 months) on OPX.
    write_xlsx(
        tmp_path / "exports" / "Lens" / "export.xlsx",
        {
            "Heures": [
                DENORMALISED,
                ["P1", "C1", "OPX", "SIA Habitat", "01/2025", 50, 200],
                ["P1", "C1", "OPX", "SIA Habitat", "02/2025", 50, 200],
                ["P1", "C1", "OPX", "SIA Habitat", "03/2025", 50, 200],
                ["P2", "C2", "OPX", "SIA Habitat", "02/2025", 70, 300],
                ["P2", "C2", "OPX", "SIA Habitat", "03/2025", 70, 300],
            ]
        },
    )
    # Artois repeats the operation's forecast on every row: 800 h for OPY.
    write_xlsx(
        tmp_path / "exports" / "Artois" / "export.xlsx",
        {
            "Heures": [
                DENORMALISED,
                ["A1", "K1", "OPY", "SNCF", "01/2025", 35, 800],
                ["A2", "K2", "OPY", "SNCF", "01/2025", 35, 800],
                ["A2", "K2", "OPY", "SNCF", "02/2025", 35, 800],
            ]
        },
    )
    report = report_for([tmp_path / "exports"])
    ops = {o["operation_id"]: o for o in report["by_operation"]}
    assert ops["OPX"]["hours_forecast"] == 500.0  # 200 + 300, each contract once
    assert ops["OPY"]["hours_forecast"] == 800.0  # once per operation
    assert report["totals"]["hours_forecast"] == 1300.0
    assert report["totals"]["hours_realised"] == 395.0  # 150 + 140 + 105
    levels = {Path(s["file"]).parent.name: s["forecast_level"] for s in report["sources"]}
    assert levels == {"Lens": "contract", "Artois": "operation"}
    assert "FORECAST_CONFLICT" not in codes(report)


def test_forecast_that_fits_neither_reading_is_one_short_conflict(tmp_path: Path) -> None:
    rows = [["P1", "C1", "OPZ", "SNCF", f"{m:02d}/2025", 10, 100 + m] for m in range(1, 13)]
    write_xlsx(tmp_path / "Lens" / "export.xlsx", {"Heures": [DENORMALISED, *rows]})
    report = report_for([tmp_path / "Lens" / "export.xlsx"])
    conflicts = [i for i in report["issues"] if i["code"] == "FORECAST_CONFLICT"]
    assert len(conflicts) == 1
    assert "12 valeurs différentes, de 101 à 112 h" in conflicts[0]["message"]
    assert len(conflicts[0]["message"]) < 300
    assert report["totals"]["hours_forecast"] == 112.0  # the largest is kept


def test_config_can_force_the_forecast_level(tmp_path: Path) -> None:
    rows = [
        ["P1", "C1", "OPX", "SIA Habitat", "01/2025", 50, 200],
        ["P2", "C2", "OPX", "SIA Habitat", "01/2025", 70, 200],
    ]
    path = write_xlsx(tmp_path / "Lens" / "export.xlsx", {"Heures": [DENORMALISED, *rows]})
    auto = report_for([path])
    assert auto["totals"]["hours_forecast"] == 200.0  # repeated: read per operation
    forced = report_for([path], forecast_level="contract")
    assert forced["totals"]["hours_forecast"] == 400.0  # 200 per contract, two contracts


# --------------------------------------------------------------------------- ids and cells


def test_ids_that_lost_their_leading_zeros_still_match(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "Lens" / "export.xlsx",
        {
            "Participants": [
                P_HEADER,
                ["00000181", "Martin", "Alice", D(1990, 5, 1), "BRSA"],
                ["00000182", "Durand", "Bob", D(2003, 1, 1), "ASE"],
            ],
            "Contrats": [
                C_HEADER,
                ["181", "C1", "0042", "CDD", D(2025, 1, 6), "01/2025", 10],
                ["182", "C2", "42", "CDD", D(2025, 1, 6), "01/2025", 20],
            ],
            "Opérations": [O_HEADER, ["42", "Résidence A", "Maisons & Cités", 1000]],
        },
    )
    report = report_for([path])
    totals = report["totals"]
    assert totals["participants"] == 2
    assert totals["participants_brsa"] == 1
    assert totals["participants_ase"] == 1
    assert totals["participants_under_26"] == 1  # Bob: 22 on 06/01/2025
    assert totals["operations"] == 1
    assert totals["hours_forecast"] == 1000.0
    assert "PARTICIPANT_UNKNOWN" not in codes(report)
    zeros = [i for i in report["issues"] if i["code"] == "ID_ZEROS_MATCHED"]
    assert [(z["message"].split(" ")[0]) for z in zeros] == ["2", "1"]


def test_a_bad_birth_date_is_a_bad_cell_not_a_lost_person(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "Lens" / "export.xlsx",
        {
            "Participants": [
                P_HEADER,
                ["P1", "Martin", "Alice", "31/02/1988", "BRSA"],
                ["P2", "Durand", "Bob", "00/00/0000", "ASE"],
                ["P3", "Petit", "Léa", D(2024, 3, 1), "-26 ans"],  # a baby: implausible
                ["P4", "Roux", "Jean", D(1930, 1, 1), ""],  # 95: implausible
                ["P5", "Blanc", "Zoé", D(2001, 1, 1), ""],  # 24: under 26
            ],
            "Contrats": [C_HEADER, *(line(f"C{i}", "01/2025", 10, f"P{i}") for i in range(1, 6))],
            "Opérations": [O_HEADER, *OPS],
        },
    )
    checked = check([path])
    assert checked.rows_rejected == 0  # every participant row kept
    report, _ = build_report(checked, spec=load_spec(), settings=Settings(), secret=SECRET)
    totals = report["totals"]
    assert totals["participants"] == 5
    assert totals["participants_brsa"] == 1  # Alice keeps her status
    assert totals["participants_ase"] == 1  # Bob too
    # Zoé by her age (24); Léa by her declared status « -26 ans », since her birth date is
    # implausible (age unknown) — never Alice, Bob or Jean, whose ages are unknown too
    assert totals["participants_under_26"] == 2
    assert report["quality"]["participants_age_unknown"] == 4
    assert "PARTICIPANT_UNKNOWN" not in codes(report)
    bad = {(i["row"], i["code"]) for i in report["issues"] if i["column"] == "Date de naissance"}
    assert bad == {
        (2, "VALUE_NOT_DATE"),
        (3, "VALUE_NOT_DATE"),
        (4, "BIRTH_DATE_IMPLAUSIBLE"),
        (5, "BIRTH_DATE_IMPLAUSIBLE"),
    }
    texts = " ".join(i["message"] for i in report["issues"])
    assert "1988" not in texts and "2024" not in texts and "1930" not in texts


# --------------------------------------------------------------------------- a period


def test_operations_outside_the_period_are_not_in_it(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "Lens" / "export.xlsx",
        {
            "Participants": [P_HEADER, *PEOPLE],
            "Contrats": [
                C_HEADER,
                ["P1", "C1", "OP2024", "CDD", D(2024, 3, 4), "03/2024", 100],
                ["P1", "C2", "OP2025", "CDD", D(2025, 2, 3), "02/2025", 60],
            ],
            "Opérations": [
                O_HEADER,
                ["OP2024", "Ancienne", "SIA Habitat", 700],
                ["OP2025", "Nouvelle", "SIA Habitat", 300],
                ["OPFUTUR", "Pas commencée", "SIA Habitat", 50],
            ],
        },
    )
    report = report_for([path], period_start="2025-01", period_end="2025-12")
    totals = report["totals"]
    assert totals["hours_forecast"] == 300.0
    assert totals["hours_realised"] == 60.0
    assert totals["operations"] == 1
    assert totals["realisation_rate"] == 0.2
    assert [o["operation_id"] for o in report["by_operation"]] == ["OP2025"]
    whole = report_for([path])  # no period asked: every operation of the data
    assert whole["totals"]["hours_forecast"] == 1050.0


# --------------------------------------------------------------------------- the terminal


def test_the_terminal_ends_with_a_summary_one_can_act_on(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clausekit.cli import app

    folder = tmp_path / "exports" / "Lens"
    monthly_export(folder / "export_2025-05.xlsx", [line("C1", "05/2025", 80)])
    monthly_export(
        folder / "export_2025-06.xlsx",
        [line("C1", "05/2025", 80), line("C1", "06/2025", 75), line("C7", "06/2025", 9, "P9")],
    )
    result = CliRunner().invoke(
        app, ["consolidate", str(tmp_path / "exports"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    # May: 2 participants + 1 line + 1 operation; June: 2 + 3 + 1
    assert "Lignes : 10 lues, 10 acceptées, 0 rejetées, 0 ignorées" in out
    assert "Avertissements qui changent les chiffres" in out
    assert "1 fois, par exemple : Le participant « P9 » des contrats est absent" in out
    assert "Fichier écarté : export_2025-05.xlsx (remplacé par un export plus récent" in out
    assert "À consulter :" in out and "rejets.csv" in out
    assert "PARTICIPANT_UNKNOWN" not in out.split("Lignes :")[1]  # words, not codes


def test_per_contract_forecasts_in_two_monthly_exports(tmp_path: Path) -> None:
    # the same denormalised export, April then May: C1 300 h and C2 150 h on OP7 each month
    def rows(months: range) -> list[list[Any]]:
        return [
            [who, contract, "OP7", "SIA Habitat", f"{m:02d}/2025", hours, forecast]
            for m in months
            for who, contract, hours, forecast in (("P1", "C1", 70, 300), ("P2", "C2", 35, 150))
        ]

    folder = tmp_path / "exports" / "Lens"
    write_xlsx(folder / "export_2025-04.xlsx", {"H": [DENORMALISED, *rows(range(1, 5))]})
    write_xlsx(folder / "export_2025-05.xlsx", {"H": [DENORMALISED, *rows(range(1, 6))]})
    report = report_for([tmp_path / "exports"])
    assert report["totals"]["hours_forecast"] == 450.0  # 300 + 150, once, not per export
    assert report["totals"]["hours_realised"] == 525.0  # 5 months × (70 + 35)
    assert "FORECAST_CONFLICT" not in codes(report)
    replaced = {Path(s["file"]).name: s["rows_superseded"] for s in report["sources"]}
    assert replaced == {"export_2025-04.xlsx": 8, "export_2025-05.xlsx": 0}  # spreadsheet rows
