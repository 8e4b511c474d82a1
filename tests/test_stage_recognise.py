"""Stage 2, recognise, on small hand-built sheets: which sheet is which table, header
spellings mapped to fields, the id beside its label, unknown, duplicate and missing columns,
rows that are not data.

Each sheet is built in the test as the reader hands it over (text cells, spreadsheet row
numbers); every expectation is written from the schemas' alias lists and the domain rules."""

from __future__ import annotations

from datetime import datetime

import pytest

from clausekit.errors import Issue
from clausekit.pipeline.recognise import Recognised, recognise
from clausekit.rules.schemas import Spec, load_spec

from .conftest import raw_sheet

FILE = "Lens/export.xlsx"
KNOWN = "en-tête connu"
NEAR = "en-tête voisin (articles, pluriels, N°/Code/Réf.)"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def recognised(spec: Spec, rows: list[list[object]], **where: str) -> Recognised:
    rec = recognise(raw_sheet(rows, **where), spec)
    assert rec is not None
    return rec


def located(
    issues: list[Issue],
) -> list[tuple[str, str | None, str | None, int | None, str | None]]:
    return [(i.code, i.file, i.sheet, i.row, i.column) for i in issues]


def test_each_sheet_is_recognised_as_its_table(spec: Spec) -> None:
    participants = recognised(
        spec,
        [["N° participant", "Nom", "Prénom", "Date de naissance", "Public"], ["P1", "A", "B"]],
        sheet="Bénéficiaires",
    )
    contracts = recognised(
        spec,
        [
            ["N° participant", "N° contrat", "Opération", "Heures réalisées"],
            ["P1", "C1", "OP1", "7"],
        ],
        sheet="Participants",  # the name of a sheet says nothing: its columns do
    )
    operations = recognised(
        spec,
        [["Opération", "Donneur d'ordre", "Heures prévisionnelles"], ["OP1", "Ville", "100"]],
        sheet="Feuil3",
    )
    assert participants.kinds == ["participants"]
    assert contracts.kinds == ["contrats"]
    assert operations.kinds == ["operations"]
    assert operations.columns == {"operation_id": 0, "donneur_ordre": 1, "heures_prevues": 2}


def test_one_denormalised_sheet_holds_the_three_tables(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            [
                "N° participant",
                "Nom",
                "N° contrat",
                "Heures réalisées",
                "Opération",
                "Heures prévues",
            ],
            ["P1", "A", "C1", "7", "OP1", "500"],
        ],
    )
    assert rec.kinds == ["participants", "contrats", "operations"]
    assert rec.columns == {
        "participant_id": 0,
        "nom": 1,
        "contrat_id": 2,
        "heures_realisees": 3,
        "operation_id": 4,
        "heures_prevues": 5,
    }


def test_header_spellings_map_to_their_fields_with_the_rule_that_matched(spec: Spec) -> None:
    header = [
        "N° du participant",
        "Réf. contrat",
        "Code opération",
        "Heures effectuées",
        "Mois travaillé",
        "Date début contrat",
    ]
    rec = recognised(spec, [header, ["P1", "C1", "OP1", "7:30", "01/2025", "06/01/2025"]])
    assert rec.kinds == ["contrats"]
    assert rec.columns == {
        "participant_id": 0,
        "contrat_id": 1,
        "operation_id": 2,
        "heures_realisees": 3,
        "mois": 4,
        "date_debut": 5,
    }
    assert rec.labels == dict(zip(rec.columns, header, strict=True))
    # listed as such in schemas/: known; the others differ by small words (du, Réf., début)
    assert rec.rules == {
        "participant_id": NEAR,
        "contrat_id": NEAR,
        "operation_id": KNOWN,
        "heures_realisees": KNOWN,
        "mois": KNOWN,
        "date_debut": NEAR,
    }
    assert rec.issues == []


def test_a_territory_mapping_names_an_unusual_header(spec: Spec) -> None:
    rows = [["N° participant", "N° contrat", "Volume insertion"], ["P1", "C1", "12"]]
    plain = recognise(raw_sheet(rows), spec)
    mapped = recognise(raw_sheet(rows), spec, {"Volume insertion": "heures_realisees"})
    assert plain is not None and mapped is not None
    assert "heures_realisees" not in plain.columns
    assert located(plain.issues) == [("COLUMN_UNMAPPED", FILE, "Feuil1", 1, "Volume insertion")]
    assert mapped.columns == {"participant_id": 0, "contrat_id": 1, "heures_realisees": 2}
    assert mapped.rules["heures_realisees"] == "correspondance de clausekit.toml"
    assert mapped.issues == []


def test_operation_number_beside_its_label_is_the_id(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            ["Opération", "N° opération", "Heures prévues"],
            ["Résidence du Parc", "2025-017", "500"],
            ["Collège Jean Jaurès", "2025-018", "90"],
        ],
    )
    assert rec.kinds == ["operations"]
    assert rec.columns == {"operation_id": 1, "operation_libelle": 0, "heures_prevues": 2}
    assert rec.rules["operation_id"] == "identifiant (à côté de son libellé)"
    assert rec.rules["operation_libelle"] == "libellé (à côté de son identifiant)"
    assert rec.data["operation_id"].tolist() == ["2025-017", "2025-018"]
    assert rec.data["operation_libelle"].tolist() == ["Résidence du Parc", "Collège Jean Jaurès"]
    assert [i.code for i in rec.issues] == []


def test_the_id_is_the_column_holding_codes_even_when_written_second(spec: Spec) -> None:
    # « Code opération » holds the codes, « Opération » the names: whatever their order
    rec = recognised(
        spec,
        [
            ["Code opération", "Opération", "Donneur d'ordre"],
            ["OP-12", "Tramway de Lens", "Ville de Lens"],
        ],
    )
    assert rec.columns["operation_id"] == 0
    assert rec.columns["operation_libelle"] == 1


def test_header_below_title_rows_and_its_extraction_date(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            ["Extraction ABC Clauses du 01/07/2025"],
            ["Territoire : Lens-Liévin"],
            [],
            ["N° participant", "N° contrat", "Heures réalisées"],
            ["P1", "C1", "7"],
            ["P2", "C2", "8"],
        ],
    )
    assert rec.header_row == 4
    assert rec.extraction_date == datetime(2025, 7, 1)
    assert rec.data.index.tolist() == [5, 6]
    assert rec.rows_read == 2


def test_unknown_columns_are_reported_where_they_are(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            [
                "N° participant",
                "Commentaire interne",
                "N° contrat",
                "Heures réalisées",
                "Colonne 12",
            ],
            ["P1", "à revoir", "C1", "7", "x"],
        ],
        file="Artois/heures.xlsx",
        sheet="Heures",
    )
    assert located(rec.issues) == [
        ("COLUMN_UNMAPPED", "Artois/heures.xlsx", "Heures", 1, "Commentaire interne"),
        ("COLUMN_UNMAPPED", "Artois/heures.xlsx", "Heures", 1, "Colonne 12"),
    ]
    assert all(i.severity == "warning" for i in rec.issues)
    assert rec.columns == {"participant_id": 0, "contrat_id": 2, "heures_realisees": 3}


def test_duplicate_headers_are_an_error_and_neither_column_is_read(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            ["N° participant", "N° contrat", "Heures réalisées", "Mois", "heures réalisées"],
            ["P1", "C1", "7", "01/2025", "8"],
        ],
    )
    [issue] = rec.issues
    assert (issue.code, issue.row, issue.column, issue.severity) == (
        "COLUMN_DUPLICATE",
        1,
        "Heures réalisées",
        "error",
    )
    assert dict(issue.params) == {"count": "2", "letters": "C, E"}
    assert rec.columns == {"participant_id": 0, "contrat_id": 1, "mois": 3}


def test_a_required_column_missing_is_an_error_of_the_sheet(spec: Spec) -> None:
    rec = recognised(
        spec,
        [["N° contrat", "Opération", "Heures réalisées"], ["C1", "OP1", "7"]],
    )
    assert rec.kinds == ["contrats"]
    assert list(rec.sheet_errors) == ["contrats"]
    [issue] = rec.sheet_errors["contrats"]
    assert (issue.code, issue.file, issue.row, issue.column) == (
        "COLUMN_MISSING",
        FILE,
        1,
        "N° participant",
    )
    assert "Colonne obligatoire « N° participant » absente" in issue.message


def test_blank_and_total_rows_are_skipped_and_trailing_blanks_not_read(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            ["N° participant", "N° contrat", "Heures réalisées"],
            ["P1", "C1", "7"],
            [None, " ", None],
            ["P2", "C2", "8"],
            ["TOTAL", None, "15"],
            [None, None, None],
            [None, None, None],
        ],
    )
    assert rec.skipped == {3: "ROW_BLANK", 5: "ROW_TOTAL"}
    assert rec.data.index.tolist() == [2, 4]
    assert rec.data["participant_id"].tolist() == ["P1", "P2"]
    assert rec.rows_read == 4  # rows 2 to 5: the two trailing blank rows are not data
    assert [(i.code, i.row) for i in rec.issues] == [("ROW_BLANK", 3), ("ROW_TOTAL", 5)]


def test_monthly_hours_laid_out_wide_are_month_columns(spec: Spec) -> None:
    rec = recognised(
        spec,
        [
            ["N° participant", "N° contrat", "janv.-25", "févr.-25", "Heures mars 2025"],
            ["P1", "C1", "7", "8", "9"],
        ],
    )
    assert rec.kinds == ["contrats"]
    assert rec.columns == {
        "participant_id": 0,
        "contrat_id": 1,
        "month:2025-01": 2,
        "month:2025-02": 3,
        "month:2025-03": 4,
    }
    assert rec.issues == []


def test_an_empty_sheet_is_nothing_and_a_sheet_without_header_is_not_recognised(
    spec: Spec,
) -> None:
    assert recognise(raw_sheet([[None, None], [None, None]]), spec) is None
    rec = recognised(spec, [["Notes de la réunion"], ["rien à signaler"]], sheet="Notes")
    assert rec.kinds == []
    assert located(rec.issues) == [("SHEET_NOT_RECOGNISED", FILE, "Notes", None, None)]
