"""Workbook layouts met in the wild, through ``check``: where the header is (title block,
merged two-row header), which sheet is which table, hidden sheets, unknown, missing and
duplicate columns, blank and total rows, bogus dimensions.

Each test states the exact outcome: issue code, sheet, spreadsheet row, column as written,
typed values read and row counts. The workbooks are the shared « zoo » (formats_zoo.py)."""

from __future__ import annotations

from .formats_helpers import (
    column,
    counts,
    day,
    find,
    only,
    params,
    rejected_rows,
    rows_of,
    table,
    validated,
)
from .formats_zoo import F, Zoo

# --------------------------------------------------------------------------- headers


def test_header_below_a_title_block(zoo: Zoo) -> None:
    r = zoo.result
    v = validated(r, F, "Titre")
    assert v.recognised.header_row == 4
    assert v.recognised.kinds == ["contrats"]
    issue = only(r, "VALUE_NOT_HOURS", file=F, sheet="Titre")
    assert (issue.row, issue.column, issue.value) == (6, "Heures réalisées", "douze")
    assert issue.severity == "error"
    assert "« douze » n'est pas un nombre d'heures" in issue.message
    assert [i.code for i in find(r, file=F, sheet="Titre")] == ["VALUE_NOT_HOURS"]
    assert column(table(r, F, "Titre", "contrats"), "heures_realisees") == {5: 151.67}
    assert counts(r, F, "Titre") == (2, 1, 1, 0)
    assert rejected_rows(r, F, "Titre") == [6]


def test_merged_two_row_header(zoo: Zoo) -> None:
    r = zoo.result
    v = validated(r, F, "Fusion")
    assert v.recognised.header_row == 2
    # "début" and "fin" are accepted headers on their own: the label is the cell as written
    assert v.recognised.labels["date_debut"] == "début"
    assert v.recognised.labels["date_fin"] == "fin"
    assert v.recognised.labels["participant_id"] == "N° participant"  # from the merged cell
    assert v.recognised.labels["heures_realisees"] == "Heures réalisées"
    t = table(r, F, "Fusion", "contrats")
    assert column(t, "participant_id") == {3: "P1", 4: "P2"}
    assert column(t, "date_debut") == {3: day("2025-01-01"), 4: day("2025-02-01")}
    assert column(t, "date_fin") == {3: day("2025-01-31"), 4: day("2025-02-28")}
    assert column(t, "heures_realisees") == {3: 7.5, 4: 8.0}
    assert find(r, file=F, sheet="Fusion") == []
    assert counts(r, F, "Fusion") == (2, 2, 0, 0)


def test_sheet_kind_comes_from_columns_not_sheet_name(zoo: Zoo) -> None:
    r = zoo.result
    assert validated(r, F, "Feuil1").recognised.kinds == ["operations"]
    assert validated(r, F, "Contrats").recognised.kinds == ["participants"]
    assert validated(r, F, "Données").recognised.kinds == ["contrats"]
    ops = table(r, F, "Feuil1", "operations")
    assert column(ops, "operation_id") == {2: "OP1", 3: "OP2"}
    assert column(ops, "heures_prevues") == {2: 12000.0, 3: 1500.5}
    assert column(table(r, F, "Contrats", "participants"), "participant_id") == {2: "P9"}


def test_hidden_sheets_are_ignored_with_a_warning(zoo: Zoo) -> None:
    r = zoo.result
    for name in ("Masquée", "TrèsMasquée"):
        issue = only(r, "SHEET_HIDDEN", file=F, sheet=name)
        assert issue.severity == "warning"
        assert issue.file == str(zoo.root / F)
        assert not [s for s in r.sources if s["sheet"] == name]
    ids = {
        pid
        for v in r.validated
        for frame in v.tables.values()
        if "participant_id" in frame
        for pid in frame["participant_id"].dropna()
    }
    assert not ids & {"HID1", "HID2"}


def test_unmapped_columns_are_listed(zoo: Zoo) -> None:
    r = zoo.result
    found = find(r, "COLUMN_UNMAPPED", file=F, sheet="Inconnues")
    assert [(i.row, i.column, i.severity) for i in found] == [
        (1, "Commentaire interne", "warning"),
        (1, "Colonne 12", "warning"),
    ]
    assert counts(r, F, "Inconnues") == (1, 1, 0, 0)


def test_required_column_missing_is_one_clear_error(zoo: Zoo) -> None:
    r = zoo.result
    issue = only(r, "COLUMN_MISSING", file=F, sheet="Manque")
    assert issue.severity == "error"
    assert (issue.row, issue.column) == (1, "N° participant")
    assert issue.file == str(zoo.root / F)
    for found in ("« N° contrat »", "« Heures réalisées »", "« ID du benef »"):
        assert found in issue.message
    assert "Colonne obligatoire « N° participant » absente" in issue.message
    assert "« No participant »" in issue.message  # an accepted header is named
    assert counts(r, F, "Manque") == (2, 0, 2, 0)
    assert rejected_rows(r, F, "Manque") == [2, 3]
    reasons = r.rejects.loc[r.rejects["sheet"] == "Manque", "reasons"].tolist()
    assert reasons == ["N° participant : COLUMN_MISSING"] * 2


def test_missing_column_names_the_closest_alias(zoo: Zoo) -> None:
    issue = only(zoo.result, "COLUMN_MISSING", file=F, sheet="Manque")
    assert "« ID bénéficiaire »" in issue.message


def test_duplicate_headers_are_an_error_never_renamed(zoo: Zoo) -> None:
    r = zoo.result
    issue = only(r, "COLUMN_DUPLICATE", file=F, sheet="Doublons")
    assert issue.severity == "error"
    assert (issue.row, issue.column) == (1, "Heures réalisées")
    assert params(issue) == {"count": "2", "letters": "I, J"}
    v = validated(r, F, "Doublons")
    assert "heures_realisees" not in v.recognised.columns
    assert "heures_realisees" not in v.tables["contrats"].columns
    assert not find(r, "COLUMN_AMBIGUOUS", file=F, sheet="Doublons")
    assert not find(r, "COLUMN_UNMAPPED", file=F, sheet="Doublons")


# --------------------------------------------------------------------------- rows


def test_blank_and_total_rows_are_skipped_with_a_warning(zoo: Zoo) -> None:
    r = zoo.result
    assert rows_of(r, "ROW_BLANK", file=F, sheet="Vides") == [3, 5]
    assert rows_of(r, "ROW_TOTAL", file=F, sheet="Vides") == [7, 8]
    assert all(i.severity == "warning" for i in find(r, "ROW_BLANK") + find(r, "ROW_TOTAL"))
    assert rows_of(r, "VALUE_NOT_HOURS", file=F, sheet="Vides") == [6]
    # trailing empty strings and styled cells (rows 40, 60, 500) are not data
    assert max(i.row or 0 for i in find(r, file=F, sheet="Vides")) == 8
    assert counts(r, F, "Vides") == (7, 2, 1, 4)
    assert column(table(r, F, "Vides", "contrats"), "participant_id") == {2: "P1", 4: "P2"}


def test_bogus_dimension_and_trailing_cells_are_not_data(zoo: Zoo) -> None:
    r = zoo.result
    assert find(r, file="dimension.xlsx") == []
    assert counts(r, "dimension.xlsx", "Dim") == (3, 3, 0, 0)
    t = table(r, "dimension.xlsx", "Dim", "contrats")
    assert column(t, "participant_id") == {2: "D1", 3: "D2", 4: "D3"}


def test_row_conservation_for_every_source(zoo: Zoo) -> None:
    assert zoo.result.sources
    for s in zoo.result.sources:
        assert s["rows_read"] == s["rows_accepted"] + s["rows_rejected"] + s["rows_skipped"], s
