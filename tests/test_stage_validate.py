"""Stage 3, validate, on small hand-built sheets: a bad cell rejects its row and is located
by spreadsheet row, column as written and code; a bad optional participant cell is left blank,
the person kept; French hours, numbers, dates and months are read as the user wrote them.

Each sheet is built in the test and recognised first (stage 2); every expectation is written
by hand from the rows of the test."""

from __future__ import annotations

import pandas as pd
import pytest

from clausekit.pipeline.recognise import recognise
from clausekit.pipeline.validate import Validated, validate
from clausekit.rules.schemas import Spec, load_spec

from .conftest import raw_sheet

FILE = "Lens/export.xlsx"
CONTRACTS = [
    "N° participant",
    "N° contrat",
    "Date de début",
    "Date de fin",
    "Mois",
    "Heures réalisées",
]
PEOPLE = ["N° participant", "Nom", "Prénom", "Date de naissance", "Résident QPV", "Public"]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def validated(spec: Spec, rows: list[list[object]], sheet: str = "Feuil1") -> Validated:
    rec = recognise(raw_sheet(rows, file=FILE, sheet=sheet), spec)
    assert rec is not None
    return validate(rec, spec)


def cells(v: Validated, code: str) -> list[tuple[str | None, int | None, str | None, str | None]]:
    """(sheet, row, column, value) of the issues of ``code``, in row order."""
    return [(i.sheet, i.row, i.column, i.value) for i in v.issues if i.code == code]


def values(frame: pd.DataFrame, name: str) -> dict[int, object]:
    return {int(k): (None if pd.isna(x) else x) for k, x in frame[name].items()}


def rejected(v: Validated) -> dict[int, str]:
    return dict(zip(v.rejected["_row"].tolist(), v.rejected["reasons"].tolist(), strict=True))


def test_a_bad_hours_cell_rejects_its_row_located(spec: Spec) -> None:
    v = validated(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "06/01/2025", None, "01/2025", "7,5"],
            ["P2", "C2", "06/01/2025", None, "01/2025", "douze"],
            ["P3", "C3", "06/01/2025", None, "01/2025", "8"],
        ],
        sheet="Heures",
    )
    assert cells(v, "VALUE_NOT_HOURS") == [("Heures", 3, "Heures réalisées", "douze")]
    [issue] = [i for i in v.issues if i.code == "VALUE_NOT_HOURS"]
    assert (issue.file, issue.severity) == (FILE, "error")
    assert issue.message == "« douze » n'est pas un nombre d'heures."
    assert rejected(v) == {3: "Heures réalisées : VALUE_NOT_HOURS"}
    assert values(v.tables["contrats"], "heures_realisees") == {2: 7.5, 4: 8.0}
    assert (v.rows_read, v.rows_accepted, v.rows_rejected, v.rows_skipped) == (3, 2, 1, 0)


def test_hours_are_read_as_french_numbers_and_durations(spec: Spec) -> None:
    written = ["7:30", "7h30", "1\u00a0234,5", "1\u202f234,5", "151,67", "12", "0,25", "151:40"]
    rows = [CONTRACTS] + [["P1", f"C{n}", None, None, "01/2025", h] for n, h in enumerate(written)]
    v = validated(spec, rows)
    got = values(v.tables["contrats"], "heures_realisees")
    assert got == pytest.approx(
        {2: 7.5, 3: 7.5, 4: 1234.5, 5: 1234.5, 6: 151.67, 7: 12.0, 8: 0.25, 9: 151 + 40 / 60}
    )
    assert v.issues == []


def test_hours_that_are_not_a_number_of_hours_are_each_reported(spec: Spec) -> None:
    rows = [CONTRACTS] + [
        ["P1", f"C{n}", None, None, "01/2025", h]
        for n, h in enumerate(["1 23,4", "1 234.5", "7:60", "12 heures"])
    ]
    v = validated(spec, rows)
    assert cells(v, "VALUE_NOT_HOURS") == [
        ("Feuil1", 2, "Heures réalisées", "1 23,4"),
        ("Feuil1", 3, "Heures réalisées", "1 234.5"),
        ("Feuil1", 4, "Heures réalisées", "7:60"),
        ("Feuil1", 5, "Heures réalisées", "12 heures"),
    ]
    assert sorted(rejected(v)) == [2, 3, 4, 5]
    assert len(v.tables["contrats"]) == 0


def test_out_of_range_inverted_and_impossible_dates_are_located(spec: Spec) -> None:
    v = validated(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "06/01/2025", "31/01/2025", "01/2025", "7"],
            ["P1", "C2", "06/01/2025", None, "01/2025", "-5"],
            ["P1", "C3", "01/02/2025", "01/01/2025", "02/2025", "7"],
            ["P1", "C4", "32/01/2025", None, "01/2025", "7"],
            ["P1", "C5", "06/01/2025", None, "13/2025", "7"],
        ],
    )
    assert cells(v, "VALUE_OUT_OF_RANGE") == [("Feuil1", 3, "Heures réalisées", "-5")]
    assert cells(v, "DATES_INVERTED") == [("Feuil1", 4, "Date de fin", None)]
    assert cells(v, "VALUE_NOT_DATE") == [("Feuil1", 5, "Date de début", "32/01/2025")]
    assert cells(v, "VALUE_NOT_MONTH") == [("Feuil1", 6, "Mois", "13/2025")]
    assert rejected(v) == {
        3: "Heures réalisées : VALUE_OUT_OF_RANGE",
        4: "Date de fin : DATES_INVERTED",
        5: "Date de début : VALUE_NOT_DATE",
        6: "Mois : VALUE_NOT_MONTH",
    }
    t = v.tables["contrats"]
    assert values(t, "date_debut") == {2: pd.Timestamp("2025-01-06")}
    assert values(t, "date_fin") == {2: pd.Timestamp("2025-01-31")}
    assert values(t, "mois") == {2: "2025-01"}


def test_a_missing_participant_id_rejects_the_row(spec: Spec) -> None:
    v = validated(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", None, None, "01/2025", "7"],
            [None, "C2", None, None, "01/2025", "8"],
        ],
    )
    assert cells(v, "VALUE_REQUIRED") == [("Feuil1", 3, "N° participant", None)]
    assert rejected(v) == {3: "N° participant : VALUE_REQUIRED"}
    assert v.hours_rejected == 8.0  # the hours the rejected row carried


def test_an_excel_error_cell_rejects_its_row_and_is_not_read_as_empty(spec: Spec) -> None:
    v = validated(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "06/01/2025", None, "01/2025", "#N/A"],
            ["P2", "C2", "#DIV/0!", None, "01/2025", "7"],
            ["P3", "C3", "06/01/2025", None, "01/2025", "8"],
        ],
    )
    assert cells(v, "VALUE_EXCEL_ERROR") == [
        ("Feuil1", 2, "Heures réalisées", "#N/A"),
        ("Feuil1", 3, "Date de début", "#DIV/0!"),
    ]
    assert cells(v, "VALUE_NOT_HOURS") == [] and cells(v, "VALUE_NOT_DATE") == []
    assert sorted(rejected(v)) == [2, 3]
    assert values(v.tables["contrats"], "participant_id") == {4: "P3"}
    assert v.hours_rejected == 7.0  # row 3's hours; row 2's « #N/A » counts for nothing


def test_a_bad_optional_participant_cell_is_blanked_not_rejected(spec: Spec) -> None:
    v = validated(
        spec,
        [
            PEOPLE,
            ["P1", "Zébulonne", "Ophélixa", "01/02/1990", "Oui", "BRSA"],
            ["P2", "Quasimodo", "Barnabéus", "31/02/1990", "Non", None],
            ["P3", "Gédéonie", "Eulalinde", "05/05/2001", "peut-être", None],
        ],
        sheet="Participants",
    )
    # a people sheet: the cell is located, its text never copied (it could be a birth date)
    assert cells(v, "VALUE_NOT_DATE") == [("Participants", 3, "Date de naissance", None)]
    assert cells(v, "VALUE_NOT_BOOL") == [("Participants", 4, "Résident QPV", None)]
    assert rejected(v) == {}
    t = v.tables["participants"]
    assert values(t, "participant_id") == {2: "P1", 3: "P2", 4: "P3"}
    assert values(t, "date_naissance") == {
        2: pd.Timestamp("1990-02-01"),
        3: None,
        4: pd.Timestamp("2001-05-05"),
    }
    assert values(t, "qpv") == {2: True, 3: False, 4: None}
    assert (v.rows_accepted, v.rows_rejected) == (3, 0)


def test_public_labels_become_flags_and_an_unknown_one_is_a_warning(spec: Spec) -> None:
    v = validated(
        spec,
        [
            PEOPLE,
            ["P1", "A", "B", None, None, "BRSA, ASE"],
            ["P2", "C", "D", None, None, "Moins de 26 ans"],
            ["P3", "E", "F", None, "Oui", "Martien"],
            ["P4", "G", "H", None, None, "Martien"],
        ],
    )
    t = v.tables["participants"]
    assert values(t, "pub_BRSA") == {2: True, 3: False, 4: False, 5: False}
    assert values(t, "pub_ASE") == {2: True, 3: False, 4: False, 5: False}
    assert values(t, "pub_JEUNE_M26") == {2: False, 3: True, 4: False, 5: False}
    assert values(t, "pub_QPV") == {2: False, 3: False, 4: True, 5: False}
    # one warning per distinct unknown label, at its first row; the text is never copied
    unknown = [i for i in v.issues if i.code == "VALUE_PUBLIC_UNKNOWN"]
    assert [(i.row, i.column, i.value, i.severity) for i in unknown] == [
        (4, "Public", None, "warning")
    ]
    assert rejected(v) == {}


def test_a_missing_required_column_rejects_every_row_of_the_sheet(spec: Spec) -> None:
    v = validated(spec, [["N° contrat", "Heures réalisées"], ["C1", "7"], ["C2", "8"]])
    assert cells(v, "COLUMN_MISSING") == [("Feuil1", 1, "N° participant", None)]
    assert rejected(v) == {
        2: "N° participant : COLUMN_MISSING",
        3: "N° participant : COLUMN_MISSING",
    }
    assert "contrats" not in v.tables
    assert (v.rows_read, v.rows_accepted, v.rows_rejected) == (2, 0, 2)
    assert v.hours_rejected == 15.0


def test_wide_month_columns_become_one_hours_line_per_month(spec: Spec) -> None:
    v = validated(
        spec,
        [
            ["N° participant", "N° contrat", "janv.-25", "févr.-25"],
            ["P1", "C1", "7,5", None],
            ["P2", "C2", "4", "6"],
        ],
    )
    t = v.tables["contrats"]
    lines = sorted(
        zip(t["_row"].tolist(), t["mois"].tolist(), t["heures_realisees"].tolist(), strict=True)
    )
    assert lines == [(2, "2025-01", 7.5), (3, "2025-01", 4.0), (3, "2025-02", 6.0)]
    assert v.issues == []


def test_identifiers_stay_text_with_their_leading_zeros(spec: Spec) -> None:
    v = validated(
        spec,
        [
            ["N° participant", "Nom", "Code postal"],
            ["00123", "A", "06000"],
            ["456.0", "B", "2A004"],
        ],
    )
    t = v.tables["participants"]
    assert values(t, "participant_id") == {2: "00123", 3: "456"}
    assert values(t, "code_postal") == {2: "06000", 3: "2A004"}
